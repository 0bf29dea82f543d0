import {
  type AppendBatch,
  type CommitObserver,
  JournalClosedError,
  JournalWriteError,
  type StoredEvent,
} from './types.ts';

// The queue both engines share: appends made in one tick wait for setImmediate and are
// handed to the engine's commit together. One commit runs at a time (or `pipeline` of
// them, for an engine that writes them in order); appends arriving meanwhile form the next batch.

/** One caller's append, validated and ready for the engine. */
export interface Pending {
  key: string;
  /** Sequence number of the first event; only meaningful when `stored` is not empty. */
  firstSeq: number;
  /** The events as they will be returned; the engine fills in `position`. */
  stored: StoredEvent[];
  /** Engine-specific encoding made at append time, so a bad payload fails its caller alone. */
  json: string[];
  tagsJson: string[];
  wakeupAt: number | null | undefined;
  /** Set by the engine's commit: the stored events, or why this append alone was refused. */
  outcome?: StoredEvent[] | Error;
  resolve(events: StoredEvent[]): void;
  reject(error: Error): void;
}

export interface GroupCommitOptions {
  /**
   * Writes the batch: sets each `outcome`, or throws, in which case nothing of the batch
   * may be stored and every caller gets a JournalWriteError.
   */
  commit(batch: Pending[]): Promise<void>;
  /** Turns `stored` data and tags into what the engine stores; may throw to refuse that append. */
  encode?(pending: Pending): void;
  observer?: CommitObserver | undefined;
  /**
   * Commits handed to the engine before the first of them is done (default 1). An engine that
   * writes them strictly in order elsewhere (the SQLite writer thread) takes 2: the next batch
   * is gathered and sent while one is being written, instead of every caller waiting in step.
   */
  pipeline?: number;
}

export const EMPTY_TAGS_JSON = '[]';
/** `json` and `tagsJson` before an engine encodes (and for engines that do not). */
const NO_TEXT = Object.freeze([]) as unknown as string[];

/** Serializes for SQLite-like stores: JSON text for data and tags. */
export function encodeJson(pending: Pending): void {
  const { stored } = pending;
  // Sized once: an array grown by push from empty takes room for 17.
  const json: string[] = new Array(stored.length);
  const tagsJson: string[] = new Array(stored.length);
  for (let i = 0; i < stored.length; i++) {
    const e = stored[i]!;
    json[i] = JSON.stringify(e.data) ?? 'null';
    tagsJson[i] = e.tags.length === 0 ? EMPTY_TAGS_JSON : JSON.stringify(e.tags);
  }
  pending.json = json;
  pending.tagsJson = tagsJson;
}

function isTime(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

export class GroupCommit {
  closed = false;
  private queue: Pending[] = [];
  private timer: NodeJS.Immediate | undefined;
  private readonly running = new Set<Promise<void>>();
  private readonly depth: number;

  constructor(private readonly opts: GroupCommitOptions) {
    this.depth = Math.max(1, opts.pipeline ?? 1);
  }

  append<T>(batch: AppendBatch<T>): Promise<StoredEvent<T>[]> {
    if (this.closed) return Promise.reject(new JournalClosedError());
    const { key, events, wakeupAt } = batch;
    if (typeof key !== 'string' || key === '')
      return Promise.reject(new TypeError('append: key is required'));
    if (wakeupAt !== undefined && wakeupAt !== null && !isTime(wakeupAt)) {
      return Promise.reject(new TypeError(`append to ${key}: wakeupAt must be a finite number or null`));
    }
    const firstSeq = events[0]?.sequenceNumber ?? 0;
    const stored: StoredEvent[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (
        !Number.isSafeInteger(e.sequenceNumber) ||
        e.sequenceNumber < 1 ||
        e.sequenceNumber !== firstSeq + i
      ) {
        return Promise.reject(
          new RangeError(`append to ${key}: sequence numbers must be consecutive integers from 1 on`),
        );
      }
      if (!isTime(e.createdAt))
        return Promise.reject(new TypeError(`append to ${key}: createdAt is not a time`));
      stored[i] = {
        key,
        sequenceNumber: e.sequenceNumber,
        position: 0,
        data: e.data,
        tags: e.tags ?? [],
        createdAt: e.createdAt,
        isDeleted: false,
      };
    }
    if (events.length === 0 && wakeupAt === undefined) return Promise.resolve([]);
    return new Promise<StoredEvent<T>[]>((resolve, reject) => {
      const pending: Pending = {
        key,
        firstSeq,
        stored,
        json: NO_TEXT,
        tagsJson: NO_TEXT,
        wakeupAt,
        resolve: resolve as (events: StoredEvent[]) => void,
        reject,
      };
      try {
        this.opts.encode?.(pending);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      this.queue.push(pending);
      this.schedule();
    });
  }

  /** Refuses new appends, then waits until every queued one is committed or refused. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    await Promise.all(this.running);
    while (this.queue.length > 0) await this.flush();
  }

  private schedule(): void {
    if (this.timer || this.running.size >= this.depth) return;
    this.timer = setImmediate(() => {
      this.timer = undefined;
      void this.flush();
    });
  }

  private flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    const run: Promise<void> = this.commit(batch).finally(() => {
      this.running.delete(run);
      if (this.queue.length > 0 && !this.closed) this.schedule();
    });
    this.running.add(run);
    return run;
  }

  private async commit(batch: Pending[]): Promise<void> {
    const started = performance.now();
    let ok = true;
    let events = 0;
    try {
      await this.opts.commit(batch);
    } catch (cause) {
      ok = false;
      const reason = cause instanceof Error ? cause.message : String(cause);
      const error = new JournalWriteError(`commit of ${batch.length} appends failed: ${reason}`, { cause });
      for (const p of batch) {
        events += p.stored.length;
        p.reject(error);
      }
    }
    if (ok) {
      for (const p of batch) {
        const outcome = p.outcome;
        if (outcome instanceof Error) p.reject(outcome);
        else {
          events += p.stored.length;
          p.resolve(outcome ?? p.stored);
        }
      }
    }
    try {
      this.opts.observer?.({ events, appends: batch.length, ms: performance.now() - started, ok });
    } catch {
      // A metrics failure must not turn a durable commit into a failed append.
    }
  }
}
