import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DevicePolicies } from '../device/backoff.ts';
import {
  DeviceConnections,
  type DriverFactory,
  routerOsDriverFactory,
  type SecretResolver,
} from '../device/connections.ts';
import { createDeviceKind, type DeviceKind } from '../device/device.ts';
import type { Journal } from '../journal/types.ts';
import type { Bus } from '../runtime/bus.ts';
import type { AnyKind } from '../runtime/cell.ts';
import type { ActorSystem } from '../runtime/system.ts';
import { NetworkDirectory } from './directory.ts';
import { DeviceErrorLog } from './errors.ts';
import { handoffKind, NetworkHandOff } from './handoff.ts';
import { createNetworkMetrics, type NetworkMetrics } from './metrics.ts';
import { DeviceMonitor } from './monitor.ts';
import { deviceOfRef, passwordContext, REGISTRY_ID, registryKind } from './registry.ts';

// The network side of Abonent put together: the routers' actors and their connections, the
// registry of routers, the directory of services, the hand-off from accounts to routers, the
// health monitor and their metrics. startAbonent makes one before the actor system starts
// (the device kind needs its connections), and startBackground starts it.

/** Seals and opens secrets at rest (server/staff/secrets.ts makes it from ABONENT_SECRET_KEY). */
export interface Sealer {
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
}

export interface NetworkOptions {
  system: ActorSystem;
  journal: Journal;
  bus?: Bus | undefined;
  log: Logger;
  registry: Registry;
  secrets: Sealer;
  checkIntervalMs: number;
  /** Tests and benchmarks: another driver, faster backoff, a shorter check timeout. */
  driverFactory?: DriverFactory;
  policies?: Partial<DevicePolicies>;
  checkTimeoutMs?: number;
  reconcileConcurrency?: number;
}

export interface Network {
  readonly kinds: AnyKind[];
  readonly deviceKind: DeviceKind;
  readonly directory: NetworkDirectory;
  readonly connections: DeviceConnections;
  readonly monitor: DeviceMonitor;
  /** The last few failures of each router since this process started. */
  readonly errors: DeviceErrorLog;
  readonly metrics: NetworkMetrics;
  readonly secrets: Sealer;
  readonly resolveSecret: SecretResolver;
  /** Set once started. */
  handoff: NetworkHandOff | undefined;
  /** Activates every known router, then follows the journal and checks the routers. */
  start(): Promise<{ name: string; stop(): Promise<void> }>;
}

export function createNetwork(o: NetworkOptions): Network {
  const { system, log } = o;
  const directory = new NetworkDirectory();
  const metrics = createNetworkMetrics(o.registry, directory);

  // The password of a router is read when its connection is made, never kept beside it.
  const resolveSecret: SecretResolver = async (ref) => {
    const deviceId = deviceOfRef(ref);
    if (!deviceId) throw new Error('not a router password reference');
    const sealed = await system.read(registryKind, REGISTRY_ID, (s) => {
      const secret = s.secrets[deviceId];
      return secret?.ref === ref ? secret.sealed : null;
    });
    if (sealed === null) throw new Error('the router’s password was changed or removed');
    return o.secrets.open(sealed, passwordContext(deviceId));
  };

  const connections = new DeviceConnections(
    metrics.timed(o.driverFactory ?? routerOsDriverFactory),
    resolveSecret,
  );
  const deviceKind = createDeviceKind({
    connections,
    ...(o.policies ? { policies: o.policies } : {}),
    ...(o.reconcileConcurrency ? { reconcileConcurrency: o.reconcileConcurrency } : {}),
  });
  const monitor = new DeviceMonitor({
    system,
    directory,
    deviceKind,
    resolveSecret,
    clock: system.clock,
    log: log.child({ part: 'device-monitor' }),
    bus: o.bus,
    metrics,
    intervalMs: o.checkIntervalMs,
    ...(o.checkTimeoutMs ? { timeoutMs: o.checkTimeoutMs } : {}),
  });
  // Registered before the system starts: commits of routers woken by their timers count too.
  system.onPersisted(directory.onPersisted);
  system.onPersisted(metrics.onPersisted);
  const errors = new DeviceErrorLog();
  system.onPersisted(errors.onPersisted);
  monitor.onChecked(errors.onChecked);

  const network: Network = {
    kinds: [deviceKind, registryKind, handoffKind] as AnyKind[],
    deviceKind,
    directory,
    connections,
    monitor,
    errors,
    metrics,
    secrets: o.secrets,
    resolveSecret,
    handoff: undefined,
    async start() {
      const records = await system.read(registryKind, REGISTRY_ID, (s) => Object.values(s.devices));
      // Routers only live when spoken to: each is told its configuration (which also
      // completes an add that a crash cut between the registry and the router) and so wakes
      // up, recovers and connects.
      await Promise.all(
        records.map(async (record) => {
          try {
            await system.ask(deviceKind, record.id, { type: 'Configure', config: record.config });
          } catch (err) {
            log.error({ err, deviceId: record.id }, 'router could not be configured at start');
          }
          directory.load(record.id, await system.read(deviceKind, record.id, (s) => s));
        }),
      );
      const handoff = new NetworkHandOff({
        system,
        journal: o.journal,
        directory,
        deviceKind,
        log: log.child({ part: 'network-handoff' }),
        onProgress: (position) => metrics.handedOff.set(position),
      });
      network.handoff = handoff;
      await handoff.start();
      monitor.start();
      return {
        name: 'network',
        async stop() {
          await monitor.stop();
          await handoff.stop();
          await connections.closeAll();
        },
      };
    },
  };
  return network;
}
