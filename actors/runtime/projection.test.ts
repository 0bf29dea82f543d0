import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openSqliteJournal } from '../journal/sqlite.ts';
import type { Journal, StoredEvent } from '../journal/types.ts';
import type { LiveEvent } from './bus.ts';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { ManualClock } from './clock.ts';
import type { Envelope } from './envelope.ts';
import { type CheckpointedFollower, type FollowOptions, followJournal } from './projection.ts';
import { ActorSystem } from './system.ts';
import { tallyKind } from './testing/tally.ts';

// Projection checkpoints: a follower restored from one sees exactly the events after it, and
// a checkpoint that cannot be trusted (torn, of another version, past the journal's end) is
// passed over for a read of the whole journal.

const log = pino({ level: 'silent' });

/** Sums the tallies' amounts, from the journal at start and from live commits after. */
class Sums implements CheckpointedFollower {
  checkpointVersion = 1;
  readonly totals: Record<string, number> = {};
  readonly storedPositions: number[] = [];
  /** Every amount in journal order: a long array, which a save serializes in slices. */
  readonly amounts: number[] = [];

  stored(e: StoredEvent<Envelope>): void {
    this.storedPositions.push(e.position);
    const event = e.data.event as { type: string; amount?: number };
    if (event.type === 'added') this.add(e.key.slice('tally:'.length), event.amount!);
  }

  live(events: LiveEvent[]): void {
    for (const e of events) {
      const event = e.event as { type: string; amount?: number };
      if (event.type === 'added') this.add(e.id, event.amount!);
    }
  }

  save(): unknown {
    return { ...this.totals, amounts: [...this.amounts] };
  }

  restore(data: unknown): void {
    const { amounts, ...totals } = data as Record<string, number> & { amounts: number[] };
    Object.assign(this.totals, totals);
    this.amounts.push(...amounts);
  }

  reset(): void {
    for (const id of Object.keys(this.totals)) delete this.totals[id];
    this.amounts.length = 0;
  }

  private add(id: string, amount: number): void {
    this.totals[id] = (this.totals[id] ?? 0) + amount;
    this.amounts.push(amount);
  }
}

interface Ctx {
  dir: string;
  journal: Journal;
  system: ActorSystem;
}

const test = suite<Ctx>('projection checkpoints', {} as Ctx);

test.before.each(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'abonent-projection-'));
  ctx.journal = await openSqliteJournal({ file: join(ctx.dir, 'journal.sqlite') });
  ctx.system = new ActorSystem({ journal: ctx.journal, log, clock: new ManualClock() }).register(tallyKind);
  await ctx.system.start();
});

test.after.each(async (ctx) => {
  await ctx.system.stop();
  await ctx.journal.close();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const options = (name = 'sums'): FollowOptions => ({
  checkpoint: { name, everyMs: 3_600_000, now: () => 0 },
});

async function add(ctx: Ctx, id: string, ...amounts: number[]) {
  for (const amount of amounts) await ctx.system.ask(tallyKind, id, { type: 'add', amount });
}

test('stop saves a checkpoint; the next build reads only what came after it', async (ctx) => {
  await add(ctx, 'a', 1, 2, 3);
  const first = new Sums();
  const following = await followJournal(ctx.journal, ctx.system, [first], options());
  assert.is(following.restoredFrom, null);
  assert.is(following.eventsRead, 3);
  await add(ctx, 'b', 10);
  assert.equal(first.totals, { a: 6, b: 10 });
  await following.stop();
  const saved = await ctx.journal.lastPosition();

  await add(ctx, 'a', 100);
  await add(ctx, 'c', 7);
  const second = new Sums();
  const again = await followJournal(ctx.journal, ctx.system, [second], options());
  assert.is(again.restoredFrom, saved);
  assert.equal(second.storedPositions, [saved + 1, saved + 2], 'the events after the checkpoint, once');
  assert.equal(second.totals, { a: 106, b: 10, c: 7 });
  await add(ctx, 'c', 1);
  assert.equal(second.totals, { a: 106, b: 10, c: 8 }, 'and live commits after the build');
  await again.stop();
});

test('a checkpoint is taken as of the last commit the followers saw', async (ctx) => {
  const sums = new Sums();
  const following = await followJournal(ctx.journal, ctx.system, [sums], options());
  await Promise.all([add(ctx, 'a', 1, 2), add(ctx, 'b', 5), add(ctx, 'c', 9)]);
  await following.checkpoint();
  const found = await loadCheckpoint(ctx.journal, 'sums');
  assert.is(found?.position, await ctx.journal.lastPosition());
  const { versions, states } = found!.data as { versions: number[]; states: Record<string, unknown>[] };
  assert.equal(versions, [1]);
  const { amounts, ...totals } = states[0]!;
  assert.equal(totals, { a: 3, b: 5, c: 9 });
  assert.equal((amounts as number[]).sort(), [1, 2, 5, 9]);
  await following.stop();
});

test('a checkpoint is of the position its save began at; stop saves what came after', async (ctx) => {
  const sums = new Sums();
  const following = await followJournal(ctx.journal, ctx.system, [sums], options());
  // Long enough to be serialized over several turns of the event loop.
  await ctx.system.ask(tallyKind, 'a', {
    type: 'add-many',
    amounts: Array.from({ length: 12_000 }, () => 1),
  });
  const position = await ctx.journal.lastPosition();
  const saving = following.checkpoint();
  await add(ctx, 'a', 1_000_000);
  await add(ctx, 'b', 5);
  await saving;
  const found = await loadCheckpoint(ctx.journal, 'sums');
  assert.is(found?.position, position);
  const [state] = (found!.data as { states: { a: number; amounts: number[] }[] }).states;
  assert.is(state?.a, 12_000);
  assert.is(state?.amounts.length, 12_000);
  await following.stop();
  const again = await followJournal(ctx.journal, ctx.system, [new Sums()], options());
  assert.is(again.restoredFrom, position + 2, 'stop saved the rest');
  await again.stop();
});

test('saves one at a time, whoever asks; a save that throws is reported, not thrown', async (ctx) => {
  const sums = new Sums();
  const failures: unknown[] = [];
  const checkpoint = { ...options().checkpoint!, onSaveFailed: (e: unknown) => failures.push(e) };
  const following = await followJournal(ctx.journal, ctx.system, [sums], { checkpoint });
  await ctx.system.ask(tallyKind, 'a', {
    type: 'add-many',
    amounts: Array.from({ length: 12_000 }, () => 1),
  });
  const first = following.checkpoint();
  await add(ctx, 'a', 5);
  await Promise.all([first, following.checkpoint(), following.checkpoint()]);
  const found = await loadCheckpoint(ctx.journal, 'sums');
  assert.is(found?.position, await ctx.journal.lastPosition(), 'whole, and of the last position');
  assert.is(failures.length, 0);

  await add(ctx, 'a', 1);
  sums.save = () => {
    throw new Error('a bug');
  };
  await following.checkpoint();
  assert.is(failures.length, 1);
  await following.stop();
});

test('another version, or a checkpoint past the end of the journal, is not used', async (ctx) => {
  await add(ctx, 'a', 1, 2);
  await (await followJournal(ctx.journal, ctx.system, [new Sums()], options())).stop();

  const newer = new Sums();
  newer.checkpointVersion = 2;
  const rebuilt = await followJournal(ctx.journal, ctx.system, [newer], options());
  assert.is(rebuilt.restoredFrom, null);
  assert.is(rebuilt.eventsRead, 2);
  assert.equal(newer.totals, { a: 3 });
  await rebuilt.stop();

  // A journal put back from an older backup beside a newer checkpoint.
  await saveCheckpoint(
    ctx.journal,
    'sums',
    { position: 1_000, data: { versions: [1], states: [{ a: 999 }] } },
    0,
  );
  const sums = new Sums();
  const read = await followJournal(ctx.journal, ctx.system, [sums], options());
  assert.is(read.restoredFrom, null);
  assert.equal(sums.totals, { a: 3 });
  await read.stop();
});

test('chunks: a checkpoint larger than a chunk comes back whole; a torn one not at all', async (ctx) => {
  const data = { text: 'щ'.repeat(95), list: Array.from({ length: 30 }, (_, i) => i) };
  await saveCheckpoint(ctx.journal, 'big', { position: 5, data }, 0, 16);
  assert.equal(await loadCheckpoint(ctx.journal, 'big'), { position: 5, data });

  // A crash after the chunks of a later save, before its manifest: the chunks are of another save.
  const torn = { text: 'x'.repeat(20) };
  await ctx.journal.takeSnapshot({
    key: 'projection:big#0',
    sequenceNumber: 9,
    data: { save: 'other', text: '{"text":' },
    createdAt: 0,
  });
  assert.is(await loadCheckpoint(ctx.journal, 'big'), undefined);
  await saveCheckpoint(ctx.journal, 'big', { position: 9, data: torn }, 0, 16);
  assert.equal(await loadCheckpoint(ctx.journal, 'big'), { position: 9, data: torn });
  assert.is(await loadCheckpoint(ctx.journal, 'nothing'), undefined);
});

test('a restore that throws: every follower is reset and the whole journal read', async (ctx) => {
  await add(ctx, 'a', 1, 2);
  await (await followJournal(ctx.journal, ctx.system, [new Sums(), new Sums()], options())).stop();
  const good = new Sums();
  const broken = new Sums();
  broken.restore = () => {
    throw new Error('a bug');
  };
  const failures: unknown[] = [];
  const checkpoint = { ...options().checkpoint!, onRestoreFailed: (e: unknown) => failures.push(e) };
  const following = await followJournal(ctx.journal, ctx.system, [good, broken], { checkpoint });
  assert.is(failures.length, 1);
  assert.is(following.restoredFrom, null);
  assert.equal(good.totals, { a: 3 }, 'restored, reset, then read again: not counted twice');
  assert.equal(broken.totals, { a: 3 });
  await following.stop();
});

test('every follower of a checkpointed group must be able to save', async (ctx) => {
  const plain = { stored() {}, live() {} };
  try {
    await followJournal(ctx.journal, ctx.system, [new Sums(), plain], options());
    assert.unreachable('accepted a follower that cannot be saved');
  } catch (error) {
    assert.match(String(error), /cannot be saved/);
  }
});

test.run();
