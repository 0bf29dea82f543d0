import type { BlockTarget, DeviceEvent, DeviceState, Intent } from './state.ts';
import { intentKey } from './state.ts';

// The events that ask a router for a change, made the same way whether a block comes from an
// account's status (through its services) or is asked for directly. Each returns null when
// the change is already wanted, so asking twice journals nothing.

const sameTarget = (a: BlockTarget | undefined, b: BlockTarget) => a?.ip === b.ip && a?.ppp === b.ppp;

/** The other target an account may still be blocked under, besides `next`. */
function liftOf(
  current: BlockTarget | undefined,
  pending: Intent | undefined,
  next: BlockTarget,
): BlockTarget | undefined {
  const pendingOld = pending?.kind === 'block' ? (pending.block ? pending.lift : pending.target) : undefined;
  return [current, pendingOld].find((t): t is BlockTarget => t !== undefined && !sameTarget(t, next));
}

/** The event that blocks `subject` at `target`, or null when that is already wanted. */
export function blockRequest(
  state: DeviceState,
  subject: string,
  accountId: string,
  target: BlockTarget,
): DeviceEvent | null {
  const key = intentKey('block', subject);
  const pending = state.intents[key];
  const current = state.blocked[subject];
  if (sameTarget(current, target) && (!pending || (pending.kind === 'block' && pending.block))) return null;
  // What may still be blocked on the router under another address or login is lifted
  // on the way, even when an unconfirmed change to it is replaced by this one.
  const lift = liftOf(current, pending, target);
  return {
    type: 'BlockRequested',
    key,
    seq: state.seq + 1,
    accountId,
    ...(subject !== accountId ? { subject } : {}),
    target,
    block: true,
    ...(lift ? { lift } : {}),
  };
}

/** The event that lifts the block of `subject`, or null when it is not blocked. */
export function unblockRequest(state: DeviceState, subject: string, accountId: string): DeviceEvent | null {
  const key = intentKey('block', subject);
  const target = state.blocked[subject];
  if (!target) return null;
  const lift = liftOf(undefined, state.intents[key], target);
  return {
    type: 'BlockRequested',
    key,
    seq: state.seq + 1,
    accountId,
    ...(subject !== accountId ? { subject } : {}),
    target,
    block: false,
    ...(lift ? { lift } : {}),
  };
}

/** The event that sets (or, with null, removes) the speed limit of `subject`. */
export function speedRequest(
  state: DeviceState,
  subject: string,
  accountId: string,
  where: { ip: string; ppp?: string },
  maxLimit: string | null,
): DeviceEvent {
  return {
    type: 'SpeedRequested',
    key: intentKey('speed', subject),
    seq: state.seq + 1,
    accountId,
    ...(subject !== accountId ? { subject } : {}),
    ip: where.ip,
    ...(where.ppp !== undefined ? { ppp: where.ppp } : {}),
    maxLimit,
  };
}
