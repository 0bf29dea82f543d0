// The journal: where every actor's events become durable. One contract, two engines
// (SQLite embedded, MongoDB), both tested by journal.contract.ts.
//
// An actor's events are appended atomically (several per command, group-committed with
// other actors' appends) and read back per key from its latest snapshot on; a global
// position orders every event for projections and the live feed, and wake-ups let timers
// of passivated actors survive restarts. (It began as nact's persistence-engine interface;
// the runtime's own mailbox replaced nact, and nact's one-event `persist` went with it.)

/** One event as it lies in the journal. */
export interface StoredEvent<T = unknown> {
  /** Persistence key of the actor: `<kind>:<id>`, e.g. `account:42`. */
  key: string;
  /** 1-based, gapless per key. `(key, sequenceNumber)` is unique: the last line against a double apply. */
  sequenceNumber: number;
  /** Global, strictly increasing in commit order across all keys; assigned by the engine. */
  position: number;
  data: T;
  tags: string[];
  /** Milliseconds since the epoch, from the injected clock of whoever appended it. */
  createdAt: number;
  /** nact's field; Abonent never deletes events, so always false. */
  isDeleted: false;
}

/** What a caller hands to `append`: the engine adds `position`. */
export interface NewEvent<T = unknown> {
  sequenceNumber: number;
  data: T;
  tags?: string[];
  createdAt: number;
}

export interface AppendBatch<T = unknown> {
  key: string;
  /** Written all or none, in this order; sequence numbers must continue the key's last one. */
  events: NewEvent<T>[];
  /**
   * When the actor next needs to wake up on its own (earliest timer), or null for never.
   * Written in the same commit as the events; undefined leaves the stored wake-up as is.
   */
  wakeupAt?: number | null;
}

export interface StoredSnapshot<S = unknown> {
  key: string;
  /** The sequence number of the last event folded into `data`. */
  sequenceNumber: number;
  data: S;
  createdAt: number;
}

/** What recovery needs of an event: its place in the actor's sequence and its data. */
export type RecoveredEvent<T = unknown> = Pick<StoredEvent<T>, 'sequenceNumber' | 'data'>;

export interface Recovery<S = unknown, T = unknown> {
  snapshot: StoredSnapshot<S> | undefined;
  /** The events after the snapshot (all of them without one), ascending; engines may add fields. */
  events: RecoveredEvent<T>[];
}

export interface Wakeup {
  key: string;
  at: number;
}

/** Observes commits, for `/metrics`; kept as a callback so the journal does not import prom-client. */
export type CommitObserver = (batch: { events: number; appends: number; ms: number; ok: boolean }) => void;

export interface Journal {
  /**
   * Appends atomically. Appends made in the same tick (by any actors) are written in one
   * transaction / one insertMany; the promise resolves only after that commit is durable.
   * A failed commit rejects every caller in it with JournalWriteError (nothing of the batch
   * is stored); a sequence number that already exists rejects that append alone with
   * JournalConflictError.
   */
  append<T>(batch: AppendBatch<T>): Promise<StoredEvent<T>[]>;
  /** Events of one key with sequenceNumber > afterSequence, ascending; at most `limit` when given. */
  events<T>(key: string, afterSequence?: number, limit?: number): Promise<StoredEvent<T>[]>;
  /** Events of all keys with position > afterPosition, ascending by position. */
  readAll<T>(afterPosition: number, limit: number): Promise<StoredEvent<T>[]>;
  /**
   * The events at these positions, in the order asked; a position with no committed event is
   * left out. For read models that keep only where their events are (the audit log).
   */
  eventsAt<T>(positions: readonly number[]): Promise<StoredEvent<T>[]>;
  /** The highest position committed so far (0 when empty). */
  lastPosition(): Promise<number>;
  latestSnapshot<S>(key: string): Promise<StoredSnapshot<S> | undefined>;
  /**
   * What an actor recovers from: its latest snapshot and the events after it, read together
   * (one read, where the engine can) rather than one read waiting for the other.
   */
  recovery<S, T>(key: string): Promise<Recovery<S, T>>;
  /** Resolves once the snapshot is durable; an older snapshot never replaces a newer one. */
  takeSnapshot<S>(snapshot: StoredSnapshot<S>): Promise<void>;
  /** Wake-ups due at or before `until`, earliest first. */
  dueWakeups(until: number, limit: number): Promise<Wakeup[]>;
  /** Waits for pending commits, then releases the store. Appends after close reject. */
  close(): Promise<void>;
  /** 'sqlite' | 'mongodb', for logs and /readyz. */
  readonly engine: string;
}

export class JournalWriteError extends Error {
  override name = 'JournalWriteError';
}

export class JournalConflictError extends Error {
  override name = 'JournalConflictError';
  constructor(
    readonly key: string,
    readonly sequenceNumber: number,
  ) {
    super(`event ${sequenceNumber} of ${key} already exists`);
  }
}

export class JournalClosedError extends Error {
  override name = 'JournalClosedError';
  constructor() {
    super('journal is closed');
  }
}
