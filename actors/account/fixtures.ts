import { Harness } from '../testkit/harness.ts';
import {
  type AccountCommand,
  type AccountEvent,
  type AccountReply,
  type AccountState,
  accountKind,
} from './account.ts';
import type { TariffTerms } from './state.ts';

// Shared by the account tests.

export type AccountHarness = Harness<AccountState, AccountCommand, AccountEvent, AccountReply>;

/** Moscow wall time as an instant (UTC+3, no DST). */
export const msk = (y: number, m: number, d = 1, h = 0, mi = 0) => Date.UTC(y, m - 1, d, h - 3, mi);

export const T0 = msk(2026, 3, 10, 12);

export function openAccount(opts: { creditLimit?: number; now?: number; id?: string } = {}): AccountHarness {
  const h = new Harness(accountKind, opts.id ?? 'A1', opts.now ?? T0);
  h.ok({ type: 'Open', subscriberId: 'S1', creditLimit: opts.creditLimit ?? 0 });
  return h;
}

export function topUp(h: AccountHarness, amount: number, reference = `r${h.journal.length}`) {
  return h.ok({ type: 'TopUp', amount, source: 'cash', reference });
}

export const monthly = (price: number, tariffId = 'home'): TariffTerms => ({
  tariffId,
  name: tariffId,
  billing: 'monthly',
  pricePerMonth: price,
});
export const daily = (price: number, tariffId = 'day'): TariffTerms => ({
  ...monthly(price, tariffId),
  billing: 'daily',
});
export const hourly = (price: number, tariffId = 'hour'): TariffTerms => ({
  ...monthly(price, tariffId),
  billing: 'hourly',
});

export const typesOf = (events: readonly AccountEvent[]) => events.map((e) => e.type);
