import type { Registry } from 'prom-client';
import { requestsKind } from '../actors/crm/requests.ts';
import type { Journal } from '../actors/journal/types.ts';
import { createNetwork, type Network } from '../actors/network/network.ts';
import type { Bus } from '../actors/runtime/bus.ts';
import type { AnyKind } from '../actors/runtime/cell.ts';
import type { ActorSystem } from '../actors/runtime/system.ts';
import type { BackgroundService } from './api.ts';
import type { AbonentServices } from './app.ts';
import type { Config } from './config.ts';
import { startDemo } from './demo/demo.ts';
import type { Route } from './http/route.ts';
import { deviceRoutes } from './http/routes/devices.ts';
import { requestRoutes } from './http/routes/requests.ts';
import { serviceRoutes } from './http/routes/services.ts';
import { DeviceFrames } from './live/devices.ts';
import type { Logger } from './log.ts';
import { loadSecretKey, secretBox } from './secrets.ts';

// The network area of Abonent, wired once per running server: MikroTik routers, the
// subscribers' services on them, the hand-off of account blocks to them, and connection
// requests. Its device kind needs the routers' connections, so it is made with the actor
// system, before the system starts (startAbonent asks for systemKinds); everything else
// finds it again by the system.

export interface SystemParts {
  config: Config;
  system: ActorSystem;
  journal: Journal;
  bus: Bus;
  log: Logger;
  /** The registry /metrics serves. */
  registry: Registry;
}

const networks = new WeakMap<ActorSystem, Network>();

export function networkKinds(parts: SystemParts): AnyKind[] {
  const { config, system, journal, bus, log, registry } = parts;
  const network = createNetwork({
    system,
    journal,
    bus,
    log: log.child({ component: 'network' }),
    registry,
    secrets: secretBox(loadSecretKey(config, log)),
    checkIntervalMs: config.deviceCheckIntervalMs,
  });
  networks.set(system, network);
  return [...network.kinds, requestsKind];
}

export function networkOf(services: Pick<AbonentServices, 'system'>): Network {
  const network = networks.get(services.system);
  if (!network) throw new Error('the network area was not made with this actor system (networkKinds)');
  return network;
}

/** The routers' rows for the dashboard's live rooms `devices` and `device:<id>`. */
export function deviceFrames(services: AbonentServices): DeviceFrames {
  return new DeviceFrames({
    system: services.system,
    network: networkOf(services),
    log: services.log.child({ component: 'device-frames' }),
  });
}

export function networkRoutes(services: AbonentServices): Route[] {
  const network = networkOf(services);
  return [
    ...deviceRoutes(services, network),
    ...serviceRoutes(services, network),
    ...requestRoutes(services, network),
  ];
}

export async function startNetwork(services: AbonentServices): Promise<BackgroundService[]> {
  const network = networkOf(services);
  // The demo router gets its new port before the routers are woken, so it is not first
  // tried where the last run's simulator was; it stops after the network (listed later).
  const demo = services.config.demo ? await startDemo(services, network) : null;
  return [await network.start(), ...(demo ? [demo] : [])];
}
