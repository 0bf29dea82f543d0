import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AccountReplies, accountKind, accountView } from './account.ts';
import { openAccount, T0, topUp, typesOf } from './fixtures.ts';
import { availableOf } from './state.ts';

test('hold reserves money: available drops, balance does not', () => {
  const h = openAccount();
  topUp(h, 10_000);
  const r = h.ok({
    type: 'PlaceHold',
    amount: 4_000,
    ttlSeconds: 600,
    product: 'call',
  }) as AccountReplies['PlaceHold'];
  assert.equal(r, { holdId: 'A1-h3', amount: 4_000, expiresAt: T0 + 600_000, available: 6_000 });
  assert.is(h.state.balance, 10_000);
  const v = accountView(h.state, h.now);
  assert.equal(v.holds, [
    { holdId: 'A1-h3', amount: 4_000, placedAt: T0, expiresAt: T0 + 600_000, product: 'call' },
  ]);
  const err = h.refused({ type: 'PlaceHold', amount: 6_001, ttlSeconds: 600 });
  assert.is(err.code, 'insufficient_funds');
  assert.is(h.refused({ type: 'Charge', amount: 6_001, product: 'p' }).code, 'insufficient_funds');
});

test('ttl must be whole seconds within 90 days', () => {
  const h = openAccount();
  topUp(h, 10);
  for (const ttlSeconds of [0, -5, 1.5, 90 * 86_400 + 1]) {
    assert.is(h.refused({ type: 'PlaceHold', amount: 1, ttlSeconds }).code, 'invalid_ttl');
  }
});

test('confirm: whole by default, partial releases the rest, more than held is refused', () => {
  const h = openAccount();
  topUp(h, 10_000);
  const { holdId } = h.ok({
    type: 'PlaceHold',
    amount: 4_000,
    ttlSeconds: 600,
  }) as AccountReplies['PlaceHold'];
  const err = h.refused({ type: 'ConfirmHold', holdId, amount: 4_001 });
  assert.is(err.code, 'confirm_exceeds_hold');
  assert.is(err.status, 422);
  assert.match(err.message, /4001.*4000/);
  const r = h.ok({
    type: 'ConfirmHold',
    holdId,
    amount: 2_500,
    product: 'ride',
  }) as AccountReplies['ConfirmHold'];
  assert.equal(r, {
    holdId,
    chargeId: 'A1-c4',
    amount: 2_500,
    released: 1_500,
    balance: 7_500,
    available: 7_500,
  });
  // The confirmed part is an ordinary charge: refundable.
  h.ok({ type: 'Refund', chargeId: r.chargeId, amount: 2_500 });
  const again = h.refused({ type: 'ConfirmHold', holdId });
  assert.is(again.code, 'hold_not_open');
  assert.equal(again.details, { status: 'confirmed', chargeId: 'A1-c4' });
  assert.is(h.refused({ type: 'VoidHold', holdId }).code, 'hold_not_open');
  assert.is(h.refused({ type: 'ConfirmHold', holdId: 'A1-h99' }).code, 'hold_not_found');
  assert.is(h.refused({ type: 'VoidHold', holdId: 'nope' }).status, 404);

  const h2 = h.ok({ type: 'PlaceHold', amount: 1_000, ttlSeconds: 60 }) as AccountReplies['PlaceHold'];
  h.ok({ type: 'ConfirmHold', holdId: h2.holdId });
  assert.is(h.state.balance, 9_000);
  assert.equal(Object.keys(h.state.holds), []);
});

test('void releases the whole hold', () => {
  const h = openAccount();
  topUp(h, 1_000);
  const { holdId } = h.ok({
    type: 'PlaceHold',
    amount: 1_000,
    ttlSeconds: 60,
  }) as AccountReplies['PlaceHold'];
  assert.is(availableOf(h.state), 0);
  assert.equal(h.ok({ type: 'VoidHold', holdId }), {
    holdId,
    released: 1_000,
    balance: 1_000,
    available: 1_000,
  });
});

test('a hold expires on its own timer, once, and then cannot be confirmed', () => {
  const h = openAccount();
  topUp(h, 1_000);
  const { holdId, expiresAt } = h.ok({
    type: 'PlaceHold',
    amount: 700,
    ttlSeconds: 30,
  }) as AccountReplies['PlaceHold'];
  assert.equal(accountKind.timers?.(h.state), [{ at: expiresAt, command: { type: 'ExpireHold', holdId } }]);
  h.advance(expiresAt - 1);
  assert.ok(h.state.holds[holdId], 'still open a millisecond before');
  h.advance(expiresAt);
  assert.is(h.state.holds[holdId], undefined);
  assert.is(availableOf(h.state), 1_000);
  assert.equal(typesOf(h.journal.slice(-1)), ['HoldExpired']);
  assert.equal(accountKind.timers?.(h.state), []);
  // A timer fired twice (after a crash) finds nothing to do.
  const n = h.journal.length;
  assert.equal(h.ok({ type: 'ExpireHold', holdId }), { expired: [] });
  assert.is(h.journal.length, n);
  assert.equal(h.refused({ type: 'ConfirmHold', holdId }).details, { status: 'expired' });
});

test('a late timer never lets an expired hold count: any command expires it first', () => {
  const h = openAccount();
  topUp(h, 1_000);
  const { holdId } = h.ok({
    type: 'PlaceHold',
    amount: 1_000,
    ttlSeconds: 30,
  }) as AccountReplies['PlaceHold'];
  h.now += 31_000; // the clock moved, the timer has not fired yet
  assert.equal(accountView(h.state, h.now).holds, []);
  assert.is(accountView(h.state, h.now).available, 1_000);
  assert.is(h.refused({ type: 'ConfirmHold', holdId }).code, 'hold_not_open');
  h.ok({ type: 'Charge', amount: 1_000, product: 'p' });
  assert.equal(typesOf(h.journal.slice(-2)), ['HoldExpired', 'Charged']);
});

test('confirming a hold is allowed on a manually blocked account: the money was reserved', () => {
  const h = openAccount();
  topUp(h, 500);
  const { holdId } = h.ok({ type: 'PlaceHold', amount: 500, ttlSeconds: 60 }) as AccountReplies['PlaceHold'];
  h.ok({ type: 'Block', reason: 'dispute' });
  h.ok({ type: 'ConfirmHold', holdId });
  assert.is(h.state.balance, 0);
});

test('closed holds are remembered within a bound', () => {
  const h = openAccount();
  topUp(h, 1_000_000);
  for (let i = 0; i < 250; i++) {
    const { holdId } = h.ok({ type: 'PlaceHold', amount: 1, ttlSeconds: 60 }) as AccountReplies['PlaceHold'];
    h.ok({ type: 'VoidHold', holdId });
  }
  assert.is(h.state.closedHolds.length, 200);
});

test.run();
