import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { openJournal } from '../actors/journal/open.ts';
import type { Journal } from '../actors/journal/types.ts';
import { type Bus, LocalBus } from '../actors/runtime/bus.ts';
import type { AnyKind } from '../actors/runtime/cell.ts';
import type { Clock } from '../actors/runtime/clock.ts';
import { createRuntimeMetrics } from '../actors/runtime/metrics.ts';
import { RedisBus } from '../actors/runtime/redis-bus.ts';
import { ActorSystem } from '../actors/runtime/system.ts';
import {
  apiAuthenticators,
  apiRoutes,
  attachApiSockets,
  kinds,
  startBackground,
  systemKinds,
} from './api.ts';
import type { Config } from './config.ts';
import { type Authenticator, bootstrapAuthenticator } from './http/auth.ts';
import { openApiRoute } from './http/openapi.ts';
import type { Route } from './http/route.ts';
import { type HttpServer, startHttpServer } from './http/server.ts';
import { staticRoutes } from './http/static.ts';
import { type Readiness, systemRoutes } from './http/system-routes.ts';
import { Lifecycle } from './lifecycle.ts';
import { createLogger, type Logger } from './log.ts';

// The composition root: store → bus → actors → edges. main.ts runs it for `npm start`;
// tests and the crash-test child start it in-process with their own config.

/** What routes are built from: the running actors and the stores behind them. */
export interface AbonentServices {
  config: Config;
  clock: Clock;
  system: ActorSystem;
  journal: Journal;
  bus: Bus;
  log: Logger;
}

export interface AbonentExtras {
  /** Time as the actors see it; tests pass a ManualClock. */
  clock?: Clock;
  /** Actor kinds served besides Abonent's own (tests). */
  kinds?: AnyKind[];
  /** Routes served besides the system, OpenAPI and static ones (tests, later issues). */
  routes?: Route[] | ((services: AbonentServices) => Route[]);
  log?: Logger;
}

export interface RunningAbonent {
  port: number;
  /** Where a person on this machine reaches it. */
  url: string;
  log: Logger;
  lifecycle: Lifecycle;
  /** Graceful shutdown (same as SIGTERM); resolves to the exit code it would use. */
  stop(): Promise<number>;
}

const ROOT = new URL('..', import.meta.url);
const CLIENT_DIR = fileURLToPath(new URL('dist/client', ROOT));

export async function startAbonent(config: Config, extras: AbonentExtras = {}): Promise<RunningAbonent> {
  const log = extras.log ?? createLogger(config.logLevel);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createRuntimeMetrics(registry);
  const lifecycle = new Lifecycle(log, config.shutdownTimeoutMs);

  const authenticators: Authenticator[] = [];
  if (config.bootstrapToken) authenticators.push(bootstrapAuthenticator(config.bootstrapToken));
  else log.warn('ABONENT_BOOTSTRAP_TOKEN is not set: no bearer token is accepted, admin routes answer 401');

  // HTTP comes up first, so /healthz answers and /readyz says 503 while the journal opens
  // and actors recover; `readiness` turns true only at the very end.
  let readiness: Readiness = false;
  let http: HttpServer | undefined;
  http = await startHttpServer({
    host: config.host,
    port: config.port,
    log,
    registry,
    bodyLimit: config.bodyLimitBytes,
    authenticators,
    isReady: () => readiness !== false,
    routes: [
      ...systemRoutes({ registry, isReady: () => readiness }),
      openApiRoute(() => http?.routes ?? [], apiInfo()),
      ...staticRoutes(CLIENT_DIR),
    ],
  });
  const server = http;
  let closeSockets: (() => Promise<void>) | undefined;
  lifecycle.add('http', async () => {
    readiness = false;
    // Sockets first: socket.io ends its connections itself before the port closes under them.
    await closeSockets?.().catch((err: unknown) => log.warn({ err }, 'closing sockets failed'));
    return server.close(Math.floor(config.shutdownTimeoutMs / 2));
  });

  let journal: Journal | undefined;
  let bus: Bus | undefined;
  try {
    journal = await openJournal({
      dataDir: config.dataDir,
      mongodbUrl: config.mongodbUrl,
      observer: metrics.observeCommit,
    });
    bus = config.redisUrl
      ? new RedisBus(config.redisUrl, { onError: (err, context) => log.warn({ err, context }, 'redis bus') })
      : new LocalBus();

    const system = new ActorSystem({
      clock: extras.clock,
      journal,
      bus,
      log,
      metrics,
      snapshotEvery: config.snapshotEvery,
      passivateAfterMs: config.passivateAfterMs,
      mailboxLimit: config.mailboxLimit,
      askTimeoutMs: config.askTimeoutMs,
    });
    const parts = { config, system, journal, bus, log, registry };
    for (const kind of [...kinds, ...systemKinds(parts), ...(extras.kinds ?? [])]) system.register(kind);
    // Started before any route can reach it: actors whose timers came due while we were down wake first.
    await system.start();
    const services: AbonentServices = { config, clock: system.clock, system, journal, bus, log };
    const background = await startBackground(services);
    const liveBus = bus;
    const openedJournal = journal;
    // Closers run in this order: HTTP stops taking requests, background work (billing runs)
    // stops feeding mailboxes, mailboxes drain into the journal, then it closes.
    for (const service of background) lifecycle.add(service.name, () => service.stop());
    lifecycle.add('actors', () => system.stop(config.shutdownTimeoutMs));
    lifecycle.add('bus', () => liveBus.close());
    lifecycle.add('journal', () => openedJournal.close());
    const extra = typeof extras.routes === 'function' ? extras.routes(services) : (extras.routes ?? []);
    authenticators.push(...apiAuthenticators(services));
    server.addRoutes([...apiRoutes(services), ...extra]);
    closeSockets = attachApiSockets(services, server.app, authenticators);
  } catch (err) {
    // Leave nothing half-open behind: the caller gets the error and a clean process.
    await bus?.close().catch(() => {});
    await journal?.close().catch(() => {});
    await server.close(0);
    throw err;
  }

  readiness = { journal: journal.engine };
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${server.port}`;
  log.info(
    {
      url,
      journal: journal.engine,
      bus: config.redisUrl ? 'redis' : 'local',
      dataDir: config.mongodbUrl ? undefined : config.dataDir,
    },
    `Abonent is ready at ${url}`,
  );

  return { port: server.port, url, log, lifecycle, stop: () => lifecycle.shutdown('stop') };
}

function apiInfo() {
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
    version: string;
    description: string;
  };
  return { title: 'Abonent', version: pkg.version, description: pkg.description };
}
