import type { ActorKind, Timer } from '../runtime/kind.ts';
import { countCharges } from './charges.ts';
import type { AccountCommand } from './commands.ts';
import { decide } from './decide.ts';
import type { AccountEvent } from './events.ts';
import { evolve } from './evolve.ts';
import type { AccountReply } from './replies.ts';
import { type AccountState, initialAccount } from './state.ts';

// The account (лицевой счёт) as an actor kind: `account:<id>`. Pure: no effects, the
// runtime journals, folds and arms the timers; billing is driven by BillingTick from the
// billing clock.
//
// For the HTTP wiring:
// - POST /accounts: the edge makes the id, sends Open (then AttachAccount to the subscriber).
// - Every money POST carries its Idempotency-Key to the runtime; charge, hold, refund, top-up
//   and adjustment ids come from the account (`<account>-c7`), so a retry gets the same id.
//   A Robokassa/bank webhook should use `<source>:<reference>` as its key.
// - POST …/tariff: TariffUsageChanged at `tariffs:catalog` first (its reply has the terms),
//   then AssignTariff here (see actors/tariff/catalog.ts).
// - GET …/operations and …/acts/{month}: operationsOf/queryOperations and buildAct/actToCsv
//   over the account's journal (`data.event` of each stored envelope, oldest first).
// - GET …/{id}: accountView(state, now).

/** Blocks, unblocks and closings, for whoever enforces them on the network. */
export const ACCOUNT_STATUS_TOPIC = 'accounts:status';

function timers(state: AccountState): Timer<AccountCommand>[] {
  return Object.values(state.holds).map((h) => ({
    at: h.expiresAt,
    command: { type: 'ExpireHold', holdId: h.holdId },
  }));
}

function topics(state: AccountState, event: AccountEvent): string[] {
  const out: string[] = [];
  if (state.subscriberId !== null) out.push(`subscriber:${state.subscriberId}`);
  if (event.type === 'Blocked' || event.type === 'Unblocked' || event.type === 'AccountClosed') {
    out.push(ACCOUNT_STATUS_TOPIC);
  }
  return out;
}

/**
 * Billing re-activates every account with a tariff each tick (hourly, for an hourly tariff):
 * replaying up to 500 events each time cost ~1.5 ms per account, where such an account's
 * state is a few kilobytes. Every 100 events, then, or later for a long charge book (~90
 * bytes a charge): half its charges, so a snapshot's book costs less than the events it
 * waited for. An account without a tariff is activated by its own traffic only and keeps
 * the system's cadence (a wallet account of a busy service would otherwise write its large
 * snapshot far more often).
 */
function snapshotEvery(state: AccountState): number {
  if (state.tariff === null) return Number.POSITIVE_INFINITY;
  return Math.max(100, countCharges(state.charges) >> 1);
}

export const accountKind: ActorKind<AccountState, AccountCommand, AccountEvent, AccountReply> = {
  name: 'account',
  initial: initialAccount,
  decide,
  evolve,
  timers,
  topics,
  snapshotEvery,
};

export type { AccountCommand } from './commands.ts';
export type { AccountEvent } from './events.ts';
export type { AccountReplies, AccountReply } from './replies.ts';
export type { AccountState } from './state.ts';
export { accountView } from './view.ts';
