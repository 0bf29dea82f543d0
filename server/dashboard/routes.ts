import type { Journal } from '../../actors/journal/types.ts';
import {
  DirectoryPage,
  DirectoryQuery,
  FeedPage,
  FeedQuery,
  Kpi,
  KpiHourly,
  KpiHourlyQuery,
} from '../../protocol/dashboard.ts';
import { errors } from '../../protocol/errors.ts';
import { needs } from '../../protocol/permissions.ts';
import { type Route, route } from '../http/route.ts';
import type { AccountDirectory } from './directory.ts';
import { readFeed } from './feed.ts';
import type { KpiBoard } from './kpi.ts';

// What the dashboard reads besides the money API: KPIs, the live feed's history, and the
// account directory. The socket rooms carry the same things live (server/live/sockets.ts).

export interface DashboardRouteDeps {
  journal: Journal;
  directory: AccountDirectory;
  kpi: KpiBoard;
}

export function dashboardRoutes({ journal, directory, kpi }: DashboardRouteDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/kpi',
      summary: 'The dashboard tiles: accounts by status, payments and charges today, the billing run',
      tags: ['dashboard'],
      auth: needs('kpi.read'),
      responses: { 200: Kpi },
      handler: () => ({ status: 200, body: kpi.kpi() }),
    }),

    route({
      method: 'GET',
      path: '/api/v1/kpi/hourly',
      summary: 'Payments and charges per hour of one day (provider time zone)',
      tags: ['dashboard'],
      auth: needs('kpi.read'),
      query: KpiHourlyQuery,
      responses: { 200: KpiHourly },
      handler: (req) => {
        const date = req.queryValues.date ?? kpi.today();
        if (Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
          throw errors.validation('date is not a calendar date', [{ path: '/date', message: 'not a date' }]);
        }
        return { status: 200, body: kpi.hourly(date) };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/feed',
      summary: 'Events after a global position, oldest first (what the feed missed while offline)',
      description:
        'Only the kinds of events the caller’s roles may see. Without `after`, the latest `limit`.',
      tags: ['dashboard'],
      auth: needs('feed.read'),
      query: FeedQuery,
      responses: { 200: FeedPage },
      handler: async (req) => {
        const { after, limit } = req.queryValues;
        return { status: 200, body: { items: await readFeed(journal, req.principal!, after, limit ?? 100) } };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/directory/accounts',
      summary: 'Search, filter and sort all accounts (name, phone, account number, address)',
      tags: ['dashboard'],
      auth: needs('accounts.read'),
      query: DirectoryQuery,
      responses: { 200: DirectoryPage },
      handler: (req) => ({ status: 200, body: directory.query(req.queryValues) }),
    }),
  ];
}
