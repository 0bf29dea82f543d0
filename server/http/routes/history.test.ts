import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../../actors/runtime/clock.ts';
import { type Api, startApi } from './testing/api.ts';

// Operations and monthly acts over HTTP: projections over the account's journal.

interface Ctx {
  api: Api;
  clock: ManualClock;
  account: string;
}

// Noon, Moscow time, on days of January and February 2026.
const jan = (day: number) => Date.UTC(2026, 0, day, 9);
const feb = (day: number) => Date.UTC(2026, 1, day, 9);

const test = suite<Ctx>('money API: operations and acts', {} as Ctx);

interface Op {
  seq: number;
  kind: string;
  amount: number;
  balance: number;
  at: number;
  product?: string;
}

test.before(async (ctx) => {
  ctx.clock = new ManualClock(jan(5));
  ctx.api = await startApi({ clock: ctx.clock });
  const { api, clock } = ctx;
  ctx.account = String((await api.call('POST', '/api/v1/accounts', { body: {} })).body.id);
  const id = ctx.account;
  let k = 0;
  const post = async (path: string, body: unknown) => {
    const res = await api.call('POST', `/api/v1/accounts/${id}${path}`, { body, key: `hist-${++k}` });
    assert.ok(res.status < 300, res.text);
    return res.body;
  };
  await post('/top-ups', { amount: 100_000, source: 'bank', reference: 'pp-1' });
  clock.set(jan(10));
  await post('/charges', { amount: 12_000, product: 'storage, "100 GB"' });
  clock.set(jan(20));
  await post('/charges', { amount: 3_050, product: 'sms' });
  await post('/charges', { amount: 1_000, product: 'sms' });
  clock.set(jan(31));
  await post('/charges', { amount: 10, product: '=cmd' });
  // A February refund of a January charge counts in February's act.
  clock.set(feb(3));
  await post(`/charges/${id}-c3/refunds`, { amount: 2_000 });
  await post('/charges', { amount: 500, product: 'sms' });
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

test('operations come newest first, each with the balance after it, and page by cursor', async (ctx) => {
  const { api, account } = ctx;
  const all = await api.call<{ items: Op[]; nextCursor?: string }>(
    'GET',
    `/api/v1/accounts/${account}/operations`,
  );
  assert.is(all.status, 200);
  assert.equal(
    all.body.items.map((o) => [o.kind, o.amount, o.balance]),
    [
      ['charge', -500, 85_440],
      ['refund', 2_000, 85_940],
      ['charge', -10, 83_940],
      ['charge', -1_000, 83_950],
      ['charge', -3_050, 84_950],
      ['charge', -12_000, 88_000],
      ['top_up', 100_000, 100_000],
    ],
  );
  assert.is(all.body.nextCursor, undefined);

  const pages: Op[][] = [];
  let cursor: string | undefined;
  do {
    const q = cursor === undefined ? '' : `&cursor=${cursor}`;
    const page = await api.call<{ items: Op[]; nextCursor?: string }>(
      'GET',
      `/api/v1/accounts/${account}/operations?limit=3${q}`,
    );
    pages.push(page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor !== undefined);
  assert.equal(
    pages.map((p) => p.length),
    [3, 3, 1],
  );
  assert.equal(pages.flat(), all.body.items);
});

test('operations filter by kind and by time (from inclusive, to exclusive)', async (ctx) => {
  const { api, account } = ctx;
  const refunds = await api.call<{ items: Op[] }>(
    'GET',
    `/api/v1/accounts/${account}/operations?kind=refund`,
  );
  assert.equal(
    refunds.body.items.map((o) => o.amount),
    [2_000],
  );
  const window = await api.call<{ items: Op[] }>(
    'GET',
    `/api/v1/accounts/${account}/operations?from=${jan(10)}&to=${jan(31)}`,
  );
  assert.equal(
    window.body.items.map((o) => o.amount),
    [-1_000, -3_050, -12_000],
  );
});

test('the act of a month: charges minus refunds of that month, per product', async (ctx) => {
  const { api, account } = ctx;
  const january = await api.call('GET', `/api/v1/accounts/${account}/acts/2026-01`);
  assert.is(january.status, 200);
  assert.equal(january.body.lines, [
    { product: '=cmd', count: 1, charged: 10, refunded: 0, amount: 10 },
    { product: 'sms', count: 2, charged: 4_050, refunded: 0, amount: 4_050 },
    { product: 'storage, "100 GB"', count: 1, charged: 12_000, refunded: 0, amount: 12_000 },
  ]);
  assert.is(january.body.total, 16_060);
  assert.is(january.body.accountId, account);
  assert.is(january.body.timeZone, 'Europe/Moscow');

  const february = await api.call('GET', `/api/v1/accounts/${account}/acts/2026-02`);
  assert.equal(february.body.lines, [
    { product: 'sms', count: 1, charged: 500, refunded: 0, amount: 500 },
    { product: 'storage, "100 GB"', count: 0, charged: 0, refunded: 2_000, amount: -2_000 },
  ]);
  assert.is(february.body.total, -1_500);

  const march = await api.call('GET', `/api/v1/accounts/${account}/acts/2026-03`);
  assert.equal(march.body.lines, []);
  assert.is(march.body.total, 0);
});

test('Accept: text/csv gives the act as a CSV file', async (ctx) => {
  const { api, account } = ctx;
  const csv = await api.call('GET', `/api/v1/accounts/${account}/acts/2026-01`, {
    headers: { accept: 'text/csv' },
  });
  assert.is(csv.status, 200);
  assert.is(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.is(csv.headers.get('content-disposition'), `attachment; filename="act-${account}-2026-01.csv"`);
  assert.is(
    csv.text,
    [
      'product,count,charged,refunded,amount,amount_major',
      "'=cmd,1,10,0,10,0.10",
      'sms,2,4050,0,4050,40.50',
      '"storage, ""100 GB""",1,12000,0,12000,120.00',
      'total,4,16060,0,16060,160.60',
      '',
    ].join('\r\n'),
  );
});

test.run();
