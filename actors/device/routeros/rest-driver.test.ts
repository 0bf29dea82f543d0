import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type RouterOsSim, startRouterOsSim } from '../../../scripts/sim/routeros.ts';
import { DeviceError } from '../errors.ts';
import { RouterOsRestDriver, type RouterOsRestOptions } from './rest-driver.ts';

// The REST driver against the simulator's RouterOS 7 REST endpoint (same menus, same knobs).

const faults: unknown[] = [];
process.on('uncaughtException', (err) => faults.push(err));
process.on('unhandledRejection', (err) => faults.push(err));

interface Ctx {
  sim: RouterOsSim;
  driver(opts?: Partial<RouterOsRestOptions>): RouterOsRestDriver;
}

const test = suite<Ctx>('routeros rest driver');

test.before.each(async (ctx) => {
  faults.length = 0;
  ctx.sim = await startRouterOsSim({ password: 'secret', identity: 'core-1', rest: true });
  ctx.driver = (opts = {}) =>
    new RouterOsRestDriver({
      host: ctx.sim.host,
      port: ctx.sim.restPort!,
      username: 'admin',
      password: 'secret',
      ...opts,
    });
});

test.after.each(async (ctx) => {
  await ctx.sim.close();
  await new Promise((r) => setImmediate(r));
  assert.equal(faults, []);
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, DeviceError);
    return (err as DeviceError).code;
  }
  throw new Error('expected a rejection');
}

test('connects with Basic auth; wrong credentials are auth_failed; a closed port is unreachable', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  assert.ok(d.connected);
  assert.is(await d.identity(), 'core-1');
  assert.is((await d.resource()).version, '7.18.2 (stable)');
  assert.is(await code(ctx.driver({ password: 'nope' }).connect()), 'auth_failed');
  await ctx.sim.setOnline(false);
  assert.is(await code(ctx.driver().connect()), 'unreachable');
});

test('PPP profile: made once per speed, the secret moved onto it and back to default', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  ctx.sim.menus.pppSecret.add({ name: 'u1', password: 'x' });
  ctx.sim.menus.pppSecret.add({ name: 'u2', password: 'x' });
  assert.is(await d.setPppProfile('u1', 'abonent-10M-50M', '10M/50M'), 'applied');
  assert.is(await d.setPppProfile('u2', 'abonent-10M-50M', '10M/50M'), 'applied');
  const profiles = [...ctx.sim.menus.pppProfile.rows.values()];
  assert.equal(
    profiles.map((p) => [p.name, p['rate-limit']]),
    [['abonent-10M-50M', '10M/50M']],
  );
  assert.equal(
    [...ctx.sim.menus.pppSecret.rows.values()].map((r) => r.profile),
    ['abonent-10M-50M', 'abonent-10M-50M'],
  );
  assert.is(await d.setPppProfile('u1', 'default', null), 'applied');
  assert.is([...ctx.sim.menus.pppSecret.rows.values()][0]!.profile, 'default');
  assert.is(await d.setPppProfile('nobody', 'abonent-1M-1M', '1M/1M'), 'missing');
});

test('block, duplicate is exists, list, unblock, again is missing', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  assert.equal(await d.listBlocked('abonent-blocked'), []);
  assert.is(await d.block('abonent-blocked', '10.0.0.7', 'abonent:acc-7'), 'applied');
  assert.is(await d.block('abonent-blocked', '10.0.0.7', 'abonent:acc-7'), 'exists');
  const entries = await d.listBlocked('abonent-blocked');
  assert.equal(
    entries.map((e) => [e.address, e.comment, e.disabled]),
    [['10.0.0.7', 'abonent:acc-7', false]],
  );
  assert.is(await d.setEntryComment(entries[0]!.id, 'abonent:acc-8'), 'applied');
  assert.is(await d.unblock('abonent-blocked', '10.0.0.7'), 'applied');
  assert.is(await d.unblock('abonent-blocked', '10.0.0.7'), 'missing');
  assert.is(await d.removeEntry('*FFFF'), 'missing');
});

test('PPPoE and queues through REST', async (ctx) => {
  ctx.sim.menus.pppSecret.add({ name: 'user-1', password: 'x' });
  ctx.sim.menus.pppActive.add({ name: 'user-1', address: '100.64.0.9' });
  const d = ctx.driver();
  await d.connect();
  assert.is(await d.setPppSecretDisabled('user-1', true), 'applied');
  assert.is(await d.kickPppActive('user-1'), 'applied');
  assert.is(await d.kickPppActive('user-1'), 'missing');
  assert.is([...ctx.sim.menus.pppSecret.rows.values()][0]!.disabled, 'true');
  assert.is(await d.upsertQueue('abonent:acc-1', '10.0.0.1', '10M/50M'), 'applied');
  assert.is(await d.upsertQueue('abonent:acc-1', '10.0.0.1', '20M/100M'), 'applied');
  assert.is(ctx.sim.menus.queueSimple.size, 1);
  assert.is(await d.removeQueue('abonent:acc-1'), 'applied');
  assert.is(await d.removeQueue('abonent:acc-1'), 'missing');
});

test('a router that goes away is disconnected (once), and connects again when back', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  const reasons: string[] = [];
  d.on('disconnected', (r) => reasons.push(r));
  await ctx.sim.setOnline(false);
  assert.is(await code(d.identity()), 'disconnected');
  assert.is(await code(d.identity()), 'disconnected');
  assert.is(reasons.length, 1);
  await ctx.sim.setOnline(true);
  await d.connect();
  assert.is(await d.identity(), 'core-1');
});

test('a router that stops answering times out and is disconnected', async (ctx) => {
  const d = ctx.driver({ commandTimeoutMs: 150 });
  await d.connect();
  const lost = new Promise<string>((resolve) => d.once('disconnected', resolve));
  ctx.sim.setDelay(1000);
  assert.is(await code(d.identity()), 'timeout');
  assert.is(await lost, 'timeout');
});

test('errors come in the router’s JSON shape', async (ctx) => {
  const base = `http://${ctx.sim.host}:${ctx.sim.restPort}/rest`;
  const unauthorized = await fetch(`${base}/system/identity`);
  assert.is(unauthorized.status, 401);
  assert.equal(await unauthorized.json(), { error: 401, message: 'Unauthorized' });
  const auth = { authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` };
  const missing = await fetch(`${base}/ip/firewall/address-list/*99`, { method: 'DELETE', headers: auth });
  assert.is(missing.status, 404);
  assert.equal(await missing.json(), { error: 404, message: 'Not Found', detail: 'no such item' });
});

test.run();
