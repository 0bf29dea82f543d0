import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Api, startApi } from './testing/api.ts';

// Top-ups, charges, refunds and adjustments over HTTP, and what concurrency cannot break.

const test = suite<{ api: Api }>('money API: money', {} as { api: Api });

test.before(async (ctx) => {
  ctx.api = await startApi();
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

let keys = 0;
const key = () => `m-${++keys}`;

async function openFunded(api: Api, amount: number): Promise<string> {
  const open = await api.call('POST', '/api/v1/accounts', { body: {} });
  assert.is(open.status, 201);
  const id = String(open.body.id);
  if (amount > 0) {
    const top = await api.call('POST', `/api/v1/accounts/${id}/top-ups`, {
      body: { amount, source: 'bank', reference: `pp-${id}` },
      key: key(),
    });
    assert.is(top.status, 201);
  }
  return id;
}

test('top-up, charge, refund: replies with ids and the balance after', async ({ api }) => {
  const id = await openFunded(api, 0);
  const top = await api.call('POST', `/api/v1/accounts/${id}/top-ups`, {
    body: { amount: 150_050, source: 'robokassa', reference: 'InvId-7' },
    key: key(),
  });
  assert.is(top.status, 201);
  assert.equal(top.body, { topUpId: `${id}-t2`, balance: 150_050, available: 150_050, status: 'active' });

  const charge = await api.call('POST', `/api/v1/accounts/${id}/charges`, {
    body: { amount: 50_000, product: 'storage-100gb', description: 'Nextcloud, March' },
    key: key(),
  });
  assert.is(charge.status, 201);
  assert.equal(charge.body, { chargeId: `${id}-c3`, balance: 100_050, available: 100_050 });

  const refund = await api.call('POST', `/api/v1/accounts/${id}/charges/${id}-c3/refunds`, {
    body: { amount: 20_000, reason: 'outage 12 March' },
    key: key(),
  });
  assert.is(refund.status, 201);
  assert.equal(refund.body, {
    refundId: `${id}-r4`,
    chargeId: `${id}-c3`,
    amount: 20_000,
    refunded: 20_000,
    refundable: 30_000,
    balance: 120_050,
    available: 120_050,
  });

  const tooMuch = await api.call('POST', `/api/v1/accounts/${id}/charges/${id}-c3/refunds`, {
    body: { amount: 30_001 },
    key: key(),
  });
  assert.is(tooMuch.status, 422);
  assert.is(tooMuch.body.code, 'refund_exceeds_charge');
  assert.equal(tooMuch.body.details, { charged: 50_000, refunded: 20_000, refundable: 30_000 });

  const view = await api.call('GET', `/api/v1/accounts/${id}`);
  assert.is(view.status, 200);
  assert.is(view.body.balance, 120_050);
  assert.is(view.body.available, 120_050);
});

test('a charge beyond what is available is 409 insufficient_funds and changes nothing', async ({ api }) => {
  const id = await openFunded(api, 1_000);
  const before = await api.position();
  const res = await api.call('POST', `/api/v1/accounts/${id}/charges`, {
    body: { amount: 1_001, product: 'sms' },
    key: key(),
  });
  assert.is(res.status, 409);
  assert.is(res.body.code, 'insufficient_funds');
  assert.equal(res.body.details, { available: 1_000, amount: 1_001 });
  assert.is(await api.position(), before);
  const exact = await api.call('POST', `/api/v1/accounts/${id}/charges`, {
    body: { amount: 1_000, product: 'sms' },
    key: key(),
  });
  assert.is(exact.status, 201);
  assert.is(exact.body.balance, 0);
});

test('the credit limit lets the balance go below zero, and only that far', async ({ api }) => {
  const open = await api.call('POST', '/api/v1/accounts', { body: { creditLimit: 500 } });
  const id = String(open.body.id);
  assert.is(open.body.available, 500);
  const charge = await api.call('POST', `/api/v1/accounts/${id}/charges`, {
    body: { amount: 400, product: 'sms' },
    key: key(),
  });
  assert.equal(charge.body, { chargeId: `${id}-c2`, balance: -400, available: 100 });
  const lower = await api.call('PUT', `/api/v1/accounts/${id}/credit-limit`, { body: { creditLimit: 300 } });
  assert.is(lower.status, 409);
  assert.is(lower.body.code, 'credit_limit_in_use');
  const raise = await api.call('PUT', `/api/v1/accounts/${id}/credit-limit`, {
    body: { creditLimit: 1_000 },
  });
  assert.is(raise.status, 200);
  assert.is(raise.body.creditLimit, 1_000);
  assert.is(raise.body.available, 600);
});

test('staff adjustments add and take, with the reason in the operations', async ({ api }) => {
  const id = await openFunded(api, 1_000);
  const plus = await api.call('POST', `/api/v1/accounts/${id}/adjustments`, {
    body: { amount: 250, reason: 'cashier typo on receipt 41' },
    key: key(),
  });
  assert.is(plus.status, 201);
  assert.equal(plus.body, { adjustmentId: `${id}-a3`, balance: 1_250, available: 1_250 });
  const minus = await api.call('POST', `/api/v1/accounts/${id}/adjustments`, {
    body: { amount: -1_250, reason: 'double payment returned' },
    key: key(),
  });
  assert.is(minus.status, 201);
  assert.is(minus.body.balance, 0);
  const ops = await api.call<{ items: { kind: string; amount: number; reason?: string; by: unknown }[] }>(
    'GET',
    `/api/v1/accounts/${id}/operations?kind=adjustment`,
  );
  assert.equal(
    ops.body.items.map((o) => [o.amount, o.reason]),
    [
      [-1_250, 'double payment returned'],
      [250, 'cashier typo on receipt 41'],
    ],
  );
  assert.equal(ops.body.items[0]!.by, { type: 'api', id: 'bootstrap' });
});

test('N concurrent charges with funds for K: exactly K succeed, the rest are 409, never below zero', async ({
  api,
}) => {
  const N = 60;
  const K = 17;
  const id = await openFunded(api, K * 100);
  const replies = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      api.call('POST', `/api/v1/accounts/${id}/charges`, {
        body: { amount: 100, product: `p${i}` },
        key: `race-${i}`,
      }),
    ),
  );
  const ok = replies.filter((r) => r.status === 201);
  const refused = replies.filter((r) => r.status === 409);
  assert.is(ok.length, K);
  assert.is(refused.length, N - K);
  for (const r of refused) assert.is(r.body.code, 'insufficient_funds');
  for (const r of ok) assert.ok((r.body.balance as number) >= 0);
  // Each success saw its own balance: K distinct values from (K-1)·100 down to 0.
  assert.equal(
    ok.map((r) => r.body.balance as number).sort((a, b) => b - a),
    Array.from({ length: K }, (_, i) => (K - 1 - i) * 100),
  );
  const view = await api.call('GET', `/api/v1/accounts/${id}`);
  assert.is(view.body.balance, 0);
  const ops = await api.call<{ items: unknown[] }>('GET', `/api/v1/accounts/${id}/operations?kind=charge`);
  assert.is(ops.body.items.length, K);
});

test('concurrent charges over many accounts each keep their own balance', async ({ api }) => {
  const ids = await Promise.all(Array.from({ length: 8 }, () => openFunded(api, 1_000)));
  await Promise.all(
    ids.flatMap((id, a) =>
      Array.from({ length: 15 }, (_, i) =>
        api.call('POST', `/api/v1/accounts/${id}/charges`, {
          body: { amount: 100, product: 'traffic' },
          key: `spread-${a}-${i}`,
        }),
      ),
    ),
  );
  for (const id of ids) {
    const view = await api.call('GET', `/api/v1/accounts/${id}`);
    assert.is(view.body.balance, 0, id);
  }
});

test.run();
