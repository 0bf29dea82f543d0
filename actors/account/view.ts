import type { AccountView, HoldView, TariffDueView } from '../../protocol/money.ts';
import { type AccountState, blockReasonOf, statusOf, type TariffDue } from './state.ts';

export function dueView(due: TariffDue): TariffDueView {
  return { key: due.key, tariffId: due.tariffId, period: due.period, amount: due.amount };
}

/**
 * The account as GET /api/v1/accounts/{id} shows it. Given `now`, holds already past their
 * expiry are left out (and not counted) even if their timer has not fired yet: the next
 * command would expire them first anyway.
 */
export function accountView(state: AccountState, now = Number.NEGATIVE_INFINITY): AccountView {
  const holds: HoldView[] = Object.values(state.holds)
    .filter((h) => h.expiresAt > now)
    .sort((a, b) => a.expiresAt - b.expiresAt)
    .map((h) => ({ ...h }));
  const held = holds.reduce((sum, h) => sum + h.amount, 0);
  const view: AccountView = {
    id: state.id,
    currency: state.currency,
    balance: state.balance,
    available: state.balance + state.creditLimit - held,
    creditLimit: state.creditLimit,
    holds,
    status: statusOf(state),
    timeZone: state.timeZone,
    openedAt: state.openedAt,
  };
  if (state.subscriberId !== null) view.subscriberId = state.subscriberId;
  const reason = blockReasonOf(state);
  if (reason) view.blockReason = reason;
  if (reason === 'manual' && state.manualBlock) view.blockNote = state.manualBlock.reason;
  if (state.tariff) view.tariffId = state.tariff.tariffId;
  if (state.due) view.due = dueView(state.due);
  return view;
}
