import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { LiveEvent } from '../../../actors/runtime/bus.ts';
import type { RouterOsSim } from '../../../scripts/sim/routeros.ts';
import {
  deviceBody,
  type NetworkApi,
  ROUTER_PASSWORD,
  startNetworkApi,
  startSim,
} from './testing/network.ts';

// Routers over HTTP against RouterOS simulators (node-routeros on the wire): added, connected
// and checked at once; listed, changed, checked on demand, removed; the password sealed and
// never shown or logged; bad input refused with nothing kept.

interface Ctx {
  api: NetworkApi;
  sim: RouterOsSim;
  /** What the `devices` topic carried: the devices screen's live feed. */
  live: LiveEvent[];
}

const test = suite<Ctx>('devices API', {} as Ctx);

test.before(async (ctx) => {
  ctx.sim = await startSim('core-1');
  ctx.api = await startNetworkApi();
  ctx.live = [];
  ctx.api.services.bus.subscribe('devices', (m) => ctx.live.push(m));
  ctx.api.services.bus.subscribe('feed', (m) => feed.push(m));
});

/** Everything the live bus carried. */
const feed: LiveEvent[] = [];

test.after(async (ctx) => {
  await ctx.api.dispose();
  await ctx.sim.close();
});

type View = Record<string, unknown> & { status: string; pendingCommands: number };

const view = async (api: NetworkApi, id: string) =>
  (await api.call<View>('GET', `/api/v1/devices/${id}`)).body;

test('a router added is connected and checked at once; its password is never shown', async ({ api, sim }) => {
  const added = await api.call('POST', '/api/v1/devices', { body: deviceBody(sim, 'Core 1') });
  assert.is(added.status, 201);
  assert.is(added.body.id, 'D1');
  const online = await api.until('online', async () => {
    const v = await view(api, 'D1');
    return v.status === 'online' && v.lastCheck !== null && v;
  });
  assert.is(online.identity, 'core-1');
  assert.is(online.version, '7.18.2 (stable)');
  assert.type(online.uptime, 'string');
  assert.type(online.lastSeenAt, 'number');
  assert.is(online.pendingCommands, 0);
  assert.is(online.blockList, 'abonent-blocked');
  assert.is(online.blockMode, 'address-list');
  assert.ok((online.lastCheck as { report: { ok: boolean } }).report.ok);

  const list = await api.call<{ items: View[] }>('GET', '/api/v1/devices');
  assert.equal(
    list.body.items.map((d) => [d.id, d.name, d.status]),
    [['D1', 'Core 1', 'online']],
  );
  for (const text of [added.text, list.text, JSON.stringify(online)])
    assert.not.ok(text.includes(ROUTER_PASSWORD));
  // Sealed at rest: the journal holds no trace of it, and no log line either.
  const events = await api.services.journal.readAll(0, 10_000);
  assert.not.ok(JSON.stringify(events).includes(ROUTER_PASSWORD), 'not in the journal');
  assert.not.ok(
    api.logs.some((line) => line.includes(ROUTER_PASSWORD)),
    'not in the logs',
  );
});

test('the devices topic carries status changes and checks, for the devices screen', async ({ live }) => {
  const types = live.map((m) => `${m.kind}:${(m.event as { type: string }).type}`);
  for (const t of ['device:DeviceConfigured', 'device:DeviceOnline', 'device-check:DeviceChecked']) {
    assert.ok(types.includes(t), `${t} in ${types.join()}`);
  }
  assert.not.ok(JSON.stringify(live).includes(ROUTER_PASSWORD));
  assert.not.match(JSON.stringify(feed), /v1\.[0-9a-f]{8}\./, 'no sealed password on the live bus either');
  assert.ok(feed.length > 0);
});

test('bad input is refused with a code and nothing is kept', async ({ api, sim }) => {
  const good = deviceBody(sim, 'Edge');
  const rows: [string, unknown, number, string][] = [
    ['no host', { ...good, host: undefined }, 400, 'validation_failed'],
    ['port 0', { ...good, port: 0 }, 400, 'validation_failed'],
    ['port as text', { ...good, port: '8728' }, 400, 'validation_failed'],
    ['host with a space', { ...good, host: 'a b' }, 400, 'validation_failed'],
    ['bad block list', { ...good, blockList: 'no spaces please' }, 400, 'validation_failed'],
    ['unknown block mode', { ...good, blockMode: 'nat' }, 400, 'validation_failed'],
    ['unknown field', { ...good, secret: 'x' }, 400, 'validation_failed'],
    ['name taken (ignoring case)', { ...good, name: 'core 1' }, 409, 'device_name_taken'],
  ];
  const before = await api.position();
  for (const [what, body, status, code] of rows) {
    const r = await api.call('POST', '/api/v1/devices', { body });
    assert.is(r.status, status, what);
    assert.is(r.body.code, code, what);
  }
  assert.is((await api.call('GET', '/api/v1/devices/D404')).body.code, 'device_not_found');
  assert.is((await api.call('PUT', '/api/v1/devices/D1', { body: { port: 70000 } })).status, 400);
  assert.is((await api.call('POST', '/api/v1/devices/D1/services')).status, 405);
  // The routers' own actors write on their own time (reconnects, reconciles); the requests
  // above must have left nothing.
  const written = (await api.services.journal.readAll(before, 1000)).map((e) => e.key);
  assert.equal(
    written.filter((k) => !k.startsWith('device:')),
    [],
    'nothing persisted',
  );
  const anonymous = await fetch(`${api.base}/api/v1/devices`);
  assert.is(anonymous.status, 401);
});

test('an Idempotency-Key gives a retried add the same router', async ({ api, sim }) => {
  const body = deviceBody(sim, 'Retry');
  const first = await api.call('POST', '/api/v1/devices', { body, key: 'add-retry' });
  const again = await api.call('POST', '/api/v1/devices', { body, key: 'add-retry' });
  assert.is(first.status, 201);
  assert.equal(again.body, first.body);
  const other = await api.call('POST', '/api/v1/devices', {
    body: { ...body, name: 'Other' },
    key: 'add-retry',
  });
  assert.is(other.status, 422);
  await api.call('DELETE', `/api/v1/devices/${first.body.id}`);
});

test('wrong credentials: auth_failed, its error shown, and no retry storm; the right ones reconnect', async ({
  api,
  sim,
}) => {
  sim.resetCounters();
  await api.call('PUT', '/api/v1/devices/D1', { body: { password: 'wrong-password' } });
  const failed = await api.until('auth_failed', async () => {
    const v = await view(api, 'D1');
    return v.status === 'auth_failed' && v;
  });
  assert.match(String(failed.lastError), /invalid user name or password/);
  assert.type(failed.nextConnectAt, 'number');
  // The router's connection and the check made right after the change: two tries. Then the
  // monitor, every second, only touches the TCP port of a router that refused us.
  await new Promise((r) => setTimeout(r, 300));
  const tries = sim.counters.failedLogins;
  assert.ok(tries >= 1 && tries <= 2, `${tries} failed logins`);
  await new Promise((r) => setTimeout(r, 2500));
  assert.is(sim.counters.failedLogins, tries, 'no retry storm: the long backoff waits');
  const check = await api.call('POST', '/api/v1/devices/D1/check');
  assert.is(check.status, 200);
  assert.equal([check.body.ok, (check.body.failed as { code: string }).code], [false, 'auth_failed']);

  await api.call('PUT', '/api/v1/devices/D1', { body: { password: ROUTER_PASSWORD, name: 'Core One' } });
  const back = await api.until('online again', async () => {
    const v = await view(api, 'D1');
    return v.status === 'online' && v;
  });
  assert.is(back.name, 'Core One');
  assert.is(back.lastError, null);
});

test('check now: answers the steps; a router that is off fails at TCP and goes offline', async ({
  api,
  sim,
}) => {
  const ok = await api.call('POST', '/api/v1/devices/D1/check');
  assert.equal(
    [ok.body.ok, ok.body.reachable, ok.body.loggedIn, ok.body.identity],
    [true, true, true, 'core-1'],
  );
  await sim.setOnline(false);
  const down = await api.call('POST', '/api/v1/devices/D1/check');
  assert.equal([down.body.ok, (down.body.failed as { stage: string }).stage], [false, 'tcp']);
  await api.until('offline', async () => (await view(api, 'D1')).status === 'offline');
  await sim.setOnline(true);
  // The monitor sees it answer again and tells the router's actor not to wait out its backoff.
  await api.until('online', async () => (await view(api, 'D1')).status === 'online', 4000);
});

test('/metrics: status, pending commands, router call latency, checks', async ({ api }) => {
  const text = await (await fetch(`${api.base}/metrics`)).text();
  assert.match(text, /abonent_device_status\{device="D1",status="online"\} 1/);
  assert.match(text, /abonent_device_pending_intents\{device="D1"\} 0/);
  assert.match(text, /abonent_router_call_seconds_bucket\{le="[0-9.]+",call="identity",outcome="ok"\}/);
  assert.match(text, /abonent_device_errors_total\{device="D1",what="connect"\} [1-9]/);
  assert.match(text, /abonent_device_checks_total\{result="ok"\} [1-9]/);
});

test('a router with services is not removed; without, it is, and its connection closes', async ({
  api,
  sim,
}) => {
  const account = await api.call('POST', '/api/v1/accounts', { body: {} });
  const service = await api.call('POST', `/api/v1/accounts/${account.body.id}/services`, {
    body: { kind: 'internet', deviceId: 'D1', ip: '10.20.0.1' },
  });
  assert.is(service.status, 201);
  const refused = await api.call('DELETE', '/api/v1/devices/D1');
  assert.equal([refused.status, refused.body.code], [409, 'device_in_use']);
  const changeList = await api.call('PUT', '/api/v1/devices/D1', { body: { blockList: 'other' } });
  assert.equal([changeList.status, changeList.body.code], [409, 'device_in_use']);
  await api.call('DELETE', `/api/v1/accounts/${account.body.id}/services/${service.body.id}`);
  assert.is((await api.call('DELETE', '/api/v1/devices/D1')).status, 204);
  assert.is((await api.call('GET', '/api/v1/devices/D1')).status, 404);
  await api.until('connection closed', () => sim.clientCount() === 0);
  const list = await api.call<{ items: View[] }>('GET', '/api/v1/devices');
  assert.equal(list.body.items, []);
});

test.run();
