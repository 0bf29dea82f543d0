import type { AccountCommand } from '../../../actors/account/account.ts';
import {
  AdjustmentBody,
  AdjustmentReply,
  ChargeBody,
  ChargeReply,
  RefundBody,
  RefundReply,
  TopUpBody,
  TopUpReply,
} from '../../../protocol/money.ts';
import { needs } from '../../../protocol/permissions.ts';
import type { AbonentServices } from '../../app.ts';
import { type Route, route } from '../route.ts';
import { accountIdOf, askAccount, askOptions, created, refusal } from './context.ts';

// The operations that move money on an account. Each needs an Idempotency-Key: a repeat
// answers the first reply (status and body) instead of moving the money again, also after
// a restart. The ids in the replies (`100001-c7`) come from the account, so a repeat sees
// the same ids.

const unknownAccount = refusal('account_not_found');
const reused = 'idempotency_key_reused: this key was used with another request';

export function moneyRoutes({ system }: AbonentServices): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/top-ups',
      summary: 'Credit a payment to an account',
      description: 'A covered tariff due is paid at once and the block it caused is lifted.',
      tags: ['money'],
      auth: needs('money.top_up'),
      idempotency: 'required',
      body: TopUpBody,
      responses: {
        201: TopUpReply,
        404: unknownAccount,
        409: refusal('account_closed'),
        422: refusal(`${reused}; invalid_amount: the balance would overflow`),
      },
      handler: (req) => {
        const { amount, source, reference } = req.body;
        const command: AccountCommand = { type: 'TopUp', amount, source, reference };
        return askAccount(system, accountIdOf(req), command, askOptions(req)).then(created);
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/charges',
      summary: 'Charge an account for a product',
      tags: ['money'],
      auth: needs('money.charge'),
      idempotency: 'required',
      body: ChargeBody,
      responses: {
        201: ChargeReply,
        404: unknownAccount,
        409: refusal('insufficient_funds (details: available, amount), account_blocked, account_closed'),
        422: refusal(reused),
      },
      handler: (req) => {
        const { amount, product, description } = req.body;
        const command: AccountCommand =
          description === undefined
            ? { type: 'Charge', amount, product }
            : { type: 'Charge', amount, product, description };
        return askAccount(system, accountIdOf(req), command, askOptions(req)).then(created);
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/charges/:chargeId/refunds',
      summary: 'Refund (part of) a charge',
      description: 'All refunds of a charge together are at most the charge.',
      tags: ['money'],
      auth: needs('money.refund'),
      idempotency: 'required',
      body: RefundBody,
      responses: {
        201: RefundReply,
        404: refusal('account_not_found, charge_not_found'),
        409: refusal('account_closed'),
        422: refusal(`refund_exceeds_charge (details: charged, refunded, refundable); ${reused}`),
      },
      handler: (req) => {
        const { amount, reason } = req.body;
        const chargeId = req.params.chargeId!;
        const command: AccountCommand =
          reason === undefined
            ? { type: 'Refund', chargeId, amount }
            : { type: 'Refund', chargeId, amount, reason };
        return askAccount(system, accountIdOf(req), command, askOptions(req)).then(created);
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/adjustments',
      summary: 'Correct a balance by hand (staff); the reason is audited',
      description: 'Positive adds, negative takes (never below what is available).',
      tags: ['money'],
      auth: needs('money.adjust'),
      idempotency: 'required',
      body: AdjustmentBody,
      responses: {
        201: AdjustmentReply,
        404: unknownAccount,
        409: refusal('insufficient_funds for a negative adjustment, account_closed'),
        422: refusal(reused),
      },
      handler: (req) => {
        const command: AccountCommand = { type: 'Adjust', amount: req.body.amount, reason: req.body.reason };
        return askAccount(system, accountIdOf(req), command, askOptions(req)).then(created);
      },
    }),
  ];
}
