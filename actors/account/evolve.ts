import { addCharge, refundCharge } from './charges.ts';
import type { AccountEvent } from './events.ts';
import { type AccountState, type ChargeRecord, CLOSED_HOLDS_KEPT, type ClosedHold } from './state.ts';

// Pure and copy-on-write: decide folds candidate events over the live state, so evolve must
// never touch its input.

function closeHold(state: AccountState, closed: ClosedHold): Pick<AccountState, 'holds' | 'closedHolds'> {
  const holds = { ...state.holds };
  delete holds[closed.holdId];
  return { holds, closedHolds: [...state.closedHolds, closed].slice(-CLOSED_HOLDS_KEPT) };
}

/** What every charge (a service's, a confirmed hold's, the tariff's) does to balance and charges. */
function charged(
  s: AccountState,
  e: { chargeId: string; amount: number; product: string; at: number },
  tariff = false,
): Pick<AccountState, 'balance' | 'charges'> {
  const record: ChargeRecord = {
    chargeId: e.chargeId,
    amount: e.amount,
    refunded: 0,
    product: e.product,
    at: e.at,
  };
  if (tariff) record.tariff = true;
  return { balance: s.balance - e.amount, charges: addCharge(s.charges, record) };
}

export function evolve(prev: AccountState, e: AccountEvent): AccountState {
  // One copy per event: each case spreads the previous state once, with the next seq.
  const s = prev;
  const seq = prev.seq + 1;
  switch (e.type) {
    case 'AccountOpened':
      return {
        ...s,
        seq,
        opened: true,
        subscriberId: e.subscriberId,
        currency: e.currency,
        creditLimit: e.creditLimit,
        timeZone: e.timeZone,
        openedAt: e.at,
      };
    case 'ToppedUp':
      return { ...s, seq, balance: s.balance + e.amount };
    case 'Charged':
      return {
        ...s,
        seq,
        ...charged(s, e),
      };
    case 'Refunded':
      return {
        ...s,
        seq,
        balance: s.balance + e.amount,
        charges: refundCharge(s.charges, e.chargeId, e.amount),
      };
    case 'HoldPlaced': {
      const hold = {
        holdId: e.holdId,
        amount: e.amount,
        placedAt: e.at,
        expiresAt: e.expiresAt,
        product: e.product,
        ...(e.description === undefined ? {} : { description: e.description }),
      };
      return { ...s, seq, holds: { ...s.holds, [e.holdId]: hold } };
    }
    case 'HoldConfirmed':
      return {
        ...s,
        seq,
        ...closeHold(s, { holdId: e.holdId, status: 'confirmed', at: e.at, chargeId: e.chargeId }),
        ...charged(s, e),
      };
    case 'HoldVoided':
      return { ...s, seq, ...closeHold(s, { holdId: e.holdId, status: 'voided', at: e.at }) };
    case 'HoldExpired':
      return { ...s, seq, ...closeHold(s, { holdId: e.holdId, status: 'expired', at: e.at }) };
    case 'CreditLimitChanged':
      return { ...s, seq, creditLimit: e.to };
    case 'Adjusted':
      return { ...s, seq, balance: s.balance + e.amount };
    case 'TariffAssigned':
      return {
        ...s,
        seq,
        // Object.assign, not a spread followed by new keys (~5 µs in V8, see Draft.emit).
        tariff: Object.assign({}, e.tariff, { assignedAt: e.at, billedUntil: e.billedUntil, current: null }),
      };
    case 'TariffUnassigned':
      return { ...s, seq, tariff: null };
    case 'TariffCharged':
      return {
        ...s,
        seq,
        ...charged(s, e, true),
        tariff: s.tariff && {
          ...s.tariff,
          billedUntil: Math.max(s.tariff.billedUntil, e.end),
          current: { key: e.key, chargeId: e.chargeId, start: e.start, end: e.end, amount: e.amount },
        },
        due: s.due?.key === e.key ? null : s.due,
      };
    case 'TariffDueRecorded':
      return {
        ...s,
        seq,
        due: {
          key: e.key,
          tariffId: e.tariffId,
          period: e.period,
          start: e.start,
          end: e.end,
          amount: e.amount,
          prorated: e.prorated,
        },
        tariff: s.tariff && {
          ...s.tariff,
          billedUntil: Math.max(s.tariff.billedUntil, e.end),
          current: null,
        },
      };
    case 'TariffDueWrittenOff':
      return { ...s, seq, due: s.due?.key === e.key ? null : s.due };
    case 'TariffCredited':
      return {
        ...s,
        seq,
        balance: s.balance + e.amount,
        charges: refundCharge(s.charges, e.chargeId, e.amount),
        tariff: s.tariff && { ...s.tariff, current: null },
      };
    case 'TariffPeriodsSkipped':
      return {
        ...s,
        seq,
        tariff: s.tariff && { ...s.tariff, billedUntil: Math.max(s.tariff.billedUntil, e.to) },
      };
    case 'Blocked':
      return e.reason === 'manual'
        ? { ...s, seq, manualBlock: { reason: e.note ?? '', at: e.at } }
        : { ...s, seq, fundsBlockedAt: s.fundsBlockedAt ?? e.at };
    case 'Unblocked':
      return e.reason === 'manual' ? { ...s, seq, manualBlock: null } : { ...s, seq, fundsBlockedAt: null };
    case 'AccountClosed':
      return { ...s, seq, closedAt: e.at };
  }
}
