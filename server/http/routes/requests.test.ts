import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { LiveEvent } from '../../../actors/runtime/bus.ts';
import type { RouterOsSim } from '../../../scripts/sim/routeros.ts';
import { deviceBody, entries, type NetworkApi, startNetworkApi, startSim } from './testing/network.ts';

// Connection requests over HTTP: the public form (no login, a honeypot, a rate limit), the
// board's moves, and connecting: subscriber, account, tariff and internet service made in one
// step that can be repeated (in turn or at once) and still makes one of each.

interface Ctx {
  api: NetworkApi;
  sim: RouterOsSim;
  tariffId: string;
  live: LiveEvent[];
  /** Form posts that reached the handler (and so took a token of the rate limit). */
  posted: number;
}

const test = suite<Ctx>('connection requests API', { posted: 0 } as Ctx);

test.before(async (ctx) => {
  ctx.sim = await startSim('edge-crm');
  ctx.api = await startNetworkApi();
  ctx.live = [];
  ctx.api.services.bus.subscribe('requests', (m) => ctx.live.push(m));
  await ctx.api.call('POST', '/api/v1/devices', { body: deviceBody(ctx.sim, 'Edge') });
  await ctx.api.until('router online', () => ctx.api.network.directory.state('D1')?.status === 'online');
  const tariff = await ctx.api.call('POST', '/api/v1/tariffs', {
    body: {
      name: 'Home 100',
      group: 'internet',
      billing: 'monthly',
      pricePerMonth: 50_000,
      speed: { downKbps: 100_000, upKbps: 20_000 },
    },
  });
  ctx.tariffId = String(tariff.body.id);
});

test.after(async (ctx) => {
  await ctx.api.dispose();
  await ctx.sim.close();
});

const form = { name: 'Иван Петров', phone: '+79991234567', address: 'ул. Ленина, 1, кв. 2' };

async function submit(ctx: Ctx, body: Record<string, unknown>) {
  ctx.posted++;
  const res = await fetch(`${ctx.api.base}/api/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

type Board = { items: { id: string; status: string; source: string; name: string }[] };

test('the public form needs no login; the request is on the board as new', async (ctx) => {
  const { api, tariffId } = ctx;
  const r = await submit(ctx, {
    ...form,
    coordinates: { lat: 55.75, lon: 37.61 },
    tariffId,
    comment: 'evenings',
  });
  assert.equal([r.status, r.body], [202, { status: 'received' }]);
  const board = await api.call<Board>('GET', '/api/v1/requests');
  assert.equal(
    board.body.items.map((i) => [i.id, i.status, i.source, i.name]),
    [['R1', 'new', 'form', 'Иван Петров']],
  );
  assert.is((await fetch(`${api.base}/api/v1/requests`)).status, 401, 'the board is for staff');
  assert.equal(
    ctx.live.map((m) => (m.event as { type: string }).type),
    ['RequestSubmitted'],
  );
});

test('bad input is refused with nothing kept; a filled honeypot is thanked and dropped', async (ctx) => {
  const { api } = ctx;
  const before = await api.position();
  const rows: [string, Record<string, unknown>, number, string][] = [
    ['no phone', { name: 'A', address: 'B' }, 400, 'validation_failed'],
    ['not E.164', { ...form, phone: '8 999 123 45 67' }, 400, 'validation_failed'],
    ['blank name', { ...form, name: '   ' }, 400, 'validation_failed'],
    ['latitude 91', { ...form, coordinates: { lat: 91, lon: 0 } }, 400, 'validation_failed'],
    ['unknown field', { ...form, email: 'x@y.z' }, 400, 'validation_failed'],
  ];
  for (const [what, body, status, code] of rows) {
    const r = await fetch(`${api.base}/api/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal([r.status, ((await r.json()) as { code: string }).code], [status, code], what);
  }
  const unknownTariff = await submit(ctx, { ...form, tariffId: 'T404' });
  assert.equal([unknownTariff.status, unknownTariff.body.code], [400, 'unknown_tariff']);
  const bot = await submit(ctx, { ...form, website: 'http://spam.example' });
  assert.equal([bot.status, bot.body], [202, { status: 'received' }]);
  // The router's actor writes on its own time (connecting, reconciling); nothing else may.
  const written = (await api.services.journal.readAll(before, 100)).map((e) => e.key);
  assert.equal(
    written.filter((k) => !k.startsWith('device:')),
    [],
    'nothing persisted',
  );
  assert.ok(api.logs.some((l) => l.includes('honeypot')));
});

test('the board: assigned, scheduled, commented; steps out of order refused', async (ctx) => {
  const { api } = ctx;
  const early = await api.call('POST', '/api/v1/requests/R1/schedule', {
    body: { at: Date.now() + 86_400_000 },
  });
  assert.equal([early.status, early.body.code], [409, 'invalid_transition']);
  const notYet = await api.call('POST', '/api/v1/requests/R1/connect', {
    body: { deviceId: 'D1', ip: '10.8.0.1' },
  });
  assert.equal([notYet.status, notYet.body.code], [409, 'invalid_transition']);
  assert.is((await api.call('POST', '/api/v1/requests/R9/assign', { body: { assignee: 'u1' } })).status, 404);
  const assigned = await api.call('POST', '/api/v1/requests/R1/assign', {
    body: { assignee: 'installer-1' },
  });
  assert.equal(
    [assigned.status, assigned.body.status, assigned.body.assignee],
    [200, 'assigned', 'installer-1'],
  );
  const at = Date.now() + 86_400_000;
  const scheduled = await api.call('POST', '/api/v1/requests/R1/schedule', { body: { at, note: 'morning' } });
  assert.equal([scheduled.body.status, scheduled.body.scheduledAt], ['scheduled', at]);
  const commented = await api.call('POST', '/api/v1/requests/R1/comments', {
    body: { text: 'dog in the yard' },
  });
  assert.is(commented.status, 201);
  const one = await api.call<{ history: { what: string }[]; comments: { text: string }[] }>(
    'GET',
    '/api/v1/requests/R1',
  );
  assert.equal(
    one.body.history.map((h) => h.what),
    ['submitted', 'assigned', 'scheduled', 'commented'],
  );
  assert.equal(
    one.body.comments.map((c) => c.text),
    ['dog in the yard'],
  );
});

test('connecting makes subscriber, account, tariff and service; repeated, at once and after, it makes one', async (ctx) => {
  const { api, sim, tariffId } = ctx;
  const body = { deviceId: 'D1', ip: '10.8.0.1', mac: '00:11:22:33:44:55' };
  const [first, second] = await Promise.all([
    api.call('POST', '/api/v1/requests/R1/connect', { body }),
    api.call('POST', '/api/v1/requests/R1/connect', { body }),
  ]);
  assert.is(first.status, 200, first.text);
  assert.equal(second.body, first.body);
  const again = await api.call('POST', '/api/v1/requests/R1/connect', { body });
  assert.equal(again.body, first.body);
  const connection = first.body.connection as { subscriberId: string; accountId: string; serviceId: string };
  assert.is(first.body.status, 'connected');

  const registered = (await api.services.journal.readAll(0, 10_000)).filter(
    (e) => (e.data as { event: { type: string } }).event.type === 'SubscriberRegistered',
  );
  assert.is(registered.length, 1, 'one subscriber');
  const subscriber = await api.call('GET', `/api/v1/subscribers/${connection.subscriberId}`);
  assert.equal(
    [
      subscriber.body.name,
      subscriber.body.accounts,
      (subscriber.body.contacts as { phones: string[] }).phones,
    ],
    ['Иван Петров', [connection.accountId], ['+79991234567']],
  );
  assert.equal((subscriber.body.address as { lat: number }).lat, 55.75);
  const account = await api.call('GET', `/api/v1/accounts/${connection.accountId}`);
  assert.equal([account.body.tariffId, account.body.status], [tariffId, 'blocked']);
  const services = await api.call<{ items: { id: string; ip: string }[] }>(
    'GET',
    `/api/v1/accounts/${connection.accountId}/services`,
  );
  assert.equal(
    services.body.items.map((s) => [s.id, s.ip]),
    [[connection.serviceId, '10.8.0.1']],
  );
  // A new account has not paid its first month: it is blocked on the router until it does.
  await api.until('blocked', () => entries(sim).includes(`10.8.0.1 abonent:${connection.accountId}`), 2000);
  const closed = await api.call('POST', '/api/v1/requests/R1/reject', { body: { reason: 'late' } });
  assert.equal([closed.status, closed.body.code], [409, 'request_closed']);
  assert.ok(ctx.live.some((m) => (m.event as { type: string }).type === 'RequestConnected'));
});

test('an address already taken on the router is refused before anything is made', async (ctx) => {
  const { api } = ctx;
  await submit(ctx, { ...form, name: 'Пётр' });
  await api.call('POST', '/api/v1/requests/R2/assign', { body: { assignee: 'installer-1' } });
  await api.call('POST', '/api/v1/requests/R2/schedule', { body: { at: Date.now() } });
  await api.network.handoff!.idle();
  const before = await api.position();
  const taken = await api.call('POST', '/api/v1/requests/R2/connect', {
    body: { deviceId: 'D1', ip: '10.8.0.1' },
  });
  assert.equal([taken.status, taken.body.code], [409, 'ip_taken']);
  const made = (await api.services.journal.readAll(before, 100)).map((e) => e.key);
  assert.equal(
    made.filter((k) => !k.startsWith('device:')),
    [],
    'nothing made',
  );
});

test('the public form is rate limited per address', async (ctx) => {
  let last: Awaited<ReturnType<typeof submit>> | undefined;
  while (ctx.posted < 10) last = await submit(ctx, form);
  assert.is(last?.status, 202);
  const limited = await submit(ctx, form);
  assert.equal([limited.status, limited.body.code], [429, 'rate_limited']);
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
});

test.run();
