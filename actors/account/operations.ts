import type { OperationKind, OperationsPage, OperationsQuery, OperationView } from '../../protocol/money.ts';
import type { AccountEvent } from './events.ts';

// GET /accounts/{id}/operations is a projection over the account's journal: pass every event
// of the account, oldest first (the `event` of each stored envelope). `seq` is the event's
// ordinal in that stream, i.e. its journal sequenceNumber.

type Base = Pick<OperationView, 'seq' | 'at' | 'by'>;

function operationOf(e: AccountEvent, base: Base): Omit<OperationView, 'balance'> | null {
  switch (e.type) {
    case 'ToppedUp':
      return {
        ...base,
        id: e.topUpId,
        kind: 'top_up',
        amount: e.amount,
        held: 0,
        source: e.source,
        reference: e.reference,
      };
    case 'Charged':
      return {
        ...base,
        id: e.chargeId,
        kind: 'charge',
        amount: -e.amount,
        held: 0,
        chargeId: e.chargeId,
        product: e.product,
        ...(e.description === undefined ? {} : { description: e.description }),
      };
    case 'Refunded':
      return {
        ...base,
        id: e.refundId,
        kind: 'refund',
        amount: e.amount,
        held: 0,
        chargeId: e.chargeId,
        product: e.product,
        ...(e.reason === undefined ? {} : { reason: e.reason }),
      };
    case 'HoldPlaced':
      return {
        ...base,
        id: e.holdId,
        kind: 'hold',
        amount: 0,
        held: e.amount,
        holdId: e.holdId,
        product: e.product,
        ...(e.description === undefined ? {} : { description: e.description }),
      };
    case 'HoldConfirmed':
      return {
        ...base,
        id: e.chargeId,
        kind: 'hold_confirm',
        amount: -e.amount,
        held: -e.held,
        chargeId: e.chargeId,
        holdId: e.holdId,
        product: e.product,
        ...(e.description === undefined ? {} : { description: e.description }),
      };
    case 'HoldVoided':
    case 'HoldExpired':
      return {
        ...base,
        id: e.holdId,
        kind: e.type === 'HoldVoided' ? 'hold_void' : 'hold_expire',
        amount: 0,
        held: -e.amount,
        holdId: e.holdId,
      };
    case 'Adjusted':
      return { ...base, id: e.adjustmentId, kind: 'adjustment', amount: e.amount, held: 0, reason: e.reason };
    case 'TariffCharged':
      return {
        ...base,
        id: e.chargeId,
        kind: 'tariff_charge',
        amount: -e.amount,
        held: 0,
        chargeId: e.chargeId,
        product: e.product,
        tariffId: e.tariffId,
        period: e.period,
      };
    case 'TariffCredited':
      return {
        ...base,
        id: e.refundId,
        kind: 'tariff_credit',
        amount: e.amount,
        held: 0,
        chargeId: e.chargeId,
        product: e.product,
        tariffId: e.tariffId,
      };
    default:
      return null;
  }
}

/** Every money movement of an account, oldest first, each with the balance after it. */
export function operationsOf(events: readonly AccountEvent[]): OperationView[] {
  const out: OperationView[] = [];
  let balance = 0;
  events.forEach((e, i) => {
    const op = operationOf(e, { seq: i + 1, at: e.at, by: { type: e.by.type, id: e.by.id } });
    if (!op) return;
    balance += op.amount;
    out.push({ ...op, balance });
  });
  return out;
}

export const DEFAULT_OPERATIONS_LIMIT = 50;

/** One page, newest first: `from` ≤ at < `to`, of `kind`, older than `cursor`. */
export function queryOperations(ops: readonly OperationView[], q: OperationsQuery = {}): OperationsPage {
  const limit = q.limit ?? DEFAULT_OPERATIONS_LIMIT;
  const before = q.cursor === undefined ? Number.POSITIVE_INFINITY : Number(q.cursor);
  const items: OperationView[] = [];
  let more = false;
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    if (op.seq >= before) continue;
    // No early exit on `from`: a clock stepped back could put an older `at` after a newer one.
    if (q.from !== undefined && op.at < q.from) continue;
    if (q.to !== undefined && op.at >= q.to) continue;
    if (q.kind !== undefined && op.kind !== (q.kind as OperationKind)) continue;
    if (items.length === limit) {
      more = true;
      break;
    }
    items.push(op);
  }
  const last = items[items.length - 1];
  return more && last ? { items, nextCursor: String(last.seq) } : { items };
}
