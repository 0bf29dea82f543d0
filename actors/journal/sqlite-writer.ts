import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { EMPTY_TAGS_JSON } from './group-commit.ts';

// The SQLite journals' writing connections, on a thread of their own (see sqlite.ts): group
// commits and snapshots run here, so the fsync of every commit (synchronous=FULL) and the
// B-tree work never stop the event loop that serves requests. One thread serves every
// journal of the process; messages are handled in the order they were posted, and commits
// that queued up while the thread was busy are written as one transaction (one fsync).

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position   INTEGER PRIMARY KEY,
  key        TEXT    NOT NULL,
  seq        INTEGER NOT NULL,
  data       TEXT    NOT NULL,
  tags       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (key, seq)
);
CREATE TABLE IF NOT EXISTS snapshots (
  key        TEXT PRIMARY KEY,
  seq        INTEGER NOT NULL,
  data       TEXT    NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS wakeups (
  key TEXT PRIMARY KEY,
  at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wakeups_at ON wakeups (at, key);
`;

/** One caller's append as it crosses to the writer: already encoded. */
export interface WireAppend {
  key: string;
  firstSeq: number;
  json: string[];
  tags: string[];
  createdAt: number[];
  wakeupAt: number | null | undefined;
}

/**
 * A group commit as it crosses to this thread: in columns, one string for all the events'
 * JSON. Structured cloning pays per object and per string, and an object of arrays per
 * append cost the sending thread (the event loop) ~3.6 µs per append; this ~1.2 µs (measured,
 * 100 appends per commit). Cut back into appends here, off the event loop.
 */
export interface WireBatch {
  keys: string[];
  firstSeqs: number[];
  /** Events per append. */
  counts: number[];
  wakeups: (number | null | undefined)[];
  /** Every event's JSON, one after another, in append order; `lengths` cuts them apart. */
  text: string;
  lengths: number[];
  /** Every event's tags JSON; left out when no event of the batch has tags. */
  tags: string[] | undefined;
  createdAt: number[];
}

/** The appends of a batch, as `write` takes them. */
export function unpack(batch: WireBatch): WireAppend[] {
  const { keys, firstSeqs, counts, wakeups, text, lengths, tags, createdAt } = batch;
  const appends: WireAppend[] = new Array(keys.length);
  let event = 0;
  let offset = 0;
  for (let a = 0; a < keys.length; a++) {
    const count = counts[a]!;
    const json: string[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const length = lengths[event + i]!;
      json[i] = text.slice(offset, offset + length);
      offset += length;
    }
    appends[a] = {
      key: keys[a]!,
      firstSeq: firstSeqs[a]!,
      json,
      tags: tags ? tags.slice(event, event + count) : new Array<string>(count).fill(EMPTY_TAGS_JSON),
      createdAt: createdAt.slice(event, event + count),
      wakeupAt: wakeups[a],
    };
    event += count;
  }
  return appends;
}

export type WriterRequest =
  | { t: 'open'; id: number; db: number; file: string }
  | { t: 'commit'; id: number; db: number; batch: WireBatch }
  | { t: 'snapshot'; id: number; db: number; key: string; seq: number; data: string; createdAt: number }
  | { t: 'cap'; id: number; db: number; on: boolean }
  | { t: 'close'; id: number; db: number };

export type WriterReply =
  | { id: number; ok: true; result?: number[]; pragmas?: { journalMode: string; synchronous: number } }
  | { id: number; ok: false; message: string; code?: string };

/** A first position meaning "this append's sequence numbers collided". */
export const CONFLICT = -1;

const CACHE_KEYS = 100_000;

/** Merges what a commit wrote into a cache, which is simply emptied when it grows too big. */
function remember<V>(cache: Map<string, V>, written: Map<string, V>): void {
  if (cache.size + written.size > CACHE_KEYS) cache.clear();
  for (const [key, value] of written) cache.set(key, value);
}

function open(file: string) {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Many actors per commit dirty one index page each; a larger cache and fewer, larger
  // checkpoints write those pages to the main file once per checkpoint rather than
  // every few commits (measured: ~+35% events/s with 1,000 keys per commit). Not larger
  // than 8 MB: SQLite walks the cache's hash table at the end of every transaction
  // (pcache1Truncate, 15% of this thread in perf at 64 MB); 8 MB took this thread from
  // ~21 to ~15.5 µs per event in charges-http, and the journal bench did not lose.
  db.pragma('cache_size = -8192');
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('journal_size_limit = 67108864');
  db.exec(SCHEMA);
  return db;
}

/** One journal's writing connection: its statements, its caches and its transaction. */
function connect(file: string) {
  const db = open(file);
  const s = {
    maxPosition: db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck(),
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    lastSeq: db.prepare<[string], number | null>('SELECT max(seq) FROM events WHERE key = ?').pluck(),
    insert: db.prepare<[number, string, number, string, string, number]>(
      'INSERT INTO events (position, key, seq, data, tags, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    // The WHERE keeps a late, older snapshot from replacing a newer one.
    putSnapshot: db.prepare<[string, number, string, number]>(
      `INSERT INTO snapshots (key, seq, data, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET seq = excluded.seq, data = excluded.data, created_at = excluded.created_at
       WHERE excluded.seq >= snapshots.seq`,
    ),
    // Unchanged, it costs no page write (e.g. after the cache was emptied).
    putWakeup: db.prepare<[string, number]>(
      `INSERT INTO wakeups (key, at) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET at = excluded.at WHERE at IS NOT excluded.at`,
    ),
    deleteWakeup: db.prepare<[string]>('DELETE FROM wakeups WHERE key = ?'),
  };

  /**
   * Last sequence number per key as committed through this connection, so that a batch
   * need not look each key up. Filled only after a commit succeeds.
   */
  const lastSeqs = new Map<string, number>();
  /** Wake-up per key as stored through this connection (null: none), to skip restating it. */
  const wakeups = new Map<string, number | null>();
  let dataVersion = -1;

  /** Writes the batch inside the transaction; returns each append's first position. */
  function write(batch: WireAppend[]) {
    // data_version moves only when another connection commits: then the caches may be stale.
    const version = s.dataVersion.get()!;
    if (version !== dataVersion) {
      lastSeqs.clear();
      wakeups.clear();
      dataVersion = version;
    }
    let position = s.maxPosition.get()!;
    const seqs = new Map<string, number>();
    const wakes = new Map<string, number | null>();
    const result: number[] = new Array(batch.length);
    for (let b = 0; b < batch.length; b++) {
      const p = batch[b]!;
      const count = p.json.length;
      const last = seqs.get(p.key) ?? lastSeqs.get(p.key) ?? s.lastSeq.get(p.key) ?? 0;
      if (count > 0 && p.firstSeq !== last + 1) {
        result[b] = CONFLICT;
        continue;
      }
      result[b] = position + 1;
      for (let i = 0; i < count; i++) {
        s.insert.run(++position, p.key, p.firstSeq + i, p.json[i]!, p.tags[i]!, p.createdAt[i]!);
      }
      if (count > 0) seqs.set(p.key, last + count);
      if (p.wakeupAt !== undefined) wakes.set(p.key, p.wakeupAt);
    }
    for (const [key, at] of wakes) {
      if (wakeups.get(key) === at) continue;
      if (at === null) s.deleteWakeup.run(key);
      else s.putWakeup.run(key, at);
    }
    return { result, seqs, wakes };
  }

  // IMMEDIATE takes the write lock before the sequence checks read, so the checks stay
  // exact even if another process writes to the same file.
  const tx = db.transaction(write);
  let maxPages: number | undefined;

  return {
    pragmas: {
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      synchronous: db.pragma('synchronous', { simple: true }) as number,
    },
    commit(appends: WireAppend[]): number[] {
      const { result, seqs, wakes } = tx.immediate(appends);
      remember(lastSeqs, seqs);
      remember(wakeups, wakes);
      return result;
    },
    snapshot(key: string, seq: number, data: string, createdAt: number): void {
      s.putSnapshot.run(key, seq, data, createdAt);
    },
    /**
     * Stops the file from growing, so that the next commit needing a new page fails with
     * SQLITE_FULL: how tests make a commit fail for real.
     */
    cap(on: boolean): void {
      if (on) {
        maxPages ??= db.pragma('max_page_count', { simple: true }) as number;
        db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      } else if (maxPages !== undefined) {
        db.pragma(`max_page_count = ${maxPages}`);
        maxPages = undefined;
      }
    },
    close(): void {
      db.close();
    },
  };
}

type CommitRequest = Extract<WriterRequest, { t: 'commit' }>;

/**
 * Every message waiting on the port, in order. The event loop of this thread would hand them
 * over one by one; taken together, the commits among them can share one transaction.
 */
function drain(port: MessagePort, first: WriterRequest): WriterRequest[] {
  const messages = [first];
  for (let next = receiveMessageOnPort(port); next; next = receiveMessageOnPort(port)) {
    messages.push(next.message as WriterRequest);
  }
  return messages;
}

/** Serves every journal of the process, in the order messages were posted. */
function serve(): void {
  const port = parentPort!;
  const connections = new Map<number, ReturnType<typeof connect>>();
  const connection = (db: number) => {
    const c = connections.get(db);
    if (!c) throw new Error('this journal is closed');
    return c;
  };
  const failure = (id: number, error: unknown): WriterReply => {
    const e = error as { message?: string; code?: string };
    return {
      id,
      ok: false,
      message: e.message ?? String(error),
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
    };
  };
  /**
   * Commits of one journal that were queued together, as one transaction: a caller waits for
   * the commit in progress and then for one fsync, not for one per batch queued before its
   * own. All or none, as for one batch; each batch gets its own appends' results back.
   */
  const commitTogether = (group: CommitRequest[]) => {
    let replies: WriterReply[];
    try {
      const appends = group.length === 1 ? unpack(group[0]!.batch) : group.flatMap((m) => unpack(m.batch));
      const result = connection(group[0]!.db).commit(appends);
      let from = 0;
      replies = group.map((m) => {
        const to = from + m.batch.keys.length;
        const reply: WriterReply = { id: m.id, ok: true, result: result.slice(from, to) };
        from = to;
        return reply;
      });
    } catch (error) {
      replies = group.map((m) => failure(m.id, error));
    }
    for (const reply of replies) port.postMessage(reply);
  };
  port.on('message', (first: WriterRequest) => {
    const messages = drain(port, first);
    for (let i = 0; i < messages.length; ) {
      const m = messages[i]!;
      if (m.t === 'commit') {
        const group: CommitRequest[] = [m];
        for (let n = messages[++i]; n?.t === 'commit' && n.db === m.db; n = messages[++i]) group.push(n);
        commitTogether(group);
      } else {
        port.postMessage(handle(m));
        i++;
      }
    }
  });
  function handle(m: Exclude<WriterRequest, CommitRequest>): WriterReply {
    let reply: WriterReply;
    try {
      switch (m.t) {
        case 'open': {
          const c = connect(m.file);
          connections.set(m.db, c);
          reply = { id: m.id, ok: true, pragmas: c.pragmas };
          break;
        }
        case 'snapshot':
          connection(m.db).snapshot(m.key, m.seq, m.data, m.createdAt);
          reply = { id: m.id, ok: true };
          break;
        case 'cap':
          connection(m.db).cap(m.on);
          reply = { id: m.id, ok: true };
          break;
        case 'close':
          connections.get(m.db)?.close();
          connections.delete(m.db);
          reply = { id: m.id, ok: true };
          break;
      }
    } catch (error) {
      reply = failure(m.id, error);
    }
    return reply;
  }
}

if (parentPort && (workerData as { sqliteWriter?: boolean } | undefined)?.sqliteWriter) serve();
