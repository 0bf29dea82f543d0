import type uWS from 'uWebSockets.js';
import { accountKind } from '../actors/account/account.ts';
import { sequenceKind } from '../actors/numbering/sequence.ts';
import type { AnyKind } from '../actors/runtime/cell.ts';
import { subscriberRefKind } from '../actors/subscriber/external.ts';
import { subscriberKind } from '../actors/subscriber/subscriber.ts';
import { catalogKind } from '../actors/tariff/catalog.ts';
import type { AbonentServices } from './app.ts';
import { billingRoutes, startBilling } from './billing.ts';
import type { Authenticator } from './http/auth.ts';
import type { Route } from './http/route.ts';
import { moneyApiRoutes } from './http/routes/index.ts';
import { deviceFrames, networkKinds, networkRoutes, type SystemParts, startNetwork } from './network.ts';
import { staffKinds, staffOf } from './staff/index.ts';

// What Abonent serves: its actor kinds, its API routes and the background services that
// run beside them. startAbonent() wires exactly this list; a new area of the product adds
// its kinds, routes and services here.

export const kinds: AnyKind[] = [
  accountKind,
  subscriberKind,
  subscriberRefKind,
  catalogKind,
  sequenceKind,
  ...staffKinds,
];

/** Kinds made with the actor system and its stores: the routers' actors hold connections. */
export function systemKinds(parts: SystemParts): AnyKind[] {
  return [...networkKinds(parts)];
}

export function apiRoutes(services: AbonentServices): Route[] {
  return [
    ...moneyApiRoutes(services),
    ...billingRoutes(services),
    ...staffOf(services).routes(),
    ...networkRoutes(services),
  ];
}

/** Bearer tokens accepted besides ABONENT_BOOTSTRAP_TOKEN: staff access tokens (JWT). */
export function apiAuthenticators(services: AbonentServices): Authenticator[] {
  return staffOf(services).authenticators();
}

/** socket.io on the uWS app, the dashboard's live transport; returns what closes it. */
export function attachApiSockets(
  services: AbonentServices,
  app: uWS.TemplatedApp,
  authenticators: readonly Authenticator[],
): () => Promise<void> {
  const gateway = staffOf(services).attachSockets(app, authenticators, { devices: deviceFrames(services) });
  return () => gateway.close();
}

/** Something that runs beside the actors (billing clock, stream forwarder) and stops before them. */
export interface BackgroundService {
  name: string;
  stop(): Promise<void>;
}

export async function startBackground(services: AbonentServices): Promise<BackgroundService[]> {
  const staff = staffOf(services);
  await staff.start();
  return [
    ...(await startBilling(services)),
    { name: 'staff', stop: () => staff.stop() },
    ...(await startNetwork(services)),
  ];
}
