import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_AMOUNT } from '../billing/money.ts';
import { Harness } from '../testkit/harness.ts';
import { type AccountReplies, accountKind, accountView } from './account.ts';
import { openAccount, T0, topUp, typesOf } from './fixtures.ts';
import { availableOf } from './state.ts';

test('open: defaults, and a second open is refused', () => {
  const h = openAccount();
  const v = accountView(h.state);
  assert.equal(
    { ...v },
    {
      id: 'A1',
      subscriberId: 'S1',
      currency: 'RUB',
      balance: 0,
      available: 0,
      creditLimit: 0,
      holds: [],
      status: 'active',
      timeZone: 'Europe/Moscow',
      openedAt: T0,
    },
  );
  assert.is(h.refused({ type: 'Open' }).code, 'account_exists');
});

test('open: bad input is refused with a code', () => {
  const h = new Harness(accountKind, 'A2', T0);
  assert.is(h.refused({ type: 'Open', currency: 'USD' as 'RUB' }).code, 'unsupported_currency');
  assert.is(h.refused({ type: 'Open', creditLimit: -1 }).code, 'invalid_amount');
  assert.is(h.refused({ type: 'Open', creditLimit: 1.5 }).code, 'invalid_amount');
  assert.is(h.refused({ type: 'Open', timeZone: 'Mars/Olympus' }).code, 'invalid_time_zone');
  assert.is(
    h.refused({ type: 'TopUp', amount: 1, source: 'cash', reference: 'x' }).code,
    'account_not_found',
  );
});

test('top-up adds to the balance and names its source', () => {
  const h = openAccount();
  const r = topUp(h, 50_000, 'receipt-1') as AccountReplies['TopUp'];
  assert.equal(r, { topUpId: 'A1-t2', balance: 50_000, available: 50_000, status: 'active' });
  const e = h.journal.at(-1);
  assert.equal(e, {
    type: 'ToppedUp',
    topUpId: 'A1-t2',
    amount: 50_000,
    source: 'cash',
    reference: 'receipt-1',
    by: { type: 'staff', id: 'cashier-1' },
    at: T0,
  });
});

test('amounts must be positive whole minor units within bounds', () => {
  const h = openAccount();
  for (const amount of [0, -1, 1.5, Number.NaN, MAX_AMOUNT + 1, '100' as unknown as number]) {
    assert.is(h.refused({ type: 'TopUp', amount, source: 'cash', reference: 'x' }).code, 'invalid_amount');
    assert.is(h.refused({ type: 'Charge', amount, product: 'p' }).code, 'invalid_amount');
    assert.is(h.refused({ type: 'PlaceHold', amount, ttlSeconds: 60 }).code, 'invalid_amount');
  }
  assert.is(
    h.refused({ type: 'TopUp', amount: 1, source: 'paypal' as 'cash', reference: 'x' }).code,
    'invalid_source',
  );
  assert.is(h.refused({ type: 'TopUp', amount: 1, source: 'cash', reference: '' }).code, 'invalid_reference');
  assert.is(h.refused({ type: 'Charge', amount: 1, product: ' ' }).code, 'invalid_product');
  assert.is(
    h.refused({ type: 'Charge', amount: 1, product: 'p', description: 'x'.repeat(501) }).code,
    'invalid_description',
  );
});

test('charge: within available, else insufficient_funds and nothing applied', () => {
  const h = openAccount({ creditLimit: 1_000 });
  topUp(h, 5_000);
  const r = h.ok({ type: 'Charge', amount: 5_500, product: 'report', description: 'VIN report' });
  assert.equal(r, { chargeId: 'A1-c3', balance: -500, available: 500 });
  const err = h.refused({ type: 'Charge', amount: 501, product: 'report' });
  assert.is(err.code, 'insufficient_funds');
  assert.is(err.status, 409);
  assert.match(err.message, /501/);
  assert.match(err.message, /500 available/);
  assert.equal(err.details, { available: 500, amount: 501 });
  h.ok({ type: 'Charge', amount: 500, product: 'report' });
  assert.is(availableOf(h.state), 0);
});

test('refund: partial refunds up to the charge, then refund_exceeds_charge', () => {
  const h = openAccount();
  topUp(h, 10_000);
  const { chargeId } = h.ok({
    type: 'Charge',
    amount: 3_000,
    product: 'listing',
  }) as AccountReplies['Charge'];
  const r1 = h.ok({ type: 'Refund', chargeId, amount: 1_000 }) as AccountReplies['Refund'];
  assert.equal(r1, {
    refundId: 'A1-r4',
    chargeId,
    amount: 1_000,
    refunded: 1_000,
    refundable: 2_000,
    balance: 8_000,
    available: 8_000,
  });
  const err = h.refused({ type: 'Refund', chargeId, amount: 2_001 });
  assert.is(err.code, 'refund_exceeds_charge');
  assert.is(err.status, 422);
  assert.match(err.message, /3000 charged, 1000 already refunded, 2000 refundable/);
  h.ok({ type: 'Refund', chargeId, amount: 2_000 });
  assert.is(h.refused({ type: 'Refund', chargeId, amount: 1 }).code, 'refund_exceeds_charge');
  assert.is(h.refused({ type: 'Refund', chargeId: 'A1-c999', amount: 1 }).code, 'charge_not_found');
  assert.is(h.state.balance, 10_000);
  assert.equal(h.journal.at(-1)?.type, 'Refunded');
});

test('credit limit: raising and lowering, but not below what is in use', () => {
  const h = openAccount({ creditLimit: 10_000 });
  h.ok({ type: 'Charge', amount: 6_000, product: 'p' });
  const err = h.refused({ type: 'SetCreditLimit', creditLimit: 5_999 });
  assert.is(err.code, 'credit_limit_in_use');
  assert.match(err.message, /6000/);
  h.ok({ type: 'SetCreditLimit', creditLimit: 6_000 });
  assert.is(availableOf(h.state), 0);
  const before = h.journal.length;
  h.ok({ type: 'SetCreditLimit', creditLimit: 6_000 });
  assert.is(h.journal.length, before, 'no event when nothing changes');
  assert.is(h.refused({ type: 'SetCreditLimit', creditLimit: -1 }).code, 'invalid_amount');
});

test('adjustment: needs a reason, may be negative within available', () => {
  const h = openAccount();
  assert.is(h.refused({ type: 'Adjust', amount: 100, reason: '' }).code, 'reason_required');
  assert.is(h.refused({ type: 'Adjust', amount: 100, reason: '   ' }).code, 'reason_required');
  assert.is(h.refused({ type: 'Adjust', amount: 0, reason: 'x' }).code, 'invalid_amount');
  const r = h.ok({
    type: 'Adjust',
    amount: 700,
    reason: 'compensation for outage #12',
  }) as AccountReplies['Adjust'];
  assert.equal(r, { adjustmentId: 'A1-a2', balance: 700, available: 700 });
  assert.is(h.refused({ type: 'Adjust', amount: -701, reason: 'double payment' }).code, 'insufficient_funds');
  h.ok({ type: 'Adjust', amount: -700, reason: 'double payment' });
  assert.is(h.state.balance, 0);
});

test('manual block refuses charges and holds but not top-ups; unblock lifts it', () => {
  const h = openAccount();
  topUp(h, 1_000);
  assert.is(h.refused({ type: 'Block', reason: '' }).code, 'reason_required');
  const v = h.ok({ type: 'Block', reason: 'fraud check' }) as AccountReplies['Block'];
  assert.is(v.status, 'blocked');
  assert.is(v.blockReason, 'manual');
  assert.is(v.blockNote, 'fraud check');
  const err = h.refused({ type: 'Charge', amount: 1, product: 'p' });
  assert.is(err.code, 'account_blocked');
  assert.match(err.message, /fraud check/);
  assert.is(h.refused({ type: 'PlaceHold', amount: 1, ttlSeconds: 10 }).code, 'account_blocked');
  topUp(h, 1);
  const n = h.journal.length;
  h.ok({ type: 'Block', reason: 'again' });
  assert.is(h.journal.length, n, 'blocking a blocked account changes nothing');
  assert.is((h.ok({ type: 'Unblock' }) as AccountReplies['Unblock']).status, 'active');
  h.ok({ type: 'Charge', amount: 1, product: 'p' });
  assert.equal(typesOf(h.journal.slice(-3)), ['ToppedUp', 'Unblocked', 'Charged']);
});

test('close: only at zero balance with no holds, then everything is account_closed', () => {
  const h = openAccount();
  topUp(h, 100);
  const err = h.refused({ type: 'Close' });
  assert.is(err.code, 'close_not_allowed');
  assert.match(err.message, /balance 100/);
  h.ok({ type: 'Charge', amount: 100, product: 'p' });
  h.ok({ type: 'SetCreditLimit', creditLimit: 50 });
  h.ok({ type: 'PlaceHold', amount: 10, ttlSeconds: 60 });
  assert.match(h.refused({ type: 'Close' }).message, /1 open hold/);
  const holdId = Object.keys(h.state.holds)[0]!;
  h.ok({ type: 'VoidHold', holdId });
  const v = h.ok({ type: 'Close', reason: 'moved away' }) as AccountReplies['Close'];
  assert.is(v.status, 'closed');
  assert.is(h.refused({ type: 'TopUp', amount: 1, source: 'cash', reference: 'x' }).code, 'account_closed');
  assert.is(h.refused({ type: 'Charge', amount: 1, product: 'p' }).code, 'account_closed');
  assert.is(h.refused({ type: 'Close' }).code, 'account_closed');
  // The billing clock and timers may still knock: a no-op, not an error.
  assert.equal(h.ok({ type: 'BillingTick', until: T0 }), { charged: [], amount: 0, status: 'closed' });
});

test('replies and ids are deterministic: the same history gives the same ids', () => {
  const run = () => {
    const h = openAccount();
    topUp(h, 1_000);
    h.ok({ type: 'Charge', amount: 10, product: 'p' });
    h.ok({ type: 'PlaceHold', amount: 10, ttlSeconds: 5 });
    return h.journal;
  };
  assert.equal(run(), run());
});

test('a repeated idempotency key gets the first reply and changes nothing', () => {
  const h = openAccount();
  topUp(h, 1_000);
  const first = h.ok({ type: 'Charge', amount: 300, product: 'p' }, { key: 'k1' });
  const state = JSON.stringify(h.state);
  const again = h.ok({ type: 'Charge', amount: 300, product: 'p' }, { key: 'k1' });
  assert.equal(again, first);
  assert.is(JSON.stringify(h.state), state);
  assert.is(
    h.refused({ type: 'Charge', amount: 301, product: 'p' }, { key: 'k1' }).code,
    'idempotency_key_reused',
  );
});

test('unknown commands are refused', () => {
  const h = openAccount();
  assert.is(h.refused({ type: 'Teleport' } as never).code, 'unknown_command');
});

test.run();
