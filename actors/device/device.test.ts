import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRejected, systemCause } from '../runtime/kind.ts';
import { backoffDelay, defaultPolicies } from './backoff.ts';
import { decideDevice, deviceTimers, evolveDevice } from './decide.ts';
import {
  type DeviceCommand,
  type DeviceConfig,
  type DeviceEvent,
  type DeviceReply,
  type DeviceState,
  initialDeviceState,
} from './state.ts';

// The device actor's rules without a router or a runtime: decide, evolve and timers.

const config: DeviceConfig = {
  host: '192.0.2.1',
  port: 8728,
  username: 'abonent',
  secretRef: 'enc:v1:xyz',
  driver: 'api',
  blockMode: 'address-list',
  blockList: 'abonent-blocked',
};
const resource = {
  uptime: '1d',
  version: '7.18.2 (stable)',
  boardName: 'hAP',
  cpuLoad: 1,
  freeMemory: 1,
  totalMemory: 2,
};
const T0 = Date.UTC(2026, 0, 1);

class Device {
  state: DeviceState = initialDeviceState('d1');
  now = T0;
  journal: DeviceEvent[] = [];
  constructor(private random = () => 0.5) {}

  /** Decides and folds; returns the events and reply, or throws the rejection. */
  send(command: DeviceCommand): { events: DeviceEvent[]; reply: DeviceReply } {
    const d = decideDevice(
      this.state,
      command,
      { id: 'd1', now: this.now, cause: systemCause },
      {
        policies: defaultPolicies,
        random: this.random,
      },
    );
    if (isRejected(d)) throw d.reject;
    for (const e of d.events) this.state = evolveDevice(this.state, e);
    this.journal.push(...d.events);
    return d;
  }

  types(command: DeviceCommand): string[] {
    return this.send(command).events.map((e) => e.type);
  }

  online(): void {
    if (!this.state.config) this.send({ type: 'Configure', config });
    else this.send({ type: 'Connect', force: true });
    this.send({ type: 'ConnectSucceeded', link: this.state.link, identity: 'core-1', resource });
  }
}

const test = suite('device decide/evolve');

test('configure starts connection number 1; success is online with a reconcile', () => {
  const d = new Device();
  assert.equal(d.types({ type: 'Configure', config }), ['DeviceConfigured', 'ConnectStarted']);
  assert.is(d.state.link, 1);
  assert.ok(d.state.connecting);
  assert.equal(d.types({ type: 'ConnectSucceeded', link: 1, identity: 'core-1', resource }), [
    'DeviceOnline',
    'ReconcileStarted',
  ]);
  assert.is(d.state.status, 'online');
  assert.is(d.state.identity, 'core-1');
  assert.is(d.state.version, '7.18.2 (stable)');
  assert.is(d.state.lastSeenAt, T0);
});

test('invalid config and commands before configuration are refused', () => {
  const d = new Device();
  assert.throws(() => d.send({ type: 'Configure', config: { ...config, port: 0 } }), /port/);
  assert.throws(() => d.send({ type: 'Block', accountId: 'a1', ip: '10.0.0.1' }), /configure/);
  d.send({ type: 'Configure', config });
  assert.throws(() => d.send({ type: 'Block', accountId: 'a1', ip: '10.0.0.999' }), /IPv4/);
  assert.throws(() => d.send({ type: 'Block', accountId: 'a1', ppp: 'u1' }), /give the ip/);
  assert.equal(d.types({ type: 'Configure', config }), [], 'the same config again changes nothing');
});

test('router offline: a block is accepted at once and kept as an intent, without retry timers', () => {
  const d = new Device();
  d.send({ type: 'Configure', config });
  d.send({ type: 'ConnectFailed', link: 1, authFailed: false, message: 'ECONNREFUSED' });
  assert.is(d.state.status, 'offline');
  const r = d.send({ type: 'Block', accountId: 'a1', ip: '10.0.0.1' });
  assert.is(r.reply.outcome, 'queued');
  assert.equal(d.state.blocked, { a1: { ip: '10.0.0.1' } });
  assert.equal(Object.keys(d.state.intents), ['block:a1']);
  // Only the reconnect is scheduled; the intent waits for it.
  assert.equal(
    deviceTimers(d.state).map((t) => t.command),
    [{ type: 'Connect' }],
  );
  assert.equal(d.types({ type: 'Block', accountId: 'a1', ip: '10.0.0.1' }), [], 'a repeat changes nothing');
});

test('applied once on reconnect: the reconcile covers the intents made offline, later ones stay', () => {
  const d = new Device();
  d.send({ type: 'Configure', config });
  d.send({ type: 'ConnectFailed', link: 1, authFailed: false, message: 'down' });
  d.send({ type: 'Block', accountId: 'a1', ip: '10.0.0.1' });
  d.send({ type: 'Block', accountId: 'a2', ip: '10.0.0.2' });
  d.now = d.state.connect.nextAt!;
  assert.equal(d.types({ type: 'Connect' }), ['ConnectStarted']);
  assert.equal(deviceTimers(d.state), [], 'no timer while the attempt runs');
  const { events } = d.send({ type: 'ConnectSucceeded', link: 2, identity: 'core-1', resource });
  const started = events[1] as Extract<DeviceEvent, { type: 'ReconcileStarted' }>;
  assert.is(started.upToSeq, 2);
  // A block arrives while the reconcile runs: it is applied on its own, not by this reconcile.
  assert.is(d.send({ type: 'Block', accountId: 'a3', ip: '10.0.0.3' }).reply.outcome, 'applying');
  d.send({ type: 'ReconcileDone', link: 2, upToSeq: 2, added: 2, removed: 0, relabeled: 0 });
  assert.equal(Object.keys(d.state.intents), ['block:a3']);
  assert.equal(d.state.reconcile.last, { added: 2, removed: 0, relabeled: 0 });
  d.send({ type: 'IntentApplied', key: 'block:a3', seq: 3, outcome: 'applied' });
  assert.equal(d.state.intents, {});
});

test('outcomes of an older connection or an older intent change nothing', () => {
  const d = new Device();
  d.online();
  d.send({ type: 'Connect', force: true });
  assert.is(d.state.link, 2);
  assert.is(d.state.status, 'offline', 'a forced reconnect is not online until it succeeds');
  assert.equal(d.types({ type: 'ConnectSucceeded', link: 1, identity: 'x', resource }), []);
  assert.equal(d.types({ type: 'Disconnected', link: 1, reason: 'closed' }), []);
  d.send({ type: 'ConnectSucceeded', link: 2, identity: 'core-1', resource });
  d.send({ type: 'Block', accountId: 'a1', ip: '10.0.0.1' });
  d.send({ type: 'Unblock', accountId: 'a1' });
  assert.equal(d.types({ type: 'IntentApplied', key: 'block:a1', seq: 1, outcome: 'applied' }), []);
  assert.is(d.state.intents['block:a1']?.seq, 2);
});

test('auth failure: auth_failed status and a long, capped backoff, never a storm', () => {
  const d = new Device(() => 0.999);
  d.send({ type: 'Configure', config });
  const delays: number[] = [];
  for (let i = 0; i < 12; i++) {
    d.send({
      type: 'ConnectFailed',
      link: d.state.link,
      authFailed: true,
      message: 'invalid user name or password',
    });
    assert.is(d.state.status, 'auth_failed');
    delays.push(d.state.connect.nextAt! - d.now);
    d.now = d.state.connect.nextAt!;
    d.send({ type: 'Connect' });
  }
  const { initialMs, maxMs } = defaultPolicies.authFailed;
  assert.ok(delays[0]! >= initialMs / 2, `first wait ${delays[0]}`);
  for (let i = 1; i < delays.length; i++) assert.ok(delays[i]! >= delays[i - 1]!, 'never shorter');
  assert.ok(Math.max(...delays) <= maxMs, 'capped');
  assert.ok(delays.at(-1)! > maxMs * 0.99, 'reaches the cap');
});

test('connect backoff grows with attempts, is capped and jittered', () => {
  const p = defaultPolicies.connect;
  assert.is(
    backoffDelay(1, p, () => 0),
    p.initialMs / 2,
  );
  assert.is(
    backoffDelay(2, p, () => 0),
    p.initialMs,
  );
  assert.is(
    backoffDelay(30, p, () => 0),
    p.maxMs / 2,
  );
  assert.ok(backoffDelay(30, p, () => 0.999999) <= p.maxMs);
  const spread = new Set(Array.from({ length: 20 }, (_, i) => backoffDelay(4, p, () => i / 20)));
  assert.is(spread.size, 20, 'jitter spreads retries');
});

test('a router that drops every session right after login is not hammered', () => {
  const d = new Device(() => 0);
  d.send({ type: 'Configure', config });
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    d.send({ type: 'ConnectSucceeded', link: d.state.link, identity: 'x', resource });
    d.now += 1000;
    d.send({ type: 'Disconnected', link: d.state.link, reason: 'closed' });
    waits.push(d.state.connect.nextAt! - d.now);
    d.now = d.state.connect.nextAt!;
    d.send({ type: 'Connect' });
  }
  assert.ok(waits.at(-1)! > waits[0]! * 8, `backoff grows: ${waits.join(', ')}`);
  // A session that lasted resets it.
  d.send({ type: 'ConnectSucceeded', link: d.state.link, identity: 'x', resource });
  d.now += defaultPolicies.stableMs;
  d.send({ type: 'Disconnected', link: d.state.link, reason: 'closed' });
  assert.is(
    d.state.connect.nextAt! - d.now,
    backoffDelay(1, defaultPolicies.connect, () => 0),
  );
});

test('a failed apply is retried with backoff while online; a lost connection waits for the reconnect', () => {
  const d = new Device();
  d.online();
  d.send({ type: 'Block', accountId: 'a1', ip: '10.0.0.1' });
  assert.equal(
    d.types({ type: 'ApplyFailed', key: 'block:a1', seq: 1, message: 'disconnected', lost: true }),
    [],
  );
  d.send({ type: 'ApplyFailed', key: 'block:a1', seq: 1, message: 'router busy', lost: false });
  const intent = d.state.intents['block:a1']!;
  assert.is(intent.attempt, 1);
  assert.is(intent.lastError, 'router busy');
  assert.equal(deviceTimers(d.state), [
    { at: intent.nextAt!, command: { type: 'RetryIntent', key: 'block:a1' } },
  ]);
  assert.equal(d.types({ type: 'RetryIntent', key: 'block:a1' }), [], 'not due yet');
  d.now = intent.nextAt!;
  assert.equal(d.types({ type: 'RetryIntent', key: 'block:a1' }), ['IntentStarted']);
  assert.equal(deviceTimers(d.state), []);
  // Going offline parks it; coming back replays it (effects) with no stale timer.
  d.send({ type: 'ApplyFailed', key: 'block:a1', seq: 1, message: 'router busy', lost: false });
  d.send({ type: 'Disconnected', link: d.state.link, reason: 'timeout' });
  assert.is(d.state.intents['block:a1']!.nextAt, null);
});

test('unblock of a block never confirmed still lifts it; moving a block lifts the old address', () => {
  const d = new Device();
  d.online();
  d.send({ type: 'Block', accountId: 'a1', ip: '10.0.0.1' });
  d.send({ type: 'IntentApplied', key: 'block:a1', seq: 1, outcome: 'applied' });
  d.send({ type: 'Block', accountId: 'a1', ip: '10.0.0.9' });
  const moved = d.state.intents['block:a1']!;
  assert.equal(moved.kind === 'block' && moved.lift, { ip: '10.0.0.1' });
  d.send({ type: 'Unblock', accountId: 'a1' });
  const lifted = d.state.intents['block:a1']!;
  assert.ok(lifted.kind === 'block' && !lifted.block);
  assert.equal(lifted.kind === 'block' && [lifted.target, lifted.lift], [
    { ip: '10.0.0.9' },
    { ip: '10.0.0.1' },
  ]);
  assert.equal(d.state.blocked, {});
  assert.equal(d.types({ type: 'Unblock', accountId: 'a1' }), [], 'unblocking twice changes nothing');
});

test('speed: set, unchanged, removed', () => {
  const d = new Device();
  d.online();
  assert.throws(
    () => d.send({ type: 'SetSpeed', accountId: 'a1', ip: '10.0.0.1', maxLimit: 'fast' }),
    /upload/,
  );
  assert.equal(d.types({ type: 'SetSpeed', accountId: 'a1', ip: '10.0.0.1', maxLimit: '10M/50M' }), [
    'SpeedRequested',
  ]);
  d.send({ type: 'IntentApplied', key: 'speed:a1', seq: 1, outcome: 'applied' });
  assert.equal(d.types({ type: 'SetSpeed', accountId: 'a1', ip: '10.0.0.1', maxLimit: '10M/50M' }), []);
  d.send({ type: 'SetSpeed', accountId: 'a1', ip: '10.0.0.1', maxLimit: null });
  assert.equal(d.state.speeds, {});
});

test('replaying the journal gives the same state', () => {
  const d = new Device();
  d.online();
  d.send({ type: 'Block', accountId: 'a1', ip: '10.0.0.1' });
  d.send({ type: 'Disconnected', link: d.state.link, reason: 'closed' });
  d.send({ type: 'Unblock', accountId: 'a1' });
  const replayed = d.journal.reduce(evolveDevice, initialDeviceState('d1'));
  assert.equal(replayed, d.state);
  assert.equal(JSON.parse(JSON.stringify(d.state)), d.state, 'plain JSON');
});

test.run();
