import { Type } from '@sinclair/typebox';
import { BillingClock } from '../actors/billing/clock.ts';
import { openBillingIndex } from '../actors/billing/index.ts';
import { OperationsStream } from '../actors/billing/operations-stream.ts';
import type { BillingProgress } from '../actors/billing/run.ts';
import { ApiError } from '../protocol/errors.ts';
import { Instant } from '../protocol/money.ts';
import { needs } from '../protocol/permissions.ts';
import type { BackgroundService } from './api.ts';
import type { AbonentServices } from './app.ts';
import { type Route, route } from './http/route.ts';
import { checkpointOptions, logBuild } from './projections.ts';

// The billing engine beside the actors: the billing clock and its runs (over the billing
// index, built from the journal at start), the Redis Stream of operations when REDIS_URL is
// set, and the two routes that start a run by hand and show the one going on.

/** The billing clock of a running server, once its index is built. */
interface Billing {
  clock: BillingClock | undefined;
}

const billings = new WeakMap<AbonentServices, Billing>();

export async function startBilling(services: AbonentServices): Promise<BackgroundService[]> {
  const { config, system, journal, bus, log, clock } = services;
  const billingLog = log.child({ component: 'billing' });
  const billing: Billing = { clock: undefined };
  billings.set(services, billing);
  let stopping = false;
  let closeIndex = async () => {};
  // The index is read from the journal after its checkpoint (all of it without one): at a
  // million accounts that can take a while, and nothing else waits for it. The server gets
  // ready meanwhile; the catch-up run follows the build.
  const built = openBillingIndex(journal, system, {
    cancelled: () => stopping,
    checkpoint: checkpointOptions('billing-index', services),
  }).then(
    ({ index, following }) => {
      closeIndex = following.stop;
      logBuild(services, 'billing-index', following, { accounts: index.size });
      const billingClock = new BillingClock({
        system,
        index,
        clock,
        bus,
        log: billingLog,
        maxCatchUp: config.billingMaxCatchUp,
        concurrency: config.billingConcurrency,
        maxSleepMs: config.billingIntervalMs,
      });
      billing.clock = billingClock;
      billingClock.start();
    },
    (error: unknown) => {
      if (!stopping) billingLog.error({ err: error }, 'billing index could not be built: no billing runs');
    },
  );
  const started: BackgroundService[] = [
    {
      name: 'billing clock',
      stop: async () => {
        stopping = true;
        await built;
        await billing.clock?.stop();
        await closeIndex();
      },
    },
  ];
  if (config.redisUrl) {
    const stream = new OperationsStream({
      journal,
      system,
      redisUrl: config.redisUrl,
      log: log.child({ component: 'operations-stream' }),
    });
    // Not awaited: a Redis that is down must not hold up the start; the stream catches up.
    void stream.start();
    started.push({ name: 'operations stream', stop: () => stream.stop() });
  }
  return started;
}

const Progress = Type.Object(
  {
    runId: Type.String(),
    until: Instant,
    done: Type.Integer({ minimum: 0, description: 'accounts ticked so far' }),
    total: Type.Integer({ minimum: 0, description: 'accounts with a period to charge when the run began' }),
    charged: Type.Integer({ minimum: 0, description: 'periods charged' }),
    amount: Type.Integer({ minimum: 0, description: 'minor units charged' }),
    blocked: Type.Integer({ minimum: 0, description: 'accounts left blocked for insufficient funds' }),
    failed: Type.Integer({
      minimum: 0,
      description: 'accounts whose tick failed; the next run retries them',
    }),
    startedAt: Instant,
    finishedAt: Type.Optional(Instant),
    stopped: Type.Optional(Type.Boolean({ description: 'stopped by a shutdown before the end' })),
  },
  {
    $id: 'BillingRunProgress',
    description: 'A billing run; the same object is published on the live topic `billing` as it goes',
  },
);

const CurrentRuns = Type.Object({
  current: Type.Union([Progress, Type.Null()], { description: 'the run going on' }),
  last: Type.Union([Progress, Type.Null()], { description: 'the last finished run' }),
  nextRunAt: Type.Union([Instant, Type.Null()], {
    description: 'when the next account period begins (null while a run goes on or without tariffs)',
  }),
});

const NOT_READY = Type.Ref('Error', {
  description: 'not_ready: shortly after a start, while the billing index is read from the journal',
});

export function billingRoutes(services: AbonentServices): Route[] {
  const billingOf = () => {
    const billing = billings.get(services)?.clock;
    if (!billing) {
      throw new ApiError(
        503,
        'not_ready',
        'the billing index is still being read from the journal',
        undefined,
        {
          'Retry-After': '5',
        },
      );
    }
    return billing;
  };
  return [
    route({
      method: 'POST',
      path: '/api/v1/billing/runs',
      summary: 'Start a billing run now',
      description:
        'Ticks every account whose tariff period has begun; each period is charged once, however often runs start. Progress is published on the live topic `billing`.',
      tags: ['billing'],
      auth: needs('billing.run'),
      responses: {
        202: Progress,
        409: Type.Ref('Error', { description: 'billing_run_in_progress: one run at a time' }),
        503: NOT_READY,
      },
      handler: () => {
        const run = billingOf().runNow();
        if (!run) {
          throw new ApiError(
            409,
            'billing_run_in_progress',
            'a billing run is going on; wait for it to finish',
          );
        }
        return { status: 202, body: progressBody(run.progress) };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/billing/runs/current',
      summary: 'The billing run going on, the last one and when the next is due',
      tags: ['billing'],
      auth: needs('billing.read'),
      responses: { 200: CurrentRuns, 503: NOT_READY },
      handler: () => {
        const billing = billingOf();
        const current = billing.running;
        const last = billing.lastRun;
        return {
          status: 200,
          body: {
            current: current ? progressBody(current) : null,
            last: last ? progressBody(last) : null,
            nextRunAt: billing.nextRunAt ?? null,
          },
        };
      },
    }),
  ];
}

/** A copy: the run keeps counting in its own object while the reply is serialised. */
function progressBody(p: BillingProgress): BillingProgress {
  return { ...p };
}
