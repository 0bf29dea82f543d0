import type { AccountCommand } from '../../../actors/account/account.ts';
import {
  ConfirmHoldBody,
  ConfirmHoldReply,
  HoldBody,
  HoldReply,
  VoidHoldReply,
} from '../../../protocol/money.ts';
import { needs } from '../../../protocol/permissions.ts';
import type { AbonentServices } from '../../app.ts';
import { type Route, route } from '../route.ts';
import { accountIdOf, askAccount, askOptions, created, refusal } from './context.ts';

// Holds: money reserved for a while (a session, an order being assembled), then confirmed
// as a charge (at most what was held), voided, or left to expire at expiresAt. A hold past
// its expiry no longer counts against `available`, even before its timer has fired.

const holdGone = 'hold_not_open (details: status confirmed | voided | expired)';

export function holdRoutes({ system }: AbonentServices): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/holds',
      summary: 'Reserve money on an account for ttlSeconds',
      tags: ['holds'],
      auth: needs('money.hold'),
      idempotency: 'required',
      body: HoldBody,
      responses: {
        201: HoldReply,
        404: refusal('account_not_found'),
        409: refusal('insufficient_funds, account_blocked, account_closed'),
        422: refusal('idempotency_key_reused'),
      },
      handler: (req) => {
        const { amount, ttlSeconds, product, description } = req.body;
        const command: AccountCommand = { type: 'PlaceHold', amount, ttlSeconds };
        if (product !== undefined) command.product = product;
        if (description !== undefined) command.description = description;
        return askAccount(system, accountIdOf(req), command, askOptions(req)).then(created);
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/holds/:holdId/confirm',
      summary: 'Turn a hold into a charge of at most the held amount; the rest is released',
      tags: ['holds'],
      auth: needs('money.hold'),
      idempotency: 'required',
      body: ConfirmHoldBody,
      bodyOptional: true,
      responses: {
        200: ConfirmHoldReply,
        404: refusal('account_not_found, hold_not_found'),
        409: refusal(`${holdGone}, account_closed`),
        422: refusal('confirm_exceeds_hold, idempotency_key_reused'),
      },
      handler: async (req) => {
        const { amount, product, description } = req.body;
        const command: AccountCommand = { type: 'ConfirmHold', holdId: req.params.holdId! };
        if (amount !== undefined) command.amount = amount;
        if (product !== undefined) command.product = product;
        if (description !== undefined) command.description = description;
        return { status: 200, body: await askAccount(system, accountIdOf(req), command, askOptions(req)) };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/holds/:holdId/void',
      summary: 'Release a hold without charging',
      tags: ['holds'],
      auth: needs('money.hold'),
      idempotency: 'required',
      responses: {
        200: VoidHoldReply,
        404: refusal('account_not_found, hold_not_found'),
        409: refusal(`${holdGone}, account_closed`),
        422: refusal('idempotency_key_reused'),
      },
      handler: async (req) => {
        const command: AccountCommand = { type: 'VoidHold', holdId: req.params.holdId! };
        return { status: 200, body: await askAccount(system, accountIdOf(req), command, askOptions(req)) };
      },
    }),
  ];
}
