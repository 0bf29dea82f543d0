import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../protocol/money.ts';
import { type AccountReplies, accountView } from './account.ts';
import { buildAct } from './act.ts';
import { monthly, msk, openAccount, topUp } from './fixtures.ts';
import { operationsOf, queryOperations } from './operations.ts';

// What the actor answers is what the wire schemas promise, so the HTTP side can send replies
// as they are (and the OpenAPI document tells the truth).

function conforms(schema: TSchema, value: unknown) {
  const errors = [...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`);
  assert.equal(errors, [], `${schema.$id}: ${JSON.stringify(value)}`);
}

test('replies, views, operations and acts match protocol/money.ts', () => {
  const h = openAccount({ now: msk(2026, 3, 5) });
  conforms(P.AccountView, accountView(h.state));
  conforms(P.TopUpReply, topUp(h, 100_000));
  const charge = h.ok({
    type: 'Charge',
    amount: 1_000,
    product: 'p',
    description: 'd',
  }) as AccountReplies['Charge'];
  conforms(P.ChargeReply, charge);
  conforms(P.RefundReply, h.ok({ type: 'Refund', chargeId: charge.chargeId, amount: 1_000 }));
  const hold = h.ok({ type: 'PlaceHold', amount: 500, ttlSeconds: 60 }) as AccountReplies['PlaceHold'];
  conforms(P.HoldReply, hold);
  conforms(P.AccountView, accountView(h.state, h.now));
  conforms(P.ConfirmHoldReply, h.ok({ type: 'ConfirmHold', holdId: hold.holdId, amount: 100 }));
  const hold2 = h.ok({ type: 'PlaceHold', amount: 500, ttlSeconds: 60 }) as AccountReplies['PlaceHold'];
  conforms(P.VoidHoldReply, h.ok({ type: 'VoidHold', holdId: hold2.holdId }));
  conforms(P.AdjustmentReply, h.ok({ type: 'Adjust', amount: -1, reason: 'r' }));
  conforms(P.AssignTariffReply, h.ok({ type: 'AssignTariff', tariff: monthly(500_000) }));
  conforms(P.AccountView, accountView(h.state, h.now)); // blocked, with a due
  conforms(P.AccountView, h.ok({ type: 'Block', reason: 'check' }));
  const ops = operationsOf(h.journal);
  for (const op of ops) conforms(P.OperationView, op);
  conforms(P.OperationsPage, queryOperations(ops, { limit: 2 }));
  conforms(P.Act, buildAct(h.journal, '2026-03'));
});

test.run();
