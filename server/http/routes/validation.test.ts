import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Api, startApi } from './testing/api.ts';

// Bad input never reaches the journal: each row is refused with its status and code, and
// the journal's position is the same before and after the whole table.

interface Ctx {
  api: Api;
  account: string;
  chargeId: string;
}

const test = suite<Ctx>('money API: bad input', {} as Ctx);

test.before(async (ctx) => {
  ctx.api = await startApi();
  const open = await ctx.api.call('POST', '/api/v1/accounts', { body: {} });
  ctx.account = String(open.body.id);
  await ctx.api.call('POST', `/api/v1/accounts/${ctx.account}/top-ups`, {
    body: { amount: 10_000, source: 'cash', reference: 'r1' },
    key: 'setup-1',
  });
  const charge = await ctx.api.call('POST', `/api/v1/accounts/${ctx.account}/charges`, {
    body: { amount: 500, product: 'sms' },
    key: 'setup-2',
  });
  ctx.chargeId = String(charge.body.chargeId);
  await ctx.api.call('POST', '/api/v1/tariffs', {
    body: { name: 'Home 100', group: 'internet', billing: 'monthly', pricePerMonth: 50_000 },
  });
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

type Row = [
  what: string,
  method: string,
  path: (ctx: Ctx) => string,
  body: unknown,
  status: number,
  code: string,
  options?: { key?: string | null; raw?: string; headers?: Record<string, string> },
];

const acc = (tail: string) => (ctx: Ctx) => `/api/v1/accounts/${ctx.account}${tail}`;
const charge = (amount: unknown) => ({ amount, product: 'sms' });

const rows: Row[] = [
  ['amount as a string', 'POST', acc('/charges'), charge('100'), 400, 'validation_failed'],
  ['negative amount', 'POST', acc('/charges'), charge(-5), 400, 'validation_failed'],
  ['zero amount', 'POST', acc('/charges'), charge(0), 400, 'validation_failed'],
  ['fractional amount', 'POST', acc('/charges'), charge(1.5), 400, 'validation_failed'],
  ['huge amount', 'POST', acc('/charges'), charge(1e15), 400, 'validation_failed'],
  ['amount beyond 2^53', 'POST', acc('/charges'), charge(1e300), 400, 'validation_failed'],
  ['amount null', 'POST', acc('/charges'), charge(null), 400, 'validation_failed'],
  ['unknown field', 'POST', acc('/charges'), { ...charge(5), currency: 'RUB' }, 400, 'validation_failed'],
  ['missing product', 'POST', acc('/charges'), { amount: 5 }, 400, 'validation_failed'],
  ['blank product', 'POST', acc('/charges'), { amount: 5, product: '   ' }, 400, 'validation_failed'],
  ['body is an array', 'POST', acc('/charges'), [charge(5)], 400, 'validation_failed'],
  ['no body', 'POST', acc('/charges'), undefined, 400, 'validation_failed'],
  ['invalid JSON', 'POST', acc('/charges'), undefined, 400, 'invalid_json', { raw: '{"amount": 5,' }],
  [
    'not JSON',
    'POST',
    acc('/charges'),
    undefined,
    415,
    'unsupported_media_type',
    { raw: 'amount=5', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  ],
  [
    'missing Idempotency-Key',
    'POST',
    acc('/charges'),
    charge(5),
    400,
    'idempotency_key_required',
    { key: null },
  ],
  [
    'Idempotency-Key too long',
    'POST',
    acc('/charges'),
    charge(5),
    400,
    'invalid_idempotency_key',
    { key: 'k'.repeat(256) },
  ],
  ['no token', 'POST', acc('/charges'), charge(5), 401, 'unauthorized', { headers: { authorization: '' } }],
  [
    'wrong token',
    'POST',
    acc('/charges'),
    charge(5),
    401,
    'unauthorized',
    { headers: { authorization: 'Bearer nope' } },
  ],
  ['unknown account', 'POST', () => '/api/v1/accounts/999999/charges', charge(5), 404, 'account_not_found'],
  [
    'impossible account id',
    'POST',
    () => '/api/v1/accounts/%20x/charges',
    charge(5),
    404,
    'account_not_found',
  ],
  [
    'top-up from an unknown source',
    'POST',
    acc('/top-ups'),
    { amount: 5, source: 'paypal', reference: 'x' },
    400,
    'validation_failed',
  ],
  [
    'top-up without reference',
    'POST',
    acc('/top-ups'),
    { amount: 5, source: 'cash', reference: '' },
    400,
    'validation_failed',
  ],
  [
    'top-up fractional',
    'POST',
    acc('/top-ups'),
    { amount: 0.01, source: 'cash', reference: 'x' },
    400,
    'validation_failed',
  ],
  [
    'refund of zero',
    'POST',
    (c) => acc(`/charges/${c.chargeId}/refunds`)(c),
    { amount: 0 },
    400,
    'validation_failed',
  ],
  [
    'refund of an unknown charge',
    'POST',
    acc('/charges/nope/refunds'),
    { amount: 1 },
    404,
    'charge_not_found',
  ],
  [
    'refund beyond the charge',
    'POST',
    (c) => acc(`/charges/${c.chargeId}/refunds`)(c),
    { amount: 501 },
    422,
    'refund_exceeds_charge',
  ],
  ['charge beyond the balance', 'POST', acc('/charges'), charge(1_000_000), 409, 'insufficient_funds'],
  ['hold ttl 0', 'POST', acc('/holds'), { amount: 5, ttlSeconds: 0 }, 400, 'validation_failed'],
  [
    'hold ttl a year',
    'POST',
    acc('/holds'),
    { amount: 5, ttlSeconds: 365 * 86400 },
    400,
    'validation_failed',
  ],
  ['confirm an unknown hold', 'POST', acc('/holds/nope/confirm'), {}, 404, 'hold_not_found'],
  ['void an unknown hold', 'POST', acc('/holds/nope/void'), undefined, 404, 'hold_not_found'],
  ['adjustment of zero', 'POST', acc('/adjustments'), { amount: 0, reason: 'typo' }, 400, 'invalid_amount'],
  ['adjustment without reason', 'POST', acc('/adjustments'), { amount: 5 }, 400, 'validation_failed'],
  [
    'adjustment below zero',
    'POST',
    acc('/adjustments'),
    { amount: -1_000_000, reason: 'x' },
    409,
    'insufficient_funds',
  ],
  ['negative credit limit', 'PUT', acc('/credit-limit'), { creditLimit: -1 }, 400, 'validation_failed'],
  ['block without reason', 'POST', acc('/block'), {}, 400, 'validation_failed'],
  ['unblock an unblocked account', 'POST', acc('/unblock'), undefined, 200, '', { key: null }],
  ['close with money on it', 'POST', acc('/close'), undefined, 409, 'close_not_allowed'],
  ['open in dollars', 'POST', () => '/api/v1/accounts', { currency: 'USD' }, 400, 'validation_failed'],
  [
    'open with a fractional limit',
    'POST',
    () => '/api/v1/accounts',
    { creditLimit: 1.5 },
    400,
    'validation_failed',
  ],
  [
    'open for an unknown subscriber',
    'POST',
    () => '/api/v1/accounts',
    { subscriberId: 'S404' },
    404,
    'subscriber_not_found',
  ],
  [
    'subscriber: company without INN',
    'POST',
    () => '/api/v1/subscribers',
    { type: 'company', name: 'ООО Ромашка' },
    400,
    'tax_id_required',
  ],
  [
    'subscriber: bad phone',
    'POST',
    () => '/api/v1/subscribers',
    { type: 'person', name: 'Иван', contacts: { phones: ['8-999'] } },
    400,
    'validation_failed',
  ],
  [
    'by-external: bad source',
    'PUT',
    () => '/api/v1/subscribers/by-external/Bad%20Source/42',
    { type: 'person', name: 'Иван' },
    400,
    'validation_failed',
  ],
  [
    'tariff: negative price',
    'POST',
    () => '/api/v1/tariffs',
    { name: 'X', group: 'g', billing: 'monthly', pricePerMonth: -1 },
    400,
    'validation_failed',
  ],
  [
    'tariff: weekly billing',
    'POST',
    () => '/api/v1/tariffs',
    { name: 'X', group: 'g', billing: 'weekly', pricePerMonth: 1 },
    400,
    'validation_failed',
  ],
  [
    'tariff: name taken',
    'POST',
    () => '/api/v1/tariffs',
    { name: 'home 100', group: 'g', billing: 'monthly', pricePerMonth: 1 },
    409,
    'tariff_name_taken',
  ],
  ['assign an unknown tariff', 'POST', acc('/tariff'), { tariffId: 't404' }, 404, 'tariff_not_found'],
  [
    'assign to an unknown account',
    'POST',
    () => '/api/v1/accounts/999998/tariff',
    { tariffId: 't1' },
    404,
    'account_not_found',
  ],
];

test('every bad request is refused with its code, and nothing is persisted', async (ctx) => {
  const before = await ctx.api.position();
  let n = 0;
  for (const [what, method, path, body, status, code, options = {}] of rows) {
    const key = options.key === null ? undefined : (options.key ?? `bad-${n++}`);
    const res = await ctx.api.call(method, path(ctx), {
      ...(body === undefined ? {} : { body }),
      ...(key === undefined ? {} : { key }),
      ...(options.raw === undefined ? {} : { raw: options.raw }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    assert.is(res.status, status, `${what}: ${res.text}`);
    if (code !== '') assert.is(res.body.code, code, `${what}: ${res.text}`);
    if (status >= 400) assert.type(res.body.message, 'string', what);
    assert.is(await ctx.api.position(), before, `${what} persisted something`);
  }
  const account = await ctx.api.call('GET', acc('')(ctx));
  assert.is(account.body.balance, 9_500);
});

test('reading what does not exist persists nothing and keeps no actor in memory', async (ctx) => {
  const before = await ctx.api.position();
  const live = ctx.api.services.system.activeActors;
  for (const path of [
    '/api/v1/accounts/777777',
    '/api/v1/accounts/777777/operations',
    '/api/v1/accounts/777777/acts/2026-01',
    '/api/v1/subscribers/S777',
    '/api/v1/tariffs/t777',
  ]) {
    const res = await ctx.api.call('GET', path);
    assert.is(res.status, 404, path);
    assert.match(String(res.body.code), /_not_found$/, path);
  }
  await ctx.api.call('POST', '/api/v1/accounts/777777/charges', { body: charge(1), key: 'ghost' });
  // Let the mailboxes finish with the messages they answered.
  await new Promise((r) => setTimeout(r, 20));
  assert.is(ctx.api.services.system.activeActors, live);
  assert.is(ctx.api.services.system.inspect('account', '777777'), undefined);
  assert.is(await ctx.api.position(), before);
});

test('a bad month or page query is 400 validation_failed', async (ctx) => {
  for (const path of [
    acc('/acts/2026-13')(ctx),
    acc('/acts/26-01')(ctx),
    acc('/operations?limit=0')(ctx),
    acc('/operations?limit=abc')(ctx),
    acc('/operations?cursor=-1')(ctx),
    acc('/operations?kind=teleport')(ctx),
  ]) {
    const res = await ctx.api.call('GET', path);
    assert.is(res.status, 400, path);
    assert.is(res.body.code, 'validation_failed', path);
  }
});

test.run();
