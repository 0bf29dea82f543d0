import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiError } from '../../protocol/errors.ts';
import { isRejected, systemCause } from '../runtime/kind.ts';
import { defaultPolicies } from './backoff.ts';
import { decideDevice, evolveDevice } from './decide.ts';
import {
  type AccountUpdate,
  type DeviceCommand,
  type DeviceConfig,
  type DeviceEvent,
  type DeviceState,
  desiredAddresses,
  initialDeviceState,
} from './state.ts';

// Services on a router and the account news that blocks, unblocks and limits them: pure
// decide/evolve, no router.

const config: DeviceConfig = {
  host: '192.0.2.1',
  port: 8728,
  username: 'abonent',
  secretRef: 'v1.x',
  driver: 'api',
  blockMode: 'address-list',
  blockList: 'abonent-blocked',
};
const resource = {
  uptime: '1d',
  version: '7.18.2',
  boardName: 'hAP',
  cpuLoad: 1,
  freeMemory: 1,
  totalMemory: 2,
};

class Router {
  state: DeviceState = initialDeviceState('d1');
  journal: DeviceEvent[] = [];

  send(command: DeviceCommand) {
    const d = decideDevice(
      this.state,
      command,
      { id: 'd1', now: Date.UTC(2026, 0, 1), cause: systemCause },
      { policies: defaultPolicies, random: () => 0.5 },
    );
    if (isRejected(d)) throw d.reject;
    for (const e of d.events) this.state = evolveDevice(this.state, e);
    this.journal.push(...d.events);
    return d;
  }

  types(command: DeviceCommand): string[] {
    return this.send(command).events.map((e) => e.type);
  }

  refusal(command: DeviceCommand): string {
    try {
      this.send(command);
    } catch (err) {
      return (err as ApiError).code;
    }
    return 'accepted';
  }

  update(...updates: AccountUpdate[]) {
    return this.send({ type: 'UpdateAccounts', updates });
  }

  online(cfg: DeviceConfig = config): this {
    this.send({ type: 'Configure', config: cfg });
    this.send({ type: 'ConnectSucceeded', link: this.state.link, identity: 'edge', resource });
    return this;
  }

  /** The router confirms every pending change. */
  confirmAll(): void {
    for (const [key, intent] of Object.entries(this.state.intents)) {
      this.send({ type: 'IntentApplied', key, seq: intent.seq, outcome: 'applied' });
    }
  }
}

const blocked = (u: Partial<AccountUpdate> & { accountId: string; version: number }): AccountUpdate =>
  ({
    kind: 'block',
    reason: 'insufficient_funds',
    blocked: true,
    ...u,
  }) as AccountUpdate;

const test = suite('device services');

test('a service is checked before it is kept: router configured, address, MAC, login', () => {
  const r = new Router();
  const add = (extra: Partial<Extract<DeviceCommand, { type: 'AddService' }>> = {}): DeviceCommand => ({
    type: 'AddService',
    serviceId: 'SV1',
    accountId: '100001',
    ip: '10.0.0.1',
    ...extra,
  });
  assert.is(r.refusal(add()), 'device_not_configured');
  r.online();
  assert.is(r.refusal(add({ ip: '10.0.0.300' })), 'invalid_ip');
  assert.is(r.refusal(add({ mac: 'zz:00' })), 'invalid_mac');
  assert.is(r.refusal(add({ ppp: 'two words' })), 'invalid_pppoe_login');
  assert.is(r.refusal(add({ serviceId: '' })), 'invalid_service_id');
  assert.equal(
    r.journal.filter((e) => e.type === 'ServiceAdded'),
    [],
    'nothing kept for a refusal',
  );
  assert.equal(r.types(add({ mac: 'aa-bb-cc-dd-ee-0f' })), ['ServiceAdded']);
  assert.equal(r.state.services.SV1, { accountId: '100001', ip: '10.0.0.1', mac: 'AA:BB:CC:DD:EE:0F' });
  assert.equal(r.types(add({ mac: 'AA:BB:CC:DD:EE:0F' })), [], 'the same service again changes nothing');
  assert.is(r.refusal(add({ ip: '10.0.0.2' })), 'service_exists');
});

test('one address per router: a second service with it is refused, with whose it is', () => {
  const r = new Router().online();
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1' });
  try {
    r.send({ type: 'AddService', serviceId: 'SV2', accountId: '100002', ip: '10.0.0.1' });
    assert.unreachable();
  } catch (err) {
    assert.is((err as ApiError).code, 'ip_taken');
    assert.equal((err as ApiError).details, { serviceId: 'SV1', accountId: '100001' });
  }
  r.send({ type: 'AddService', serviceId: 'SV2', accountId: '100002', ip: '10.0.0.2' });
  assert.is(
    r.refusal({ type: 'ChangeService', serviceId: 'SV2', ip: '10.0.0.1' }),
    'ip_taken',
    'a change cannot take it either',
  );
});

test('PPPoE routers need the login, and a login is used once', () => {
  const r = new Router().online({ ...config, blockMode: 'pppoe' });
  assert.is(
    r.refusal({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1' }),
    'pppoe_login_required',
  );
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1', ppp: 'user1' });
  assert.is(
    r.refusal({ type: 'AddService', serviceId: 'SV2', accountId: '100002', ip: '10.0.0.2', ppp: 'user1' }),
    'pppoe_login_taken',
  );
  r.update(blocked({ accountId: '100001', version: 3 }));
  assert.equal(r.state.blocked, { SV1: { ppp: 'user1' } });
});

test('an account blocked: every one of its services here is blocked, with the account in the comment', () => {
  const r = new Router().online();
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1' });
  r.send({ type: 'AddService', serviceId: 'SV2', accountId: '100001', ip: '10.0.0.2' });
  r.send({ type: 'AddService', serviceId: 'SV3', accountId: '100002', ip: '10.0.0.3' });
  const { events, reply } = r.update(blocked({ accountId: '100001', version: 7 }));
  assert.is(reply.outcome, 'applying');
  // One event carries the lot, so a storm folds with one copy of the router's maps.
  const [batch] = events;
  assert.equal(batch?.type === 'ChangesRequested' && batch.changes.map((c) => c.type), [
    'AccountStatusSet',
    'BlockRequested',
    'BlockRequested',
  ]);
  assert.equal(desiredAddresses(r.state), { '10.0.0.1': '100001', '10.0.0.2': '100001' });
  const intent = r.state.intents['block:SV1'];
  assert.equal(intent?.kind === 'block' && [intent.accountId, intent.subject], ['100001', 'SV1']);
  r.confirmAll();
  r.update(blocked({ accountId: '100001', version: 9, blocked: false }));
  assert.equal(r.state.blocked, {});
  assert.equal(Object.keys(r.state.intents).sort(), ['block:SV1', 'block:SV2']);
});

test('news is ordered by the account’s version: old news, repeated or replayed, changes nothing', () => {
  const r = new Router().online();
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1' });
  r.update(blocked({ accountId: '100001', version: 5 }));
  r.update(blocked({ accountId: '100001', version: 6, blocked: false }));
  // A hand-off restarted after a crash delivers versions 5 and 6 again.
  assert.equal(r.update(blocked({ accountId: '100001', version: 5 })).events, []);
  assert.equal(r.update(blocked({ accountId: '100001', version: 6, blocked: false })).events, []);
  assert.equal(r.state.blocked, {});
  // Two reasons: lifting one leaves the other.
  r.update(
    blocked({ accountId: '100001', version: 8, reason: 'manual' }),
    blocked({ accountId: '100001', version: 9 }),
    blocked({ accountId: '100001', version: 10, reason: 'manual', blocked: false }),
  );
  assert.equal(r.state.accounts['100001']?.reasons, ['insufficient_funds']);
  assert.equal(r.state.blocked, { SV1: { ip: '10.0.0.1' } });
  // A full status read later replaces it; one read earlier does not.
  assert.equal(r.update({ accountId: '100001', kind: 'status', version: 4, reasons: [] }).events, []);
  r.update({ accountId: '100001', kind: 'status', version: 12, reasons: [] });
  assert.equal(r.state.blocked, {});
});

test('news of accounts without services here is not kept', () => {
  const r = new Router().online();
  assert.equal(r.update(blocked({ accountId: '100009', version: 2 })).events, []);
  assert.equal(r.state.accounts, {});
});

test('a service added to a blocked account is blocked; its address changed moves the block', () => {
  const r = new Router().online();
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1' });
  r.update(blocked({ accountId: '100001', version: 3 }));
  assert.equal(r.types({ type: 'AddService', serviceId: 'SV2', accountId: '100001', ip: '10.0.0.2' }), [
    'ServiceAdded',
    'BlockRequested',
  ]);
  r.confirmAll();
  r.send({ type: 'ChangeService', serviceId: 'SV2', ip: '10.0.0.5' });
  const moved = r.state.intents['block:SV2'];
  assert.equal(moved?.kind === 'block' && [moved.target, moved.lift], [
    { ip: '10.0.0.5' },
    { ip: '10.0.0.2' },
  ]);
  assert.equal(desiredAddresses(r.state), { '10.0.0.1': '100001', '10.0.0.5': '100001' });
});

test('a removed service takes its block and its limit with it; the last one takes the account', () => {
  const r = new Router().online();
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1' });
  r.send({ type: 'AddService', serviceId: 'SV2', accountId: '100001', ip: '10.0.0.2' });
  r.update(blocked({ accountId: '100001', version: 3 }), {
    accountId: '100001',
    kind: 'speed',
    maxLimit: '10M/50M',
  });
  r.confirmAll();
  assert.equal(r.types({ type: 'RemoveService', serviceId: 'SV1' }), [
    'BlockRequested',
    'SpeedRequested',
    'ServiceRemoved',
  ]);
  assert.ok(r.state.accounts['100001'], 'the account still has SV2 here');
  r.send({ type: 'RemoveService', serviceId: 'SV2' });
  assert.equal(r.state.accounts, {});
  assert.equal(r.state.blocked, {});
  assert.equal(r.state.speeds, {});
  assert.equal(r.types({ type: 'RemoveService', serviceId: 'SV2' }), [], 'removing twice changes nothing');
});

test('speed: the tariff’s limit is set on each service, changed in place, removed', () => {
  const r = new Router().online();
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1' });
  r.update({ accountId: '100001', kind: 'speed', maxLimit: '10M/50M' });
  assert.equal(r.state.speeds, { SV1: { ip: '10.0.0.1', maxLimit: '10M/50M' } });
  assert.equal(r.update({ accountId: '100001', kind: 'speed', maxLimit: '10M/50M' }).events, []);
  r.update({ accountId: '100001', kind: 'speed', maxLimit: null });
  assert.equal(r.state.speeds, {});
  assert.is(
    r.refusal({
      type: 'UpdateAccounts',
      updates: [{ accountId: '100001', kind: 'speed', maxLimit: 'fast' }],
    }),
    'invalid_updates',
  );
});

test('outcomes of a batch sent together settle together; failures get their own backoff', () => {
  const r = new Router().online();
  for (let i = 1; i <= 3; i++) {
    r.send({ type: 'AddService', serviceId: `SV${i}`, accountId: `10000${i}`, ip: `10.0.0.${i}` });
  }
  r.update(
    blocked({ accountId: '100001', version: 2 }),
    blocked({ accountId: '100002', version: 2 }),
    blocked({ accountId: '100003', version: 2 }),
  );
  const seqOf = (key: string) => r.state.intents[key]!.seq;
  const { events } = r.send({
    type: 'IntentsSettled',
    applied: [
      { key: 'block:SV1', seq: seqOf('block:SV1'), outcome: 'applied' },
      { key: 'block:SV2', seq: 999, outcome: 'applied' },
    ],
    failed: [
      { key: 'block:SV2', seq: seqOf('block:SV2'), message: 'router busy', lost: false },
      { key: 'block:SV3', seq: seqOf('block:SV3'), message: 'connection lost', lost: true },
    ],
  });
  assert.equal(
    events.map((e) => e.type),
    ['IntentsApplied', 'IntentFailed'],
  );
  assert.equal(
    Object.keys(r.state.intents).sort(),
    ['block:SV2', 'block:SV3'],
    'an older outcome settles nothing',
  );
  assert.equal(
    [r.state.intents['block:SV2']?.attempt, r.state.intents['block:SV2']?.lastError],
    [1, 'router busy'],
  );
  assert.is(r.state.intents['block:SV3']?.attempt, 0, 'a lost connection waits for the reconnect');
});

test('offline: news is accepted at once and queued', () => {
  const r = new Router();
  r.send({ type: 'Configure', config });
  r.send({ type: 'ConnectFailed', link: 1, authFailed: false, message: 'ECONNREFUSED' });
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1' });
  assert.is(r.update(blocked({ accountId: '100001', version: 2 })).reply.outcome, 'queued');
  assert.equal(Object.keys(r.state.intents), ['block:SV1']);
});

test('a router with services keeps its list and mode, and is not decommissioned', () => {
  const r = new Router().online();
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1' });
  assert.is(r.refusal({ type: 'Configure', config: { ...config, blockList: 'other' } }), 'device_in_use');
  assert.equal(r.types({ type: 'Configure', config: { ...config, host: '192.0.2.9' } }), [
    'DeviceConfigured',
    'ConnectStarted',
  ]);
  assert.is(r.refusal({ type: 'Decommission' }), 'device_in_use');
  r.send({ type: 'RemoveService', serviceId: 'SV1' });
  assert.equal(r.types({ type: 'Decommission' }), ['DeviceDecommissioned']);
  assert.is(r.state.config, null);
  assert.equal(r.state.intents, {}, 'nothing is sent to a router that is gone');
  assert.is(
    r.refusal({ type: 'AddService', serviceId: 'SV2', accountId: '1', ip: '10.0.0.2' }),
    'device_not_configured',
  );
});

test('replaying the journal gives the same state', () => {
  const r = new Router().online();
  r.send({ type: 'AddService', serviceId: 'SV1', accountId: '100001', ip: '10.0.0.1', ppp: 'u1' });
  r.update(blocked({ accountId: '100001', version: 3 }), {
    accountId: '100001',
    kind: 'speed',
    maxLimit: '1M/2M',
  });
  r.send({ type: 'ChangeService', serviceId: 'SV1', ip: '10.0.0.2' });
  r.send({ type: 'AddService', serviceId: 'SV2', accountId: '100002', ip: '10.0.0.3' });
  r.send({ type: 'RemoveService', serviceId: 'SV2' });
  const replayed = r.journal.reduce(evolveDevice, initialDeviceState('d1'));
  assert.equal(replayed, r.state);
  assert.equal(JSON.parse(JSON.stringify(r.state)), r.state, 'plain JSON');
});

test.run();
