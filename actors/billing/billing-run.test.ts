import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ACCOUNT_STATUS_TOPIC,
  type AccountCommand,
  type AccountEvent,
  accountKind,
} from '../account/account.ts';
import type { TariffTerms } from '../account/state.ts';
import { openSqliteJournal } from '../journal/sqlite.ts';
import type { Journal } from '../journal/types.ts';
import { type LiveEvent, LocalBus } from '../runtime/bus.ts';
import { ManualClock } from '../runtime/clock.ts';
import type { Envelope } from '../runtime/envelope.ts';
import { createRuntimeMetrics, type RuntimeMetrics } from '../runtime/metrics.ts';
import { ActorSystem, type ActorSystemOptions } from '../runtime/system.ts';
import { BillingClock } from './clock.ts';
import { type BillingIndex, openBillingIndex } from './index.ts';
import { BILLING_TOPIC, type BillingProgress } from './run.ts';

// Billing runs through the real runtime: an ActorSystem on a temp SQLite journal, account
// actors, the billing index built from the journal, and a ManualClock moved by hand.

const log = pino({ level: 'silent' });
const HOUR = 3_600_000;
/** Moscow wall time (UTC+3, no DST) as an instant. */
const msk = (y: number, m: number, d = 1, h = 0, mi = 0) => Date.UTC(y, m - 1, d, h - 3, mi);
const T0 = msk(2026, 3, 31, 22, 30);

const monthly: TariffTerms = { tariffId: 'home', name: 'Home', billing: 'monthly', pricePerMonth: 30_000 };
// April has 30 days and 720 hours: a day of it costs 1,000, an hour 100.
const daily: TariffTerms = { tariffId: 'day', name: 'Day', billing: 'daily', pricePerMonth: 30_000 };
const hourly: TariffTerms = { tariffId: 'hour', name: 'Hour', billing: 'hourly', pricePerMonth: 72_000 };

interface World {
  dir: string;
  clock: ManualClock;
  journal: Journal;
  bus: LocalBus;
  system: ActorSystem;
  index: BillingIndex;
  billing: BillingClock;
  metrics: RuntimeMetrics;
  /** Stops everything but the files; `restart` opens them again. */
  shutdown(): Promise<void>;
  restart(options?: WorldOptions): Promise<void>;
  close(): Promise<void>;
}

interface WorldOptions {
  system?: Partial<ActorSystemOptions>;
  maxCatchUp?: number;
  concurrency?: number;
  /** Run the catch-up run (and wait for it) as the server does at start. */
  catchUp?: boolean;
}

async function world(options: WorldOptions = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'abonent-billing-'));
  const clock = new ManualClock(T0);
  const w = { dir, clock } as World;
  let close: () => Promise<void> = async () => {};
  const open = async (o: WorldOptions) => {
    const journal = await openSqliteJournal({ file: join(dir, 'journal.sqlite') });
    const bus = new LocalBus();
    const metrics = createRuntimeMetrics(new Registry());
    const system = new ActorSystem({ journal, log, clock, bus, metrics, ...o.system }).register(accountKind);
    await system.start();
    const built = await openBillingIndex(journal, system);
    close = built.following.stop;
    const billing = new BillingClock({
      system,
      index: built.index,
      clock,
      log,
      bus,
      maxCatchUp: o.maxCatchUp ?? 744,
      concurrency: o.concurrency ?? 50,
      maxSleepMs: HOUR,
    });
    Object.assign(w, { journal, bus, system, index: built.index, billing, metrics });
    if (o.catchUp) await billing.start().finished;
  };
  w.shutdown = async () => {
    await w.billing.stop();
    await close();
    await w.system.stop();
    await w.journal.close();
  };
  w.restart = async (o = {}) => {
    await w.shutdown();
    await open(o);
  };
  w.close = async () => {
    await w.shutdown();
    rmSync(dir, { recursive: true, force: true });
  };
  await open(options);
  return w;
}

async function openAccount(w: World, id: string, opts: { tariff?: TariffTerms; funds?: number } = {}) {
  const send = (command: AccountCommand) => w.system.ask(accountKind, id, command);
  await send({ type: 'Open', subscriberId: null });
  if (opts.funds) await send({ type: 'TopUp', amount: opts.funds, source: 'cash', reference: `r-${id}` });
  if (opts.tariff) await send({ type: 'AssignTariff', tariff: opts.tariff });
}

/** Runs now (the clock as it stands) and waits for the run to finish. */
async function runNow(w: World): Promise<BillingProgress> {
  const run = w.billing.runNow();
  assert.ok(run, 'a run should start');
  return run.finished;
}

async function journaled(w: World): Promise<{ id: string; event: AccountEvent }[]> {
  const all = await w.journal.readAll<Envelope<AccountEvent>>(0, 1_000_000);
  return all.map((s) => ({ id: s.key.slice('account:'.length), event: s.data.event }));
}

/** Period keys of the tariff charges the billing clock made (not the prorated rest at assignment). */
async function periodCharges(w: World): Promise<string[]> {
  return (await journaled(w)).flatMap(({ event }) =>
    event.type === 'TariffCharged' && !event.prorated ? [event.key] : [],
  );
}

const test = suite('billing runs');

test('monthly, daily and hourly accounts are each charged when their own period begins', async () => {
  const w = await world();
  try {
    await openAccount(w, 'M', { tariff: monthly, funds: 100_000 });
    await openAccount(w, 'D', { tariff: daily, funds: 100_000 });
    await openAccount(w, 'H', { tariff: hourly, funds: 100_000 });
    await openAccount(w, 'N', { funds: 100_000 }); // no tariff: never visited
    assert.is(w.index.size, 3);
    assert.is(w.index.get('H')?.billing, 'hourly');
    assert.is(w.index.nextDueAt(), msk(2026, 3, 31, 23));

    w.clock.set(msk(2026, 3, 31, 23));
    const at23 = await runNow(w);
    assert.is(at23.total, 1, 'only the hourly account has a period beginning at 23:00');
    assert.is(at23.charged, 1);
    assert.is(w.billing.nextRunAt, msk(2026, 4, 1));

    w.clock.set(msk(2026, 4, 1, 0, 5));
    const midnight = await runNow(w);
    assert.is(midnight.total, 3);
    assert.is(midnight.charged, 3);
    assert.is(midnight.amount, 30_000 + 1_000 + 100);
    assert.equal((await periodCharges(w)).sort(), [
      'D/day/2026-04-01',
      'H/hour/2026-03-31T23:00+03:00',
      'H/hour/2026-04-01T00:00+03:00',
      'M/home/2026-04',
    ]);
    assert.is(w.index.get('M')?.dueAt, msk(2026, 5, 1));
    assert.is(w.index.get('D')?.dueAt, msk(2026, 4, 2));
    assert.is(w.index.get('H')?.dueAt, msk(2026, 4, 1, 1));
  } finally {
    await w.close();
  }
});

test('a repeated run or tick never charges a period twice', async () => {
  const w = await world();
  try {
    for (const id of ['A', 'B', 'C']) await openAccount(w, id, { tariff: hourly, funds: 10_000 });
    w.clock.set(msk(2026, 4, 1, 0, 30));
    assert.is((await runNow(w)).charged, 6); // 23:00 and 00:00 for each
    const again = await runNow(w);
    assert.is(again.total, 0, 'nothing is due any more');
    // Even told directly, the account itself refuses to charge twice.
    const tick = await w.system.ask(accountKind, 'A', { type: 'BillingTick', until: w.clock.now() });
    assert.equal((tick as { charged: string[] }).charged, []);
    const keys = await periodCharges(w);
    assert.is(keys.length, 6);
    assert.is(new Set(keys).size, 6);
  } finally {
    await w.close();
  }
});

test('after N hours down, the catch-up run at start charges exactly N hourly periods', async () => {
  const w = await world();
  try {
    await openAccount(w, 'H', { tariff: hourly, funds: 100_000 });
    await openAccount(w, 'M', { tariff: monthly, funds: 100_000 });
    await w.shutdown();
    // Down from 22:30 to 03:10: the periods of 23, 00, 01, 02 and 03 o'clock began meanwhile.
    w.clock.set(msk(2026, 4, 1, 3, 10));
    await w.restart({ catchUp: true });
    const hourlyKeys = (await periodCharges(w)).filter((k) => k.startsWith('H/'));
    assert.is(hourlyKeys.length, 5);
    assert.equal(hourlyKeys, [
      'H/hour/2026-03-31T23:00+03:00',
      'H/hour/2026-04-01T00:00+03:00',
      'H/hour/2026-04-01T01:00+03:00',
      'H/hour/2026-04-01T02:00+03:00',
      'H/hour/2026-04-01T03:00+03:00',
    ]);
    assert.ok((await periodCharges(w)).includes('M/home/2026-04'));
    assert.is(w.billing.lastRun?.charged, 6);
    // A second restart finds nothing left to catch up.
    await w.restart({ catchUp: true });
    assert.is(w.billing.lastRun?.total, 0);
    assert.is((await periodCharges(w)).length, 6);
  } finally {
    await w.close();
  }
});

test('catch-up is bounded by maxCatchUp: older missed periods are written off, not charged', async () => {
  const w = await world();
  try {
    await openAccount(w, 'H', { tariff: hourly, funds: 100_000 });
    await w.shutdown();
    w.clock.set(msk(2026, 4, 1, 3, 10));
    await w.restart({ catchUp: true, maxCatchUp: 2 });
    assert.equal(await periodCharges(w), [
      'H/hour/2026-04-01T01:00+03:00',
      'H/hour/2026-04-01T02:00+03:00',
      'H/hour/2026-04-01T03:00+03:00',
    ]);
    const skipped = (await journaled(w)).flatMap(({ event }) =>
      event.type === 'TariffPeriodsSkipped' ? [event] : [],
    );
    assert.is(skipped.length, 1);
    assert.is(skipped[0]?.count, 2);
    assert.is(skipped[0]?.reason, 'catch_up_limit');
  } finally {
    await w.close();
  }
});

test('insufficient funds block the account and say so on accounts:status; a top-up unblocks at once', async () => {
  const w = await world();
  try {
    const status: LiveEvent[] = [];
    w.bus.subscribe(ACCOUNT_STATUS_TOPIC, (m) => status.push(m));
    // Enough for the rest of the assignment hour (48 of 97) and not for the next hour (97).
    await openAccount(w, 'P', { tariff: hourly, funds: 80 });
    await openAccount(w, 'R', { tariff: hourly, funds: 10_000 });
    w.clock.set(msk(2026, 3, 31, 23));
    const run = await runNow(w);
    assert.is(run.total, 2);
    assert.is(run.charged, 1);
    assert.is(run.blocked, 1);
    assert.equal(
      status.map((m) => [m.id, (m.event as AccountEvent).type]),
      [['P', 'Blocked']],
    );
    assert.is((status[0]!.event as { reason: string }).reason, 'insufficient_funds');

    await w.system.ask(accountKind, 'P', { type: 'TopUp', amount: 1000, source: 'cash', reference: 'late' });
    assert.equal(
      status.map((m) => [m.id, (m.event as AccountEvent).type]),
      [
        ['P', 'Blocked'],
        ['P', 'Unblocked'],
      ],
    );
    assert.ok((await periodCharges(w)).includes('P/hour/2026-03-31T23:00+03:00'), 'the due was charged');
    const state = await w.system.read(accountKind, 'P', (s) => ({ due: s.due, blocked: s.fundsBlockedAt }));
    assert.equal(state, { due: null, blocked: null });
  } finally {
    await w.close();
  }
});

test('progress goes out on the billing topic, coalesced, and ends with done = total', async () => {
  const w = await world({ concurrency: 7 });
  try {
    for (let i = 0; i < 120; i++) await openAccount(w, `A${i}`, { tariff: hourly, funds: 1000 });
    const messages: LiveEvent[] = [];
    w.bus.subscribe(BILLING_TOPIC, (m) => messages.push(m));
    w.clock.set(msk(2026, 3, 31, 23));
    const run = w.billing.runNow()!;
    assert.is(w.billing.runNow(), undefined, 'one run at a time');
    const final = await run.finished;
    const progress = messages.map((m) => m.event as BillingProgress & { type: string });
    assert.ok(progress.length >= 2);
    assert.ok(progress.length < 120 / 2, `coalesced: ${progress.length} messages for 120 accounts`);
    assert.is(progress[0]?.type, 'BillingRunProgress');
    assert.is(progress[0]?.done, 0);
    const last = progress[progress.length - 1]!;
    assert.is(last.done, 120);
    assert.is(last.total, 120);
    assert.is(last.charged, 120);
    assert.ok(last.finishedAt !== undefined);
    assert.is(messages[messages.length - 1]?.id, final.runId);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.done >= progress[i - 1]!.done);
  } finally {
    await w.close();
  }
});

test('a full mailbox answers overloaded; the run retries and charges, never drops the account', async () => {
  const w = await world();
  try {
    await openAccount(w, 'Busy', { tariff: hourly, funds: 10_000 });
    await w.restart({ system: { mailboxLimit: 1 } });
    w.clock.set(msk(2026, 3, 31, 23));
    // Queued and not yet taken: the account's mailbox is at its limit when the run asks.
    const topUp = w.system.ask(accountKind, 'Busy', {
      type: 'TopUp',
      amount: 5,
      source: 'cash',
      reference: 'queue',
    });
    const run = await runNow(w);
    await topUp;
    const overloaded = await w.metrics.overloaded.get();
    assert.ok((overloaded.values[0]?.value ?? 0) >= 1, 'the run was refused at least once');
    assert.is(run.charged, 1);
    assert.is(run.failed, 0);
    assert.equal(await periodCharges(w), ['Busy/hour/2026-03-31T23:00+03:00']);
  } finally {
    await w.close();
  }
});

test('a run leaves memory as it found it: accounts it woke up are passivated again', async () => {
  const w = await world({ concurrency: 20 });
  try {
    for (let i = 0; i < 200; i++) await openAccount(w, `A${i}`, { tariff: hourly, funds: 1000 });
    await new Promise((r) => setTimeout(r, 5));
    w.system.passivateIdle(0);
    assert.is(w.system.activeActors, 0);
    // Two accounts someone is working with stay live through the run.
    await w.system.read(accountKind, 'A3', (s) => s.balance);
    await w.system.read(accountKind, 'A150', (s) => s.balance);
    assert.is(w.system.activeActors, 2);
    w.clock.set(msk(2026, 3, 31, 23));
    const run = await runNow(w);
    assert.is(run.charged, 200);
    assert.is(w.system.activeActors, 2);
    assert.ok(w.system.inspect('account', 'A3'));
    assert.ok(w.system.inspect('account', 'A150'));
    assert.is(w.system.inspect('account', 'A4'), undefined);
  } finally {
    await w.close();
  }
});

test('stop() ends a run at a safe point; the next run charges the rest, none twice', async () => {
  const w = await world({ concurrency: 2 });
  try {
    for (let i = 0; i < 150; i++) await openAccount(w, `A${i}`, { tariff: hourly, funds: 1000 });
    w.clock.set(msk(2026, 3, 31, 23));
    const run = w.billing.runNow()!;
    while (run.progress.done < 10) await new Promise((r) => setTimeout(r, 1));
    await w.billing.stop();
    const stopped = await run.finished;
    assert.is(stopped.stopped, true);
    assert.ok(stopped.done < 150);
    assert.is((await periodCharges(w)).length, stopped.charged, 'every tick counted is durable');
    await w.restart({ catchUp: true });
    assert.is(w.billing.lastRun?.total, 150 - stopped.done);
    const keys = await periodCharges(w);
    assert.is(keys.length, 150);
    assert.is(new Set(keys).size, 150);
  } finally {
    await w.close();
  }
});

test('the index built from the journal matches the one kept live', async () => {
  const w = await world();
  try {
    await openAccount(w, 'M', { tariff: monthly, funds: 100_000 });
    await openAccount(w, 'H', { tariff: hourly, funds: 100_000 });
    await openAccount(w, 'X', { tariff: daily, funds: 100_000 });
    await openAccount(w, 'Poor', { tariff: hourly, funds: 60 });
    await openAccount(w, 'Closed', { tariff: hourly });
    await w.system.ask(accountKind, 'M', { type: 'AssignTariff', tariff: hourly });
    await w.system.ask(accountKind, 'X', { type: 'AssignTariff', tariff: null });
    await w.system.ask(accountKind, 'Closed', { type: 'Close' });
    w.clock.set(msk(2026, 4, 1, 2, 10));
    await runNow(w);
    const live = ['M', 'H', 'X', 'Poor', 'Closed'].map((id) => [id, w.index.get(id)]);
    assert.is(w.index.size, 3);
    assert.equal(live, [
      ['M', { billing: 'hourly', dueAt: msk(2026, 4, 1, 3) }],
      ['H', { billing: 'hourly', dueAt: msk(2026, 4, 1, 3) }],
      ['X', undefined],
      ['Poor', { billing: 'hourly', dueAt: msk(2026, 4, 1, 3) }],
      ['Closed', undefined],
    ]);
    await w.restart();
    assert.equal(
      ['M', 'H', 'X', 'Poor', 'Closed'].map((id) => [id, w.index.get(id)]),
      live,
    );
  } finally {
    await w.close();
  }
});

test.run();
