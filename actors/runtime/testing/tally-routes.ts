import { Type } from '@sinclair/typebox';
import type { Route } from '../../../server/http/route.ts';
import { route } from '../../../server/http/route.ts';
import type { ActorSystem } from '../system.ts';
import { tallyKind } from './tally.ts';

// HTTP routes over the test tally, so the crash test drives the runtime through the same
// edge real clients use: validation, idempotency keys, auth, and the runtime's errors.

const Reply = Type.Object({ total: Type.Integer(), count: Type.Integer() });

export function tallyRoutes(system: ActorSystem): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/test/tallies/:id/adds',
      summary: 'Add an amount to a test tally',
      auth: 'authenticated',
      idempotency: 'required',
      body: Type.Object({ amount: Type.Integer() }, { additionalProperties: false }),
      responses: { 201: Reply },
      handler: async (req) => {
        const reply = await system.ask(
          tallyKind,
          req.params.id!,
          { type: 'add', amount: req.body.amount },
          { idempotencyKey: req.idempotencyKey },
        );
        return { status: 201, body: reply };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/test/tallies/:id',
      summary: 'Read a test tally',
      auth: 'authenticated',
      responses: { 200: Type.Object({ total: Type.Integer(), amounts: Type.Array(Type.Integer()) }) },
      handler: async (req) => {
        const { total, amounts } = await system.read(tallyKind, req.params.id!, (s) => s);
        return { status: 200, body: { total, amounts } };
      },
    }),
  ];
}
