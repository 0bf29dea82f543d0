import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type CommitObserver,
  type Journal,
  JournalClosedError,
  JournalConflictError,
  JournalWriteError,
  type NewEvent,
  type StoredEvent,
} from './types.ts';

// The behaviour every journal engine owes the runtime. `open` opens the same store each
// time (so reopening is tested); the tests share it and use their own keys.

export interface ContractOptions {
  /** Makes the store fail the next commit for real (no mock); resolves to the repair. */
  breakStorage?: (journal: Journal) => Promise<() => Promise<void>>;
  /** Registers every test as skipped, e.g. when the engine's server is not configured. */
  skip?: boolean;
}

type Commit = Parameters<CommitObserver>[0];

const T0 = Date.UTC(2026, 0, 1);
/** Far above the small wake-up times the wake-up test owns. */
const LATE = 9e15;

function ev(sequenceNumber: number, data: unknown, tags?: string[]): NewEvent {
  return tags
    ? { sequenceNumber, data, tags, createdAt: T0 + sequenceNumber }
    : { sequenceNumber, data, createdAt: T0 };
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  if (!(error instanceof Error)) assert.unreachable('expected a rejection with an Error');
  return error as Error;
}

export function journalContract(
  name: string,
  open: (observer?: CommitObserver) => Promise<Journal>,
  options: ContractOptions = {},
): Test {
  const s = suite(`journal contract: ${name}`);
  const run = Math.random().toString(36).slice(2, 8);
  const key = (k: string) => `test-${run}:${k}`;
  const test = (title: string, fn: () => Promise<void>) => (options.skip ? s.skip(title, fn) : s(title, fn));

  async function using(fn: (j: Journal, commits: Commit[]) => Promise<void>): Promise<void> {
    const commits: Commit[] = [];
    const j = await open((c) => commits.push(c));
    try {
      await fn(j, commits);
    } finally {
      await j.close();
    }
  }

  const wakeupsOf = async (j: Journal, keys: string[]) =>
    (await j.dueWakeups(Number.MAX_SAFE_INTEGER, 100_000)).filter((w) => keys.includes(w.key));

  test('appends events and reads them back as stored', () =>
    using(async (j) => {
      const k = key('round-trip');
      assert.is(j.engine.length > 0, true);
      const stored = await j.append({
        key: k,
        events: [
          ev(1, { type: 'Opened', name: 'Иван Петров', plan: null }, ['account', 'crm']),
          ev(2, { type: 'ToppedUp', amount: { minor: 150_00, currency: 'RUB' }, list: [1, 'two'] }),
        ],
      });
      assert.is(stored.length, 2);
      assert.equal(
        stored.map((e) => [e.key, e.sequenceNumber, e.isDeleted]),
        [
          [k, 1, false],
          [k, 2, false],
        ],
      );
      assert.equal(stored[0]?.tags, ['account', 'crm']);
      assert.equal(stored[1]?.tags, []);
      assert.ok(stored[0]!.position > 0 && stored[1]!.position > stored[0]!.position);
      assert.equal(await j.events(k), stored);
      assert.equal(await j.events(k, 1), [stored[1]]);
      assert.equal(await j.events(k, 0, 1), [stored[0]]);
      assert.equal(await j.events(k, 2), []);
      assert.equal(await j.events(key('nobody')), []);
    }));

  test("sequence numbers must continue the key's last one", () =>
    using(async (j) => {
      const k = key('continuity');
      const late = await refusal(j.append({ key: k, events: [ev(2, 'b')] }));
      assert.instance(late, JournalConflictError);
      await j.append({ key: k, events: [ev(1, 'a'), ev(2, 'b')] });
      const gap = await refusal(j.append({ key: k, events: [ev(4, 'd')] }));
      assert.instance(gap, JournalConflictError);
      const again = (await refusal(
        j.append({ key: k, events: [ev(2, 'B'), ev(3, 'c')] }),
      )) as JournalConflictError;
      assert.instance(again, JournalConflictError);
      assert.is(again.key, k);
      assert.is(again.sequenceNumber, 2);
      assert.instance(await refusal(j.append({ key: k, events: [ev(3, 'c'), ev(5, 'e')] })), RangeError);
      assert.instance(await refusal(j.append({ key: k, events: [ev(0, 'zero')] })), RangeError);
      await j.append({ key: k, events: [ev(3, 'c')] });
      assert.equal(
        (await j.events(k)).map((e) => e.data),
        ['a', 'b', 'c'],
      );
    }));

  test('a conflict refuses only its own append; the rest of the batch commits', () =>
    using(async (j, commits) => {
      const [a, b, c] = [key('batch-a'), key('batch-b'), key('batch-c')];
      const results = await Promise.allSettled([
        j.append({ key: a, events: [ev(1, 'a1')] }),
        j.append({ key: b, events: [ev(1, 'b1'), ev(2, 'b2')], wakeupAt: LATE }),
        j.append({ key: a, events: [ev(1, 'a1 again')], wakeupAt: LATE }),
        j.append({ key: c, events: [ev(7, 'c7')] }),
        j.append({ key: a, events: [ev(2, 'a2')] }),
      ]);
      assert.equal(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'],
      );
      for (const r of results) if (r.status === 'rejected') assert.instance(r.reason, JournalConflictError);
      assert.equal(
        (await j.events(a)).map((e) => e.data),
        ['a1', 'a2'],
      );
      assert.equal(
        (await j.events(b)).map((e) => e.data),
        ['b1', 'b2'],
      );
      assert.equal(await j.events(c), []);
      assert.equal(await wakeupsOf(j, [a, b, c]), [{ key: b, at: LATE }]);
      assert.equal(commits, [{ ...commits[0]!, events: 4, appends: 5, ok: true }]);
      await j.append({ key: b, events: [], wakeupAt: null });
    }));

  test('appends made in one tick share one commit, which resolves them all', () =>
    using(async (j, commits) => {
      const keys = Array.from({ length: 50 }, (_, i) => key(`tick-${i}`));
      const first = await Promise.all(keys.map((k) => j.append({ key: k, events: [ev(1, k), ev(2, k)] })));
      assert.is(commits.length, 1);
      assert.equal({ ...commits[0], ms: 0 }, { events: 100, appends: 50, ms: 0, ok: true });
      assert.ok(commits[0]!.ms >= 0);
      await Promise.all(keys.map((k) => j.append({ key: k, events: [ev(3, k)] })));
      assert.is(commits.length, 2);
      assert.equal({ ...commits[1], ms: 0 }, { events: 50, appends: 50, ms: 0, ok: true });
      assert.equal(await j.events(keys[7]!, 0, 2), first[7]);
    }));

  test('positions rise strictly across keys in commit order; readAll pages through them', () =>
    using(async (j) => {
      const before = await j.lastPosition();
      const [x, y, z] = [key('pos-x'), key('pos-y'), key('pos-z')];
      const written: StoredEvent[] = [];
      for (let round = 0; round < 3; round++) {
        const seq = round * 2 + 1;
        const batch = await Promise.all([
          j.append({ key: x, events: [ev(seq, `x${seq}`), ev(seq + 1, `x${seq + 1}`)] }),
          j.append({ key: y, events: [ev(round + 1, `y${round + 1}`)] }),
          j.append({ key: z, events: [ev(seq, `z${seq}`), ev(seq + 1, `z${seq + 1}`)] }),
        ]);
        written.push(...batch.flat());
      }
      const positions = written.map((e) => e.position);
      for (let i = 1; i < positions.length; i++) assert.ok(positions[i]! > positions[i - 1]!, 'commit order');
      assert.ok(positions[0]! > before);
      assert.is(await j.lastPosition(), positions.at(-1));

      const paged: StoredEvent[] = [];
      for (let after = before; ; ) {
        const page = await j.readAll(after, 4);
        if (page.length === 0) break;
        assert.ok(page.length <= 4);
        paged.push(...page);
        after = page.at(-1)!.position;
      }
      assert.equal(paged, written);
      assert.equal(await j.readAll(positions.at(-1)!, 10), []);

      // By position, in the order asked; a position nothing was committed at is left out.
      const picked = [written[4]!, written[0]!, written[7]!];
      const nowhere = positions.at(-1)! + 1000;
      assert.equal(
        await j.eventsAt([picked[0]!.position, nowhere, picked[1]!.position, picked[2]!.position]),
        picked,
      );
      assert.equal(await j.eventsAt([]), []);
    }));

  test('snapshots: the latest wins and an older one never replaces a newer', () =>
    using(async (j) => {
      const k = key('snapshot');
      assert.is(await j.latestSnapshot(k), undefined);
      await j.takeSnapshot({ key: k, sequenceNumber: 5, data: { balance: 500 }, createdAt: T0 + 5 });
      assert.equal(await j.latestSnapshot(k), {
        key: k,
        sequenceNumber: 5,
        data: { balance: 500 },
        createdAt: T0 + 5,
      });
      await j.takeSnapshot({ key: k, sequenceNumber: 3, data: { balance: 300 }, createdAt: T0 + 9 });
      assert.equal((await j.latestSnapshot(k))?.data, { balance: 500 });
      await j.takeSnapshot({ key: k, sequenceNumber: 9, data: { balance: 900 }, createdAt: T0 + 9 });
      assert.equal((await j.latestSnapshot(k))?.sequenceNumber, 9);

      const applied: Record<string, { at: number; reply: { chargeId: string } }> = {};
      for (let i = 0; i < 30_000; i++) applied[`idem-${i}`] = { at: T0 + i, reply: { chargeId: `ch-${i}` } };
      const big = { balance: 1_000, holds: [{ id: 'h1', amount: 10 }], applied };
      await j.takeSnapshot({ key: k, sequenceNumber: 10, data: big, createdAt: T0 + 10 });
      assert.equal(await j.latestSnapshot(k), { key: k, sequenceNumber: 10, data: big, createdAt: T0 + 10 });
    }));

  test('recovery: the latest snapshot and only the events after it', () =>
    using(async (j) => {
      const k = key('recovery');
      assert.equal(await j.recovery(key('nobody-recovers')), { snapshot: undefined, events: [] });
      await j.append({ key: k, events: [1, 2, 3, 4].map((n) => ev(n, { n })) });
      const recovered = async () => {
        const { snapshot, events } = await j.recovery(k);
        return { snapshot, events: events.map((e) => [e.sequenceNumber, e.data]) };
      };
      assert.equal(await recovered(), {
        snapshot: undefined,
        events: [1, 2, 3, 4].map((n) => [n, { n }]),
      });
      await j.takeSnapshot({ key: k, sequenceNumber: 3, data: { upTo: 3 }, createdAt: T0 + 3 });
      assert.equal(await recovered(), {
        snapshot: { key: k, sequenceNumber: 3, data: { upTo: 3 }, createdAt: T0 + 3 },
        events: [[4, { n: 4 }]],
      });
    }));

  test('wake-ups: set and moved with appends, deleted with null, due earliest first', () =>
    using(async (j) => {
      const [w1, w2, w3] = [key('wake-1'), key('wake-2'), key('wake-3')];
      const ours = [w1, w2, w3];
      const due = async (until: number, limit = 100) =>
        (await j.dueWakeups(until, limit)).filter((w) => ours.includes(w.key));
      await Promise.all([
        j.append({ key: w1, events: [ev(1, 'w1')], wakeupAt: 30 }),
        j.append({ key: w2, events: [ev(1, 'w2')], wakeupAt: 10 }),
        j.append({ key: w3, events: [ev(1, 'w3')], wakeupAt: 20 }),
      ]);
      assert.equal(await due(25), [
        { key: w2, at: 10 },
        { key: w3, at: 20 },
      ]);
      assert.equal(await j.dueWakeups(100, 1), [{ key: w2, at: 10 }]);
      await j.append({ key: w2, events: [ev(2, 'w2')], wakeupAt: 40 });
      await j.append({ key: w3, events: [ev(2, 'w3')] });
      assert.equal(await due(35), [
        { key: w3, at: 20 },
        { key: w1, at: 30 },
      ]);
      assert.equal(await j.append({ key: w1, events: [], wakeupAt: 5 }), []);
      assert.equal(await due(5), [{ key: w1, at: 5 }]);
      await Promise.all([
        j.append({ key: w1, events: [], wakeupAt: null }),
        j.append({ key: w2, events: [ev(3, 'w2')], wakeupAt: null }),
        j.append({ key: w3, events: [ev(3, 'w3')], wakeupAt: null }),
      ]);
      assert.equal(await due(Number.MAX_SAFE_INTEGER), []);
      assert.is((await j.events(w2)).length, 3);
    }));

  test('input that cannot be stored refuses its own append only', () =>
    using(async (j) => {
      const k = key('bad-input');
      const circular: Record<string, unknown> = { type: 'Loop' };
      circular.self = circular;
      const [good, loop, nan, wake] = await Promise.allSettled([
        j.append({ key: k, events: [ev(1, 'fine')] }),
        j.append({ key: key('bad-loop'), events: [ev(1, circular)] }),
        j.append({ key: key('bad-nan'), events: [{ sequenceNumber: 1, data: 1, createdAt: Number.NaN }] }),
        j.append({ key: key('bad-wake'), events: [ev(1, 1)], wakeupAt: Number.POSITIVE_INFINITY }),
      ]);
      assert.is(good?.status, 'fulfilled');
      for (const r of [loop, nan, wake]) {
        assert.is(r?.status, 'rejected');
        if (r?.status === 'rejected') assert.not.instance(r.reason, JournalWriteError);
      }
      assert.is((await j.events(k)).length, 1);
      assert.equal(await j.events(key('bad-loop')), []);
    }));

  test('close commits what is queued, then refuses appends and reads', async () => {
    const k = key('close');
    const j = await open();
    const appended = [
      j.append({ key: k, events: [ev(1, 'queued')] }),
      j.append({ key: k, events: [ev(2, 'too')] }),
    ];
    const closed = j.close();
    assert.is((await appended[0])?.length, 1);
    await appended[1];
    await closed;
    await j.close();
    assert.instance(await refusal(j.append({ key: k, events: [ev(3, 'late')] })), JournalClosedError);
    assert.instance(await refusal(j.events(k)), JournalClosedError);
    await using(async (again) => {
      assert.equal(
        (await again.events(k)).map((e) => e.data),
        ['queued', 'too'],
      );
    });
  });

  const breakStorage = options.breakStorage;
  if (breakStorage) {
    test('a failed commit refuses every caller, stores nothing of it, and the journal goes on', () =>
      using(async (j, commits) => {
        const [f1, f2, f3] = [key('fail-1'), key('fail-2'), key('fail-3')];
        await j.append({ key: f1, events: [ev(1, 'kept')], wakeupAt: LATE });
        const before = await j.lastPosition();
        const big = 'x'.repeat(256 * 1024);
        const batch = () => [
          j.append({ key: f1, events: [ev(2, 'small')], wakeupAt: null }),
          j.append({ key: f2, events: [ev(1, { big })], wakeupAt: LATE }),
          j.append({ key: f3, events: [ev(1, 'small'), ev(2, 'small')] }),
        ];
        const repair = await breakStorage(j);
        const failed = await Promise.allSettled(batch());
        for (const r of failed) {
          assert.is(r.status, 'rejected');
          if (r.status === 'rejected') {
            assert.instance(r.reason, JournalWriteError);
            assert.ok((r.reason as Error).cause, 'the cause is attached');
          }
        }
        assert.is(commits.at(-1)?.ok, false);
        assert.is(await j.lastPosition(), before);
        assert.is((await j.events(f1)).length, 1);
        assert.equal(await j.events(f2), []);
        assert.equal(await j.events(f3), []);
        assert.equal(await wakeupsOf(j, [f1, f2, f3]), [{ key: f1, at: LATE }]);

        await repair();
        const retried = await Promise.all(batch());
        assert.ok(retried[0]![0]!.position > before);
        assert.is(commits.at(-1)?.ok, true);
        assert.equal((await j.events(f2))[0]?.data, { big });
        assert.equal(await wakeupsOf(j, [f1, f2, f3]), [{ key: f2, at: LATE }]);
        await j.append({ key: f2, events: [], wakeupAt: null });
      }));
  } else {
    s.skip('a failed commit refuses every caller (no breakStorage for this engine)');
  }

  test('a reopened journal sees everything that was committed', async () => {
    const k = key('reopen');
    let last = 0;
    let written: StoredEvent[] = [];
    await using(async (j) => {
      written = await j.append({ key: k, events: [ev(1, { n: 1 }), ev(2, { n: 2 })], wakeupAt: LATE + 1 });
      await j.takeSnapshot({ key: k, sequenceNumber: 2, data: { n: 2 }, createdAt: T0 });
      last = await j.lastPosition();
    });
    await using(async (j) => {
      assert.equal(await j.events(k), written);
      assert.equal((await j.latestSnapshot(k))?.data, { n: 2 });
      assert.equal(await wakeupsOf(j, [k]), [{ key: k, at: LATE + 1 }]);
      assert.is(await j.lastPosition(), last);
      assert.instance(await refusal(j.append({ key: k, events: [ev(2, 'dup')] })), JournalConflictError);
      const [next] = await j.append({ key: k, events: [ev(3, { n: 3 })], wakeupAt: null });
      assert.ok(next!.position > last);
    });
  });

  return s;
}
