import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../../actors/runtime/clock.ts';
import { type Api, startApi } from './testing/api.ts';

// Holds over HTTP, with the actors' clock in the test's hand: place, confirm (part),
// void, and expire.

interface Ctx {
  api: Api;
  clock: ManualClock;
}

const T0 = Date.UTC(2026, 2, 10, 9);
const test = suite<Ctx>('money API: holds', {} as Ctx);

test.before(async (ctx) => {
  ctx.clock = new ManualClock(T0);
  ctx.api = await startApi({ clock: ctx.clock });
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

let keys = 0;
const key = () => `h-${++keys}`;

async function funded(api: Api, amount: number): Promise<string> {
  const id = String((await api.call('POST', '/api/v1/accounts', { body: {} })).body.id);
  await api.call('POST', `/api/v1/accounts/${id}/top-ups`, {
    body: { amount, source: 'cash', reference: 'till-1' },
    key: key(),
  });
  return id;
}

test('a hold reserves money; confirming part of it charges that part and releases the rest', async ({
  api,
}) => {
  const id = await funded(api, 10_000);
  const hold = await api.call('POST', `/api/v1/accounts/${id}/holds`, {
    body: { amount: 6_000, ttlSeconds: 600, product: 'vps-order', description: 'VPS S, order 17' },
    key: key(),
  });
  assert.is(hold.status, 201);
  assert.equal(hold.body, {
    holdId: `${id}-h3`,
    amount: 6_000,
    expiresAt: T0 + 600_000,
    available: 4_000,
  });
  const view = await api.call<{ balance: number; available: number; holds: { holdId: string }[] }>(
    'GET',
    `/api/v1/accounts/${id}`,
  );
  assert.is(view.body.balance, 10_000);
  assert.is(view.body.available, 4_000);
  assert.equal(
    view.body.holds.map((h) => h.holdId),
    [`${id}-h3`],
  );

  const tooMuch = await api.call('POST', `/api/v1/accounts/${id}/charges`, {
    body: { amount: 4_001, product: 'sms' },
    key: key(),
  });
  assert.is(tooMuch.status, 409);

  const over = await api.call('POST', `/api/v1/accounts/${id}/holds/${id}-h3/confirm`, {
    body: { amount: 6_001 },
    key: key(),
  });
  assert.is(over.status, 422);
  assert.is(over.body.code, 'confirm_exceeds_hold');

  const confirm = await api.call('POST', `/api/v1/accounts/${id}/holds/${id}-h3/confirm`, {
    body: { amount: 4_500 },
    key: key(),
  });
  assert.is(confirm.status, 200);
  assert.equal(confirm.body, {
    holdId: `${id}-h3`,
    chargeId: `${id}-c4`,
    amount: 4_500,
    released: 1_500,
    balance: 5_500,
    available: 5_500,
  });

  const again = await api.call('POST', `/api/v1/accounts/${id}/holds/${id}-h3/confirm`, { key: key() });
  assert.is(again.status, 409);
  assert.is(again.body.code, 'hold_not_open');
  assert.equal(again.body.details, { status: 'confirmed', chargeId: `${id}-c4` });

  // The confirmed hold is a charge: refundable, and in the act under its product.
  const refund = await api.call('POST', `/api/v1/accounts/${id}/charges/${id}-c4/refunds`, {
    body: { amount: 4_500 },
    key: key(),
  });
  assert.is(refund.status, 201);
  const act = await api.call<{ lines: { product: string; amount: number }[] }>(
    'GET',
    `/api/v1/accounts/${id}/acts/2026-03`,
  );
  assert.equal(act.body.lines, [
    { product: 'vps-order', count: 1, charged: 4_500, refunded: 4_500, amount: 0 },
  ]);
});

test('confirm without a body charges the whole hold', async ({ api }) => {
  const id = await funded(api, 1_000);
  await api.call('POST', `/api/v1/accounts/${id}/holds`, {
    body: { amount: 700, ttlSeconds: 60 },
    key: key(),
  });
  const confirm = await api.call('POST', `/api/v1/accounts/${id}/holds/${id}-h3/confirm`, { key: key() });
  assert.is(confirm.status, 200);
  assert.is(confirm.body.amount, 700);
  assert.is(confirm.body.released, 0);
  assert.is(confirm.body.balance, 300);
});

test('void releases everything; a voided hold cannot be confirmed', async ({ api }) => {
  const id = await funded(api, 1_000);
  await api.call('POST', `/api/v1/accounts/${id}/holds`, {
    body: { amount: 1_000, ttlSeconds: 60 },
    key: key(),
  });
  const refused = await api.call('POST', `/api/v1/accounts/${id}/holds`, {
    body: { amount: 1, ttlSeconds: 60 },
    key: key(),
  });
  assert.is(refused.status, 409);
  assert.is(refused.body.code, 'insufficient_funds');
  const voided = await api.call('POST', `/api/v1/accounts/${id}/holds/${id}-h3/void`, { key: key() });
  assert.is(voided.status, 200);
  assert.equal(voided.body, { holdId: `${id}-h3`, released: 1_000, balance: 1_000, available: 1_000 });
  const confirm = await api.call('POST', `/api/v1/accounts/${id}/holds/${id}-h3/confirm`, { key: key() });
  assert.is(confirm.status, 409);
  assert.equal(confirm.body.details, { status: 'voided' });
});

test('a hold past its expiry stops counting at once and cannot be confirmed', async ({ api, clock }) => {
  const id = await funded(api, 1_000);
  const hold = await api.call('POST', `/api/v1/accounts/${id}/holds`, {
    body: { amount: 800, ttlSeconds: 30 },
    key: key(),
  });
  assert.is(hold.body.expiresAt, clock.now() + 30_000);
  clock.advance(29_999);
  assert.is((await api.call('GET', `/api/v1/accounts/${id}`)).body.available, 200);
  clock.advance(1);
  const view = await api.call('GET', `/api/v1/accounts/${id}`);
  assert.is(view.body.available, 1_000);
  assert.equal(view.body.holds, []);
  const confirm = await api.call('POST', `/api/v1/accounts/${id}/holds/${id}-h3/confirm`, { key: key() });
  assert.is(confirm.status, 409);
  assert.equal(confirm.body.details, { status: 'expired' });
  // The timer (or the next command) writes the expiry into the journal.
  await api.services.system.runDueTimers();
  // A read queues behind the timer's message in the account's mailbox.
  await api.call('GET', `/api/v1/accounts/${id}`);
  const ops = await api.call<{ items: { kind: string; held: number }[] }>(
    'GET',
    `/api/v1/accounts/${id}/operations`,
  );
  assert.equal(
    ops.body.items.map((o) => [o.kind, o.held]),
    [
      ['hold_expire', -800],
      ['hold', 800],
      ['top_up', 0],
    ],
  );
});

test.run();
