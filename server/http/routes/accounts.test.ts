import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PERMISSIONS } from '../../../protocol/permissions.ts';
import { type Api, startApi } from './testing/api.ts';

// Opening, reading, blocking and closing accounts over HTTP.

const test = suite<{ api: Api }>('money API: accounts', {} as { api: Api });

test.before(async (ctx) => {
  ctx.api = await startApi();
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

let keys = 0;
const key = () => `a-${++keys}`;

test('accounts get consecutive six-digit numbers and open with the defaults', async ({ api }) => {
  const first = await api.call('POST', '/api/v1/accounts', { body: {} });
  const second = await api.call('POST', '/api/v1/accounts', { body: { currency: 'RUB', creditLimit: 0 } });
  assert.is(first.status, 201);
  assert.is(first.body.id, '100001');
  assert.is(second.body.id, '100002');
  assert.is(first.headers.get('location'), '/api/v1/accounts/100001');
  const { openedAt, ...rest } = first.body;
  assert.type(openedAt, 'number');
  assert.equal(rest, {
    id: '100001',
    currency: 'RUB',
    balance: 0,
    available: 0,
    creditLimit: 0,
    holds: [],
    status: 'active',
    timeZone: 'Europe/Moscow',
  });
  const read = await api.call('GET', '/api/v1/accounts/100001');
  assert.is(read.status, 200);
  assert.equal(read.body, first.body);
});

test("an account opened for a subscriber is in the subscriber's list", async ({ api }) => {
  const sub = await api.call('POST', '/api/v1/subscribers', {
    body: { type: 'person', name: 'Анна Смирнова' },
  });
  assert.is(sub.status, 201);
  const subscriberId = String(sub.body.id);
  const open = await api.call('POST', '/api/v1/accounts', { body: { subscriberId, creditLimit: 30_000 } });
  assert.is(open.status, 201);
  assert.is(open.body.subscriberId, subscriberId);
  assert.is(open.body.available, 30_000);
  const read = await api.call('GET', `/api/v1/subscribers/${subscriberId}`);
  assert.equal(read.body.accounts, [open.body.id]);
});

test('a manual block stops charges and holds until staff lift it', async ({ api }) => {
  const id = String((await api.call('POST', '/api/v1/accounts', { body: {} })).body.id);
  await api.call('POST', `/api/v1/accounts/${id}/top-ups`, {
    body: { amount: 1_000, source: 'cash', reference: 'r' },
    key: key(),
  });
  const block = await api.call('POST', `/api/v1/accounts/${id}/block`, {
    body: { reason: 'abuse report 311' },
  });
  assert.is(block.status, 200);
  assert.is(block.body.status, 'blocked');
  assert.is(block.body.blockReason, 'manual');
  assert.is(block.body.blockNote, 'abuse report 311');
  const charge = await api.call('POST', `/api/v1/accounts/${id}/charges`, {
    body: { amount: 1, product: 'sms' },
    key: key(),
  });
  assert.is(charge.status, 409);
  assert.is(charge.body.code, 'account_blocked');
  const hold = await api.call('POST', `/api/v1/accounts/${id}/holds`, {
    body: { amount: 1, ttlSeconds: 60 },
    key: key(),
  });
  assert.is(hold.body.code, 'account_blocked');
  // Money can still come in while blocked.
  const top = await api.call('POST', `/api/v1/accounts/${id}/top-ups`, {
    body: { amount: 1, source: 'cash', reference: 'r2' },
    key: key(),
  });
  assert.is(top.status, 201);
  const unblock = await api.call('POST', `/api/v1/accounts/${id}/unblock`);
  assert.is(unblock.status, 200);
  assert.is(unblock.body.status, 'active');
  assert.is(unblock.body.blockReason, undefined);
  const after = await api.call('POST', `/api/v1/accounts/${id}/charges`, {
    body: { amount: 1, product: 'sms' },
    key: key(),
  });
  assert.is(after.status, 201);
});

test('close: only at zero balance with no open holds; then nothing more is taken', async ({ api }) => {
  const id = String((await api.call('POST', '/api/v1/accounts', { body: {} })).body.id);
  await api.call('POST', `/api/v1/accounts/${id}/top-ups`, {
    body: { amount: 500, source: 'cash', reference: 'r' },
    key: key(),
  });
  const withMoney = await api.call('POST', `/api/v1/accounts/${id}/close`);
  assert.is(withMoney.status, 409);
  assert.equal(withMoney.body.details, { balance: 500, holds: 0 });

  await api.call('POST', `/api/v1/accounts/${id}/holds`, {
    body: { amount: 500, ttlSeconds: 600 },
    key: key(),
  });
  await api.call('POST', `/api/v1/accounts/${id}/holds/${id}-h3/confirm`, {
    body: { amount: 200 },
    key: key(),
  });
  await api.call('POST', `/api/v1/accounts/${id}/holds`, {
    body: { amount: 300, ttlSeconds: 600 },
    key: key(),
  });
  await api.call('POST', `/api/v1/accounts/${id}/charges/${id}-c4/refunds`, {
    body: { amount: 200 },
    key: key(),
  });
  const withHold = await api.call('POST', `/api/v1/accounts/${id}/close`, { body: { reason: 'moved away' } });
  assert.is(withHold.status, 409);
  assert.is(withHold.body.code, 'close_not_allowed');
  assert.equal(withHold.body.details, { balance: 500, holds: 1 });

  await api.call('POST', `/api/v1/accounts/${id}/holds/${id}-h5/confirm`, { key: key() });
  await api.call('POST', `/api/v1/accounts/${id}/charges`, {
    body: { amount: 200, product: 'x' },
    key: key(),
  });
  const closed = await api.call('POST', `/api/v1/accounts/${id}/close`, { body: { reason: 'moved away' } });
  assert.is(closed.status, 200, closed.text);
  assert.is(closed.body.status, 'closed');
  assert.is(closed.body.balance, 0);

  for (const [path, body] of [
    ['/top-ups', { amount: 1, source: 'cash', reference: 'late' }],
    ['/charges', { amount: 1, product: 'x' }],
    ['/holds', { amount: 1, ttlSeconds: 1 }],
  ] as const) {
    const res = await api.call('POST', `/api/v1/accounts/${id}${path}`, { body, key: key() });
    assert.is(res.status, 409, path);
    assert.is(res.body.code, 'account_closed', path);
  }
  assert.is((await api.call('POST', `/api/v1/accounts/${id}/close`)).body.code, 'account_closed');
  assert.is((await api.call('GET', `/api/v1/accounts/${id}`)).body.status, 'closed');
});

test('the OpenAPI document lists every money route with its permission', async ({ api }) => {
  const doc = await api.call<{ paths: Record<string, Record<string, Record<string, unknown>>> }>(
    'GET',
    '/api/v1/openapi.json',
  );
  const seen = new Set<string>();
  for (const [path, ops] of Object.entries(doc.body.paths)) {
    if (!/^\/api\/v1\/(accounts|subscribers|tariffs)(\/|$)/.test(path)) continue;
    for (const [method, op] of Object.entries(ops)) {
      const permission = op['x-permission'] as string | undefined;
      assert.ok(permission, `${method} ${path} names a permission`);
      assert.ok((PERMISSIONS as readonly string[]).includes(permission), `${permission} is listed`);
      seen.add(`${method.toUpperCase()} ${path}`);
    }
  }
  for (const route of [
    'POST /api/v1/accounts/{id}/charges',
    'POST /api/v1/accounts/{id}/holds/{holdId}/confirm',
    'PUT /api/v1/subscribers/by-external/{source}/{externalId}',
    'GET /api/v1/accounts/{id}/acts/{month}',
    'PUT /api/v1/accounts/{id}/credit-limit',
    'POST /api/v1/accounts/{id}/adjustments',
    'POST /api/v1/accounts/{id}/close',
    'DELETE /api/v1/tariffs/{id}',
  ]) {
    assert.ok(seen.has(route), route);
  }
  const charge = doc.body.paths['/api/v1/accounts/{id}/charges']!.post!;
  const params = charge.parameters as { name: string; required: boolean }[];
  assert.ok(params.some((p) => p.name === 'Idempotency-Key' && p.required));
  const close = doc.body.paths['/api/v1/accounts/{id}/close']!.post!;
  assert.is((close.requestBody as { required: boolean }).required, false);
});

test.run();
