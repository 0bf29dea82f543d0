import { Type } from '@sinclair/typebox';
import type { Registry } from 'prom-client';
import { errors } from '../../protocol/errors.ts';
import type { Route } from './route.ts';

/** What /readyz reports once everything can serve; false while starting or stopping. */
export type Readiness = false | { journal: string };

export interface SystemRoutesOptions {
  registry: Registry;
  isReady: () => Readiness;
}

// Probes and metrics: public, cheap, and never blocked by the actors they report on.
export function systemRoutes({ registry, isReady }: SystemRoutesOptions): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      summary: 'Liveness: 200 while the process runs',
      tags: ['system'],
      auth: 'public',
      responses: { 200: Type.Object({ status: Type.Literal('ok') }) },
      handler: () => ({ status: 200, body: { status: 'ok' } }),
    },
    {
      method: 'GET',
      path: '/readyz',
      summary: 'Readiness: 200 once the journal is open and actors can serve, else 503 not_ready',
      tags: ['system'],
      auth: 'public',
      responses: {
        200: Type.Object({
          status: Type.Literal('ready'),
          journal: Type.String({ description: 'sqlite or mongodb' }),
        }),
        503: { description: 'Starting or stopping (code not_ready)' },
      },
      handler: () => {
        const ready = isReady();
        if (!ready) throw errors.notReady();
        return { status: 200, body: { status: 'ready', journal: ready.journal } };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      summary: 'Prometheus metrics: process, HTTP, mailboxes, journal commits',
      tags: ['system'],
      auth: 'public',
      responses: { 200: { description: 'Prometheus text exposition format' } },
      handler: async () => ({
        status: 200,
        body: await registry.metrics(),
        contentType: registry.contentType,
      }),
    },
  ];
}
