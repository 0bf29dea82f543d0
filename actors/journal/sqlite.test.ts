import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { journalContract } from './journal.contract.ts';
import { openSqliteJournal, SqliteJournal } from './sqlite.ts';
import { JournalConflictError } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'abonent-journal-'));
// A parent that does not exist yet: the engine creates it.
const file = join(dir, 'data', 'journal.sqlite');

const contract = journalContract('sqlite', (observer) => openSqliteJournal({ file, observer }), {
  breakStorage: async (journal) => {
    assert.instance(journal, SqliteJournal);
    return (journal as SqliteJournal).capStorage();
  },
});
contract.after(() => rmSync(dir, { recursive: true, force: true }));
contract.run();

const sqlite = suite('journal: sqlite specifics');
const own = mkdtempSync(join(tmpdir(), 'abonent-journal-sqlite-'));
sqlite.after(() => rmSync(own, { recursive: true, force: true }));

sqlite('runs in WAL mode with synchronous=FULL', async () => {
  const j = await openSqliteJournal({ file: join(own, 'pragmas.sqlite') });
  try {
    assert.equal(j.pragmas(), { journalMode: 'wal', synchronous: 2 });
    assert.is(j.engine, 'sqlite');
  } finally {
    await j.close();
  }
});

sqlite('UNIQUE(key, seq) stops a double apply that bypasses the journal', async () => {
  const path = join(own, 'unique.sqlite');
  const j = await openSqliteJournal({ file: path });
  await j.append({ key: 'account:1', events: [{ sequenceNumber: 1, data: 'a', createdAt: 1 }] });
  await j.close();
  const db = new Database(path);
  try {
    assert.throws(
      () =>
        db
          .prepare(
            "INSERT INTO events (key, seq, data, tags, created_at) VALUES ('account:1', 1, '\"b\"', '[]', 2)",
          )
          .run(),
      /UNIQUE constraint failed/,
    );
  } finally {
    db.close();
  }
});

sqlite('two journals on one file still refuse a duplicate sequence number', async () => {
  const path = join(own, 'two-writers.sqlite');
  const [a, b] = [await openSqliteJournal({ file: path }), await openSqliteJournal({ file: path })];
  const event = (sequenceNumber: number, data: string) => ({ sequenceNumber, data, createdAt: 1 });
  try {
    const first = await Promise.allSettled([
      a.append({ key: 'account:1', events: [event(1, 'from a')] }),
      b.append({ key: 'account:1', events: [event(1, 'from b')] }),
    ]);
    assert.equal(
      first.map((r) => r.status),
      ['fulfilled', 'rejected'],
    );
    assert.instance(first[1]?.status === 'rejected' ? first[1].reason : undefined, JournalConflictError);
    // b now knows account:1 is at 1; a moves it on behind b's back.
    await b.append({ key: 'account:2', events: [event(1, 'b knows 1')] });
    await b.append({ key: 'account:2', events: [event(2, 'cached')] });
    await a.append({ key: 'account:2', events: [event(3, 'from a')] });
    const stale = await b.append({ key: 'account:2', events: [event(3, 'from b')] }).catch((e: unknown) => e);
    assert.instance(stale, JournalConflictError);
    const [later] = await b.append({ key: 'account:2', events: [event(4, 'from b')] });
    assert.is(later?.position, 5);
    assert.equal(
      (await a.events('account:2')).map((e) => e.data),
      ['b knows 1', 'cached', 'from a', 'from b'],
    );
  } finally {
    await a.close();
    await b.close();
  }
});

sqlite(
  'a wake-up changed by another journal on the file is written again, not skipped as known',
  async () => {
    const path = join(own, 'two-wakers.sqlite');
    const [a, b] = [await openSqliteJournal({ file: path }), await openSqliteJournal({ file: path })];
    try {
      await b.append({ key: 'device:1', events: [], wakeupAt: 10 });
      await a.append({ key: 'device:1', events: [], wakeupAt: null });
      await b.append({ key: 'device:1', events: [], wakeupAt: 10 });
      assert.equal(await a.dueWakeups(100, 10), [{ key: 'device:1', at: 10 }]);
    } finally {
      await a.close();
      await b.close();
    }
  },
);

sqlite('batches sent while one is being written keep their own outcomes and their order', async () => {
  // One batch per turn of the event loop: the writer thread takes those queued behind the
  // commit in progress into one transaction; each caller still gets only its own result.
  const j = await openSqliteJournal({ file: join(own, 'queued.sqlite') });
  const event = (sequenceNumber: number, data: string) => ({ sequenceNumber, data, createdAt: 1 });
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  try {
    const appends = [j.append({ key: 'a', events: [event(1, 'a1')] })];
    await turn();
    appends.push(j.append({ key: 'b', events: [event(1, 'b1')] }));
    await turn();
    appends.push(j.append({ key: 'a', events: [event(1, 'a1 again')] }));
    await turn();
    appends.push(j.append({ key: 'a', events: [event(2, 'a2')] }));
    appends.push(j.append({ key: 'b', events: [event(2, 'b2'), event(3, 'b3')], wakeupAt: 7 }));
    const results = await Promise.allSettled(appends);
    assert.equal(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.instance(results[2]?.status === 'rejected' ? results[2].reason : undefined, JournalConflictError);
    const positions = results.flatMap((r) =>
      r.status === 'fulfilled' ? r.value.map((e) => e.position) : [],
    );
    assert.equal(positions, [1, 2, 3, 4, 5]);
    assert.equal(
      (await j.readAll(0, 10)).map((e) => `${e.key}${e.sequenceNumber} ${e.data}`),
      ['a1 a1', 'b1 b1', 'a2 a2', 'b2 b2', 'b3 b3'],
    );
    assert.equal(await j.dueWakeups(10, 10), [{ key: 'b', at: 7 }]);
  } finally {
    await j.close();
  }
});

sqlite('recoveries asked for at once beyond one read batch are all served, also by close', async () => {
  const j = await openSqliteJournal({ file: join(own, 'many-reads.sqlite') });
  const keys = Array.from({ length: 250 }, (_, i) => `account:${i}`);
  await Promise.all(
    keys.map((key, i) => j.append({ key, events: [{ sequenceNumber: 1, data: { i }, createdAt: 1 }] })),
  );
  const read = (key: string) => j.recovery<never, { i: number }>(key).then((r) => r.events[0]?.data.i);
  assert.equal(
    await Promise.all(keys.map(read)),
    keys.map((_, i) => i),
  );
  // Asked for right before close: the batches not yet read are read before the file closes.
  const late = Promise.all(keys.map(read));
  await j.close();
  assert.equal(
    await late,
    keys.map((_, i) => i),
  );
});

sqlite('the writer thread holds the process open only while a request is in flight', () => {
  // Appends, then leaves the journal open: the process must still end by itself.
  const script = `
    const { openSqliteJournal } = await import(${JSON.stringify(new URL('./sqlite.ts', import.meta.url).href)});
    const j = await openSqliteJournal({ file: ${JSON.stringify(join(own, 'left-open.sqlite'))} });
    const [e] = await j.append({ key: 'k', events: [{ sequenceNumber: 1, data: 'x', createdAt: 1 }] });
    console.log('stored at', e.position);
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.is(run.signal, null, 'the process had to be killed: the writer thread kept it alive');
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /stored at 1/);
});

sqlite.run();
