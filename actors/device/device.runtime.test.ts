import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type RouterOsSim, startRouterOsSim } from '../../scripts/sim/routeros.ts';
import { openSqliteJournal } from '../journal/sqlite.ts';
import type { Journal } from '../journal/types.ts';
import { ActorSystem } from '../runtime/system.ts';
import { DeviceConnections, routerOsDriverFactory } from './connections.ts';
import { createDeviceKind, type DeviceKind } from './device.ts';
import type { DeviceConfig, DeviceState } from './state.ts';

// The device kind inside the real actor runtime (SQLite journal, its timers, recovery),
// against the RouterOS simulator: what survives a restart is what the journal holds.

const faults: unknown[] = [];
process.on('uncaughtException', (err) => faults.push(err));
process.on('unhandledRejection', (err) => faults.push(err));

const log = pino({ level: 'silent' });

interface Node {
  journal: Journal;
  system: ActorSystem;
  connections: DeviceConnections;
  kind: DeviceKind;
}

async function boot(file: string): Promise<Node> {
  const journal = await openSqliteJournal({ file });
  const connections = new DeviceConnections(routerOsDriverFactory, () => 'router-pw');
  const kind = createDeviceKind({
    connections,
    random: () => 0.5,
    policies: { connect: { initialMs: 40, maxMs: 200, factor: 2 } },
  });
  const system = new ActorSystem({ journal, log }).register(kind);
  await system.start();
  return { journal, system, connections, kind };
}

async function shutdown(n: Node): Promise<void> {
  await n.system.stop();
  await n.connections.closeAll();
  await n.journal.close();
}

async function until(n: Node, done: (s: DeviceState) => boolean, ms = 4000): Promise<DeviceState> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await n.system.read(n.kind, 'edge-1', (x) => x);
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out in ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settled = (s: DeviceState) => s.status === 'online' && Object.keys(s.intents).length === 0;

const test = suite('device actor in the runtime');

test('offline intents survive a restart and are applied once; a restart reconnects by itself', async () => {
  faults.length = 0;
  const dir = mkdtempSync(join(tmpdir(), 'abonent-device-'));
  const file = join(dir, 'journal.sqlite');
  const sim: RouterOsSim = await startRouterOsSim({ username: 'abonent', password: 'router-pw' });
  const config: DeviceConfig = {
    host: sim.host,
    port: sim.port,
    username: 'abonent',
    secretRef: 'ref',
    driver: 'api',
    blockMode: 'address-list',
    blockList: 'abonent-blocked',
  };
  let n = await boot(file);
  try {
    await n.system.ask(n.kind, 'edge-1', { type: 'Configure', config });
    await until(n, settled);

    await sim.setOnline(false);
    await until(n, (s) => s.status === 'offline');
    const reply = await n.system.ask(n.kind, 'edge-1', { type: 'Block', accountId: 'acc-1', ip: '10.1.0.1' });
    assert.is(reply.outcome, 'queued');

    // Abonent restarts while the router is away: the intent is in the journal.
    await shutdown(n);
    n = await boot(file);
    const recovered = await until(n, (s) => s.config !== null);
    assert.equal(Object.keys(recovered.intents), ['block:acc-1']);

    sim.resetCounters();
    await sim.setOnline(true);
    await until(n, settled);
    assert.is(sim.counters.commands['/ip/firewall/address-list/add'], 1);
    assert.equal(
      [...sim.menus.addressList.rows.values()].map((r) => `${r.address} ${r.comment}`),
      ['10.1.0.1 abonent:acc-1'],
    );

    // Another restart with the router up: recovery reconnects and reconciles, adding nothing.
    await shutdown(n);
    const restartedAt = Date.now();
    n = await boot(file);
    const back = await until(n, (s) => s.status === 'online' && (s.reconcile.lastAt ?? 0) >= restartedAt);
    assert.equal(back.reconcile.last, { added: 0, removed: 0, relabeled: 0 });
    assert.is(sim.menus.addressList.size, 1);

    // Passivated and woken again, the actor finds its connection still open and keeps it.
    const logins = sim.counters.logins;
    assert.ok(n.system.passivate('device', 'edge-1'));
    const woken = await until(n, (s) => s.status === 'online');
    await new Promise((r) => setTimeout(r, 50));
    assert.is(sim.counters.logins, logins);
    assert.is(woken.link, back.link);
  } finally {
    await shutdown(n);
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await new Promise((r) => setImmediate(r));
  assert.equal(faults, []);
});

test.run();
