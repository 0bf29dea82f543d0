import type { Logger } from 'pino';
import { errors } from '../../protocol/errors.ts';
import type { Journal } from '../journal/types.ts';
import type { Bus } from './bus.ts';
import {
  ActorCell,
  type AnyKind,
  type CellEnv,
  type Deferred,
  type Message,
  type PersistedListener,
} from './cell.ts';
import { type Clock, systemClock } from './clock.ts';
import { defaultIdempotencyPolicy, type IdempotencyPolicy } from './idempotency.ts';
import { type ActorKind, type Cause, systemCause } from './kind.ts';
import { Mailbox, type MailboxHooks } from './mailbox.ts';
import type { RuntimeMetrics } from './metrics.ts';

/** Events between an actor's snapshots unless configured (a kind may take fewer). */
export const DEFAULT_SNAPSHOT_EVERY = 500;

export interface ActorSystemOptions {
  journal: Journal;
  log: Logger;
  clock?: Clock;
  bus?: Bus;
  metrics?: RuntimeMetrics;
  /** A snapshot after every this many events of one actor. */
  snapshotEvery?: number;
  /** An actor idle this long (real time) is passivated; the next message re-activates it. */
  passivateAfterMs?: number;
  /** Messages queued per actor before senders are refused with 503 overloaded. */
  mailboxLimit?: number;
  askTimeoutMs?: number;
  idempotency?: IdempotencyPolicy;
  /** How often the journal's wake-ups are polled for passivated actors with due timers. */
  wakeupPollMs?: number;
}

export interface AskOptions {
  /** A command with a key already applied gets the first reply back, across restarts. */
  idempotencyKey?: string;
  /** Defaults to a canonical hash of the command. */
  fingerprint?: string;
  cause?: Cause;
  timeoutMs?: number;
}

/**
 * The reply an ask waits for: settled once, by the actor or by the timeout, whichever comes
 * first. A class rather than closures: a billing run makes a million of these.
 */
class PendingAsk implements Deferred {
  timer: NodeJS.Timeout | undefined;
  private settled = false;

  constructor(
    private readonly onValue: (value: unknown) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  resolve(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.onValue(value);
  }

  reject(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.onError(error);
  }
}

function timeOut(ask: PendingAsk): void {
  ask.reject(errors.outcomeUnknown());
}

/** A live actor: its cell and the mailbox that feeds it. */
type Live = Mailbox;

/**
 * The actor registry: `(kind, id)` → one live actor, activated on demand and passivated
 * when idle. Callers never hold mailboxes, and the hazards nact had are handled here (the
 * registry drove nact's actors this way before its own mailboxes replaced them, mailbox.ts):
 * - a message is never posted to a closed mailbox: the registry removes an actor in
 *   the same turn it closes it, so the next message re-activates it;
 * - mailboxes are bounded by counting what each actor has queued;
 * - an ask that times out says the outcome is unknown (the message may still run);
 * - the handler never throws: failures reject the one command and leave state as it was;
 * - persistence is the cells' own (atomic appends, awaited snapshots, effects never re-run
 *   on recovery), not nact's persistent actor.
 */
export class ActorSystem {
  readonly clock: Clock;
  private readonly kinds = new Map<string, AnyKind>();
  private readonly live = new Map<string, Live>();
  private readonly env: CellEnv;
  private readonly snapshotEvery: number;
  private readonly passivateAfterMs: number;
  private readonly mailboxLimit: number;
  private readonly askTimeoutMs: number;
  private readonly wakeupPollMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(private readonly options: ActorSystemOptions) {
    this.clock = options.clock ?? systemClock;
    this.snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    this.passivateAfterMs = options.passivateAfterMs ?? 300_000;
    this.mailboxLimit = options.mailboxLimit ?? 1000;
    this.askTimeoutMs = options.askTimeoutMs ?? 5000;
    this.wakeupPollMs = options.wakeupPollMs ?? 1000;
    this.env = {
      journal: options.journal,
      clock: this.clock,
      log: options.log,
      bus: options.bus,
      metrics: options.metrics,
      snapshotEvery: this.snapshotEvery,
      idempotency: options.idempotency ?? defaultIdempotencyPolicy,
      tell: (kind, id, command) => this.tellByName(kind, id, command, systemCause, true),
      wake: (cell) => {
        const live = this.live.get(cell.key);
        if (live?.cell === cell) this.deliver(live, { t: 'timers' });
      },
      onBroken: (cell) => this.forget(cell),
      onPersisted: [],
      snapshots: new Set(),
    };
  }

  register<S, C, E, R>(kind: ActorKind<S, C, E, R>): this {
    if (kind.name.includes(':')) throw new Error(`actor kind name may not contain ':' (${kind.name})`);
    if (this.kinds.has(kind.name)) throw new Error(`actor kind ${kind.name} is registered twice`);
    this.kinds.set(kind.name, kind as AnyKind);
    return this;
  }

  /** Starts the sweeper and the wake-up poller, and wakes every actor whose timer came due while we were down. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('actor system already started');
    this.state = 'running';
    await this.pollWakeups();
    const sweepEvery = Math.max(50, Math.min(30_000, Math.floor(this.passivateAfterMs / 2)));
    this.sweeper = setInterval(() => this.passivateIdle(), sweepEvery);
    this.sweeper.unref();
    this.poller = setInterval(() => void this.pollWakeups(), this.wakeupPollMs);
    this.poller.unref();
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Sends a command and waits for the reply. Rejects with an ApiError. */
  ask<S, C, E, R>(kind: ActorKind<S, C, E, R>, id: string, command: C, options: AskOptions = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const live = this.activate(kind.name, id, false);
      const done = new PendingAsk(resolve as (value: unknown) => void, reject);
      // A timed-out ask leaves the message running (it is queued); the caller is told so.
      done.timer = setTimeout(timeOut, options.timeoutMs ?? this.askTimeoutMs, done);
      this.deliver(live, {
        t: 'command',
        command,
        key: options.idempotencyKey,
        fingerprint: options.fingerprint,
        cause: options.cause ?? systemCause,
        done,
      });
    });
  }

  /** Fire and forget; a refusal is logged, a message that cannot be queued is a counted dead letter. */
  tell<S, C, E, R>(kind: ActorKind<S, C, E, R>, id: string, command: C, options: AskOptions = {}): void {
    this.tellByName(kind.name, id, command, options.cause ?? systemCause, false, options);
  }

  /** The names of the kinds registered here (what the journal's keys begin with). */
  kindNames(): string[] {
    return [...this.kinds.keys()];
  }

  /** Listens to every event this process makes durable, right after the commit (see CellEnv.onPersisted). */
  onPersisted(listener: PersistedListener): () => void {
    this.env.onPersisted.push(listener);
    return () => {
      const i = this.env.onPersisted.indexOf(listener);
      if (i >= 0) this.env.onPersisted.splice(i, 1);
    };
  }

  /**
   * Passivates one actor as soon as its mailbox is empty (a billing run does this to keep
   * memory flat). False when it is not live.
   */
  passivate(kindName: string, id: string): boolean {
    const live = this.live.get(`${kindName}:${id}`);
    if (!live) return false;
    if (live.cell.inflight === 0) this.remove(live);
    else live.cell.passivateWhenIdle = true;
    return true;
  }

  /** Reads state through the mailbox, so it sees every command queued before it. */
  read<S, C, E, R, T>(kind: ActorKind<S, C, E, R>, id: string, fn: (state: S) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const live = this.activate(kind.name, id, false);
      this.deliver(live, {
        t: 'read',
        fn: fn as (state: unknown) => unknown,
        done: { resolve: resolve as (v: unknown) => void, reject },
      });
    });
  }

  /** For tests and tools: how a live actor stands, without touching its mailbox. */
  inspect(kindName: string, id: string) {
    const live = this.live.get(`${kindName}:${id}`);
    if (!live) return undefined;
    const { cell } = live;
    return { sequenceNumber: cell.sequenceNumber, inflight: cell.inflight, recovery: cell.recovery };
  }

  /** Whether `(kind, id)` is live now (cheaper than inspect, for callers that ask often). */
  isActive(kindName: string, id: string): boolean {
    return this.live.has(`${kindName}:${id}`);
  }

  get activeActors(): number {
    return this.live.size;
  }

  /**
   * Delivers due timers now: to live actors, and by activating passivated actors whose
   * journaled wake-up is due. The clock decides what is due, so tests move a ManualClock
   * and call this instead of waiting.
   */
  async runDueTimers(): Promise<void> {
    await this.pollWakeups();
    for (const live of this.live.values()) if (live.cell.hasDueTimer()) this.deliver(live, { t: 'timers' });
  }

  /** Passivates every idle actor now (normally the sweeper does it after passivateAfterMs). */
  passivateIdle(idleForMs = this.passivateAfterMs): number {
    const cutoff = performance.now() - idleForMs;
    let passivated = 0;
    for (const live of [...this.live.values()]) {
      if (live.cell.inflight === 0 && live.cell.lastActive <= cutoff) {
        this.remove(live);
        passivated++;
      }
    }
    return passivated;
  }

  /** Stops taking messages, lets every mailbox drain, then stops the actors. */
  async stop(drainTimeoutMs = 10_000): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    clearInterval(this.sweeper);
    clearInterval(this.poller);
    await this.polling;
    const deadline = performance.now() + drainTimeoutMs;
    while ([...this.live.values()].some((l) => l.cell.inflight > 0) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const undrained = [...this.live.values()].filter((l) => l.cell.inflight > 0);
    if (undrained.length > 0) {
      this.options.log.warn(
        { actors: undrained.map((l) => l.cell.key) },
        'stopping with undrained mailboxes',
      );
    }
    for (const live of [...this.live.values()]) this.remove(live);
    // Snapshots run beside the mailboxes; the journal may close once they are written.
    await Promise.all(this.env.snapshots);
    this.state = 'stopped';
  }

  private tellByName(
    kindName: string,
    id: string,
    command: unknown,
    cause: Cause,
    internal: boolean,
    options: AskOptions = {},
  ): void {
    let live: Live;
    try {
      live = this.activate(kindName, id, internal);
    } catch (error) {
      // activate() counts its own refusal when not running; any other refusal drops this tell here.
      const reason = (error as { code?: string }).code ?? 'error';
      if (reason !== 'not_ready') this.options.metrics?.deadLetters.inc({ kind: kindName, reason });
      this.options.log.warn(
        { err: error, kind: kindName, id, command },
        'dead letter: tell could not be queued',
      );
      return;
    }
    this.deliver(live, {
      t: 'command',
      command,
      key: options.idempotencyKey,
      fingerprint: options.fingerprint,
      cause,
      done: {
        resolve: () => {},
        reject: (error) =>
          this.options.log.warn({ err: error, kind: kindName, id, command }, 'told command refused'),
      },
    });
  }

  /**
   * The live actor for `(kind, id)`, spawned if it was not live. Refuses
   * when stopping (a dead letter) or when the mailbox is full (unless the sender is the
   * actor itself or its timer: their messages carry outcomes that must not be dropped).
   */
  private activate(kindName: string, id: string, internal: boolean): Live {
    if (this.state !== 'running' && !(internal && this.state === 'stopping')) {
      this.options.metrics?.deadLetters.inc({ kind: kindName, reason: 'not_running' });
      throw errors.notReady();
    }
    const key = `${kindName}:${id}`;
    const existing = this.live.get(key);
    if (existing) {
      if (!internal && existing.cell.inflight >= this.mailboxLimit) {
        this.options.metrics?.overloaded.inc({ kind: kindName });
        throw errors.overloaded(1);
      }
      return existing;
    }
    const kind = this.kinds.get(kindName);
    if (!kind) throw new Error(`unknown actor kind ${kindName}`);
    const live = new Mailbox(new ActorCell(kind, id, key, this.env), this.hooks);
    this.live.set(key, live);
    this.options.metrics?.activeActors.inc({ kind: kindName });
    // The cell recovers when its first message arrives, whatever that message is.
    return live;
  }

  /** Around every message of every actor, one at a time per actor. Never throws. */
  private readonly hooks: MailboxHooks = {
    failed: (cell, error) =>
      this.options.log.error({ err: error, kind: cell.kind.name, id: cell.id }, 'actor message failed'),
    settled: (cell) => {
      cell.inflight--;
      cell.lastActive = performance.now();
      if (cell.inflight === 0 && cell.passivateWhenIdle) {
        const live = this.live.get(cell.key);
        if (live?.cell === cell) this.remove(live);
      }
    },
  };

  private deliver(live: Live, message: Message): void {
    const depth = this.options.metrics?.mailboxDepth;
    if (depth) {
      const kind = live.cell.kind.name;
      (depth.series(kind) ?? depth.add(kind, [kind])).observe(live.cell.inflight);
    }
    live.cell.inflight++;
    live.post(message);
  }

  private forget(cell: ActorCell): void {
    const live = this.live.get(cell.key);
    // Messages already queued are answered by the broken cell (its mailbox drains them);
    // new ones get a fresh activation.
    if (live?.cell === cell) {
      this.live.delete(cell.key);
      cell.disarm();
      this.options.metrics?.activeActors.dec({ kind: cell.kind.name });
    }
  }

  private remove(live: Live): void {
    this.live.delete(live.cell.key);
    live.cell.disarm();
    live.close();
    this.options.metrics?.activeActors.dec({ kind: live.cell.kind.name });
  }

  private pollWakeups(): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = (async () => {
      try {
        const due = await this.options.journal.dueWakeups(this.clock.now(), 10_000);
        for (const { key } of due) {
          if (this.live.has(key) || this.state !== 'running') continue;
          const split = key.indexOf(':');
          const kindName = key.slice(0, split);
          if (!this.kinds.has(kindName)) continue;
          // Recovery arms the actor's due timers.
          this.deliver(this.activate(kindName, key.slice(split + 1), true), { t: 'recover' });
        }
      } catch (error) {
        this.options.log.error({ err: error }, 'wake-up poll failed');
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }
}
