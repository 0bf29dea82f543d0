import {
  type AnyBulkWriteOperation,
  BSON,
  type Collection,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  ObjectId,
  type WriteError,
} from 'mongodb';
import { GroupCommit, type Pending } from './group-commit.ts';
import {
  type AppendBatch,
  type CommitObserver,
  type Journal,
  JournalClosedError,
  JournalConflictError,
  type Recovery,
  type StoredEvent,
  type StoredSnapshot,
  type Wakeup,
} from './types.ts';

// The MongoDB engine. A group commit is one unordered insertMany with a majority,
// journaled write concern, then one bulkWrite for the wake-ups.
//
// One journal writer per database is assumed: positions are assigned in this process,
// continuing from the highest one found at open, and the last sequence number of each
// key is cached here. A second writer is detected (not prevented) by the unique indexes:
// its inserts fail with duplicate keys on `position` or `(key, sequenceNumber)`.
//
// MongoDB has no multi-document atomicity without transactions (which need a replica
// set and cost a round trip each), so a batch that fails part-way is undone by deleting
// what it inserted, and readers of this journal only see positions up to the last
// commit that fully succeeded. Another process reading the collection directly may
// briefly see events of a batch that is then undone, and an undone batch may leave some
// of its wake-up changes applied: every caller got a JournalWriteError, so its actor
// recovers from the journal and states its wake-up again. If the undo fails too (e.g. the
// server is gone), the error says so: some events of the batch may then be stored.

interface EventDoc {
  /** Made here, so that undoing a batch deletes exactly its own documents. */
  _id: ObjectId;
  key: string;
  sequenceNumber: number;
  position: number;
  data: unknown;
  tags: string[];
  createdAt: number;
}

interface SnapshotDoc {
  _id: string;
  sequenceNumber: number;
  /** JSON text: snapshots are opaque here, may hold any field names, and parse faster than nested BSON. */
  data: string;
  createdAt: number;
}

interface WakeupDoc {
  _id: string;
  at: number;
}

const DUPLICATE_KEY = 11000;
const SEQ_INDEX = 'key_sequenceNumber';
const POSITION_INDEX = 'position';
/** Below MongoDB's 16 MiB document limit, leaving room for the envelope. */
const MAX_EVENT_BYTES = 16 * 1024 * 1024 - 64 * 1024;
const SEQ_CACHE_KEYS = 100_000;
/** Positions asked for in one query by eventsAt. */
const EVENTS_AT_CHUNK = 1000;
const PROJECT_EVENT = {
  _id: 0,
  key: 1,
  sequenceNumber: 1,
  position: 1,
  data: 1,
  tags: 1,
  createdAt: 1,
} as const;

function toEvent<T>(doc: EventDoc): StoredEvent<T> {
  return {
    key: doc.key,
    sequenceNumber: doc.sequenceNumber,
    position: doc.position,
    data: doc.data as T,
    tags: doc.tags,
    createdAt: doc.createdAt,
    isDeleted: false,
  };
}

function writeErrorsOf(e: MongoBulkWriteError): readonly WriteError[] {
  const errors: WriteError | readonly WriteError[] = e.writeErrors;
  return Array.isArray(errors) ? errors : [errors as WriteError];
}

/** True when the only failures are duplicates on (key, sequenceNumber): conflicts, not a broken store. */
function onlySequenceDuplicates(e: unknown): e is MongoBulkWriteError {
  if (!(e instanceof MongoBulkWriteError)) return false;
  if (e.result?.getWriteConcernError()) return false;
  const errors = writeErrorsOf(e);
  return (
    errors.length > 0 && errors.every((w) => w.code === DUPLICATE_KEY && (w.errmsg ?? '').includes(SEQ_INDEX))
  );
}

/** Refuses, at append time, data BSON cannot hold, so it fails its own caller and not the batch. */
function checkBson(pending: Pending): void {
  for (const e of pending.stored) {
    const size = BSON.calculateObjectSize({ d: e.data, t: e.tags }, { ignoreUndefined: true });
    if (size > MAX_EVENT_BYTES) throw new RangeError(`event of ${pending.key} is ${size} bytes of BSON`);
  }
}

function dbNameOf(url: string): string | undefined {
  const name = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/.exec(url)?.[1];
  return name ? decodeURIComponent(name) : undefined;
}

export interface MongoJournalOptions {
  url: string;
  /** Defaults to the database named in the URL, else `abonent`. */
  dbName?: string;
  observer?: CommitObserver;
}

export class MongoJournal implements Journal {
  readonly engine = 'mongodb';
  private readonly group: GroupCommit;
  /** Last sequence number per key as committed; a bounded cache, refilled from the database. */
  private readonly lastSeqs = new Map<string, number>();
  /** Highest position handed out (some may belong to undone batches). */
  private assigned: number;
  /** Highest position of a fully committed batch: what readers may see. */
  private committed: number;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly client: MongoClient,
    private readonly eventsCol: Collection<EventDoc>,
    private readonly snapshotsCol: Collection<SnapshotDoc>,
    private readonly wakeupsCol: Collection<WakeupDoc>,
    position: number,
    observer: CommitObserver | undefined,
  ) {
    this.assigned = position;
    this.committed = position;
    this.group = new GroupCommit({ commit: (batch) => this.write(batch), encode: checkBson, observer });
  }

  static async open(opts: MongoJournalOptions): Promise<MongoJournal> {
    const client = new MongoClient(opts.url, { ignoreUndefined: true });
    await client.connect();
    try {
      const db = client.db(opts.dbName ?? dbNameOf(opts.url) ?? 'abonent');
      const durable = { writeConcern: { w: 'majority' as const, journal: true } };
      const events = db.collection<EventDoc>('events', durable);
      const snapshots = db.collection<SnapshotDoc>('snapshots', durable);
      const wakeups = db.collection<WakeupDoc>('wakeups', durable);
      await Promise.all([
        events.createIndex({ key: 1, sequenceNumber: 1 }, { unique: true, name: SEQ_INDEX }),
        events.createIndex({ position: 1 }, { unique: true, name: POSITION_INDEX }),
        wakeups.createIndex({ at: 1, _id: 1 }, { name: 'at' }),
      ]);
      const last = await events.findOne({}, { sort: { position: -1 }, projection: { _id: 0, position: 1 } });
      return new MongoJournal(client, events, snapshots, wakeups, last?.position ?? 0, opts.observer);
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const seqs = await this.lastSeqsOf(batch);
    let position = this.assigned;
    const docs: EventDoc[] = [];
    const docOwner: Pending[] = [];
    for (const p of batch) {
      const stored = p.stored;
      const last = seqs.get(p.key) ?? 0;
      if (stored.length > 0 && p.firstSeq !== last + 1) {
        p.outcome = new JournalConflictError(p.key, p.firstSeq);
        continue;
      }
      for (const e of stored) {
        e.position = ++position;
        const { sequenceNumber, data, tags, createdAt } = e;
        docs.push({ _id: new ObjectId(), key: p.key, sequenceNumber, position, data, tags, createdAt });
        docOwner.push(p);
      }
      if (stored.length > 0) seqs.set(p.key, last + stored.length);
      p.outcome = stored;
    }
    // Handed out even if the batch fails: an undone batch may have left documents behind.
    this.assigned = position;
    try {
      if (docs.length > 0) {
        try {
          await this.eventsCol.insertMany(docs, { ordered: false });
        } catch (e) {
          if (!onlySequenceDuplicates(e)) throw e;
          await this.refuseCollided(e, batch, docs, docOwner);
        }
      }
      await this.writeWakeups(batch);
    } catch (e) {
      for (const p of batch) this.lastSeqs.delete(p.key);
      if (docs.length > 0) await this.undo(docs, e);
      throw e;
    }
    // Only keys that stored events here: a collided key's refused events are in `seqs` too.
    for (const p of batch) {
      if (p.stored.length === 0 || p.outcome instanceof Error) continue;
      this.rememberSeq(p.key, seqs.get(p.key)!);
    }
    this.committed = position;
  }

  /**
   * The cache missed a write (a second writer): refuse every append of a collided key in
   * this batch, since later ones were built on the refused one, and delete what of them got in.
   */
  private async refuseCollided(
    e: MongoBulkWriteError,
    batch: Pending[],
    docs: EventDoc[],
    docOwner: Pending[],
  ): Promise<void> {
    const keys = new Set(writeErrorsOf(e).map((w) => docOwner[w.index]?.key));
    for (const p of batch) {
      if (keys.has(p.key) && p.stored.length > 0 && !(p.outcome instanceof Error))
        p.outcome = new JournalConflictError(p.key, p.firstSeq);
    }
    for (const key of keys) if (key !== undefined) this.lastSeqs.delete(key);
    const refused = docs.filter((_, i) => docOwner[i]?.outcome instanceof Error).map((d) => d._id);
    await this.eventsCol.deleteMany({ _id: { $in: refused } });
  }

  private async writeWakeups(batch: Pending[]): Promise<void> {
    const latest = new Map<string, number | null>();
    for (const p of batch)
      if (!(p.outcome instanceof Error) && p.wakeupAt !== undefined) latest.set(p.key, p.wakeupAt);
    if (latest.size === 0) return;
    const ops: AnyBulkWriteOperation<WakeupDoc>[] = [];
    for (const [key, at] of latest) {
      ops.push(
        at === null
          ? { deleteOne: { filter: { _id: key } } }
          : { updateOne: { filter: { _id: key }, update: { $set: { at } }, upsert: true } },
      );
    }
    await this.wakeupsCol.bulkWrite(ops, { ordered: false });
  }

  private async undo(docs: EventDoc[], cause: unknown): Promise<void> {
    try {
      await this.eventsCol.deleteMany({ _id: { $in: docs.map((d) => d._id) } });
    } catch (e) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new Error(
        `${reason}; undoing the batch failed too, so some of its events may be stored: ` +
          (e instanceof Error ? e.message : String(e)),
        { cause },
      );
    }
  }

  /** The last sequence number of every key in the batch, from the cache or else the database. */
  private async lastSeqsOf(batch: Pending[]): Promise<Map<string, number>> {
    const known = new Map<string, number>();
    const missing: string[] = [];
    for (const p of batch) {
      if (p.stored.length === 0 || known.has(p.key)) continue;
      const seq = this.lastSeqs.get(p.key);
      if (seq === undefined) missing.push(p.key);
      known.set(p.key, seq ?? 0);
    }
    await Promise.all(
      missing.map(async (key) => {
        const last = await this.eventsCol.findOne(
          { key },
          { sort: { sequenceNumber: -1 }, projection: { _id: 0, sequenceNumber: 1 } },
        );
        known.set(key, last?.sequenceNumber ?? 0);
      }),
    );
    return known;
  }

  private rememberSeq(key: string, seq: number): void {
    this.lastSeqs.delete(key);
    this.lastSeqs.set(key, seq);
    if (this.lastSeqs.size > SEQ_CACHE_KEYS) {
      const oldest = this.lastSeqs.keys().next().value;
      if (oldest !== undefined) this.lastSeqs.delete(oldest);
    }
  }

  append<T>(batch: AppendBatch<T>): Promise<StoredEvent<T>[]> {
    return this.group.append(batch);
  }

  async events<T>(key: string, afterSequence = 0, limit?: number): Promise<StoredEvent<T>[]> {
    this.open();
    if (limit !== undefined && limit <= 0) return [];
    const docs = await this.eventsCol
      .find(
        { key, sequenceNumber: { $gt: afterSequence }, position: { $lte: this.committed } },
        { sort: { sequenceNumber: 1 }, limit: limit ?? 0, projection: PROJECT_EVENT },
      )
      .toArray();
    return docs.map((d) => toEvent<T>(d));
  }

  async readAll<T>(afterPosition: number, limit: number): Promise<StoredEvent<T>[]> {
    this.open();
    if (afterPosition >= this.committed || limit <= 0) return [];
    const docs = await this.eventsCol
      .find(
        { position: { $gt: afterPosition, $lte: this.committed } },
        { sort: { position: 1 }, limit, projection: PROJECT_EVENT },
      )
      .toArray();
    return docs.map((d) => toEvent<T>(d));
  }

  async eventsAt<T>(positions: readonly number[]): Promise<StoredEvent<T>[]> {
    this.open();
    const byPosition = new Map<number, StoredEvent<T>>();
    for (let from = 0; from < positions.length; from += EVENTS_AT_CHUNK) {
      const chunk = positions.slice(from, from + EVENTS_AT_CHUNK).filter((p) => p <= this.committed);
      if (chunk.length === 0) continue;
      const docs = await this.eventsCol
        .find({ position: { $in: chunk } }, { projection: PROJECT_EVENT })
        .toArray();
      for (const d of docs) byPosition.set(d.position, toEvent<T>(d));
    }
    const out: StoredEvent<T>[] = [];
    for (const p of positions) {
      const e = byPosition.get(p);
      if (e) out.push(e);
    }
    return out;
  }

  async lastPosition(): Promise<number> {
    this.open();
    return this.committed;
  }

  async latestSnapshot<S>(key: string): Promise<StoredSnapshot<S> | undefined> {
    this.open();
    const doc = await this.snapshotsCol.findOne({ _id: key });
    if (!doc) return undefined;
    return {
      key,
      sequenceNumber: doc.sequenceNumber,
      data: JSON.parse(doc.data) as S,
      createdAt: doc.createdAt,
    };
  }

  async recovery<S, T>(key: string): Promise<Recovery<S, T>> {
    const snapshot = await this.latestSnapshot<S>(key);
    return { snapshot, events: await this.events<T>(key, snapshot?.sequenceNumber ?? 0) };
  }

  async takeSnapshot<S>(snapshot: StoredSnapshot<S>): Promise<void> {
    this.open();
    const { key, sequenceNumber, createdAt } = snapshot;
    const data = JSON.stringify(snapshot.data) ?? 'null';
    try {
      // Matches only an older (or equal) snapshot; if a newer one exists, the upsert's
      // insert collides on _id, which means there is nothing to do.
      await this.snapshotsCol.replaceOne(
        { _id: key, sequenceNumber: { $lte: sequenceNumber } },
        { sequenceNumber, data, createdAt },
        { upsert: true },
      );
    } catch (e) {
      if (e instanceof MongoServerError && e.code === DUPLICATE_KEY) return;
      throw e;
    }
  }

  async dueWakeups(until: number, limit: number): Promise<Wakeup[]> {
    this.open();
    if (limit <= 0) return [];
    const docs = await this.wakeupsCol
      .find({ at: { $lte: until } }, { sort: { at: 1, _id: 1 }, limit })
      .toArray();
    return docs.map((d) => ({ key: d._id, at: d.at }));
  }

  close(): Promise<void> {
    this.closing ??= this.group.close().then(() => this.client.close());
    return this.closing;
  }

  private open(): void {
    if (this.group.closed) throw new JournalClosedError();
  }
}

export function openMongoJournal(opts: MongoJournalOptions): Promise<MongoJournal> {
  return MongoJournal.open(opts);
}
