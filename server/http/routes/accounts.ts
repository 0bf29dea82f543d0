import { type AccountCommand, accountView } from '../../../actors/account/account.ts';
import { subscriberKind } from '../../../actors/subscriber/subscriber.ts';
import { CATALOG_ID, catalogKind } from '../../../actors/tariff/catalog.ts';
import { ApiError } from '../../../protocol/errors.ts';
import {
  AccountView,
  BlockBody,
  CloseAccountBody,
  CreditLimitBody,
  OpenAccountBody,
} from '../../../protocol/money.ts';
import { needs } from '../../../protocol/permissions.ts';
import type { AbonentServices } from '../../app.ts';
import { type Route, route } from '../route.ts';
import {
  accountIdOf,
  askAccount,
  askOptions,
  causeOf,
  type KeyedLock,
  nextNumber,
  readAccount,
  refusal,
} from './context.ts';

// Accounts (лицевые счета): open, look up, block, credit limit, close.
//
// Account ids are лицевой счёт numbers: the `accounts` sequence issues 1, 2, 3… and the
// account is `100000 + n`, so the first is 100001 and every number has six digits until
// the 900,000th account. Numbers are never reused; one a failed request took is skipped.

const FIRST_ACCOUNT_NUMBER = 100_000;

export const accountNumber = (n: number) => String(FIRST_ACCOUNT_NUMBER + n);

const subscriberNotFound = (id: string) =>
  new ApiError(404, 'subscriber_not_found', `there is no subscriber ${id}`);

export function accountRoutes({ system }: AbonentServices, tariffLock: KeyedLock): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/accounts',
      summary: 'Open an account (лицевой счёт)',
      description:
        'Its id is a new account number. With an Idempotency-Key a retried request gets the same account.',
      tags: ['accounts'],
      auth: needs('accounts.open'),
      idempotency: 'optional',
      body: OpenAccountBody,
      responses: {
        201: AccountView,
        404: refusal('subscriber_not_found: subscriberId names no subscriber'),
        422: refusal('idempotency_key_reused'),
      },
      handler: async (req) => {
        // Defaults filled in, so a retry that spells them out is the same request.
        const command: AccountCommand = {
          type: 'Open',
          subscriberId: req.body.subscriberId ?? null,
          currency: req.body.currency ?? 'RUB',
          creditLimit: req.body.creditLimit ?? 0,
        };
        const subscriberId = req.body.subscriberId;
        // Checked before a number is taken: a refusal must leave nothing behind.
        if (subscriberId !== undefined) {
          const exists = await system.read(subscriberKind, subscriberId, (s) => s.exists);
          if (!exists) {
            system.passivate(subscriberKind.name, subscriberId);
            throw subscriberNotFound(subscriberId);
          }
        }
        const options = askOptions(req);
        const id = accountNumber(await nextNumber(system, 'accounts', options, command));
        const view = await askAccount<AccountView>(system, id, command, options);
        if (subscriberId !== undefined) {
          // Idempotent from the subscriber's state, so a retry completes what a crash cut short.
          await system.ask(
            subscriberKind,
            subscriberId,
            { type: 'AttachAccount', accountId: id },
            { cause: causeOf(req) },
          );
        }
        return { status: 201, body: view, headers: { Location: `/api/v1/accounts/${id}` } };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/accounts/:id',
      summary: 'An account: balance, available, holds, status',
      tags: ['accounts'],
      auth: needs('accounts.read'),
      responses: { 200: AccountView, 404: refusal('account_not_found') },
      handler: async (req) => {
        const id = accountIdOf(req);
        const view = await readAccount(system, id, (s) => accountView(s, system.clock.now()));
        return { status: 200, body: view };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/block',
      summary: 'Block an account by hand (staff); the reason is audited',
      tags: ['accounts'],
      auth: needs('accounts.block'),
      idempotency: 'optional',
      body: BlockBody,
      responses: {
        200: AccountView,
        404: refusal('account_not_found'),
        409: refusal('account_closed'),
      },
      handler: async (req) => {
        const id = accountIdOf(req);
        const command: AccountCommand = { type: 'Block', reason: req.body.reason };
        return { status: 200, body: await askAccount(system, id, command, askOptions(req)) };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/unblock',
      summary: 'Lift a manual block (staff)',
      description:
        'A block for insufficient funds is lifted by paying the due, not by hand: 409 unblock_not_allowed.',
      tags: ['accounts'],
      auth: needs('accounts.block'),
      idempotency: 'optional',
      responses: {
        200: AccountView,
        404: refusal('account_not_found'),
        409: refusal('unblock_not_allowed, account_closed'),
      },
      handler: async (req) => {
        const id = accountIdOf(req);
        return { status: 200, body: await askAccount(system, id, { type: 'Unblock' }, askOptions(req)) };
      },
    }),

    route({
      method: 'PUT',
      path: '/api/v1/accounts/:id/credit-limit',
      summary: 'Set the credit limit: how far below zero the balance may go',
      tags: ['accounts'],
      auth: needs('accounts.credit_limit'),
      idempotency: 'optional',
      body: CreditLimitBody,
      responses: {
        200: AccountView,
        404: refusal('account_not_found'),
        409: refusal('credit_limit_in_use: the balance already uses more credit than the new limit'),
      },
      handler: async (req) => {
        const id = accountIdOf(req);
        const command: AccountCommand = { type: 'SetCreditLimit', creditLimit: req.body.creditLimit };
        return { status: 200, body: await askAccount(system, id, command, askOptions(req)) };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/close',
      summary: 'Close an account: only at zero balance with no open holds',
      description: 'Its tariff ends without a charge; a closed account takes no more operations.',
      tags: ['accounts'],
      auth: needs('accounts.close'),
      idempotency: 'optional',
      body: CloseAccountBody,
      bodyOptional: true,
      responses: {
        200: AccountView,
        404: refusal('account_not_found'),
        409: refusal('close_not_allowed (balance or holds), account_closed'),
      },
      handler: async (req) => {
        const id = accountIdOf(req);
        const command: AccountCommand =
          req.body.reason === undefined ? { type: 'Close' } : { type: 'Close', reason: req.body.reason };
        const cause = causeOf(req);
        const view = await tariffLock.run(id, async () => {
          const closed = await askAccount<AccountView>(system, id, command, askOptions(req));
          // The account ended its tariff: the catalog stops counting it as a user.
          await system.ask(
            catalogKind,
            CATALOG_ID,
            { type: 'TariffUsageChanged', accountId: id, tariffId: null },
            { cause },
          );
          return closed;
        });
        return { status: 200, body: view };
      },
    }),
  ];
}
