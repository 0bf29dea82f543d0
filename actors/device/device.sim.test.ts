import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type RouterOsSim, startRouterOsSim } from '../../scripts/sim/routeros.ts';
import { isRejected, systemCause } from '../runtime/kind.ts';
import { DeviceConnections, routerOsDriverFactory } from './connections.ts';
import { createDeviceKind, type DeviceKind } from './device.ts';
import type { DeviceCommand, DeviceConfig, DeviceEvent, DeviceReply, DeviceState } from './state.ts';

// The device actor end to end against the RouterOS simulator: its decide/evolve/effects
// driven by a minimal stand-in for the runtime (one mailbox, timers fired when due).

const faults: unknown[] = [];
process.on('uncaughtException', (err) => faults.push(err));
process.on('unhandledRejection', (err) => faults.push(err));

const quiet = { info() {}, warn() {}, error() {} };

class Harness {
  state: DeviceState;
  readonly journal: DeviceEvent[] = [];
  private inbox: DeviceCommand[] = [];
  readonly kind: DeviceKind;

  constructor(readonly connections: DeviceConnections) {
    this.kind = createDeviceKind({
      connections,
      random: () => 0.5,
      policies: {
        connect: { initialMs: 40, maxMs: 200, factor: 2 },
        authFailed: { initialMs: 400, maxMs: 2000, factor: 2 },
        apply: { initialMs: 40, maxMs: 200, factor: 2 },
      },
    });
    this.state = this.kind.initial('edge-1');
  }

  /** One command through decide → evolve → effects, as the runtime does it. */
  send(command: DeviceCommand): DeviceReply {
    const d = this.kind.decide(this.state, command, { id: 'edge-1', now: Date.now(), cause: systemCause });
    if (isRejected(d)) throw d.reject;
    for (const e of d.events) this.state = this.kind.evolve(this.state, e);
    this.journal.push(...d.events);
    if (d.events.length > 0) {
      this.kind.effects?.(this.state, d.events, {
        id: 'edge-1',
        now: Date.now(),
        tellSelf: (c) => this.inbox.push(c),
        log: quiet,
      });
    }
    return d.reply;
  }

  /** Delivers self-sent commands and due timers until `done` holds. */
  async until(done: (s: DeviceState) => boolean, ms = 4000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done(this.state)) {
      if (Date.now() > deadline) throw new Error(`timed out in state ${JSON.stringify(this.state)}`);
      const next = this.inbox.shift();
      if (next) {
        this.send(next);
        continue;
      }
      for (const t of this.kind.timers?.(this.state) ?? []) if (t.at <= Date.now()) this.send(t.command);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Until nothing is pending: online, no intents, no reconcile scheduled. */
  settled(): Promise<void> {
    return this.until(
      (s) => s.status === 'online' && Object.keys(s.intents).length === 0 && this.inbox.length === 0,
    );
  }
}

interface Ctx {
  sim: RouterOsSim;
  h: Harness;
  config: DeviceConfig;
}

const test = suite<Ctx>('device actor against the RouterOS sim');

test.before.each(async (ctx) => {
  faults.length = 0;
  ctx.sim = await startRouterOsSim({
    username: 'abonent',
    password: 'router-pw',
    identity: 'edge-1',
    rest: true,
  });
  ctx.config = {
    host: ctx.sim.host,
    port: ctx.sim.port,
    username: 'abonent',
    secretRef: 'ref:edge-1',
    driver: 'api',
    blockMode: 'address-list',
    blockList: 'abonent-blocked',
  };
  const secrets: Record<string, string> = { 'ref:edge-1': 'router-pw' };
  ctx.h = new Harness(new DeviceConnections(routerOsDriverFactory, (ref) => secrets[ref] ?? ''));
});

test.after.each(async (ctx) => {
  await ctx.h.connections.closeAll();
  await ctx.sim.close();
  await new Promise((r) => setImmediate(r));
  assert.equal(faults, [], 'no uncaught exception or unhandled rejection');
});

const listed = (sim: RouterOsSim) =>
  [...sim.menus.addressList.rows.values()].map((r) => `${r.address} ${r.comment ?? ''}`).sort();

test('configure connects, reads identity; block and unblock reach the router with our comment', async ({
  sim,
  h,
  config,
}) => {
  h.send({ type: 'Configure', config });
  await h.settled();
  assert.is(h.state.identity, 'edge-1');
  assert.is(h.state.version, '7.18.2 (stable)');
  assert.is(h.send({ type: 'Block', accountId: 'acc-1', ip: '10.1.0.1' }).outcome, 'applying');
  await h.settled();
  assert.equal(listed(sim), ['10.1.0.1 abonent:acc-1']);
  h.send({ type: 'Unblock', accountId: 'acc-1' });
  await h.settled();
  assert.equal(listed(sim), []);
});

test('router offline: commands are accepted at once and applied exactly once when it is back', async ({
  sim,
  h,
  config,
}) => {
  h.send({ type: 'Configure', config });
  await h.settled();
  await sim.setOnline(false);
  await h.until((s) => s.status === 'offline');
  assert.is(h.send({ type: 'Block', accountId: 'acc-1', ip: '10.1.0.1' }).outcome, 'queued');
  assert.is(h.send({ type: 'Block', accountId: 'acc-2', ip: '10.1.0.2' }).outcome, 'queued');
  assert.is(h.send({ type: 'Block', accountId: 'acc-1', ip: '10.1.0.1' }).outcome, 'unchanged');
  // Reconnect attempts fail meanwhile, with backoff.
  await h.until((s) => s.connect.attempt >= 2);
  sim.resetCounters();
  await sim.setOnline(true);
  await h.settled();
  assert.equal(listed(sim), ['10.1.0.1 abonent:acc-1', '10.1.0.2 abonent:acc-2']);
  assert.is(sim.counters.commands['/ip/firewall/address-list/add'], 2);
  assert.is(sim.counters.connections, 1);
});

test('a router that lost its list is reconciled: ours re-added, strays removed, the operator’s kept', async ({
  sim,
  h,
  config,
}) => {
  h.send({ type: 'Configure', config });
  await h.settled();
  h.send({ type: 'Block', accountId: 'acc-1', ip: '10.1.0.1' });
  h.send({ type: 'Block', accountId: 'acc-2', ip: '10.1.0.2' });
  await h.settled();
  sim.loseState();
  sim.menus.addressList.add({ list: 'abonent-blocked', address: '10.9.9.9', comment: 'blocked by hand' });
  sim.menus.addressList.add({ list: 'abonent-blocked', address: '10.1.0.7', comment: 'abonent:acc-gone' });
  sim.dropConnections();
  await h.until((s) => s.status === 'offline');
  await h.until((s) => s.status === 'online' && s.reconcile.lastAt !== null && s.reconcile.last?.added === 2);
  assert.equal(h.state.reconcile.last, { added: 2, removed: 1, relabeled: 0 });
  assert.equal(listed(sim), ['10.1.0.1 abonent:acc-1', '10.1.0.2 abonent:acc-2', '10.9.9.9 blocked by hand']);
});

test('wrong credentials: auth_failed and slow retries; fixed credentials connect', async ({
  sim,
  h,
  config,
}) => {
  sim.refuseLogins(true);
  h.send({ type: 'Configure', config });
  await h.until((s) => s.status === 'auth_failed');
  const wait = h.state.connect.nextAt! - Date.now();
  assert.ok(wait >= 150, `waits before retrying (${wait} ms)`);
  assert.is(sim.counters.failedLogins, 1);
  sim.refuseLogins(false);
  await h.settled();
  assert.is(h.state.status, 'online');
  assert.is(sim.counters.failedLogins, 1, 'no retry storm');
});

test('PPPoE mode: block disables the secret and ends the session; an unblock made offline is replayed', async ({
  sim,
  h,
  config,
}) => {
  sim.menus.pppSecret.add({ name: 'user-1', password: 'x', service: 'pppoe' });
  sim.menus.pppActive.add({ name: 'user-1', address: '100.64.0.1' });
  h.send({ type: 'Configure', config: { ...config, blockMode: 'pppoe' } });
  await h.settled();
  h.send({ type: 'Block', accountId: 'acc-1', ppp: 'user-1' });
  await h.settled();
  const secret = () => [...sim.menus.pppSecret.rows.values()][0]!;
  assert.is(secret().disabled, 'true');
  assert.is(sim.menus.pppActive.size, 0);
  await sim.setOnline(false);
  await h.until((s) => s.status === 'offline');
  h.send({ type: 'Unblock', accountId: 'acc-1' });
  await sim.setOnline(true);
  await h.settled();
  assert.is(secret().disabled, 'false');
});

test('speed: a simple queue per account, changed in place', async ({ sim, h, config }) => {
  h.send({ type: 'Configure', config });
  await h.settled();
  h.send({ type: 'SetSpeed', accountId: 'acc-1', ip: '10.1.0.1', maxLimit: '10M/50M' });
  await h.settled();
  h.send({ type: 'SetSpeed', accountId: 'acc-1', ip: '10.1.0.1', maxLimit: '20M/100M' });
  await h.settled();
  const queues = [...sim.menus.queueSimple.rows.values()];
  assert.is(queues.length, 1);
  assert.equal([queues[0]!.name, queues[0]!['max-limit']], ['abonent:acc-1', '20000000/100000000']);
});

test('over the REST API: the same actor, the same outcomes, reconnect included', async ({
  sim,
  h,
  config,
}) => {
  h.send({ type: 'Configure', config: { ...config, driver: 'rest', port: sim.restPort! } });
  await h.settled();
  h.send({ type: 'Block', accountId: 'acc-1', ip: '10.1.0.1' });
  await h.settled();
  assert.equal(listed(sim), ['10.1.0.1 abonent:acc-1']);
  sim.loseState();
  h.send({ type: 'Connect', force: true });
  await h.until((s) => s.status === 'online' && s.reconcile.last?.added === 1);
  assert.equal(listed(sim), ['10.1.0.1 abonent:acc-1']);
});

test('a !fatal from the router is a reconnect, not a crash', async ({ sim, h, config }) => {
  h.send({ type: 'Configure', config });
  await h.settled();
  const link = h.state.link;
  sim.sendFatal('session terminated on request');
  await h.until((s) => s.link > link && s.status === 'online');
  const offline = h.journal.find((e) => e.type === 'DeviceOffline');
  assert.is(offline?.type === 'DeviceOffline' && offline.reason, 'fatal: session terminated on request');
});

test.run();
