import {
  type BillingKind,
  nextPeriod,
  type Period,
  periodAt,
  periodPrice,
  remainingPrice,
} from '../billing/periods.ts';
import { findCharge } from './charges.ts';
import type { Draft } from './draft.ts';
import type { AssignedTariff, TariffDue, TariffTerms } from './state.ts';

// The billing engine's side inside one account: which periods are due, charging them, the
// pending due and the block it causes, and prorating a tariff change.
//
// Rules, in the provider's terms:
// - Prepaid: a period is charged when it begins (monthly on the 1st for the month ahead).
// - Exactly once: `tariff.billedUntil` only moves forward, and a period is due only when it
//   begins at or after it; its charge carries the key `<account>/<tariff>/<period>`.
// - Can't pay → the charge becomes the account's due and the account is blocked
//   (insufficient_funds). Anything that makes the due affordable (a top-up, a refund, a
//   released hold, a higher credit limit) pays it and unblocks in the same decision.
// - A blocked subscriber gets no service, so they do not owe for the periods they sit out: a
//   new period's charge replaces an unpaid due (written off as superseded). Coming back, they
//   pay the current period only.
// - Catch-up after downtime: every missed period is charged in order, one event each; more
//   than `maxCatchUp` missed periods before the current one are skipped, oldest first. If the
//   money runs out midway, the rule above applies within the catch-up too: only the latest
//   unpaid period stays due (the outage kept the subscriber online: the provider's loss).
// - No remainder is carried between slices: slice h of H is priced from (P, h, H) alone, so
//   the cumulative rule needs no state and a skipped or replayed slice cannot shift the others.
// - Prorating on assign/change/removal at instant t inside a period [s, e) of price q:
//   the new tariff costs the rest, q − round(q·(t − s)/(e − s)); the old tariff's paid stretch
//   [s', e') of amount a is credited its rest a − round(a·(t − s')/(e' − s')), never more
//   than what is left unrefunded of that charge. An unpaid due of the old tariff is written off.
//   Used + rest = the price exactly, so assign-then-remove in one instant nets to zero.

/** Missed periods charged on catch-up by default: a month of hourly periods. */
export const DEFAULT_MAX_CATCH_UP = 744;

export const tariffProduct = (tariffId: string) => `tariff:${tariffId}`;

function periodKey(accountId: string, tariffId: string, label: string): string {
  return `${accountId}/${tariffId}/${label}`;
}

/** Charges `due` if the account can pay it, else records it as the due and blocks. */
function chargeOrOwe(d: Draft, due: TariffDue): void {
  if (d.available >= due.amount) {
    d.emit({
      type: 'TariffCharged',
      chargeId: d.nextId('c'),
      key: due.key,
      tariffId: due.tariffId,
      period: due.period,
      start: due.start,
      end: due.end,
      amount: due.amount,
      product: tariffProduct(due.tariffId),
      prorated: due.prorated,
    });
    return;
  }
  d.emit({ type: 'TariffDueRecorded', ...due });
  if (d.state.fundsBlockedAt === null)
    d.emit({ type: 'Blocked', reason: 'insufficient_funds', due: due.amount });
}

function writeOffDue(d: Draft, reason: 'superseded' | 'tariff_changed' | 'closed'): void {
  const due = d.state.due;
  if (due) d.emit({ type: 'TariffDueWrittenOff', key: due.key, amount: due.amount, reason });
}

/** Pays the due when it has become affordable, and lifts the block it caused. */
export function settleDue(d: Draft): void {
  const due = d.state.due;
  if (d.state.closedAt !== null) return;
  if (due && d.available >= due.amount) chargeOrOwe(d, due);
  if (!d.state.due && d.state.fundsBlockedAt !== null)
    d.emit({ type: 'Unblocked', reason: 'insufficient_funds' });
}

/** The periods from `billedUntil` up to the one containing `until`, at most `maxCatchUp` + 1. */
function duePeriods(
  t: AssignedTariff,
  until: number,
  maxCatchUp: number,
  timeZone: string,
): { periods: Period[]; skipTo: number | null } {
  const current = periodAt(t.billing, until, timeZone);
  if (current.start < t.billedUntil) return { periods: [], skipTo: null };
  // Walk back from the current period rather than forward from billedUntil, so that a long
  // downtime costs at most maxCatchUp + 1 period computations.
  const periods = [current];
  for (let first = current; first.start > t.billedUntil && periods.length <= maxCatchUp; ) {
    first = periodAt(t.billing, first.start - 1, timeZone);
    periods.unshift(first);
  }
  const first = periods[0] as Period;
  return { periods, skipTo: first.start > t.billedUntil ? first.start : null };
}

/** Charges every period of the tariff due by `until`, each exactly once. */
export function billUntil(d: Draft, until: number, maxCatchUp = DEFAULT_MAX_CATCH_UP): void {
  const t = d.state.tariff;
  if (!t || d.state.closedAt !== null) return;
  const { periods, skipTo } = duePeriods(t, Math.min(until, d.now), maxCatchUp, d.state.timeZone);
  if (skipTo !== null) {
    const count = countPeriods(t.billing, t.billedUntil, skipTo, d.state.timeZone);
    d.emit({
      type: 'TariffPeriodsSkipped',
      tariffId: t.tariffId,
      from: t.billedUntil,
      to: skipTo,
      count,
      reason: 'catch_up_limit',
    });
  }
  for (const p of periods) {
    const amount = periodPrice(t.pricePerMonth, p);
    if (amount === 0) continue;
    // A blocked subscriber sits this period out: its charge replaces the unpaid one.
    writeOffDue(d, 'superseded');
    chargeOrOwe(d, {
      key: periodKey(d.state.id, t.tariffId, p.label),
      tariffId: t.tariffId,
      period: p.label,
      start: p.start,
      end: p.end,
      amount,
      prorated: false,
    });
  }
  const last = periods[periods.length - 1];
  const billed = d.state.tariff?.billedUntil ?? 0;
  if (last && last.end > billed) {
    d.emit({
      type: 'TariffPeriodsSkipped',
      tariffId: t.tariffId,
      from: billed,
      to: last.end,
      count: countPeriods(t.billing, billed, last.end, d.state.timeZone),
      reason: 'free',
    });
  }
}

function countPeriods(kind: BillingKind, from: number, to: number, timeZone: string): number {
  if (kind === 'hourly') return Math.ceil((to - from) / 3_600_000);
  let n = 0;
  for (let p = periodAt(kind, from, timeZone); p.start < to; p = nextPeriod(p, timeZone)) n++;
  return n;
}

export interface TariffChangeOutcome {
  charged: number;
  credited: number;
}

/**
 * Ends the current tariff (crediting its unused rest) and starts `next` (charging the rest of
 * its current period). Billing of the old tariff is first brought up to now, so the period
 * being split is the one actually paid.
 */
export function changeTariff(d: Draft, next: TariffTerms | null): TariffChangeOutcome {
  const outcome = { charged: 0, credited: 0 };
  const old = d.state.tariff;
  if (old) {
    billUntil(d, d.now);
    writeOffDue(d, 'tariff_changed');
    const paid = d.state.tariff?.current;
    const charge = paid && findCharge(d.state.charges, paid.chargeId);
    if (paid && charge && d.now < paid.end) {
      const rest = remainingPrice(paid.amount, paid, d.now);
      const amount = Math.min(rest, charge.amount - charge.refunded);
      if (amount > 0) {
        d.emit({
          type: 'TariffCredited',
          refundId: d.nextId('r'),
          chargeId: paid.chargeId,
          key: paid.key,
          tariffId: old.tariffId,
          amount,
          product: tariffProduct(old.tariffId),
          from: d.now,
          to: paid.end,
        });
        outcome.credited = amount;
      }
    }
    d.emit({ type: 'TariffUnassigned', tariffId: old.tariffId });
  }
  if (next) {
    const p = periodAt(next.billing, d.now, d.state.timeZone);
    d.emit({ type: 'TariffAssigned', tariff: next, billedUntil: p.end });
    // The assignment's own sequence number tells apart two prorated rests of one period
    // (A → B → A within a month); full periods never repeat, so theirs needs none.
    const assignment = d.state.seq;
    const amount = remainingPrice(periodPrice(next.pricePerMonth, p), p, d.now);
    if (amount > 0) {
      chargeOrOwe(d, {
        key: `${periodKey(d.state.id, next.tariffId, p.label)}@${assignment}`,
        tariffId: next.tariffId,
        period: p.label,
        start: d.now,
        end: p.end,
        amount,
        prorated: true,
      });
      if (!d.state.due) outcome.charged = amount;
    }
  }
  // A block for the written-off due is lifted by settleDue, which runs after every command.
  return outcome;
}

/**
 * Closing ends the tariff without a credit: the balance must stay at the zero it was closed
 * at. No Unblocked is published: a closed account must not look serviceable to provisioning.
 */
export function endTariffOnClose(d: Draft): void {
  writeOffDue(d, 'closed');
  const t = d.state.tariff;
  if (t) d.emit({ type: 'TariffUnassigned', tariffId: t.tariffId });
}
