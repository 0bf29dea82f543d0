import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startRouterOsSim } from '../../scripts/sim/routeros.ts';
import { DeviceConnections, routerOsDriverFactory } from './connections.ts';
import { DeviceError } from './errors.ts';
import type { DeviceConfig } from './state.ts';

const test = suite('device connections');

async function setup() {
  const sim = await startRouterOsSim({ password: 'pw' });
  const config: DeviceConfig = {
    host: sim.host,
    port: sim.port,
    username: 'admin',
    secretRef: 'ok',
    driver: 'api',
    blockMode: 'address-list',
    blockList: 'blocked',
  };
  const connections = new DeviceConnections(routerOsDriverFactory, (ref) => {
    if (ref !== 'ok') throw new Error('bad ciphertext');
    return 'pw';
  });
  return { sim, config, connections };
}

test('a newer connection replaces the older one; work for the old one is refused', async () => {
  const { sim, config, connections } = await setup();
  await connections.open('d1', 1, config, () => {});
  await connections.open('d1', 2, config, () => {});
  await new Promise((r) => setTimeout(r, 20));
  assert.is(sim.clientCount(), 1);
  const old = await connections.run('d1', 1, (d) => d.identity()).catch((e: DeviceError) => e.code);
  assert.is(old, 'disconnected');
  assert.is(await connections.run('d1', 2, (d) => d.identity()), 'MikroTik');
  await connections.closeAll();
  await sim.close();
});

test('work on one router runs one operation at a time, in order', async () => {
  const { sim, config, connections } = await setup();
  await connections.open('d1', 1, config, () => {});
  const log: string[] = [];
  const op = (name: string, ms: number) =>
    connections.run('d1', 1, async (d) => {
      log.push(`${name}:start`);
      await d.identity();
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}:end`);
    });
  await Promise.all([op('reconcile', 40), op('block', 0)]);
  assert.equal(log, ['reconcile:start', 'reconcile:end', 'block:start', 'block:end']);
  // A failed operation does not block the ones after it.
  await connections.run('d1', 1, async () => Promise.reject(new Error('boom'))).catch(() => {});
  assert.is(await connections.run('d1', 1, (d) => d.identity()), 'MikroTik');
  await connections.closeAll();
  await sim.close();
});

test('unreadable credentials are auth_failed; a dropped link reports once', async () => {
  const { sim, config, connections } = await setup();
  const err = await connections.open('d1', 1, { ...config, secretRef: 'garbage' }, () => {}).catch((e) => e);
  assert.instance(err, DeviceError);
  assert.is(err.code, 'auth_failed');
  const reasons: string[] = [];
  await connections.open('d1', 2, config, (reason) => reasons.push(reason));
  sim.dropConnections();
  await new Promise((r) => setTimeout(r, 50));
  assert.is(reasons.length, 1);
  assert.not.ok(connections.isOpen('d1', 2));
  await connections.closeAll();
  await sim.close();
});

test.run();
