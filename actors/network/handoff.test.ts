import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type RouterOsSim, startRouterOsSim } from '../../scripts/sim/routeros.ts';
import { secretBox } from '../../server/secrets.ts';
import { accountKind } from '../account/account.ts';
import { openSqliteJournal } from '../journal/sqlite.ts';
import type { Journal } from '../journal/types.ts';
import { systemCause } from '../runtime/kind.ts';
import { ActorSystem } from '../runtime/system.ts';
import { catalogKind } from '../tariff/catalog.ts';
import { NetworkHandOff } from './handoff.ts';
import { createNetwork, type Network } from './network.ts';
import { passwordContext, REGISTRY_ID, registryKind } from './registry.ts';

// The hand-off from accounts to routers is durable: an account's block that committed while
// no hand-off ran (the process died right after the commit) reaches the router after the
// restart, from the journal; handing everything off again from the very beginning changes
// nothing on the router or in its actor.

const log = pino({ level: 'silent' });
const box = secretBox(randomBytes(32));

interface Node {
  journal: Journal;
  system: ActorSystem;
  network: Network;
  background?: { stop(): Promise<void> };
}

async function boot(file: string): Promise<Node> {
  const journal = await openSqliteJournal({ file });
  const system = new ActorSystem({ journal, log });
  const network = createNetwork({
    system,
    journal,
    log,
    registry: new Registry(),
    secrets: box,
    checkIntervalMs: 60_000,
  });
  system.register(accountKind).register(catalogKind);
  for (const kind of network.kinds) system.register(kind);
  await system.start();
  return { journal, system, network };
}

async function shutdown(n: Node): Promise<void> {
  await n.background?.stop();
  await n.system.stop();
  await n.network.connections.closeAll();
  await n.journal.close();
}

const entries = (sim: RouterOsSim) =>
  [...sim.menus.addressList.rows.values()].map((r) => `${r.address} ${r.comment}`).sort();

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 4000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const test = suite('network hand-off');

test('a block committed just before the process died reaches the router after the restart; a replay changes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'abonent-handoff-'));
  const file = join(dir, 'journal.sqlite');
  const sim = await startRouterOsSim({ username: 'abonent', password: 'pw' });
  let n = await boot(file);
  try {
    const settings = {
      host: sim.host,
      port: sim.port,
      username: 'abonent',
      tls: false,
      driver: 'api' as const,
      blockMode: 'address-list' as const,
      blockList: 'abonent-blocked',
    };
    await n.system.ask(registryKind, REGISTRY_ID, {
      type: 'AddDevice',
      deviceId: 'D1',
      name: 'Edge',
      settings,
      sealedPassword: box.seal('pw', passwordContext('D1')),
    });
    await n.system.ask(accountKind, '100001', { type: 'Open' });
    n.background = await n.network.start();
    await n.system.ask(n.network.deviceKind, 'D1', {
      type: 'AddService',
      serviceId: 'SV1',
      accountId: '100001',
      ip: '10.9.0.1',
    });
    await n.network.handoff!.idle();
    await until('online', () => n.network.directory.state('D1')?.status === 'online');

    // The hand-off is gone (the process is dying), then the account's block commits.
    await n.background.stop();
    n.background = undefined;
    await n.system.ask(accountKind, '100001', { type: 'Block', reason: 'fraud' }, { cause: systemCause });
    await shutdown(n);
    assert.equal(entries(sim), [], 'the router never heard of it');

    n = await boot(file);
    n.background = await n.network.start();
    await until('blocked on the router', () => entries(sim).length === 1);
    assert.equal(entries(sim), ['10.9.0.1 abonent:100001']);
    await until('settled', () => Object.keys(n.network.directory.state('D1')?.intents ?? {}).length === 0);

    // Everything handed off again, from position 0: old news, which the router ignores.
    const device = await n.journal.events('device:D1');
    sim.resetCounters();
    const replay = new NetworkHandOff({
      system: n.system,
      journal: n.journal,
      directory: n.network.directory,
      deviceKind: n.network.deviceKind,
      log,
      checkpointId: 'replay',
      pageSize: 3,
    });
    await replay.start();
    await replay.stop();
    assert.is((await n.journal.events('device:D1')).length, device.length, 'no new router event');
    assert.is(sim.counters.commands['/ip/firewall/address-list/add'] ?? 0, 0, 'nothing sent to the router');
    assert.equal(entries(sim), ['10.9.0.1 abonent:100001']);
  } finally {
    await shutdown(n);
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
