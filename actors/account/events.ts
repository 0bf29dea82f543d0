import type { Currency, TopUpSource } from '../../protocol/money.ts';
import type { Cause } from '../runtime/kind.ts';
import type { TariffTerms } from './state.ts';

// Account events: what the journal keeps. Each names who caused it and when, so the journal
// is the audit log and the operations list and acts are projections over it.

interface Meta {
  by: Cause;
  at: number;
}

export interface AccountOpened extends Meta {
  type: 'AccountOpened';
  /** So that a stream of events describes itself (acts name the account). */
  accountId: string;
  subscriberId: string | null;
  currency: Currency;
  creditLimit: number;
  timeZone: string;
}

export interface ToppedUp extends Meta {
  type: 'ToppedUp';
  topUpId: string;
  amount: number;
  source: TopUpSource;
  reference: string;
}

export interface Charged extends Meta {
  type: 'Charged';
  chargeId: string;
  amount: number;
  product: string;
  description?: string;
}

export interface Refunded extends Meta {
  type: 'Refunded';
  refundId: string;
  chargeId: string;
  amount: number;
  product: string;
  reason?: string;
}

export interface HoldPlaced extends Meta {
  type: 'HoldPlaced';
  holdId: string;
  amount: number;
  expiresAt: number;
  product: string;
  description?: string;
}

/** A confirmed hold becomes a charge (refundable, in acts); the rest of the hold is released. */
export interface HoldConfirmed extends Meta {
  type: 'HoldConfirmed';
  holdId: string;
  chargeId: string;
  held: number;
  amount: number;
  product: string;
  description?: string;
}

export interface HoldVoided extends Meta {
  type: 'HoldVoided';
  holdId: string;
  amount: number;
}

export interface HoldExpired extends Meta {
  type: 'HoldExpired';
  holdId: string;
  amount: number;
  expiresAt: number;
}

export interface CreditLimitChanged extends Meta {
  type: 'CreditLimitChanged';
  from: number;
  to: number;
}

export interface Adjusted extends Meta {
  type: 'Adjusted';
  adjustmentId: string;
  amount: number;
  reason: string;
}

export interface TariffAssigned extends Meta {
  type: 'TariffAssigned';
  tariff: TariffTerms;
  /** End of the period the assignment falls in: billing goes on from here. */
  billedUntil: number;
}

export interface TariffUnassigned extends Meta {
  type: 'TariffUnassigned';
  tariffId: string;
}

/** One period (or the prorated rest of one) of a tariff, paid. `key` is unique per account. */
export interface TariffCharged extends Meta {
  type: 'TariffCharged';
  chargeId: string;
  /**
   * `<account>/<tariff>/<period>`; a prorated rest after an assignment is
   * `<account>/<tariff>/<period>@<seq of the TariffAssigned event>`.
   */
  key: string;
  tariffId: string;
  period: string;
  start: number;
  end: number;
  amount: number;
  product: string;
  prorated: boolean;
}

/** A tariff charge that could not be paid: it waits in state and the account is blocked. */
export interface TariffDueRecorded extends Meta {
  type: 'TariffDueRecorded';
  key: string;
  tariffId: string;
  period: string;
  start: number;
  end: number;
  amount: number;
  prorated: boolean;
}

/** An unpaid due dropped: a later period replaced it, the tariff changed or the account closed. */
export interface TariffDueWrittenOff extends Meta {
  type: 'TariffDueWrittenOff';
  key: string;
  amount: number;
  reason: 'superseded' | 'tariff_changed' | 'closed';
}

/** The unused rest of a paid period given back when the tariff changes or is removed. */
export interface TariffCredited extends Meta {
  type: 'TariffCredited';
  refundId: string;
  chargeId: string;
  key: string;
  tariffId: string;
  amount: number;
  product: string;
  from: number;
  to: number;
}

/**
 * Periods settled without a charge: free (their price rounds to 0) or beyond the catch-up limit
 * after downtime (`catch_up_limit`, the provider's loss, counted for the audit).
 */
export interface TariffPeriodsSkipped extends Meta {
  type: 'TariffPeriodsSkipped';
  tariffId: string;
  from: number;
  to: number;
  count: number;
  reason: 'free' | 'catch_up_limit';
}

export interface Blocked extends Meta {
  type: 'Blocked';
  reason: 'manual' | 'insufficient_funds';
  /** The staff's words for a manual block. */
  note?: string;
  /** The unpaid amount for insufficient_funds. */
  due?: number;
}

export interface Unblocked extends Meta {
  type: 'Unblocked';
  reason: 'manual' | 'insufficient_funds';
}

export interface AccountClosed extends Meta {
  type: 'AccountClosed';
  reason?: string;
}

export type AccountEvent =
  | AccountOpened
  | ToppedUp
  | Charged
  | Refunded
  | HoldPlaced
  | HoldConfirmed
  | HoldVoided
  | HoldExpired
  | CreditLimitChanged
  | Adjusted
  | TariffAssigned
  | TariffUnassigned
  | TariffCharged
  | TariffDueRecorded
  | TariffDueWrittenOff
  | TariffCredited
  | TariffPeriodsSkipped
  | Blocked
  | Unblocked
  | AccountClosed;

/** An event as decide writes it, before the cause and the time are stamped on. */
export type AccountEventBody = AccountEvent extends infer E
  ? E extends Meta
    ? Omit<E, 'by' | 'at'>
    : never
  : never;
