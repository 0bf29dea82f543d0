import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../../actors/runtime/clock.ts';
import { type Api, startApi } from './testing/api.ts';

// The tariff catalog and tariff assignment over HTTP. The clock stands at the first instant
// of March in Moscow, so a monthly tariff assigned now is charged its whole price.

interface Ctx {
  api: Api;
  clock: ManualClock;
}

const MARCH = Date.UTC(2026, 1, 28, 21);
const test = suite<Ctx>('money API: tariffs', {} as Ctx);

test.before(async (ctx) => {
  ctx.clock = new ManualClock(MARCH);
  ctx.api = await startApi({ clock: ctx.clock });
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

let keys = 0;
const key = () => `t-${++keys}`;

async function funded(api: Api, amount: number): Promise<string> {
  const id = String((await api.call('POST', '/api/v1/accounts', { body: {} })).body.id);
  if (amount > 0) {
    await api.call('POST', `/api/v1/accounts/${id}/top-ups`, {
      body: { amount, source: 'cash', reference: 'r' },
      key: key(),
    });
  }
  return id;
}

const tariff = (name: string, pricePerMonth: number) => ({
  name,
  group: 'internet',
  billing: 'monthly',
  pricePerMonth,
  speed: { downKbps: 100_000, upKbps: 50_000 },
});

const usedBy = async (api: Api, id: string) => (await api.call('GET', `/api/v1/tariffs/${id}`)).body.accounts;

test('a tariff in use cannot be deleted or repriced; archived, it is given to no one more', async ({
  api,
}) => {
  const created = await api.call('POST', '/api/v1/tariffs', { body: tariff('Home 100', 50_000) });
  assert.is(created.status, 201);
  const t = String(created.body.id);
  assert.is(created.body.status, 'active');
  assert.is(created.body.accounts, 0);

  const account = await funded(api, 100_000);
  const assign = await api.call('POST', `/api/v1/accounts/${account}/tariff`, {
    body: { tariffId: t },
    key: 'assign-1',
  });
  assert.is(assign.status, 200, assign.text);
  assert.equal(assign.body, {
    tariffId: t,
    charged: 50_000,
    credited: 0,
    status: 'active',
    balance: 50_000,
    available: 50_000,
  });
  assert.is((await api.call('GET', `/api/v1/accounts/${account}`)).body.tariffId, t);
  assert.is(await usedBy(api, t), 1);

  const del = await api.call('DELETE', `/api/v1/tariffs/${t}`);
  assert.is(del.status, 409);
  assert.is(del.body.code, 'tariff_in_use');
  const reprice = await api.call('PUT', `/api/v1/tariffs/${t}`, { body: { pricePerMonth: 60_000 } });
  assert.is(reprice.status, 409);
  assert.is(reprice.body.code, 'tariff_in_use');
  const rename = await api.call('PUT', `/api/v1/tariffs/${t}`, { body: { name: 'Home 100 (2025)' } });
  assert.is(rename.status, 200);
  assert.is(rename.body.name, 'Home 100 (2025)');

  // A repeat after the rename is still the same request: the first reply, nothing moved.
  const repeat = await api.call('POST', `/api/v1/accounts/${account}/tariff`, {
    body: { tariffId: t },
    key: 'assign-1',
  });
  assert.is(repeat.status, 200);
  assert.equal(repeat.body, assign.body);
  assert.is(await usedBy(api, t), 1);

  const archive = await api.call('PUT', `/api/v1/tariffs/${t}`, { body: { archived: true } });
  assert.is(archive.status, 200);
  assert.is(archive.body.status, 'archived');
  const list = await api.call<{ items: { id: string }[] }>('GET', '/api/v1/tariffs');
  assert.not.ok(list.body.items.some((i) => i.id === t));
  const all = await api.call<{ items: { id: string }[] }>('GET', '/api/v1/tariffs?archived=true');
  assert.ok(all.body.items.some((i) => i.id === t));

  const other = await funded(api, 100_000);
  const before = await api.position();
  const refused = await api.call('POST', `/api/v1/accounts/${other}/tariff`, {
    body: { tariffId: t },
    key: key(),
  });
  assert.is(refused.status, 409);
  assert.is(refused.body.code, 'tariff_archived');
  assert.is(await api.position(), before);

  // Removing it credits the unused rest (all of it: no time has passed) and frees the tariff.
  const remove = await api.call('POST', `/api/v1/accounts/${account}/tariff`, {
    body: { tariffId: null },
    key: key(),
  });
  assert.is(remove.status, 200);
  assert.is(remove.body.tariffId, null);
  assert.is(remove.body.credited, 50_000);
  assert.is(remove.body.balance, 100_000);
  assert.is(await usedBy(api, t), 0);
  assert.is((await api.call('DELETE', `/api/v1/tariffs/${t}`)).status, 204);
  assert.is((await api.call('GET', `/api/v1/tariffs/${t}`)).status, 404);
});

test('changing tariffs moves the usage; a late repeat of an older change does not skew it', async ({
  api,
}) => {
  const a = String((await api.call('POST', '/api/v1/tariffs', { body: tariff('Lite', 30_000) })).body.id);
  const b = String((await api.call('POST', '/api/v1/tariffs', { body: tariff('Max', 90_000) })).body.id);
  const account = await funded(api, 200_000);
  const toA = await api.call('POST', `/api/v1/accounts/${account}/tariff`, {
    body: { tariffId: a },
    key: 'to-a',
  });
  assert.is(toA.status, 200);
  const toB = await api.call('POST', `/api/v1/accounts/${account}/tariff`, {
    body: { tariffId: b },
    key: 'to-b',
  });
  assert.is(toB.status, 200);
  assert.is(toB.body.charged, 90_000);
  assert.is(toB.body.credited, 30_000);
  assert.equal([await usedBy(api, a), await usedBy(api, b)], [0, 1]);

  const late = await api.call('POST', `/api/v1/accounts/${account}/tariff`, {
    body: { tariffId: a },
    key: 'to-a',
  });
  assert.is(late.status, 200);
  assert.equal(late.body, toA.body);
  assert.is((await api.call('GET', `/api/v1/accounts/${account}`)).body.tariffId, b);
  assert.equal([await usedBy(api, a), await usedBy(api, b)], [0, 1]);

  const reused = await api.call('POST', `/api/v1/accounts/${account}/tariff`, {
    body: { tariffId: b },
    key: 'to-a',
  });
  assert.is(reused.status, 422);
  assert.is(reused.body.code, 'idempotency_key_reused');
});

test('one key on two accounts is two requests: keys are per account', async ({ api }) => {
  const a = String((await api.call('POST', '/api/v1/tariffs', { body: tariff('Duo A', 1_000) })).body.id);
  const b = String((await api.call('POST', '/api/v1/tariffs', { body: tariff('Duo B', 2_000) })).body.id);
  const first = await funded(api, 10_000);
  const second = await funded(api, 10_000);
  const one = await api.call('POST', `/api/v1/accounts/${first}/tariff`, {
    body: { tariffId: a },
    key: 'same',
  });
  const two = await api.call('POST', `/api/v1/accounts/${second}/tariff`, {
    body: { tariffId: b },
    key: 'same',
  });
  assert.equal([one.status, two.status], [200, 200], two.text);
  assert.equal([await usedBy(api, a), await usedBy(api, b)], [1, 1]);
});

test('closing an account ends its tariff and frees it in the catalog', async ({ api }) => {
  const free = String((await api.call('POST', '/api/v1/tariffs', { body: tariff('Social', 0) })).body.id);
  const account = await funded(api, 0);
  const assign = await api.call('POST', `/api/v1/accounts/${account}/tariff`, {
    body: { tariffId: free },
    key: key(),
  });
  assert.is(assign.status, 200, assign.text);
  assert.is(await usedBy(api, free), 1);
  const close = await api.call('POST', `/api/v1/accounts/${account}/close`);
  assert.is(close.status, 200, close.text);
  assert.is(close.body.tariffId, undefined);
  assert.is(await usedBy(api, free), 0);
  assert.is((await api.call('DELETE', `/api/v1/tariffs/${free}`)).status, 204);
});

test('tariff names are unique ignoring case', async ({ api }) => {
  await api.call('POST', '/api/v1/tariffs', { body: tariff('Офис 500', 150_000) });
  const dup = await api.call('POST', '/api/v1/tariffs', { body: tariff('офис 500', 1) });
  assert.is(dup.status, 409);
  assert.is(dup.body.code, 'tariff_name_taken');
});

test.run();
