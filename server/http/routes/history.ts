import type { AccountEvent } from '../../../actors/account/account.ts';
import { actToCsv, buildAct } from '../../../actors/account/act.ts';
import { operationsOf, queryOperations } from '../../../actors/account/operations.ts';
import type { Envelope } from '../../../actors/runtime/envelope.ts';
import { errors } from '../../../protocol/errors.ts';
import { Act, Month, OperationsPage, OperationsQuery } from '../../../protocol/money.ts';
import { needs } from '../../../protocol/permissions.ts';
import type { AbonentServices } from '../../app.ts';
import { type Route, route } from '../route.ts';
import { accountIdOf, accountNotFound, refusal } from './context.ts';

// What happened on an account, read from its journal: every event there is durable and
// names who caused it, so the operations list and the monthly act are projections over it
// and need no store of their own. Reads never touch the account's mailbox.

const MONTH = new RegExp(Month.pattern as string);

export function historyRoutes({ journal }: AbonentServices): Route[] {
  async function eventsOf(id: string): Promise<AccountEvent[]> {
    const stored = await journal.events<Envelope<AccountEvent>>(`account:${id}`);
    const events = stored.map((s) => s.data.event);
    if (events[0]?.type !== 'AccountOpened') throw accountNotFound(id);
    return events;
  }

  return [
    route({
      method: 'GET',
      path: '/api/v1/accounts/:id/operations',
      summary: "An account's money movements, newest first, each with the balance after it",
      description: 'Page on with cursor=nextCursor; from is inclusive, to exclusive (ms since the epoch).',
      tags: ['accounts'],
      auth: needs('accounts.read'),
      query: OperationsQuery,
      responses: { 200: OperationsPage, 404: refusal('account_not_found') },
      handler: async (req) => {
        const events = await eventsOf(accountIdOf(req));
        return { status: 200, body: queryOperations(operationsOf(events), req.queryValues) };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/accounts/:id/acts/:month',
      summary: 'The monthly act: charges minus refunds of the month, per product',
      description:
        'month is YYYY-MM in the account’s billing time zone. With Accept: text/csv the act comes as a CSV file (amounts in kopecks, then in roubles; the last row is the total).',
      tags: ['accounts'],
      auth: needs('accounts.read'),
      responses: {
        200: Act,
        400: refusal('validation_failed: month is not YYYY-MM'),
        404: refusal('account_not_found'),
      },
      handler: async (req) => {
        const id = accountIdOf(req);
        const month = req.params.month!;
        if (!MONTH.test(month)) {
          throw errors.validation('month must be YYYY-MM', [{ path: '/month', message: Month.description }]);
        }
        const act = buildAct(await eventsOf(id), month);
        if (!(req.headers.accept ?? '').toLowerCase().includes('text/csv')) return { status: 200, body: act };
        return {
          status: 200,
          body: actToCsv(act),
          contentType: 'text/csv; charset=utf-8',
          headers: { 'Content-Disposition': `attachment; filename="act-${id}-${month}.csv"` },
        };
      },
    }),
  ];
}
