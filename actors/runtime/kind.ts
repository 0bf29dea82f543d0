import { ApiError } from '../../protocol/errors.ts';

// An actor kind is plain functions over plain data, so it is tested without a runtime.
// The runtime (registry.ts) gives them a mailbox, a journal, a clock and timers.

/** Who caused a change: every journaled event names it (the journal is the audit log). */
export interface Cause {
  type: 'staff' | 'subscriber' | 'system' | 'api' | 'installation';
  id: string;
  ip?: string;
}

export const systemCause: Cause = { type: 'system', id: 'abonent' };

export interface DecideContext {
  /** The actor's id (without the kind). */
  id: string;
  /** Milliseconds since the epoch, from the injected clock. */
  now: number;
  cause: Cause;
}

/**
 * A refusal: nothing is persisted and the caller gets this error.
 * Use `reject(status, code, message)` to build one.
 */
export interface Rejected {
  reject: ApiError;
}

export interface Accepted<E, R> {
  /** Journaled all or none, then folded into state by `evolve`. May be empty. */
  events: E[];
  /** What the caller gets; kept with the idempotency key, so it must be plain JSON. */
  reply: R;
  /**
   * The state after `events`, when decide has folded them with `evolve` already (a draft):
   * the runtime then does not fold them a second time. It must be exactly that fold.
   */
  state?: unknown;
}

export type Decision<E, R> = Accepted<E, R> | Rejected;

export interface EffectContext<C> {
  id: string;
  now: number;
  /** Sends a command to this actor itself (e.g. the outcome of a router call). */
  tellSelf(command: C): void;
  log: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
  };
}

export interface Timer<C> {
  /** When it is due, in milliseconds since the epoch. */
  at: number;
  /**
   * Sent to the actor once due. `decide` must treat it idempotently from state (a hold
   * that is already gone is not expired twice), since a timer can fire again after a crash.
   */
  command: C;
}

export interface ActorKind<S, C, E, R = unknown> {
  /** The kind's name: the first half of the persistence key `<kind>:<id>`. */
  name: string;
  initial(id: string): S;
  decide(state: S, command: C, ctx: DecideContext): Decision<E, R>;
  /** Pure. Used for every applied command and for recovery alike. */
  evolve(state: S, event: E): S;
  /**
   * Runs after the events are durable, never on recovery. What must survive a crash is
   * an intent event in state; `resume` picks such intents up again after recovery.
   */
  effects?(state: S, events: E[], ctx: EffectContext<C>): void;
  /** Called once after recovery with the recovered state: restart pending intents. */
  resume?(state: S, ctx: EffectContext<C>): void;
  /** Due times kept in state; the runtime arms them, also across passivation and restarts. */
  timers?(state: S): Timer<C>[];
  /** Topics (besides `<kind>:<id>` and `feed`) on which this kind's events are published. */
  topics?(state: S, event: E): string[];
  /**
   * False keeps this kind's events off the live bus (they carry password hashes or sealed
   * secrets); in-process onPersisted listeners (projections, the audit log) still see them.
   */
  live?: boolean;
  /**
   * Events to wait before the next snapshot of this state, for a kind whose actors are
   * activated often (an account on an hourly tariff: every tick re-activates it). Let it grow
   * with what the state holds, so that a snapshot costs no more to write, spread over the
   * events it waited for, than those events did. The runtime stretches it to the applied keys
   * a snapshot carries and caps it at the system's `snapshotEvery` (so Infinity means that one).
   */
  snapshotEvery?(state: S): number;
}

/** A decision helper for kinds: `return reject(409, 'insufficient_funds', '…')`. */
export function reject(status: number, code: string, message: string, details?: unknown): Rejected {
  return { reject: new ApiError(status, code, message, details) };
}

export function accept<E, R>(events: E[], reply: R, state?: unknown): Accepted<E, R> {
  return state === undefined ? { events, reply } : { events, reply, state };
}

export function isRejected<E, R>(d: Decision<E, R>): d is Rejected {
  return 'reject' in d;
}
