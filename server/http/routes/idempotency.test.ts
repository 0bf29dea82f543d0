import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Api, startApi } from './testing/api.ts';

// A request repeated with its Idempotency-Key gets the first response, status and body,
// and moves nothing, also after a restart on the same data; the same key with another body
// is 422 idempotency_key_reused.

interface Sent {
  method: string;
  path: string;
  body?: unknown;
  key: string;
  other?: unknown;
  status: number;
  reply: unknown;
}

interface Ctx {
  api: Api;
  dataDir: string;
  sent: Sent[];
}

const test = suite<Ctx>('money API: idempotency', { sent: [] } as unknown as Ctx);

test.before(async (ctx) => {
  ctx.api = await startApi();
  ctx.dataDir = ctx.api.dataDir;
  ctx.sent = [];
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

async function send(ctx: Ctx, s: Omit<Sent, 'status' | 'reply'>): Promise<Record<string, unknown>> {
  const res = await ctx.api.call(s.method, s.path, { body: s.body, key: s.key });
  assert.ok(res.status < 300, `${s.method} ${s.path}: ${res.text}`);
  ctx.sent.push({ ...s, status: res.status, reply: res.body });
  return res.body;
}

async function replayAll(ctx: Ctx) {
  const before = await ctx.api.position();
  for (const s of ctx.sent) {
    const res = await ctx.api.call(s.method, s.path, { body: s.body, key: s.key });
    assert.is(res.status, s.status, `${s.method} ${s.path}`);
    assert.equal(res.body, s.reply, `${s.method} ${s.path}`);
  }
  assert.is(await ctx.api.position(), before, 'a repeat persists nothing');
}

async function reuseAll(ctx: Ctx) {
  const before = await ctx.api.position();
  for (const s of ctx.sent) {
    if (s.other === undefined) continue;
    const res = await ctx.api.call(s.method, s.path, { body: s.other, key: s.key });
    assert.is(res.status, 422, `${s.method} ${s.path}: ${res.text}`);
    assert.is(res.body.code, 'idempotency_key_reused');
  }
  assert.is(await ctx.api.position(), before);
}

test('every kind of request, then each repeated with its key: the first response, nothing moved', async (ctx) => {
  const person = { type: 'person', name: 'Сергей Кузнецов' };
  const sub = await send(ctx, {
    method: 'POST',
    path: '/api/v1/subscribers',
    body: person,
    key: 'sub-1',
    other: { ...person, name: 'Другой' },
  });
  const account = await send(ctx, {
    method: 'POST',
    path: '/api/v1/accounts',
    body: { subscriberId: sub.id },
    key: 'open-1',
    other: { subscriberId: sub.id, creditLimit: 100 },
  });
  const acc = `/api/v1/accounts/${account.id}`;
  await send(ctx, {
    method: 'POST',
    path: `${acc}/top-ups`,
    body: { amount: 90_000, source: 'robokassa', reference: 'Inv-1' },
    key: 'top-1',
    other: { amount: 90_001, source: 'robokassa', reference: 'Inv-1' },
  });
  const charge = await send(ctx, {
    method: 'POST',
    path: `${acc}/charges`,
    body: { amount: 10_000, product: 'hosting' },
    key: 'charge-1',
    other: { amount: 10_000, product: 'hosting', description: 'and a note' },
  });
  await send(ctx, {
    method: 'POST',
    path: `${acc}/charges/${charge.chargeId}/refunds`,
    body: { amount: 1_000 },
    key: 'refund-1',
    other: { amount: 1_001 },
  });
  const hold = await send(ctx, {
    method: 'POST',
    path: `${acc}/holds`,
    body: { amount: 5_000, ttlSeconds: 3600 },
    key: 'hold-1',
    other: { amount: 5_000, ttlSeconds: 3601 },
  });
  await send(ctx, {
    method: 'POST',
    path: `${acc}/holds/${hold.holdId}/confirm`,
    body: { amount: 4_000 },
    key: 'confirm-1',
    other: { amount: 3_000 },
  });
  const hold2 = await send(ctx, {
    method: 'POST',
    path: `${acc}/holds`,
    body: { amount: 1_000, ttlSeconds: 3600 },
    key: 'hold-2',
  });
  await send(ctx, { method: 'POST', path: `${acc}/holds/${hold2.holdId}/void`, key: 'void-1' });
  await send(ctx, {
    method: 'POST',
    path: `${acc}/adjustments`,
    body: { amount: -500, reason: 'fee' },
    key: 'adjust-1',
    other: { amount: 500, reason: 'fee' },
  });
  const tariff = await send(ctx, {
    method: 'POST',
    path: '/api/v1/tariffs',
    body: { name: 'Start', group: 'internet', billing: 'daily', pricePerMonth: 31_000 },
    key: 'tariff-1',
    other: { name: 'Start', group: 'internet', billing: 'daily', pricePerMonth: 31_001 },
  });
  await send(ctx, {
    method: 'POST',
    path: `${acc}/tariff`,
    body: { tariffId: tariff.id },
    key: 'assign-1',
    other: { tariffId: null },
  });
  await send(ctx, {
    method: 'PUT',
    path: `${acc}/credit-limit`,
    body: { creditLimit: 2_000 },
    key: 'limit-1',
    other: { creditLimit: 3_000 },
  });
  await send(ctx, {
    method: 'POST',
    path: `${acc}/block`,
    body: { reason: 'audit' },
    key: 'block-1',
    other: { reason: 'other' },
  });

  const balance = (await ctx.api.call('GET', acc)).body.balance;
  await replayAll(ctx);
  await reuseAll(ctx);
  assert.is((await ctx.api.call('GET', acc)).body.balance, balance);
  // The repeated open took no second number.
  const next = await ctx.api.call('POST', '/api/v1/accounts', { body: {} });
  assert.is(Number(next.body.id), Number(account.id) + 1);
});

test('after a restart on the same data: the same first responses, and reuse is still refused', async (ctx) => {
  await ctx.api.stop();
  ctx.api = await startApi({ dataDir: ctx.dataDir });
  await replayAll(ctx);
  await reuseAll(ctx);
});

test('a refusal is not remembered: the same key succeeds once the request can', async (ctx) => {
  const id = String((await ctx.api.call('POST', '/api/v1/accounts', { body: {} })).body.id);
  const charge = { body: { amount: 700, product: 'sms' }, key: 'later' };
  const refused = await ctx.api.call('POST', `/api/v1/accounts/${id}/charges`, charge);
  assert.is(refused.status, 409);
  await ctx.api.call('POST', `/api/v1/accounts/${id}/top-ups`, {
    body: { amount: 700, source: 'cash', reference: 'r' },
    key: 'pay',
  });
  const ok = await ctx.api.call('POST', `/api/v1/accounts/${id}/charges`, charge);
  assert.is(ok.status, 201);
  const again = await ctx.api.call('POST', `/api/v1/accounts/${id}/charges`, charge);
  assert.is(again.status, 201);
  assert.equal(again.body, ok.body);
});

test.run();
