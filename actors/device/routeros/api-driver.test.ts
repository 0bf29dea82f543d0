import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type RouterOsSim, startRouterOsSim } from '../../../scripts/sim/routeros.ts';
import { DeviceError } from '../errors.ts';
import { RouterOsApiDriver, type RouterOsApiOptions } from './api-driver.ts';

// The driver against the RouterOS simulator, through node-routeros and the wire protocol.
// A router must never be able to crash Abonent, so every test also fails on any uncaught
// exception or unhandled rejection that happened while it ran.

const faults: unknown[] = [];
process.on('uncaughtException', (err) => faults.push(err));
process.on('unhandledRejection', (err) => faults.push(err));

interface Ctx {
  sim: RouterOsSim;
  drivers: RouterOsApiDriver[];
  driver(opts?: Partial<RouterOsApiOptions>): RouterOsApiDriver;
}

const test = suite<Ctx>('routeros api driver');

test.before.each(async (ctx) => {
  faults.length = 0;
  ctx.sim = await startRouterOsSim({ password: 'secret', identity: 'core-1' });
  ctx.drivers = [];
  ctx.driver = (opts = {}) => {
    const d = new RouterOsApiDriver({
      host: ctx.sim.host,
      port: ctx.sim.port,
      username: 'admin',
      password: 'secret',
      ...opts,
    });
    ctx.drivers.push(d);
    return d;
  };
});

test.after.each(async (ctx) => {
  for (const d of ctx.drivers) await d.close();
  await ctx.sim.close();
  // Let a late socket event surface before the verdict.
  await new Promise((r) => setImmediate(r));
  assert.equal(faults, [], 'no uncaught exception or unhandled rejection');
});

const disconnection = (d: RouterOsApiDriver) =>
  new Promise<string>((resolve) => d.once('disconnected', (reason: string) => resolve(reason)));

async function rejection(p: Promise<unknown>): Promise<DeviceError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, DeviceError);
    return err as DeviceError;
  }
  throw new Error('expected a rejection');
}

test('logs in and reads identity and resource', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  assert.ok(d.connected);
  assert.is(await d.identity(), 'core-1');
  const r = await d.resource();
  assert.is(r.version, '7.18.2 (stable)');
  assert.is(r.boardName, 'hAP ac^2');
  assert.type(r.cpuLoad, 'number');
});

test('a refused login is auth_failed, not a crash', async (ctx) => {
  const wrong = await rejection(ctx.driver({ password: 'nope' }).connect());
  assert.is(wrong.code, 'auth_failed');
  ctx.sim.refuseLogins(true);
  const refused = await rejection(ctx.driver().connect());
  assert.is(refused.code, 'auth_failed');
  assert.is(ctx.sim.counters.failedLogins, 2);
});

test('an unreachable router is unreachable', async (ctx) => {
  await ctx.sim.setOnline(false);
  const err = await rejection(ctx.driver().connect());
  assert.is(err.code, 'unreachable');
  assert.match(err.message, /ECONNREFUSED/);
});

test('block, list, duplicate block is exists, unblock, unblock again is missing', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  assert.equal(await d.listBlocked('abonent-blocked'), []);
  assert.is(await d.block('abonent-blocked', '10.0.0.7', 'abonent:acc-7'), 'applied');
  assert.is(await d.block('abonent-blocked', '10.0.0.7', 'abonent:acc-7'), 'exists');
  const [entry, ...rest] = await d.listBlocked('abonent-blocked');
  assert.equal(rest, []);
  assert.equal(
    { ...entry, id: undefined },
    {
      id: undefined,
      address: '10.0.0.7',
      comment: 'abonent:acc-7',
      disabled: false,
    },
  );
  assert.match(entry!.id, /^\*[0-9A-F]+$/);
  assert.is(await d.unblock('abonent-blocked', '10.0.0.7'), 'applied');
  assert.is(await d.unblock('abonent-blocked', '10.0.0.7'), 'missing');
  assert.is(await d.removeEntry('*FFFF'), 'missing');
});

test('unblock leaves entries Abonent did not make', async (ctx) => {
  ctx.sim.menus.addressList.add({ list: 'abonent-blocked', address: '10.0.0.8', comment: 'by hand' });
  const d = ctx.driver();
  await d.connect();
  assert.is(await d.unblock('abonent-blocked', '10.0.0.8'), 'missing');
  assert.is(ctx.sim.menus.addressList.size, 1);
});

test('an empty print (!empty on 7.18, bare !done before) is an empty list', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  assert.equal(await d.listBlocked('nothing-here'), []);
  ctx.sim.setVersion('7.17.2');
  assert.equal(await d.listBlocked('nothing-here'), []);
  // The connection is still usable after both.
  assert.is(await d.identity(), 'core-1');
});

test('a long list arrives whole across many TCP segments', async (ctx) => {
  for (let i = 0; i < 5000; i++) {
    ctx.sim.menus.addressList.add({
      list: 'big',
      address: `10.${i >> 8}.${i & 255}.1`,
      comment: `abonent:acc-${i}`,
    });
  }
  const d = ctx.driver();
  await d.connect();
  const entries = await d.listBlocked('big');
  assert.is(entries.length, 5000);
  assert.is(entries[4999]!.comment, 'abonent:acc-4999');
});

test('!fatal closes the connection with its reason and fails the call in flight', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  const lost = disconnection(d);
  ctx.sim.setDelay(200);
  const inFlight = d.identity();
  ctx.sim.sendFatal('session terminated on request');
  assert.is(await lost, 'fatal: session terminated on request');
  assert.is((await rejection(inFlight)).code, 'disconnected');
  assert.not.ok(d.connected);
  assert.is((await rejection(d.identity())).code, 'disconnected');
});

test('a dropped connection is disconnected, not a crash', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  const lost = disconnection(d);
  ctx.sim.setDelay(200);
  const inFlight = d.listBlocked('x');
  ctx.sim.dropConnections();
  assert.match(await lost, /^(closed|error: ECONNRESET)$/);
  assert.is((await rejection(inFlight)).code, 'disconnected');
});

test('a socket timeout after connect is disconnected, not an uncaught error', async (ctx) => {
  // No keepalive: node-routeros's idle timeout fires, which it re-emits as 'error'.
  const d = ctx.driver({ timeoutMs: 300, keepaliveMs: 0 });
  await d.connect();
  assert.is(await disconnection(d), 'timeout');
  assert.not.ok(d.connected);
});

test('a router that stops answering fails the call with timeout and drops the connection', async (ctx) => {
  const d = ctx.driver({ commandTimeoutMs: 150 });
  await d.connect();
  const lost = disconnection(d);
  ctx.sim.setDelay(1000);
  const err = await rejection(d.identity());
  assert.is(err.code, 'timeout');
  assert.is(await lost, 'timeout');
});

test('keepalive holds an idle connection open past the socket timeout', async (ctx) => {
  const d = ctx.driver({ timeoutMs: 300, keepaliveMs: 80 });
  await d.connect();
  let lost = false;
  d.on('disconnected', () => {
    lost = true;
  });
  await new Promise((r) => setTimeout(r, 700));
  assert.not.ok(lost);
  assert.is(await d.identity(), 'core-1');
});

test('the router goes offline and comes back on the same port: the driver reconnects', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  const lost = disconnection(d);
  await ctx.sim.setOnline(false);
  await lost;
  assert.is((await rejection(d.connect())).code, 'unreachable');
  await ctx.sim.setOnline(true);
  await d.connect();
  assert.is(await d.identity(), 'core-1');
  assert.is(ctx.sim.clientCount(), 1);
});

test('close() while the login is still pending abandons it at once', async (ctx) => {
  ctx.sim.setDelay(2000);
  const d = ctx.driver();
  const connecting = d.connect();
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  await d.close();
  assert.is((await rejection(connecting)).code, 'disconnected');
  assert.ok(Date.now() - started < 500);
  assert.not.ok(d.connected);
});

test('PPPoE: disable and enable a secret, kick its session', async (ctx) => {
  ctx.sim.menus.pppSecret.add({ name: 'user-1', password: 'x', service: 'pppoe' });
  ctx.sim.menus.pppActive.add({ name: 'user-1', address: '100.64.0.9' });
  const d = ctx.driver();
  await d.connect();
  assert.is(await d.setPppSecretDisabled('user-1', true), 'applied');
  assert.is([...ctx.sim.menus.pppSecret.rows.values()][0]!.disabled, 'true');
  assert.is(await d.kickPppActive('user-1'), 'applied');
  assert.is(ctx.sim.menus.pppActive.size, 0);
  assert.is(await d.kickPppActive('user-1'), 'missing');
  assert.is(await d.setPppSecretDisabled('user-1', false), 'applied');
  assert.is([...ctx.sim.menus.pppSecret.rows.values()][0]!.disabled, 'false');
  assert.is(await d.setPppSecretDisabled('nobody', true), 'missing');
});

test('queues: upsert adds then changes one queue, remove is idempotent', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  assert.is(await d.upsertQueue('abonent:acc-1', '10.0.0.1', '10M/50M'), 'applied');
  assert.is(await d.upsertQueue('abonent:acc-1', '10.0.0.1', '20M/100M'), 'applied');
  const queues = [...ctx.sim.menus.queueSimple.rows.values()];
  assert.is(queues.length, 1);
  assert.is(queues[0]!['max-limit'], '20000000/100000000');
  assert.is(queues[0]!.target, '10.0.0.1/32');
  assert.is(await d.removeQueue('abonent:acc-1'), 'applied');
  assert.is(await d.removeQueue('abonent:acc-1'), 'missing');
});

test('an unknown command is an error that keeps the router message', async (ctx) => {
  const d = ctx.driver();
  await d.connect();
  // Reach the private call path through a public method on a menu the sim does not know.
  const err = await rejection(
    (d as unknown as { call(words: string[]): Promise<unknown> }).call(['/interface/bonding/print']),
  );
  assert.is(err.code, 'error');
  assert.is(err.message, 'no such command prefix');
});

test('without the fixes, node-routeros 1.6.9 dies on !empty (the hazard this driver exists for)', async (ctx) => {
  const script = fileURLToPath(new URL('./testing/stock-empty-print.ts', import.meta.url));
  // Asynchronously: the simulator answers from this process's event loop.
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(ctx.sim.port)], { timeout: 8000 });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.is.not(status, 0);
  assert.match(stderr, /unknown reply: !empty/);
});

test.run();
