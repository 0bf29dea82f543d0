import type { Currency } from '../../protocol/money.ts';
import { type BillingKind, DEFAULT_TIME_ZONE } from '../billing/periods.ts';

// An account's state is plain JSON (it is snapshotted as is). It keeps only what decisions
// need: open holds, a bounded memory of recent charges (for refund limits) and of closed
// holds (to tell "not open" from "not found"), and the tariff's billing position. The list of
// operations and the acts are projections over the journal (operations.ts, act.ts).

/** Charges kept for refunds: the newest this many… */
export const CHARGES_KEPT = 2000;
/** …and none older than this (a refund of an older charge is charge_not_found). */
export const CHARGE_REFUND_WINDOW_MS = 400 * 24 * 3600 * 1000;
/**
 * …and of those, at most this many tariff charges. An hourly tariff charges 24 times a day:
 * with the book holding all of them, an account's snapshot reached ~180 KB after 100 days and
 * every hourly activation parsed it (measured: ~3 ms per recovery, hours of CPU per billing
 * tick at a million accounts). The newest keep what a tariff charge is refunded or credited
 * against: the paid period's charge (a tariff change credits it) and recent slices.
 */
export const TARIFF_CHARGES_KEPT = 100;
/** Closed holds remembered, so that confirming one answers hold_not_open, not hold_not_found. */
export const CLOSED_HOLDS_KEPT = 200;

export interface OpenHold {
  holdId: string;
  amount: number;
  placedAt: number;
  expiresAt: number;
  product: string;
  description?: string;
}

export interface ClosedHold {
  holdId: string;
  status: 'confirmed' | 'voided' | 'expired';
  at: number;
  chargeId?: string;
}

export interface ChargeRecord {
  chargeId: string;
  amount: number;
  refunded: number;
  product: string;
  at: number;
  /** A tariff's charge (TariffCharged), counted against TARIFF_CHARGES_KEPT. */
  tariff?: true;
}

/** What an account needs to know of a tariff to bill it; copied from the catalog on assignment. */
export interface TariffTerms {
  tariffId: string;
  name: string;
  billing: BillingKind;
  pricePerMonth: number;
}

/** The paid stretch of the latest billed period: the base of a prorated credit on a change. */
export interface PaidPeriod {
  key: string;
  chargeId: string;
  start: number;
  end: number;
  amount: number;
}

export interface AssignedTariff extends TariffTerms {
  assignedAt: number;
  /** Every period ending at or before this instant is settled (charged, due, free or skipped). */
  billedUntil: number;
  current: PaidPeriod | null;
}

/** A tariff charge that could not be paid; the account is blocked while it exists. */
export interface TariffDue {
  key: string;
  tariffId: string;
  period: string;
  start: number;
  end: number;
  amount: number;
  prorated: boolean;
}

export interface AccountState {
  id: string;
  opened: boolean;
  subscriberId: string | null;
  currency: Currency;
  timeZone: string;
  openedAt: number;
  closedAt: number | null;
  balance: number;
  creditLimit: number;
  holds: Record<string, OpenHold>;
  closedHolds: ClosedHold[];
  /** Recent charges in chunks, oldest first (see charges.ts, which reads and writes them). */
  charges: ChargeRecord[][];
  /** Events folded so far; new ids are `<account>-<letter><seq + 1>`, so decide stays pure. */
  seq: number;
  manualBlock: { reason: string; at: number } | null;
  fundsBlockedAt: number | null;
  tariff: AssignedTariff | null;
  due: TariffDue | null;
}

export function initialAccount(id: string): AccountState {
  return {
    id,
    opened: false,
    subscriberId: null,
    currency: 'RUB',
    timeZone: DEFAULT_TIME_ZONE,
    openedAt: 0,
    closedAt: null,
    balance: 0,
    creditLimit: 0,
    holds: {},
    closedHolds: [],
    charges: [],
    seq: 0,
    manualBlock: null,
    fundsBlockedAt: null,
    tariff: null,
    due: null,
  };
}

export function heldTotal(state: AccountState): number {
  let sum = 0;
  for (const h of Object.values(state.holds)) sum += h.amount;
  return sum;
}

/** available = balance + creditLimit − Σ open holds. */
export function availableOf(state: AccountState): number {
  return state.balance + state.creditLimit - heldTotal(state);
}

export type Status = 'active' | 'blocked' | 'closed';

export function statusOf(state: AccountState): Status {
  if (state.closedAt !== null) return 'closed';
  return state.manualBlock || state.fundsBlockedAt !== null ? 'blocked' : 'active';
}

/** A manual block is named first: lifting it needs a person, the other lifts itself on payment. */
export function blockReasonOf(state: AccountState): 'manual' | 'insufficient_funds' | undefined {
  if (state.closedAt !== null) return undefined;
  if (state.manualBlock) return 'manual';
  if (state.fundsBlockedAt !== null) return 'insufficient_funds';
  return undefined;
}
