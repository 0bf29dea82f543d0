import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { EMPTY_TAGS_JSON, encodeJson, GroupCommit, type Pending } from './group-commit.ts';
import { CONFLICT, type WireBatch, type WriterReply, type WriterRequest } from './sqlite-writer.ts';
import {
  type AppendBatch,
  type CommitObserver,
  type Journal,
  JournalClosedError,
  JournalConflictError,
  type RecoveredEvent,
  type Recovery,
  type StoredEvent,
  type StoredSnapshot,
  type Wakeup,
} from './types.ts';

// The embedded engine: one SQLite file, WAL with synchronous=FULL, so a commit that has
// resolved survives a crash or power loss.
//
// better-sqlite3 is synchronous, and a commit waits for its fsync: run on the event loop,
// every group commit would stop the server for that long (measured: a quarter of the time
// under a storm of charges). So the writing connection lives on its own thread
// (sqlite-writer.ts) and a group commit is one message there and back; while it runs, the
// event loop keeps serving and gathers the next batch. Reads use a second connection here:
// in WAL mode they never wait for the writer, and they see a commit once it is durable.

interface EventRow {
  position: number;
  key: string;
  seq: number;
  data: string;
  tags: string;
  created_at: number;
}

/** position, seq, data, tags, created_at */
type RecoveryRow = [number, number, string, string, number];

/** seq, data: all an actor's recovery reads of an event. */
type ReplayRow = [number, string];

function toEvent<T>(row: EventRow): StoredEvent<T> {
  return {
    key: row.key,
    sequenceNumber: row.seq,
    position: row.position,
    data: JSON.parse(row.data) as T,
    tags: row.tags === EMPTY_TAGS_JSON ? [] : (JSON.parse(row.tags) as string[]),
    createdAt: row.created_at,
    isDeleted: false,
  };
}

/** Recovery reads served together in one read transaction, at most (see flushReads). */
const READ_BATCH = 100;

/** A group commit in the writer's columns (see WireBatch). */
function pack(batch: Pending[]): WireBatch {
  const n = batch.length;
  const keys: string[] = new Array(n);
  const firstSeqs: number[] = new Array(n);
  const counts: number[] = new Array(n);
  const wakeups: (number | null | undefined)[] = new Array(n);
  const lengths: number[] = [];
  const tags: string[] = [];
  const createdAt: number[] = [];
  let text = '';
  let tagged = false;
  for (let b = 0; b < n; b++) {
    const p = batch[b]!;
    keys[b] = p.key;
    firstSeqs[b] = p.firstSeq;
    counts[b] = p.json.length;
    wakeups[b] = p.wakeupAt;
    for (let i = 0; i < p.json.length; i++) {
      const json = p.json[i]!;
      text += json;
      lengths.push(json.length);
      const t = p.tagsJson[i]!;
      tags.push(t);
      if (t !== EMPTY_TAGS_JSON) tagged = true;
      createdAt.push(p.stored[i]!.createdAt);
    }
  }
  return { keys, firstSeqs, counts, wakeups, text, lengths, tags: tagged ? tags : undefined, createdAt };
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface SqliteJournalOptions {
  file: string;
  observer?: CommitObserver;
}

/**
 * The writer thread, shared by every journal of the process and started with the first.
 * It is loaded through tsx like the rest of the code (a worker does not inherit the
 * loader), and keeps the process alive only while a request is in flight: a journal
 * nobody closed does not hold the process open, and one that is busy does.
 */
class WriterThread {
  private readonly worker: Worker;
  private readonly calls = new Map<
    number,
    { resolve(r: WriterReply & { ok: true }): void; reject(e: Error): void }
  >();
  private nextId = 1;
  private stopped: Error | undefined;

  constructor() {
    const writer = new URL('./sqlite-writer.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    this.worker = new Worker(
      `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(writer)}, ${JSON.stringify(writer)}))`,
      { eval: true, workerData: { sqliteWriter: true } },
    );
    this.worker.unref();
    this.worker.on('message', (m: WriterReply) => {
      const call = this.calls.get(m.id);
      if (!call) return;
      this.calls.delete(m.id);
      if (this.calls.size === 0) this.worker.unref();
      if (m.ok) call.resolve(m);
      else call.reject(Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }));
    });
    const stop = (error: Error) => {
      this.stopped ??= error;
      if (thread === this) thread = undefined;
      for (const call of this.calls.values()) call.reject(error);
      this.calls.clear();
    };
    this.worker.on('error', (e) => stop(new Error(`the SQLite writer thread failed: ${e.message}`)));
    this.worker.on('exit', (code) => stop(new Error(`the SQLite writer thread exited (${code})`)));
  }

  call(request: WithoutId<WriterRequest>): Promise<WriterReply & { ok: true }> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.calls.size === 0) this.worker.ref();
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as WriterRequest);
    });
  }
}

let thread: WriterThread | undefined;
let journals = 0;

export class SqliteJournal implements Journal {
  readonly engine = 'sqlite';
  private readonly group: GroupCommit;
  private readonly stmt;
  private readonly readTogether: (reads: (() => void)[]) => void;
  private reads: (() => void)[] = [];
  private readsTimer: NodeJS.Immediate | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly db: Database.Database,
    private readonly writer: WriterThread,
    private readonly handle: number,
    private readonly writerPragmas: { journalMode: string; synchronous: number },
    observer: CommitObserver | undefined,
  ) {
    this.stmt = {
      maxPosition: db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck(),
      events: db.prepare<[string, number, number], EventRow>(
        'SELECT * FROM events WHERE key = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      // A key's events to the end: no LIMIT, no key column (the caller has it), rows as arrays.
      eventsToEnd: db
        .prepare<[string, number], RecoveryRow>(
          'SELECT position, seq, data, tags, created_at FROM events WHERE key = ? AND seq > ? ORDER BY seq',
        )
        .raw(),
      // Recovery's read, the hot one when a billing run wakes up many actors: only what
      // replay uses (measured: ~1 µs less per account than all five columns).
      replay: db
        .prepare<[string, number], ReplayRow>(
          'SELECT seq, data FROM events WHERE key = ? AND seq > ? ORDER BY seq',
        )
        .raw(),
      readAll: db.prepare<[number, number], EventRow>(
        'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
      ),
      at: db.prepare<[number], EventRow>('SELECT * FROM events WHERE position = ?'),
      snapshot: db.prepare<[string], { seq: number; data: string; created_at: number }>(
        'SELECT seq, data, created_at FROM snapshots WHERE key = ?',
      ),
      dueWakeups: db.prepare<[number, number], Wakeup>(
        'SELECT key, at FROM wakeups WHERE at <= ? ORDER BY at, key LIMIT ?',
      ),
    };
    // The writer thread writes one transaction at a time and takes every commit queued
    // behind it into the next one (sqlite-writer.ts). So batches are sent as they form: a
    // caller waits for the transaction in progress and then its own, never a queue of them.
    this.group = new GroupCommit({
      commit: (batch) => this.commit(batch),
      encode: encodeJson,
      observer,
      pipeline: 8,
    });
    // A deferred transaction that only reads is one read transaction: one snapshot, one cache check.
    this.readTogether = db.transaction((reads: (() => void)[]) => {
      for (const read of reads) read();
    });
  }

  static async open(opts: SqliteJournalOptions): Promise<SqliteJournal> {
    thread ??= new WriterThread();
    const writer = thread;
    const handle = ++journals;
    // The writer creates the file and its schema; only then can this side read it.
    const { pragmas } = await writer.call({ t: 'open', db: handle, file: opts.file });
    const reader = new Database(opts.file);
    // Recovery reads jump from key to key (a billing run wakes up every account): the
    // default 2 MB page cache would send most of them to the OS.
    reader.pragma('cache_size = -65536');
    return new SqliteJournal(reader, writer, handle, pragmas!, opts.observer);
  }

  private async commit(batch: Pending[]): Promise<void> {
    const firsts = (await this.writer.call({ t: 'commit', db: this.handle, batch: pack(batch) })).result!;
    for (let b = 0; b < batch.length; b++) {
      const p = batch[b]!;
      const first = firsts[b]!;
      if (first === CONFLICT) {
        p.outcome = new JournalConflictError(p.key, p.firstSeq);
        continue;
      }
      for (let i = 0; i < p.stored.length; i++) p.stored[i]!.position = first + i;
      p.outcome = p.stored;
    }
  }

  append<T>(batch: AppendBatch<T>): Promise<StoredEvent<T>[]> {
    return this.group.append(batch);
  }

  async events<T>(key: string, afterSequence = 0, limit?: number): Promise<StoredEvent<T>[]> {
    this.open();
    if (limit !== undefined) {
      if (limit <= 0) return [];
      return this.stmt.events.all(key, afterSequence, limit).map((r) => toEvent<T>(r));
    }
    return this.inReadBatch(() => this.eventsToEnd<T>(key, afterSequence));
  }

  private eventsToEnd<T>(key: string, afterSequence: number): StoredEvent<T>[] {
    const rows = this.stmt.eventsToEnd.all(key, afterSequence) as unknown as RecoveryRow[];
    const out: StoredEvent<T>[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [position, seq, data, tags, createdAt] = rows[i]!;
      out[i] = {
        key,
        sequenceNumber: seq,
        position,
        data: JSON.parse(data) as T,
        tags: tags === EMPTY_TAGS_JSON ? [] : (JSON.parse(tags) as string[]),
        createdAt,
        isDeleted: false,
      };
    }
    return out;
  }

  async readAll<T>(afterPosition: number, limit: number): Promise<StoredEvent<T>[]> {
    this.open();
    if (limit <= 0) return [];
    return this.stmt.readAll.all(afterPosition, limit).map((r) => toEvent<T>(r));
  }

  async eventsAt<T>(positions: readonly number[]): Promise<StoredEvent<T>[]> {
    this.open();
    // One read transaction for them all: one snapshot of the file, one page-cache check.
    return this.inReadBatch(() => {
      const out: StoredEvent<T>[] = [];
      for (const position of positions) {
        const row = this.stmt.at.get(position);
        if (row) out.push(toEvent<T>(row));
      }
      return out;
    });
  }

  async lastPosition(): Promise<number> {
    this.open();
    return this.stmt.maxPosition.get()!;
  }

  async latestSnapshot<S>(key: string): Promise<StoredSnapshot<S> | undefined> {
    this.open();
    return this.inReadBatch(() => this.snapshotOf<S>(key));
  }

  async recovery<S, T>(key: string): Promise<Recovery<S, T>> {
    this.open();
    // Both reads in one batch: an activation waits for one turn of the event loop, not two.
    return this.inReadBatch(() => {
      const snapshot = this.snapshotOf<S>(key);
      const rows = this.stmt.replay.all(key, snapshot?.sequenceNumber ?? 0) as unknown as ReplayRow[];
      const events: RecoveredEvent<T>[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const [sequenceNumber, data] = rows[i]!;
        events[i] = { sequenceNumber, data: JSON.parse(data) as T };
      }
      return { snapshot, events };
    });
  }

  private snapshotOf<S>(key: string): StoredSnapshot<S> | undefined {
    const row = this.stmt.snapshot.get(key);
    if (!row) return undefined;
    return { key, sequenceNumber: row.seq, data: JSON.parse(row.data) as S, createdAt: row.created_at };
  }

  /**
   * Runs a recovery read together with the others asked for in the same turn of the event
   * loop, in one read transaction. In WAL mode every read transaction that finds the WAL
   * changed (the writer thread commits every few ms) throws this connection's page cache
   * away, so reads made one by one each walk the B-trees through the OS again; when a billing
   * run wakes hundreds of accounts at once, that was most of their recovery time.
   */
  private inReadBatch<T>(read: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.reads.push(() => {
        try {
          resolve(read());
        } catch (error) {
          reject(error);
        }
      });
      this.readsTimer ??= setImmediate(() => this.flushReads());
    });
  }

  /**
   * At most READ_BATCH reads at a time. The rest wait two turns, so that the commit the
   * readers make (group-committed on the next turn) is sent before they run: while the writer
   * thread writes it, this thread recovers the next batch. Taken all at once, the actors a
   * billing run wakes move in step, and this thread sits idle for every commit they wait on.
   */
  private flushReads(closing = false): void {
    this.readsTimer = undefined;
    let reads = this.reads;
    if (reads.length === 0) return;
    if (closing) this.reads = [];
    else if (reads.length > READ_BATCH) {
      this.reads = reads.slice(READ_BATCH);
      reads = reads.slice(0, READ_BATCH);
      this.readsTimer = setImmediate(() => {
        this.readsTimer = setImmediate(() => this.flushReads());
      });
    } else this.reads = [];
    if (reads.length === 1) reads[0]!();
    else this.readTogether(reads);
  }

  async takeSnapshot<S>(snapshot: StoredSnapshot<S>): Promise<void> {
    this.open();
    const data = JSON.stringify(snapshot.data) ?? 'null';
    await this.writer.call({
      t: 'snapshot',
      db: this.handle,
      key: snapshot.key,
      seq: snapshot.sequenceNumber,
      data,
      createdAt: snapshot.createdAt,
    });
  }

  async dueWakeups(until: number, limit: number): Promise<Wakeup[]> {
    this.open();
    if (limit <= 0) return [];
    return this.stmt.dueWakeups.all(until, limit);
  }

  close(): Promise<void> {
    this.closing ??= this.group.close().then(async () => {
      await this.writer.call({ t: 'close', db: this.handle }).catch(() => {});
      if (this.readsTimer) clearImmediate(this.readsTimer);
      this.readsTimer = undefined;
      while (this.reads.length > 0) this.flushReads(true);
      this.db.close();
    });
    return this.closing;
  }

  /** The pragmas in force on the journal's writing connection, for tests and diagnostics. */
  pragmas(): { journalMode: string; synchronous: number } {
    return { ...this.writerPragmas };
  }

  /**
   * Stops the file from growing, so that the next commit needing a new page fails with
   * SQLITE_FULL; resolves to the undo. For tests of a failing commit, with no mock involved.
   */
  async capStorage(): Promise<() => Promise<void>> {
    await this.writer.call({ t: 'cap', db: this.handle, on: true });
    return async () => {
      await this.writer.call({ t: 'cap', db: this.handle, on: false });
    };
  }

  private open(): void {
    if (this.group.closed) throw new JournalClosedError();
  }
}

export function openSqliteJournal(opts: SqliteJournalOptions): Promise<SqliteJournal> {
  return SqliteJournal.open(opts);
}
