import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DriverFactory } from '../device/connections.ts';
import type { DeviceDriver } from '../device/driver.ts';
import type { DeviceEvent, DeviceStatus } from '../device/state.ts';
import type { LiveEvent } from '../runtime/bus.ts';
import type { NetworkDirectory } from './directory.ts';

// The network's instruments for /metrics: how each router stands and what it still owes
// (read from the directory at scrape time, so a storm of commits costs nothing here), what
// went wrong, and how long the routers take to answer.

const STATUSES: DeviceStatus[] = ['online', 'offline', 'auth_failed'];

/** Router calls that are timed; anything else on a driver (events, getters) is passed through. */
const TIMED = new Set([
  'connect',
  'identity',
  'resource',
  'listBlocked',
  'block',
  'unblock',
  'removeEntry',
  'setEntryComment',
  'setPppSecretDisabled',
  'kickPppActive',
  'upsertQueue',
  'removeQueue',
  'setPppProfile',
]);

const FAILURES: Partial<Record<DeviceEvent['type'], string>> = {
  ConnectFailed: 'connect',
  DeviceOffline: 'connection_lost',
  IntentFailed: 'command',
  ReconcileFailed: 'reconcile',
};

export function createNetworkMetrics(registry: Registry, directory: NetworkDirectory) {
  const registers = [registry];
  const routerCalls = new Histogram({
    name: 'abonent_router_call_seconds',
    help: 'Latency of one call to a router (RouterOS API or REST), by call and outcome',
    labelNames: ['call', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers,
  });
  const failures = new Counter({
    name: 'abonent_device_errors_total',
    help: 'Failures on a router: connect, connection lost, a command, a reconcile (the last message is on its page)',
    labelNames: ['device', 'what'],
    registers,
  });
  new Gauge({
    name: 'abonent_device_status',
    help: 'Each router: 1 for its current status (online, offline, auth_failed)',
    labelNames: ['device', 'status'],
    registers,
    collect() {
      this.reset();
      for (const id of directory.deviceIds()) {
        const state = directory.state(id);
        if (!state?.config) continue;
        for (const status of STATUSES) this.set({ device: id, status }, state.status === status ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'abonent_device_pending_intents',
    help: 'Changes accepted for a router and not yet confirmed by it (blocks, unblocks, speeds)',
    labelNames: ['device'],
    registers,
    collect() {
      this.reset();
      for (const id of directory.deviceIds()) {
        const state = directory.state(id);
        if (state?.config) this.set({ device: id }, Object.keys(state.intents).length);
      }
    },
  });
  new Gauge({
    name: 'abonent_device_last_error_info',
    help: 'Each router with an error on record: 1, its last error message as a label (cleared when it is back online)',
    labelNames: ['device', 'message'],
    registers,
    collect() {
      this.reset();
      for (const id of directory.deviceIds()) {
        const state = directory.state(id);
        if (state?.config && state.lastError)
          this.set({ device: id, message: state.lastError.slice(0, 200) }, 1);
      }
    },
  });
  const handedOff = new Gauge({
    name: 'abonent_network_handoff_position',
    help: 'Journal position up to which account events have been handed to the routers',
    registers,
  });
  const checks = new Counter({
    name: 'abonent_device_checks_total',
    help: 'Health checks of routers, by result (ok or the stage that failed)',
    labelNames: ['result'],
    registers,
  });

  /** Counts failures from device commits (ActorSystem.onPersisted). */
  const onPersisted = (events: LiveEvent[]) => {
    for (const e of events) {
      if (e.kind !== 'device') return;
      const what = FAILURES[(e.event as DeviceEvent).type];
      if (what) failures.inc({ device: e.id, what });
    }
  };

  /** Times every router call a driver makes. */
  const timed =
    (factory: DriverFactory): DriverFactory =>
    (config, password) =>
      instrumentDriver(factory(config, password), routerCalls);

  return { routerCalls, handedOff, checks, onPersisted, timed };
}

export type NetworkMetrics = ReturnType<typeof createNetworkMetrics>;

export function instrumentDriver(
  driver: DeviceDriver,
  histogram: Histogram<'call' | 'outcome'>,
): DeviceDriver {
  return new Proxy(driver, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (typeof prop !== 'string' || !TIMED.has(prop)) return value.bind(target);
      return (...args: unknown[]) => {
        const end = histogram.startTimer({ call: prop });
        return (value.apply(target, args) as Promise<unknown>).then(
          (result) => {
            end({ outcome: 'ok' });
            return result;
          },
          (err: unknown) => {
            end({ outcome: (err as { code?: string }).code ?? 'error' });
            throw err;
          },
        );
      };
    },
  });
}
