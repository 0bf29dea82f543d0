import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiError } from '../../protocol/errors.ts';
import { openSqliteJournal } from '../journal/sqlite.ts';
import type { Journal } from '../journal/types.ts';
import { type LiveEvent, LocalBus } from './bus.ts';
import { ManualClock } from './clock.ts';
import type { Envelope } from './envelope.ts';
import { createRuntimeMetrics } from './metrics.ts';
import { ActorSystem, type ActorSystemOptions } from './system.ts';
import { tallyEffects, tallyKind } from './testing/tally.ts';

const log = pino({ level: 'silent' });

interface World {
  dir: string;
  journal: Journal;
  system: ActorSystem;
  clock: ManualClock;
  restart(options?: Partial<ActorSystemOptions>): Promise<void>;
  close(): Promise<void>;
}

async function world(options: Partial<ActorSystemOptions> = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'abonent-runtime-'));
  const file = join(dir, 'journal.sqlite');
  const clock = new ManualClock();
  const make = async (extra: Partial<ActorSystemOptions>) => {
    const journal = await openSqliteJournal({ file });
    const system = new ActorSystem({ journal, log, clock, ...options, ...extra }).register(tallyKind);
    await system.start();
    return { journal, system };
  };
  const w = { dir, clock, ...(await make({})) } as unknown as World;
  w.restart = async (extra = {}) => {
    await w.system.stop();
    await w.journal.close();
    Object.assign(w, await make(extra));
  };
  w.close = async () => {
    await w.system.stop();
    await w.journal.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return w;
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (error) {
    assert.instance(error, ApiError);
    return error as ApiError;
  }
  throw new Error('expected a rejection');
}

const total = (w: World, id: string) => w.system.read(tallyKind, id, (s) => s.total);

const runtime = suite('actor runtime');

runtime('applies a command, replies, and recovers the state after a restart', async () => {
  const w = await world();
  try {
    assert.equal(await w.system.ask(tallyKind, 'a', { type: 'add', amount: 5 }), { total: 5, count: 1 });
    assert.equal(await w.system.ask(tallyKind, 'a', { type: 'add', amount: 7 }), { total: 12, count: 2 });
    await w.restart();
    assert.is(await total(w, 'a'), 12);
    assert.is(w.system.inspect('tally', 'a')?.sequenceNumber, 2);
  } finally {
    await w.close();
  }
});

runtime('journals who and when on every event', async () => {
  const w = await world();
  try {
    await w.system.ask(
      tallyKind,
      'who',
      { type: 'add', amount: 1 },
      { cause: { type: 'staff', id: 'ivanova' } },
    );
    const [stored] = await w.journal.events<Envelope>('tally:who');
    assert.equal(stored?.data.by, { type: 'staff', id: 'ivanova' });
    assert.is(stored?.data.at, w.clock.now());
  } finally {
    await w.close();
  }
});

runtime(
  'a repeated idempotency key gets the first reply and changes nothing, also after a restart',
  async () => {
    const w = await world();
    try {
      const first = await w.system.ask(
        tallyKind,
        'k',
        { type: 'add', amount: 10 },
        { idempotencyKey: 'pay-1' },
      );
      await w.system.ask(tallyKind, 'k', { type: 'add', amount: 1 });
      const again = await w.system.ask(
        tallyKind,
        'k',
        { type: 'add', amount: 10 },
        { idempotencyKey: 'pay-1' },
      );
      assert.equal(again, first);
      assert.is(await total(w, 'k'), 11);
      await w.restart();
      assert.equal(
        await w.system.ask(tallyKind, 'k', { type: 'add', amount: 10 }, { idempotencyKey: 'pay-1' }),
        first,
      );
      assert.is(await total(w, 'k'), 11);
      const reused = await rejection(
        w.system.ask(tallyKind, 'k', { type: 'add', amount: 99 }, { idempotencyKey: 'pay-1' }),
      );
      assert.is(reused.status, 422);
      assert.is(reused.code, 'idempotency_key_reused');
      assert.is(await total(w, 'k'), 11);
    } finally {
      await w.close();
    }
  },
);

runtime('the applied keys survive snapshots and stay bounded by the policy', async () => {
  const w = await world({ snapshotEvery: 3, idempotency: { maxKeys: 4, retainMs: 3600_000 } });
  try {
    for (let i = 1; i <= 6; i++)
      await w.system.ask(tallyKind, 'w', { type: 'add', amount: i }, { idempotencyKey: `k${i}` });
    await w.restart();
    // k6 is remembered (from the snapshot), so its retry changes nothing…
    await w.system.ask(tallyKind, 'w', { type: 'add', amount: 6 }, { idempotencyKey: 'k6' });
    assert.is(await total(w, 'w'), 21);
    // …while k1 fell out of a window of four keys and is applied as new.
    await w.system.ask(tallyKind, 'w', { type: 'add', amount: 1 }, { idempotencyKey: 'k1' });
    assert.is(await total(w, 'w'), 22);
    // Age counts on the journaled time: an hour later, k5 is forgotten too.
    w.clock.advance(3600_001);
    await w.system.ask(tallyKind, 'w', { type: 'add', amount: 0 }, { idempotencyKey: 'tick' });
    await w.system.ask(tallyKind, 'w', { type: 'add', amount: 5 }, { idempotencyKey: 'k5' });
    assert.is(await total(w, 'w'), 27);
  } finally {
    await w.close();
  }
});

runtime('a decide that throws rejects that command alone; the actor keeps serving', async () => {
  const w = await world();
  try {
    await w.system.ask(tallyKind, 'x', { type: 'add', amount: 3 });
    const pending = [
      w.system.ask(tallyKind, 'x', { type: 'explode' }),
      w.system.ask(tallyKind, 'x', { type: 'add', amount: 4 }),
    ];
    const error = await rejection(pending[0]!);
    assert.is(error.status, 500);
    assert.is(error.code, 'internal_error');
    assert.equal(await pending[1], { total: 7, count: 2 });
  } finally {
    await w.close();
  }
});

runtime('a domain rejection persists nothing', async () => {
  const w = await world();
  try {
    const error = await rejection(w.system.ask(tallyKind, 'r', { type: 'add', amount: 1.5 }));
    assert.is(error.code, 'invalid_amount');
    assert.is((await w.journal.events('tally:r')).length, 0);
  } finally {
    await w.close();
  }
});

runtime('a failed journal write rejects with store_unavailable and keeps the previous state', async () => {
  const w = await world();
  try {
    await w.system.ask(tallyKind, 'j', { type: 'add', amount: 2 });
    await w.journal.close();
    const error = await rejection(w.system.ask(tallyKind, 'j', { type: 'add', amount: 40 }));
    assert.is(error.status, 503);
    assert.is(error.code, 'store_unavailable');
    assert.is(await total(w, 'j'), 2);
    assert.is(w.system.inspect('tally', 'j')?.sequenceNumber, 1);
  } finally {
    await w.system.stop();
    rmSync(w.dir, { recursive: true, force: true });
  }
});

runtime('a full mailbox refuses with 503 overloaded and Retry-After; what was queued completes', async () => {
  const w = await world({ mailboxLimit: 5 });
  try {
    const asks = Array.from({ length: 20 }, () =>
      w.system.ask(tallyKind, 'busy', { type: 'add', amount: 1 }).then(
        () => 'ok',
        (e: ApiError) => e,
      ),
    );
    const results = await Promise.all(asks);
    const refused = results.filter((r): r is ApiError => r !== 'ok');
    assert.ok(refused.length > 0, 'some were refused');
    for (const r of refused) {
      assert.is(r.status, 503);
      assert.is(r.code, 'overloaded');
      assert.is(r.headers['Retry-After'], '1');
    }
    assert.is(await total(w, 'busy'), results.length - refused.length);
  } finally {
    await w.close();
  }
});

runtime(
  'an ask that times out says outcome_unknown; a retry with the key learns the real outcome',
  async () => {
    const w = await world();
    try {
      const slow = w.system.ask(
        tallyKind,
        's',
        { type: 'spin', ms: 60, amount: 9 },
        { idempotencyKey: 'slow-1', timeoutMs: 10 },
      );
      const error = await rejection(slow);
      assert.is(error.status, 504);
      assert.is(error.code, 'outcome_unknown');
      const retry = await w.system.ask(
        tallyKind,
        's',
        { type: 'spin', ms: 60, amount: 9 },
        { idempotencyKey: 'slow-1' },
      );
      assert.equal(retry, { total: 9, count: 1 });
      assert.is(await total(w, 's'), 9);
    } finally {
      await w.close();
    }
  },
);

runtime('passivated actors come back on the next message, and nothing sent around it is lost', async () => {
  const w = await world();
  try {
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10; i++) w.system.tell(tallyKind, `p${i}`, { type: 'add', amount: 1 });
      w.system.passivateIdle(0);
      await new Promise((r) => setImmediate(r));
      w.system.passivateIdle(0);
    }
    const totals = await Promise.all(Array.from({ length: 10 }, (_, i) => total(w, `p${i}`)));
    assert.equal(totals, Array(10).fill(20));
    assert.ok(w.system.passivateIdle(0) === 10);
    assert.is(w.system.activeActors, 0);
  } finally {
    await w.close();
  }
});

runtime('timers fire at their due time, once, also after passivation and restarts', async () => {
  const w = await world();
  try {
    const at = w.clock.now() + 60_000;
    await w.system.ask(tallyKind, 't', { type: 'remind', id: 'pay', at });
    await w.system.runDueTimers();
    assert.equal(await w.system.read(tallyKind, 't', (s) => s.rung), []);
    // Not live and not in memory: only the journal's wake-up knows.
    w.system.passivateIdle(0);
    await w.restart();
    assert.is(w.system.activeActors, 0);
    w.clock.advance(60_000);
    await w.system.runDueTimers();
    await waitFor(async () => (await w.system.read(tallyKind, 't', (s) => s.rung)).length === 1);
    await w.system.runDueTimers();
    await w.restart();
    await w.system.runDueTimers();
    assert.equal(await w.system.read(tallyKind, 't', (s) => s.rung), ['pay']);
  } finally {
    await w.close();
  }
});

runtime('effects run once after durability and never on recovery; resume runs on activation', async () => {
  const w = await world();
  try {
    tallyEffects.added.length = 0;
    await w.system.ask(tallyKind, 'e', { type: 'add', amount: 11 });
    await w.system.ask(tallyKind, 'e', { type: 'add', amount: 12 });
    const resumesBefore = tallyEffects.resumes;
    await w.restart();
    assert.is(await total(w, 'e'), 23);
    assert.equal(tallyEffects.added, [11, 12]);
    assert.is(tallyEffects.resumes, resumesBefore + 1);
  } finally {
    await w.close();
  }
});

runtime('several events of one command are journaled together and published on the bus', async () => {
  const bus = new LocalBus();
  const seen: LiveEvent[] = [];
  bus.subscribe('tally:m', (e) => seen.push(e));
  const w = await world({ bus });
  try {
    await w.system.ask(tallyKind, 'm', { type: 'add-many', amounts: [1, 2, 3] });
    assert.equal(
      seen.map((e) => [e.sequenceNumber, (e.event as { amount: number }).amount]),
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    );
    assert.ok(seen[0]!.position < seen[1]!.position);
  } finally {
    await w.close();
  }
});

runtime(
  'local listeners see every durable event once, with the state after it; passivate frees one actor',
  async () => {
    const w = await world();
    try {
      const seen: [number, number][] = [];
      const off = w.system.onPersisted((events, state) => {
        for (const e of events) seen.push([e.sequenceNumber, (state as { total: number }).total]);
      });
      await w.system.ask(tallyKind, 'l', { type: 'add', amount: 4 });
      await w.system.ask(tallyKind, 'l', { type: 'add', amount: 1.5 }).catch(() => {});
      await w.system.ask(tallyKind, 'l', { type: 'add-many', amounts: [1, 1] });
      off();
      await w.system.ask(tallyKind, 'l', { type: 'add', amount: 100 });
      assert.equal(seen, [
        [1, 4],
        [2, 6],
        [3, 6],
      ]);
      assert.ok(w.system.passivate('tally', 'l'));
      await waitFor(async () => w.system.inspect('tally', 'l') === undefined);
      assert.is(await total(w, 'l'), 106);
    } finally {
      await w.close();
    }
  },
);

runtime(
  'recovery of 10,000 events with snapshots every 500 reads one snapshot and at most 500 events',
  async () => {
    const metrics = createRuntimeMetrics(new Registry());
    const w = await world({ snapshotEvery: 500, metrics });
    try {
      const n = 10_000;
      for (let i = 0; i < n; i += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, j) =>
            w.system.ask(tallyKind, 'big', { type: 'add', amount: ((i + j) % 7) - 3 }),
          ),
        );
      }
      // The last 137 events come after the last snapshot.
      for (let i = 0; i < 137; i++) await w.system.ask(tallyKind, 'big', { type: 'add', amount: 1 });
      const live = await w.system.read(tallyKind, 'big', (s) => s);
      await w.restart();
      const recovered = await w.system.read(tallyKind, 'big', (s) => s);
      const stats = w.system.inspect('tally', 'big')?.recovery;
      assert.ok(stats, 'recovered');
      assert.ok(stats!.eventsReplayed <= 500, `replayed ${stats!.eventsReplayed}`);
      assert.is(stats!.snapshotSequence + stats!.eventsReplayed, n + 137);
      // From scratch: fold the whole journal through evolve.
      let scratch = tallyKind.initial('big');
      for (const e of await w.journal.events<Envelope<never>>('tally:big'))
        scratch = tallyKind.evolve(scratch, e.data.event);
      assert.equal(recovered, scratch);
      assert.equal(recovered, live);
      assert.is(recovered.count, n + 137);
    } finally {
      await w.close();
    }
  },
);

runtime(
  'a kind snapshots at its own cadence, capped by the system and stretched by its applied keys',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'abonent-runtime-'));
    const file = join(dir, 'journal.sqlite');
    const often = { ...tallyKind, name: 'often', snapshotEvery: () => 5 };
    const recovered = async (options: Partial<ActorSystemOptions>, id: string, keyed: boolean, n: number) => {
      let journal = await openSqliteJournal({ file });
      let system = new ActorSystem({ journal, log, ...options }).register(often);
      await system.start();
      for (let i = 0; i < n; i++) {
        await system.ask(often, id, { type: 'add', amount: 1 }, keyed ? { idempotencyKey: `k${i}` } : {});
      }
      await system.stop();
      await journal.close();
      journal = await openSqliteJournal({ file });
      system = new ActorSystem({ journal, log, ...options }).register(often);
      await system.start();
      assert.is(await system.read(often, id, (s) => s.count), n);
      const stats = system.inspect('often', id)?.recovery;
      await system.stop();
      await journal.close();
      return stats;
    };
    try {
      // Its own 5 under the system's 500: snapshots after 5 and 10, two events to replay.
      assert.equal(await recovered({ snapshotEvery: 500 }, 'a', false, 12), {
        snapshotSequence: 10,
        eventsReplayed: 2,
      });
      // The system's 3 caps it.
      assert.equal(await recovered({ snapshotEvery: 3 }, 'b', false, 12), {
        snapshotSequence: 12,
        eventsReplayed: 0,
      });
      // Every snapshot carries the applied keys: with n of them it waits n events, so a large
      // window is not rewritten every few events (here: a snapshot after 5, then none by 40).
      assert.equal(await recovered({ snapshotEvery: 500 }, 'c', true, 40), {
        snapshotSequence: 5,
        eventsReplayed: 35,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

runtime(
  'after stop, messages are refused as not ready (a counted dead letter), never silently dropped',
  async () => {
    const metrics = createRuntimeMetrics(new Registry());
    const w = await world({ metrics });
    try {
      await w.system.ask(tallyKind, 'd', { type: 'add', amount: 1 });
      await w.system.stop();
      const error = await rejection(w.system.ask(tallyKind, 'd', { type: 'add', amount: 1 }));
      assert.is(error.code, 'not_ready');
      w.system.tell(tallyKind, 'd', { type: 'add', amount: 1 });
      const dead = (await metrics.deadLetters.get()).values.reduce((sum, v) => sum + v.value, 0);
      assert.is(dead, 2);
    } finally {
      await w.close();
    }
  },
);

runtime('stop drains every queued command before it resolves', async () => {
  const w = await world();
  try {
    const asks = Array.from({ length: 200 }, (_, i) =>
      w.system.ask(tallyKind, `q${i % 4}`, { type: 'add', amount: 1 }),
    );
    await w.system.stop();
    const replies = await Promise.all(asks);
    assert.is(replies.length, 200);
    await w.journal.close();
    const journal = await openSqliteJournal({ file: join(w.dir, 'journal.sqlite') });
    assert.is(await journal.lastPosition(), 200);
    await journal.close();
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

async function waitFor(check: () => Promise<boolean>, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition not met in time');
}

runtime.run();
