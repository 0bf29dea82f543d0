import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StoredEvent } from '../../actors/journal/types.ts';
import { ManualClock } from '../../actors/runtime/clock.ts';
import type { Envelope } from '../../actors/runtime/envelope.ts';
import { AccountDirectory } from './directory.ts';
import { KpiBoard } from './kpi.ts';

// Payments and charges by the provider's local day and hour; "today" moves with the clock.

let position = 0;
const by = { type: 'staff' as const, id: 's' };

function stored(event: Record<string, unknown>, at: number): StoredEvent<Envelope> {
  position++;
  return {
    key: 'account:100001',
    sequenceNumber: position,
    position,
    data: { event, by, at },
    tags: [],
    createdAt: at,
    isDeleted: false,
  };
}

test('buckets by local hour in the provider time zone; today follows the clock', () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 20, 30)); // 23:30 in Moscow
  const board = new KpiBoard(new AccountDirectory(), clock);
  board.stored(stored({ type: 'ToppedUp', amount: 500 }, Date.UTC(2026, 5, 1, 7, 5))); // 10:05 MSK
  board.stored(stored({ type: 'Charged', amount: 120 }, Date.UTC(2026, 5, 1, 7, 59)));
  board.stored(stored({ type: 'HoldConfirmed', amount: 30 }, Date.UTC(2026, 5, 1, 20, 0)));
  board.stored(stored({ type: 'TariffCharged', amount: 7 }, Date.UTC(2026, 5, 1, 21, 0))); // 00:00 next day
  board.stored(stored({ type: 'Refunded', amount: 99 }, Date.UTC(2026, 5, 1, 7, 0))); // not a charge
  const day = board.hourly('2026-06-01').hours;
  assert.is(day.length, 24);
  assert.equal(day[10], { hour: 10, payments: 500, charges: 120 });
  assert.equal(day[23], { hour: 23, payments: 0, charges: 30 });
  assert.is(board.hourly('2026-06-02').hours[0]!.charges, 7);
  assert.equal(board.kpi(), {
    activeAccounts: 0,
    blockedAccounts: 0,
    paymentsToday: 500,
    chargesToday: 150,
    billingRun: null,
  });
  clock.advance(3600_000); // 00:30 on the 2nd
  assert.is(board.today(), '2026-06-02');
  assert.is(board.kpi().paymentsToday, 0);
  assert.is(board.kpi().chargesToday, 7);
});

test('a day with a DST change: both 02:xx hours of the fall-back night land in hour 2', () => {
  const board = new KpiBoard(new AccountDirectory(), new ManualClock(), 'Europe/Berlin');
  board.stored(stored({ type: 'ToppedUp', amount: 1 }, Date.UTC(2026, 9, 25, 0, 30))); // 02:30 CEST
  board.stored(stored({ type: 'ToppedUp', amount: 2 }, Date.UTC(2026, 9, 25, 1, 30))); // 02:30 CET
  board.stored(stored({ type: 'ToppedUp', amount: 4 }, Date.UTC(2026, 9, 25, 2, 30))); // 03:30 CET
  const hours = board.hourly('2026-10-25').hours;
  assert.is(hours[2]!.payments, 3);
  assert.is(hours[3]!.payments, 4);
});

test('billing progress: the run going on, then none', () => {
  const board = new KpiBoard(new AccountDirectory(), new ManualClock());
  let changes = 0;
  board.onChange(() => changes++);
  board.billingProgress({ runId: 'r1', done: 1, total: 5 });
  assert.equal(board.kpi().billingRun, { runId: 'r1', done: 1, total: 5 });
  board.billingProgress({ runId: 'r0', done: 9, total: 9, finishedAt: 1 });
  assert.equal(
    board.kpi().billingRun,
    { runId: 'r1', done: 1, total: 5 },
    'another run finishing does not hide this one',
  );
  board.billingProgress({ runId: 'r1', done: 5, total: 5, finishedAt: 2 });
  assert.is(board.kpi().billingRun, null);
  assert.is(changes, 2);
});

test('a checkpoint keeps the sums, and is not used in another time zone', () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 2, 9, 0));
  const events = [
    stored({ type: 'ToppedUp', amount: 500 }, Date.UTC(2026, 5, 1, 7, 5)),
    stored({ type: 'Charged', amount: 120 }, Date.UTC(2026, 5, 1, 7, 59)),
    stored({ type: 'TariffCharged', amount: 7 }, Date.UTC(2026, 5, 1, 21, 0)),
    stored({ type: 'Charged', amount: 40 }, Date.UTC(2026, 5, 2, 7, 10)),
    stored({ type: 'ToppedUp', amount: 3 }, Date.UTC(2026, 5, 2, 8, 0)),
  ];
  const whole = new KpiBoard(new AccountDirectory(), clock);
  for (const e of events) whole.stored(e);
  const before = new KpiBoard(new AccountDirectory(), clock);
  for (const e of events.slice(0, 3)) before.stored(e);
  const copy = before.save();
  const text = JSON.stringify(copy);
  // A save is serialized over several turns while events go on: it must be a copy.
  before.stored(stored({ type: 'ToppedUp', amount: 1_000 }, Date.UTC(2026, 5, 1, 7, 30)));
  assert.is(JSON.stringify(copy), text);
  const saved = JSON.parse(text) as unknown;
  const restored = new KpiBoard(new AccountDirectory(), clock);
  assert.ok(restored.fits(saved));
  restored.restore(saved);
  for (const e of events.slice(3)) restored.stored(e);
  for (const date of ['2026-06-01', '2026-06-02'])
    assert.equal(restored.hourly(date), whole.hourly(date), date);
  assert.equal(restored.kpi(), whole.kpi());
  assert.not.ok(new KpiBoard(new AccountDirectory(), clock, 'Asia/Vladivostok').fits(saved));
  restored.reset();
  assert.equal(restored.save(), new KpiBoard(new AccountDirectory(), clock).save());
});

test.run();
