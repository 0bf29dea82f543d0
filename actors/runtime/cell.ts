import type { Logger } from 'pino';
import { ApiError, errors } from '../../protocol/errors.ts';
import { type Journal, JournalConflictError, type NewEvent, type StoredEvent } from '../journal/types.ts';
import type { Bus, LiveEvent } from './bus.ts';
import type { Clock } from './clock.ts';
import { type AppliedRecord, decidedAt, type Envelope, envelope } from './envelope.ts';
import { fingerprint as fingerprintOf } from './fingerprint.ts';
import { type AppliedEntry, AppliedKeys, type IdempotencyPolicy } from './idempotency.ts';
import { type ActorKind, type Cause, type EffectContext, isRejected, systemCause } from './kind.ts';
import type { RuntimeMetrics } from './metrics.ts';

// biome-ignore lint/suspicious/noExplicitAny: a cell serves every kind; types are restored at the ask() boundary.
export type AnyKind = ActorKind<any, any, any, any>;

/** What a snapshot holds besides the kind's own state. */
/**
 * Events between an actor's snapshots: its kind's cadence for this state, at least as many as
 * the applied keys every snapshot carries (~170 bytes each, about half an event: spread over
 * the events waited for, a snapshot's keys cost less than those events), and never more than
 * the system's.
 */
export function snapshotInterval<S>(
  kind: { snapshotEvery?(state: S): number },
  state: S,
  appliedKeys: number,
  systemEvery: number,
): number {
  if (kind.snapshotEvery === undefined) return systemEvery;
  return Math.min(systemEvery, Math.max(kind.snapshotEvery(state), appliedKeys));
}

export interface SnapshotData<S = unknown> {
  state: S;
  applied: AppliedEntry[];
}

export interface Deferred<T = unknown> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

export type Message =
  | { t: 'recover' }
  | {
      t: 'command';
      command: unknown;
      key: string | undefined;
      fingerprint: string | undefined;
      cause: Cause;
      done: Deferred | undefined;
    }
  | { t: 'read'; fn: (state: unknown) => unknown; done: Deferred }
  | { t: 'timers' };

export type PersistedListener = (events: LiveEvent[], state: unknown) => void;

export interface CellEnv {
  journal: Journal;
  clock: Clock;
  log: Logger;
  bus: Bus | undefined;
  /**
   * Called in this process, synchronously, after events are durable: for projections and
   * forwarders that must see every event exactly where it was written (unlike the bus,
   * which with Redis delivers every node's events to every node).
   */
  onPersisted: PersistedListener[];
  metrics: RuntimeMetrics | undefined;
  snapshotEvery: number;
  idempotency: IdempotencyPolicy;
  /** Sends a command to an actor through the registry (re-activating it if needed). */
  tell(kind: string, id: string, command: unknown): void;
  /** Queues a 'timers' message for this cell, if it is still the live one. */
  wake(cell: ActorCell): void;
  /** Snapshots being written; the registry waits for them when it stops. */
  snapshots: Set<Promise<void>>;
  /** Called when a cell cannot serve any more (recovery failed, journal diverged). */
  onBroken(cell: ActorCell): void;
}

/** What a command left to do once its events are durable. */
interface Writing {
  next: unknown;
  events: unknown[];
  reply: unknown;
  record: AppliedRecord | undefined;
  wakeup: number | null;
  now: number;
  cause: Cause;
  done: Deferred | undefined;
}

/** How the last recovery went: recovery time must not grow with history. */
export interface RecoveryStats {
  snapshotSequence: number;
  eventsReplayed: number;
}

const RETRY_FAILED_TIMER_MS = 1000;
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * One live actor: its state, its place in the journal, its applied keys and timers.
 * The registry feeds it messages one at a time through its mailbox (mailbox.ts), so nothing in
 * here ever runs concurrently for the same actor.
 */
export class ActorCell {
  state: unknown;
  sequenceNumber = 0;
  /** Messages queued or running: the mailbox depth the registry bounds. */
  inflight = 0;
  lastActive = performance.now();
  recovery: RecoveryStats | undefined;
  broken = false;
  /** Set by the registry: leave memory once the mailbox is empty. */
  passivateWhenIdle = false;
  private applied: AppliedKeys;
  private eventsSinceSnapshot = 0;
  /** The wake-up the journal holds for this actor: written only when it changes. */
  private storedWakeup: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  /** Due timers already fired for the current state: a timer whose command changes nothing must not spin. */
  private fired = new Set<string>();
  private effects: Omit<EffectContext<unknown>, 'now'> | undefined;
  private recovered = false;
  /** A snapshot is being written (see snapshot()). */
  private snapshotting = false;
  /** The command whose events are being written, until the journal answers. */
  private writing: Writing | undefined = undefined;

  constructor(
    readonly kind: AnyKind,
    readonly id: string,
    readonly key: string,
    private readonly env: CellEnv,
  ) {
    this.state = kind.initial(id);
    this.applied = new AppliedKeys(env.idempotency);
  }

  /** Made on first use: most activations (a billing tick) never need it, and a child logger costs. */
  private get effectCtx(): Omit<EffectContext<unknown>, 'now'> {
    if (!this.effects) {
      const { kind, id, env } = this;
      this.effects = {
        id,
        tellSelf: (command) => env.tell(kind.name, id, command),
        log: env.log.child({ kind: kind.name, id }),
      };
    }
    return this.effects;
  }

  /**
   * Handles one message; a promise only while it waits (recovery, a journal write), so the
   * mailbox goes straight on after a message answered in the same turn.
   */
  handle(message: Message): Promise<void> | undefined {
    // The first message recovers the actor, whatever it is: no separate message (and no
    // turn) per activation. One attempt per cell: a failed one breaks it and the registry
    // forgets it, so the next message gets a fresh activation.
    if (!this.recovered) {
      this.recovered = true;
      return this.recover().then(() => this.serve(message));
    }
    return this.serve(message);
  }

  private serve(message: Message): Promise<void> | undefined {
    if (this.broken) {
      if (message.t === 'recover') return;
      const error = errors.storeUnavailable();
      this.env.metrics?.deadLetters.inc({ kind: this.kind.name, reason: 'actor_unavailable' });
      this.env.log.warn(
        { kind: this.kind.name, id: this.id, message: message.t },
        'dead letter: actor unavailable',
      );
      if (message.t === 'command' || message.t === 'read') message.done?.reject(error);
      return;
    }
    switch (message.t) {
      case 'recover':
        return;
      case 'command':
        return this.command(message.command, message.key, message.fingerprint, message.cause, message.done);
      case 'read':
        try {
          message.done.resolve(message.fn(this.state));
        } catch (error) {
          message.done.reject(error);
        }
        return;
      case 'timers':
        return this.fireDueTimers();
    }
  }

  private async recover(): Promise<void> {
    const started = performance.now();
    const { kind, env } = this;
    try {
      const { snapshot, events } = await env.journal.recovery<SnapshotData, Envelope>(this.key);
      // A cell recovers once, before any command: what the constructor made is still initial.
      let state = this.state;
      let sequence = 0;
      let applied = this.applied;
      if (snapshot) {
        state = snapshot.data.state;
        sequence = snapshot.sequenceNumber;
        applied = new AppliedKeys(env.idempotency, snapshot.data.applied);
      }
      // Only evolve runs here: effects already happened (or are pending intents in state).
      for (const stored of events) {
        state = kind.evolve(state, stored.data.event);
        if (stored.data.applied) applied.record(stored.data.applied, decidedAt(stored.data));
        sequence = stored.sequenceNumber;
      }
      this.state = state;
      this.sequenceNumber = sequence;
      this.applied = applied;
      this.eventsSinceSnapshot = events.length;
      this.storedWakeup = this.earliestTimer(state);
      this.recovery = { snapshotSequence: snapshot?.sequenceNumber ?? 0, eventsReplayed: events.length };
      this.broken = false;
      env.metrics?.recoveries.observe({ kind: kind.name }, (performance.now() - started) / 1000);
    } catch (error) {
      this.broken = true;
      env.log.error({ err: error, kind: kind.name, id: this.id }, 'actor recovery failed');
      env.onBroken(this);
      return;
    }
    try {
      kind.resume?.(this.state, { now: env.clock.now(), ...this.effectCtx });
    } catch (error) {
      env.log.error({ err: error, kind: kind.name, id: this.id }, 'resume failed');
    }
    this.armTimer();
  }

  /**
   * Decides and folds now; the rest waits for the journal. Not an async function: every
   * charge passes here, and a frame with its promises per layer was garbage on each. What
   * the write's continuation needs is kept on the cell (`writing`): the mailbox runs one
   * message at a time, so there is never more than one.
   */
  private command(
    command: unknown,
    key: string | undefined,
    givenFingerprint: string | undefined,
    cause: Cause,
    done: Deferred | undefined,
  ): Promise<void> | undefined {
    const { kind, env } = this;
    let fingerprint = '';
    if (key !== undefined) {
      fingerprint = givenFingerprint ?? fingerprintOf(command);
      const prior = this.applied.get(key);
      if (prior) {
        this.count('duplicate');
        if (prior.fingerprint === fingerprint) done?.resolve(prior.reply);
        else done?.reject(errors.idempotencyKeyReused());
        return;
      }
    }

    const now = env.clock.now();
    let events: unknown[];
    let reply: unknown;
    let next = this.state;
    try {
      const decision = kind.decide(this.state, command, { id: this.id, now, cause });
      if (isRejected(decision)) {
        this.count('rejected');
        done?.reject(decision.reject);
        return;
      }
      events = decision.events;
      reply = decision.reply;
      // Fold before persisting: a bug in evolve must fail this command, not poison the journal.
      // A decide that folded its events already (a draft) hands that state over instead.
      if (decision.state !== undefined) next = decision.state;
      else for (const event of events) next = kind.evolve(next, event);
    } catch (error) {
      this.count('failed');
      env.log.error({ err: error, kind: kind.name, id: this.id, command }, 'decide or evolve threw');
      done?.reject(errors.internal());
      return;
    }
    if (events.length === 0) {
      // Nothing changed, so nothing is remembered: a retry decides again and gets the same answer.
      this.count('applied');
      done?.resolve(reply);
      return;
    }

    const wakeup = this.earliestTimer(next);
    const record: AppliedRecord | undefined = key === undefined ? undefined : { key, fingerprint, reply };
    const last = events.length - 1;
    const toAppend = new Array<NewEvent<Envelope>>(events.length);
    for (let i = 0; i <= last; i++) {
      const event = events[i];
      toAppend[i] = {
        sequenceNumber: this.sequenceNumber + 1 + i,
        createdAt: now,
        data: envelope(event, cause, now, i === last ? record : undefined),
      };
    }
    this.writing = { next, events, reply, record, wakeup, now, cause, done };
    return env.journal
      .append<Envelope>(
        wakeup === this.storedWakeup
          ? { key: this.key, events: toAppend }
          : { key: this.key, events: toAppend, wakeupAt: wakeup },
      )
      .then(this.written, this.notWritten);
  }

  /** The command's events are durable: now it is applied, answered, published and acted on. */
  private readonly written = (stored: StoredEvent<Envelope>[]): void => {
    const { env, kind } = this;
    const { next, events, reply, record, wakeup, now, cause, done } = this.writing!;
    this.writing = undefined;
    this.state = next;
    this.sequenceNumber += events.length;
    this.storedWakeup = wakeup;
    this.eventsSinceSnapshot += events.length;
    this.fired.clear();
    if (record) this.applied.record(record, now);
    this.count('applied');
    done?.resolve(reply);

    this.publish(stored, next, cause);
    try {
      // `now` first: keys added after a spread cost V8 (Node 20) ~5 µs per object.
      kind.effects?.(next, events, { now, ...this.effectCtx });
    } catch (error) {
      env.log.error({ err: error, kind: kind.name, id: this.id }, 'effects threw');
    }
    this.armTimer();
    if (!this.snapshotting && this.eventsSinceSnapshot >= this.snapshotInterval()) {
      const writing = this.snapshot(now);
      env.snapshots.add(writing);
      void writing.then(() => env.snapshots.delete(writing));
    }
  };

  /** The journal refused or failed the write: nothing of the command is applied. */
  private readonly notWritten = (error: unknown): void => {
    const { env, kind } = this;
    const done = this.writing?.done;
    this.writing = undefined;
    this.count('failed');
    if (error instanceof JournalConflictError) {
      // Someone else wrote this actor's sequence: our state is stale. Stop serving it;
      // the registry re-activates the actor from the journal on the next message.
      env.log.error({ err: error, kind: kind.name, id: this.id }, 'journal diverged from actor state');
      this.broken = true;
      env.onBroken(this);
      done?.reject(errors.internal());
    } else {
      env.log.error(
        { err: error, kind: kind.name, id: this.id },
        'journal write failed; command not applied',
      );
      done?.reject(errors.storeUnavailable());
    }
  };

  private snapshotInterval(): number {
    return snapshotInterval(this.kind, this.state, this.applied.size, this.env.snapshotEvery);
  }

  /** A method, not a closure made per command: with keepNames each of those cost a defineProperty. */
  private count(outcome: 'duplicate' | 'rejected' | 'failed' | 'applied'): void {
    this.env.metrics?.commands.inc({ kind: this.kind.name, outcome });
  }

  private publish(stored: StoredEvent<Envelope>[], state: unknown, cause: Cause): void {
    const { bus, onPersisted } = this.env;
    if (!bus && onPersisted.length === 0) return;
    const lives = stored.map(
      (s): LiveEvent => ({
        position: s.position,
        kind: this.kind.name,
        id: this.id,
        sequenceNumber: s.sequenceNumber,
        event: s.data.event,
        cause,
        at: decidedAt(s.data),
      }),
    );
    for (const listener of onPersisted) {
      try {
        listener(lives, state);
      } catch (error) {
        this.env.log.error(
          { err: error, kind: this.kind.name, id: this.id },
          'persisted-event listener threw',
        );
      }
    }
    if (!bus || this.kind.live === false) return;
    for (const live of lives) {
      bus.publish(`${this.kind.name}:${this.id}`, live);
      bus.publish('feed', live);
      for (const topic of this.kind.topics?.(state, live.event) ?? []) bus.publish(topic, live);
    }
  }

  /**
   * Written beside the mailbox, not in it: the actor's next commands need not wait for it
   * (awaited, every snapshot held its account's queue for a commit more, a p99 spike when
   * many accounts reached their cadence together). One at a time per actor; the state is
   * immutable and the keys are copied now. A failed one is logged, counted and tried again
   * after the next command; recovery is right from any committed snapshot.
   */
  private async snapshot(now: number): Promise<void> {
    this.snapshotting = true;
    const covered = this.eventsSinceSnapshot;
    const data: SnapshotData = { state: this.state, applied: this.applied.toJSON() };
    try {
      await this.env.journal.takeSnapshot({
        key: this.key,
        sequenceNumber: this.sequenceNumber,
        data,
        createdAt: now,
      });
      this.eventsSinceSnapshot -= covered;
    } catch (error) {
      this.env.metrics?.snapshotFailures.inc({ kind: this.kind.name });
      this.env.log.error({ err: error, kind: this.kind.name, id: this.id }, 'snapshot failed');
    } finally {
      this.snapshotting = false;
    }
  }

  earliestTimer(state: unknown = this.state): number | null {
    const timers = this.kind.timers?.(state);
    if (!timers || timers.length === 0) return null;
    let earliest = Number.POSITIVE_INFINITY;
    for (const t of timers) if (t.at < earliest) earliest = t.at;
    return earliest;
  }

  /** True when a timer of the current state is due and has not fired yet. */
  hasDueTimer(): boolean {
    const now = this.env.clock.now();
    return (this.kind.timers?.(this.state) ?? []).some((t) => t.at <= now && !this.fired.has(signature(t)));
  }

  private armTimer(delayOverride?: number): void {
    this.disarm();
    const at = this.earliestTimer();
    if (at === null) return;
    const delay = delayOverride ?? Math.min(MAX_TIMEOUT_MS, Math.max(0, at - this.env.clock.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.env.wake(this);
    }, delay);
    this.timer.unref();
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async fireDueTimers(): Promise<void> {
    const now = this.env.clock.now();
    const due = (this.kind.timers?.(this.state) ?? []).filter(
      (t) => t.at <= now && !this.fired.has(signature(t)),
    );
    let retry = false;
    for (const timer of due) {
      const sig = signature(timer);
      this.fired.add(sig);
      let failed = false;
      await this.command(timer.command, undefined, undefined, systemCause, {
        resolve: () => {},
        reject: (error) => {
          failed = error instanceof ApiError && error.code === 'store_unavailable';
        },
      });
      if (failed) {
        this.fired.delete(sig);
        retry = true;
      }
    }
    this.armTimer(retry ? RETRY_FAILED_TIMER_MS : undefined);
  }
}

function signature(timer: { at: number; command: unknown }): string {
  return `${timer.at}:${JSON.stringify(timer.command)}`;
}
