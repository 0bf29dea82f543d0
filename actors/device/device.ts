import type { ActorKind } from '../runtime/kind.ts';
import { type DevicePolicies, defaultPolicies } from './backoff.ts';
import type { DeviceConnections } from './connections.ts';
import { decideDevice, deviceTimers, evolveDevice } from './decide.ts';
import { deviceEffects, resumeDevice } from './effects.ts';
import {
  type DeviceCommand,
  type DeviceEvent,
  type DeviceReply,
  type DeviceState,
  initialDeviceState,
} from './state.ts';

// One actor per MikroTik router. It alone holds that router's connection (through the
// shared DeviceConnections), so blocks, unblocks, speed changes and reconciles for one
// router never race each other, and a router that is away only delays its own work.

export interface DeviceKindOptions {
  connections: DeviceConnections;
  policies?: Partial<DevicePolicies>;
  /** [0, 1), for backoff jitter. */
  random?: () => number;
  /** Router commands kept in flight at once during a reconcile. */
  reconcileConcurrency?: number;
}

/** The devices list (and map) follows these: what changes a router's row there. */
const LISTED = new Set<DeviceEvent['type']>([
  'DeviceConfigured',
  'DeviceOnline',
  'DeviceOffline',
  'ConnectFailed',
  'Reconciled',
  'IntentFailed',
  'DeviceDecommissioned',
]);

/** The live-bus topic of every router's status changes, for the devices screen. */
export const DEVICES_TOPIC = 'devices';

function deviceTopics(_state: DeviceState, event: DeviceEvent): string[] {
  const out: string[] = [];
  if (LISTED.has(event.type)) out.push(DEVICES_TOPIC);
  // A block or a speed change is news on the subscriber's own page too.
  if ('accountId' in event) out.push(`account:${event.accountId}`);
  return out;
}

export type DeviceKind = ActorKind<DeviceState, DeviceCommand, DeviceEvent, DeviceReply>;

export function createDeviceKind(opts: DeviceKindOptions): DeviceKind {
  const deps = { policies: { ...defaultPolicies, ...opts.policies }, random: opts.random ?? Math.random };
  const concurrency = opts.reconcileConcurrency ?? 16;
  return {
    name: 'device',
    initial: initialDeviceState,
    decide: (state, command, ctx) => decideDevice(state, command, ctx, deps),
    evolve: evolveDevice,
    effects: (state, events, ctx) => deviceEffects(opts.connections, state, events, ctx, concurrency),
    resume: (state, ctx) => resumeDevice(opts.connections, state, ctx),
    timers: deviceTimers,
    topics: deviceTopics,
  };
}
