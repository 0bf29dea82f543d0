import type { Currency, TopUpSource } from '../../protocol/money.ts';
import type { TariffTerms } from './state.ts';

// Account commands. Every one that moves money arrives with an idempotency key that the
// runtime keeps (a repeat gets the first reply). Commands sent by timers or the billing clock
// (ExpireHold, BillingTick) are idempotent from state instead.

export interface OpenAccount {
  type: 'Open';
  subscriberId?: string | null;
  currency?: Currency;
  creditLimit?: number;
  /** IANA zone of the billing calendar; defaults to Europe/Moscow. */
  timeZone?: string;
}

export interface TopUp {
  type: 'TopUp';
  amount: number;
  source: TopUpSource;
  reference: string;
}

export interface Charge {
  type: 'Charge';
  amount: number;
  product: string;
  description?: string;
}

export interface Refund {
  type: 'Refund';
  chargeId: string;
  amount: number;
  reason?: string;
}

export interface PlaceHold {
  type: 'PlaceHold';
  amount: number;
  ttlSeconds: number;
  product?: string;
  description?: string;
}

export interface ConfirmHold {
  type: 'ConfirmHold';
  holdId: string;
  /** Defaults to the whole hold. */
  amount?: number;
  product?: string;
  description?: string;
}

export interface VoidHold {
  type: 'VoidHold';
  holdId: string;
}

/** Sent by the hold's timer. */
export interface ExpireHold {
  type: 'ExpireHold';
  holdId: string;
}

export interface SetCreditLimit {
  type: 'SetCreditLimit';
  creditLimit: number;
}

/** A staff correction, positive or negative; the reason is audited. */
export interface Adjust {
  type: 'Adjust';
  amount: number;
  reason: string;
}

/**
 * Assigns, changes (tariff set) or removes (null) the tariff. The caller reads the terms from
 * the tariffs catalog (after recording the usage there, see actors/tariff/catalog.ts), since
 * an actor's decide cannot ask another actor.
 */
export interface AssignTariff {
  type: 'AssignTariff';
  tariff: TariffTerms | null;
}

export interface Block {
  type: 'Block';
  reason: string;
}

export interface Unblock {
  type: 'Unblock';
}

export interface Close {
  type: 'Close';
  reason?: string;
}

/**
 * From the billing clock: charge every period of the tariff that began at or before `until`
 * (clamped to now) and is not charged yet. Periods missed beyond `maxCatchUp` before the
 * current one are skipped (written off) rather than charged.
 */
export interface BillingTick {
  type: 'BillingTick';
  until: number;
  maxCatchUp?: number;
}

export type AccountCommand =
  | OpenAccount
  | TopUp
  | Charge
  | Refund
  | PlaceHold
  | ConfirmHold
  | VoidHold
  | ExpireHold
  | SetCreditLimit
  | Adjust
  | AssignTariff
  | Block
  | Unblock
  | Close
  | BillingTick;
