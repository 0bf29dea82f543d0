import type { AbonentServices } from '../../app.ts';
import type { Route } from '../route.ts';
import { accountRoutes } from './accounts.ts';
import { KeyedLock } from './context.ts';
import { historyRoutes } from './history.ts';
import { holdRoutes } from './holds.ts';
import { moneyRoutes } from './money.ts';
import { subscriberRoutes } from './subscribers.ts';
import { tariffRoutes } from './tariffs.ts';

/** The HTTP money API: subscribers, accounts, money, holds, history, tariffs. */
export function moneyApiRoutes(services: AbonentServices): Route[] {
  // Closing an account and assigning it a tariff both update the catalog's usage record.
  const tariffLock = new KeyedLock();
  return [
    ...subscriberRoutes(services),
    ...accountRoutes(services, tariffLock),
    ...moneyRoutes(services),
    ...holdRoutes(services),
    ...historyRoutes(services),
    ...tariffRoutes(services, tariffLock),
  ];
}
