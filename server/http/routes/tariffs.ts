import { Type } from '@sinclair/typebox';
import { accountKind } from '../../../actors/account/account.ts';
import { fingerprint } from '../../../actors/runtime/fingerprint.ts';
import {
  CATALOG_ID,
  type CatalogCommand,
  catalogKind,
  listTariffs,
  type TariffChanges,
  tariffView,
  type UsageReply,
} from '../../../actors/tariff/catalog.ts';
import { ApiError } from '../../../protocol/errors.ts';
import {
  AssignTariffBody,
  AssignTariffReply,
  CreateTariffBody,
  Id,
  TariffList,
  TariffView,
  UpdateTariffBody,
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
  readAccount,
  refusal,
} from './context.ts';

// The tariff catalog (one actor, `tariffs:catalog`) and giving an account its tariff.
//
// Assigning touches two actors: the catalog records the usage first and answers the terms
// (so a tariff cannot be deleted in between), then the account switches and bills the rest
// of the period. Both steps carry the request's Idempotency-Key, so a key reused with
// another tariff is refused at the first step with nothing persisted, and a repeat gets the
// first replies. Afterwards the catalog is brought in line with the tariff the account
// really has: that undoes the record when the account refused or failed, and completes it
// when a retry found the catalog step already done. One assignment per account runs at a
// time (KeyedLock), in this process.

const ID = new RegExp(Id.pattern as string);
const tariffNotFound = (id: string) =>
  new ApiError(404, 'tariff_not_found', `there is no tariff ${JSON.stringify(id)}`);

const ListQuery = Type.Object({
  archived: Type.Optional(Type.Boolean({ description: 'include archived tariffs (default false)' })),
});

export function tariffRoutes({ system, log }: AbonentServices, tariffLock: KeyedLock): Route[] {
  const tariffIdOf = (params: Record<string, string>) => {
    const id = params.id ?? '';
    if (!ID.test(id)) throw tariffNotFound(id);
    return id;
  };

  return [
    route({
      method: 'GET',
      path: '/api/v1/tariffs',
      summary: 'The tariffs, by group and name',
      tags: ['tariffs'],
      auth: needs('tariffs.read'),
      query: ListQuery,
      responses: { 200: TariffList },
      handler: async (req) => {
        const includeArchived = req.queryValues.archived === true;
        const items = await system.read(catalogKind, CATALOG_ID, (s) => listTariffs(s, { includeArchived }));
        return { status: 200, body: { items } };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/tariffs/:id',
      summary: 'One tariff, with how many accounts use it',
      tags: ['tariffs'],
      auth: needs('tariffs.read'),
      responses: { 200: TariffView, 404: refusal('tariff_not_found') },
      handler: async (req) => {
        const id = tariffIdOf(req.params);
        const view = await system.read(catalogKind, CATALOG_ID, (s) => {
          const t = s.tariffs[id];
          return t ? tariffView(s, t) : null;
        });
        if (!view) throw tariffNotFound(id);
        return { status: 200, body: view };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/tariffs',
      summary: 'Create a tariff',
      tags: ['tariffs'],
      auth: needs('tariffs.write'),
      idempotency: 'optional',
      body: CreateTariffBody,
      responses: { 201: TariffView, 409: refusal('tariff_name_taken (names are unique ignoring case)') },
      handler: async (req) => {
        const command: CatalogCommand = { type: 'CreateTariff', ...req.body };
        const view = await system.ask(catalogKind, CATALOG_ID, command, askOptions(req));
        return { status: 201, body: view };
      },
    }),

    route({
      method: 'PUT',
      path: '/api/v1/tariffs/:id',
      summary: 'Change a tariff, or archive it (archived: true)',
      description:
        'While accounts use it, its price and billing cannot change (409 tariff_in_use): create a new tariff and move them. An archived tariff is kept for its accounts but given to no more.',
      tags: ['tariffs'],
      auth: needs('tariffs.write'),
      idempotency: 'optional',
      body: UpdateTariffBody,
      responses: {
        200: TariffView,
        404: refusal('tariff_not_found'),
        409: refusal('tariff_in_use, tariff_name_taken'),
      },
      handler: async (req) => {
        const command: CatalogCommand = {
          type: 'UpdateTariff',
          tariffId: tariffIdOf(req.params),
          changes: req.body as TariffChanges,
        };
        return { status: 200, body: await system.ask(catalogKind, CATALOG_ID, command, askOptions(req)) };
      },
    }),

    route({
      method: 'DELETE',
      path: '/api/v1/tariffs/:id',
      summary: 'Delete a tariff no account uses',
      tags: ['tariffs'],
      auth: needs('tariffs.write'),
      responses: {
        204: { description: 'deleted' },
        404: refusal('tariff_not_found'),
        409: refusal('tariff_in_use: archive it instead'),
      },
      handler: async (req) => {
        const command: CatalogCommand = { type: 'DeleteTariff', tariffId: tariffIdOf(req.params) };
        await system.ask(catalogKind, CATALOG_ID, command, askOptions(req));
        return { status: 204 };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/tariff',
      summary: "Assign, change (tariffId) or remove (null) an account's tariff",
      description:
        'The new tariff is charged for the rest of its current period at once, the unused rest of the old one credited.',
      tags: ['tariffs', 'accounts'],
      auth: needs('accounts.tariff'),
      idempotency: 'required',
      body: AssignTariffBody,
      responses: {
        200: AssignTariffReply,
        404: refusal('account_not_found, tariff_not_found'),
        409: refusal('tariff_archived, account_closed'),
        422: refusal('idempotency_key_reused'),
      },
      handler: async (req) => {
        const id = accountIdOf(req);
        const { tariffId } = req.body;
        const cause = causeOf(req);
        const options = askOptions(req);
        // The request, not the terms the catalog answers, is what a repeat must match: a
        // tariff renamed in between is still the same request.
        if (options.idempotencyKey !== undefined)
          options.fingerprint = fingerprint({ type: 'AssignTariff', tariffId });
        // Keys are per actor, and the catalog is one actor for every account: the account's
        // id goes into its key, so one key used on two accounts is not a reuse there.
        const catalogOptions = { ...options, idempotencyKey: `${options.idempotencyKey}@${id}` };
        const usage = (tariff: string | null, keyed: boolean) =>
          system.ask(
            catalogKind,
            CATALOG_ID,
            { type: 'TariffUsageChanged', accountId: id, tariffId: tariff },
            keyed ? catalogOptions : { cause },
          );
        const reply = await tariffLock.run(id, async () => {
          // An account that does not exist must not be counted as a user.
          await readAccount(system, id, () => true);
          const { tariff } = (await usage(tariffId, true)) as UsageReply;
          try {
            return await askAccount(system, id, { type: 'AssignTariff', tariff }, options);
          } finally {
            await reconcile().catch((err) =>
              log.warn({ err, accountId: id }, 'tariff usage of the catalog may be off for this account'),
            );
          }
        });

        async function reconcile(): Promise<void> {
          const actual = await system.read(accountKind, id, (s) => s.tariff?.tariffId ?? null);
          const recorded = await system.read(catalogKind, CATALOG_ID, (s) => s.usage[id] ?? null);
          if (actual !== recorded) await usage(actual, false);
        }
        return { status: 200, body: reply };
      },
    }),
  ];
}
