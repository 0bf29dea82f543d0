import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RouterOsSim } from '../../../scripts/sim/routeros.ts';
import { deviceBody, entries, type NetworkApi, startNetworkApi, startSim } from './testing/network.ts';

// Services on routers and the blocks that follow an account's status, end to end: HTTP in,
// the hand-off, the router's actor, node-routeros on the wire, the RouterOS simulator's
// address list out.

interface Ctx {
  api: NetworkApi;
  sim: RouterOsSim;
  sim2: RouterOsSim;
}

const test = suite<Ctx>('services and blocks', {} as Ctx);

test.before(async (ctx) => {
  ctx.sim = await startSim('edge-1');
  ctx.sim2 = await startSim('edge-2');
  ctx.api = await startNetworkApi();
  for (const [sim, name] of [
    [ctx.sim, 'Edge 1'],
    [ctx.sim2, 'Edge 2'],
  ] as const) {
    assert.is((await ctx.api.call('POST', '/api/v1/devices', { body: deviceBody(sim, name) })).status, 201);
  }
  await ctx.api.until('routers online', async () => {
    const list = await ctx.api.call<{ items: { status: string }[] }>('GET', '/api/v1/devices');
    return list.body.items.every((d) => d.status === 'online');
  });
});

test.after(async (ctx) => {
  await ctx.api.dispose();
  await ctx.sim.close();
  await ctx.sim2.close();
});

async function openAccount(api: NetworkApi): Promise<string> {
  return String((await api.call('POST', '/api/v1/accounts', { body: {} })).body.id);
}

const internet = (deviceId: string, ip: string, extra: Record<string, unknown> = {}) => ({
  body: { kind: 'internet', deviceId, ip, ...extra },
});

test('services: added, listed, an address once per router, bad input refused with nothing kept', async ({
  api,
}) => {
  const a = await openAccount(api);
  const b = await openAccount(api);
  const first = await api.call(
    'POST',
    `/api/v1/accounts/${a}/services`,
    internet('D1', '10.1.0.1', { mac: 'aa-bb-cc-00-11-22' }),
  );
  assert.is(first.status, 201);
  assert.equal(first.body, {
    id: 'SV1',
    kind: 'internet',
    accountId: a,
    deviceId: 'D1',
    ip: '10.1.0.1',
    mac: 'AA:BB:CC:00:11:22',
    blocked: false,
    maxLimit: null,
    pending: false,
  });
  await api.network.handoff!.idle();
  const before = await api.position();
  const rows: [string, string, unknown, number, string][] = [
    ['the same address on the same router', b, internet('D1', '10.1.0.1').body, 409, 'ip_taken'],
    ['no such router', b, internet('D9', '10.1.0.2').body, 404, 'device_not_found'],
    ['no such account', '999999', internet('D1', '10.1.0.2').body, 404, 'account_not_found'],
    ['not an address', b, internet('D1', '10.1.0.256').body, 400, 'validation_failed'],
    ['another kind', b, { ...internet('D1', '10.1.0.2').body, kind: 'iptv' }, 400, 'validation_failed'],
    ['a bad MAC', b, internet('D1', '10.1.0.2', { mac: 'zz' }).body, 400, 'validation_failed'],
  ];
  for (const [what, account, body, status, code] of rows) {
    const r = await api.call('POST', `/api/v1/accounts/${account}/services`, { body });
    assert.equal([r.status, r.body.code], [status, code], what);
  }
  assert.equal(await api.services.journal.readAll(before, 100), [], 'nothing persisted');
  // The same address on another router is another service.
  assert.is(
    (await api.call('POST', `/api/v1/accounts/${b}/services`, internet('D2', '10.1.0.1'))).status,
    201,
  );
  const listed = await api.call<{ items: { id: string; deviceId: string }[] }>(
    'GET',
    `/api/v1/accounts/${a}/services`,
  );
  assert.equal(
    listed.body.items.map((s) => [s.id, s.deviceId]),
    [['SV1', 'D1']],
  );
  const onRouter = await api.call<{ items: { accountId: string }[] }>('GET', '/api/v1/devices/D2/services');
  assert.equal(
    onRouter.body.items.map((s) => s.accountId),
    [b],
  );
  // Edit and remove.
  const moved = await api.call('PUT', `/api/v1/accounts/${a}/services/SV1`, {
    body: { ip: '10.1.0.9', mac: null },
  });
  assert.equal([moved.status, moved.body.ip, moved.body.mac], [200, '10.1.0.9', undefined]);
  assert.is(
    (await api.call('PUT', `/api/v1/accounts/${b}/services/SV1`, { body: { ip: '10.1.0.8' } })).status,
    404,
  );
  assert.is((await api.call('DELETE', `/api/v1/accounts/${a}/services/SV1`)).status, 204);
  assert.is((await api.call('DELETE', `/api/v1/accounts/${a}/services/SV1`)).status, 404);
});

test('a manual block reaches the router within a second; the unblock takes it away', async ({ api, sim }) => {
  const a = await openAccount(api);
  await api.call('POST', `/api/v1/accounts/${a}/services`, internet('D1', '10.2.0.1'));
  await api.call('POST', `/api/v1/accounts/${a}/services`, internet('D1', '10.2.0.2'));
  const started = performance.now();
  assert.is(
    (await api.call('POST', `/api/v1/accounts/${a}/block`, { body: { reason: 'abuse' } })).status,
    200,
  );
  await api.until('both addresses blocked', () => entries(sim).length === 2, 1000);
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `${ms} ms`);
  assert.equal(entries(sim), [`10.2.0.1 abonent:${a}`, `10.2.0.2 abonent:${a}`]);
  const services = await api.call<{ items: { blocked: boolean }[] }>('GET', `/api/v1/accounts/${a}/services`);
  assert.ok(services.body.items.every((s) => s.blocked));
  await api.call('POST', `/api/v1/accounts/${a}/unblock`);
  await api.until('unblocked', () => entries(sim).length === 0, 1000);
});

test('funds run out: blocked with the tariff’s speed limit on the router; a top-up unblocks', async ({
  api,
  sim,
}) => {
  const tariff = await api.call('POST', '/api/v1/tariffs', {
    body: {
      name: 'Home 50',
      group: 'internet',
      billing: 'monthly',
      pricePerMonth: 60_000,
      speed: { downKbps: 50_000, upKbps: 10_000 },
    },
  });
  const a = await openAccount(api);
  await api.call('POST', `/api/v1/accounts/${a}/services`, internet('D1', '10.3.0.1'));
  // No money: the prorated rest of the month cannot be paid, so the account is blocked.
  const assigned = await api.call('POST', `/api/v1/accounts/${a}/tariff`, {
    body: { tariffId: tariff.body.id },
    key: 'assign-1',
  });
  assert.is(assigned.status, 200);
  await api.until('blocked for funds', () => entries(sim).includes(`10.3.0.1 abonent:${a}`), 1000);
  await api.until('speed queue', () => sim.menus.queueSimple.size === 1, 1000);
  const queue = [...sim.menus.queueSimple.rows.values()][0]!;
  assert.equal([queue.target, queue['max-limit']], ['10.3.0.1/32', '10000000/50000000']);

  await api.call('POST', `/api/v1/accounts/${a}/top-ups`, {
    body: { amount: 100_000, source: 'cash', reference: 'till-1' },
    key: 'top-up-1',
  });
  await api.until(
    'unblocked after payment',
    () => !entries(sim).some((e) => e.endsWith(`abonent:${a}`)),
    1000,
  );
  const view = await api.call<{ items: { blocked: boolean; maxLimit: string }[] }>(
    'GET',
    `/api/v1/accounts/${a}/services`,
  );
  assert.equal(view.body.items[0], { ...view.body.items[0]!, blocked: false, maxLimit: '10000k/50000k' });

  // The tariff gets faster: every account on it gets the new limit on its router.
  await api.call('PUT', `/api/v1/tariffs/${tariff.body.id}`, {
    body: { speed: { downKbps: 100_000, upKbps: 20_000 } },
  });
  await api.until(
    'faster queue',
    () => [...sim.menus.queueSimple.rows.values()][0]?.['max-limit'] === '20000000/100000000',
    1000,
  );
});

test('a closed account is blocked on the router', async ({ api, sim }) => {
  const a = await openAccount(api);
  const s = await api.call('POST', `/api/v1/accounts/${a}/services`, internet('D1', '10.3.9.1'));
  assert.is((await api.call('POST', `/api/v1/accounts/${a}/close`)).status, 200);
  await api.until('blocked', () => entries(sim).includes(`10.3.9.1 abonent:${a}`), 1000);
  await api.call('DELETE', `/api/v1/accounts/${a}/services/${s.body.id}`);
  await api.until(
    'lifted with the service',
    () => !entries(sim).some((e) => e.endsWith(`abonent:${a}`)),
    1000,
  );
});

test('router down: accepted at once and queued; back up, applied exactly once', async ({ api, sim }) => {
  const a = await openAccount(api);
  await api.call('POST', `/api/v1/accounts/${a}/services`, internet('D1', '10.4.0.1'));
  await sim.setOnline(false);
  await api.until(
    'router offline',
    async () => (await api.call('GET', '/api/v1/devices/D1')).body.status === 'offline',
  );
  const started = performance.now();
  const blocked = await api.call('POST', `/api/v1/accounts/${a}/block`, { body: { reason: 'fraud' } });
  assert.is(blocked.status, 200);
  assert.ok(performance.now() - started < 500, 'not held up by the router');
  const pending = await api.until('queued on the router’s page', async () => {
    const d = await api.call<{ pendingCommands: number; pending: { kind: string; accountId: string }[] }>(
      'GET',
      '/api/v1/devices/D1',
    );
    return d.body.pendingCommands === 1 && d.body;
  });
  assert.equal(
    pending.pending.map((p) => [p.kind, p.accountId]),
    [['block', a]],
  );
  const metrics = await (await fetch(`${api.base}/metrics`)).text();
  assert.match(metrics, /abonent_device_pending_intents\{device="D1"\} 1/);
  assert.match(metrics, /abonent_device_status\{device="D1",status="offline"\} 1/);
  sim.resetCounters();
  await sim.setOnline(true);
  await api.until('applied', () => entries(sim).includes(`10.4.0.1 abonent:${a}`), 5000);
  await api.until(
    'nothing pending',
    async () => (await api.call('GET', '/api/v1/devices/D1')).body.pendingCommands === 0,
  );
  assert.is(sim.counters.commands['/ip/firewall/address-list/add'] ?? 0, 1, 'added once');
  await api.call('POST', `/api/v1/accounts/${a}/unblock`);
  await api.until('unblocked', () => !entries(sim).some((e) => e.endsWith(`abonent:${a}`)), 1000);
});

test('a router that lost its list is reconciled after it reconnects', async ({ api, sim }) => {
  const a = await openAccount(api);
  await api.call('POST', `/api/v1/accounts/${a}/services`, internet('D1', '10.5.0.1'));
  await api.call('POST', `/api/v1/accounts/${a}/block`, { body: { reason: 'x' } });
  await api.until('blocked', () => entries(sim).includes(`10.5.0.1 abonent:${a}`), 1000);
  // A reboot without its lists, with one stray entry of ours and one of the operator's.
  sim.loseState();
  sim.menus.addressList.add({ list: 'abonent-blocked', address: '10.5.9.9', comment: 'abonent:gone' });
  sim.menus.addressList.add({ list: 'abonent-blocked', address: '10.5.9.8', comment: 'by hand' });
  sim.dropConnections();
  await api.until(
    'reconciled',
    () => entries(sim).join() === [`10.5.0.1 abonent:${a}`, '10.5.9.8 by hand'].join(),
    5000,
  );
  await api.call('POST', `/api/v1/accounts/${a}/unblock`);
  await api.until('unblocked', () => entries(sim).join() === '10.5.9.8 by hand', 1000);
  sim.menus.addressList.clear();
});

test('a RouterOS !trap ("already have such entry") is handled, not fatal', async ({ api, sim }) => {
  const a = await openAccount(api);
  await api.call('POST', `/api/v1/accounts/${a}/services`, internet('D1', '10.6.0.1'));
  // The operator blocked that address by hand already: our add is refused with a !trap.
  sim.menus.addressList.add({ list: 'abonent-blocked', address: '10.6.0.1', comment: 'by hand' });
  sim.resetCounters();
  await api.call('POST', `/api/v1/accounts/${a}/block`, { body: { reason: 'x' } });
  await api.until('settled', async () => {
    const d = await api.call('GET', '/api/v1/devices/D1');
    return (
      sim.counters.commands['/ip/firewall/address-list/add'] === 1 && d.body.pendingCommands === 0 && d.body
    );
  });
  const d = await api.call('GET', '/api/v1/devices/D1');
  assert.equal([d.body.status, d.body.lastError], ['online', null]);
  assert.equal(entries(sim), ['10.6.0.1 by hand']);
  sim.menus.addressList.clear();
});

test('a service added to a blocked account is blocked; removing it lifts the block', async ({
  api,
  sim2,
}) => {
  const a = await openAccount(api);
  await api.call('POST', `/api/v1/accounts/${a}/block`, { body: { reason: 'x' } });
  const s = await api.call('POST', `/api/v1/accounts/${a}/services`, internet('D2', '10.7.0.1'));
  await api.until('blocked', () => entries(sim2).includes(`10.7.0.1 abonent:${a}`), 1000);
  await api.call('PUT', `/api/v1/accounts/${a}/services/${s.body.id}`, { body: { ip: '10.7.0.2' } });
  await api.until('moved', () => entries(sim2).join() === `10.7.0.2 abonent:${a}`, 1000);
  await api.call('DELETE', `/api/v1/accounts/${a}/services/${s.body.id}`);
  await api.until('lifted', () => !entries(sim2).some((e) => e.endsWith(`abonent:${a}`)), 1000);
});

test('PPPoE router: a block disables the secret and ends the session', async ({ api }) => {
  const sim = await startSim('pppoe-1');
  try {
    sim.menus.pppSecret.add({ name: 'ivanov', password: 'x', service: 'pppoe' });
    sim.menus.pppActive.add({ name: 'ivanov', address: '100.64.0.7' });
    const d = await api.call('POST', '/api/v1/devices', {
      body: deviceBody(sim, 'PPPoE 1', { blockMode: 'pppoe' }),
    });
    const a = await openAccount(api);
    const missing = await api.call(
      'POST',
      `/api/v1/accounts/${a}/services`,
      internet(String(d.body.id), '100.64.0.7'),
    );
    assert.equal([missing.status, missing.body.code], [400, 'pppoe_login_required']);
    await api.call(
      'POST',
      `/api/v1/accounts/${a}/services`,
      internet(String(d.body.id), '100.64.0.7', { pppoeLogin: 'ivanov' }),
    );
    await api.call('POST', `/api/v1/accounts/${a}/block`, { body: { reason: 'x' } });
    const secret = () => [...sim.menus.pppSecret.rows.values()][0]!;
    await api.until(
      'secret disabled',
      () => secret().disabled === 'true' && sim.menus.pppActive.size === 0,
      2000,
    );
    await api.call('POST', `/api/v1/accounts/${a}/unblock`);
    await api.until('secret enabled', () => secret().disabled === 'false', 2000);
    // The tariff's speed: a PPP profile per speed, the login put on it.
    await api.call('POST', `/api/v1/accounts/${a}/top-ups`, {
      body: { amount: 1_000_000, source: 'cash', reference: 'pppoe-1' },
      key: 'pppoe-top-up',
    });
    const tariff = await api.call('POST', '/api/v1/tariffs', {
      body: {
        name: 'PPPoE 20',
        group: 'internet',
        billing: 'monthly',
        pricePerMonth: 30_000,
        speed: { downKbps: 20_000, upKbps: 5_000 },
      },
    });
    await api.call('POST', `/api/v1/accounts/${a}/tariff`, {
      body: { tariffId: tariff.body.id },
      key: 'pppoe-tariff',
    });
    await api.until('on its speed profile', () => secret().profile === 'abonent-5000k-20000k', 2000);
    const profile = [...sim.menus.pppProfile.rows.values()].find((p) => p.name === 'abonent-5000k-20000k');
    assert.is(profile?.['rate-limit'], '5000k/20000k');
    assert.is(sim.menus.queueSimple.size, 0, 'no queue on a PPPoE router');
  } finally {
    await sim.close();
  }
});

test.run();
