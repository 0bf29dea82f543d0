import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatMinor, mulDivRound } from './money.ts';
import {
  type BillingKind,
  monthBounds,
  monthOf,
  nextPeriod,
  type Period,
  periodAt,
  periodPrice,
  remainingPrice,
} from './periods.ts';

const MSK = 'Europe/Moscow';
const msk = (y: number, m: number, d = 1, h = 0) => Date.UTC(y, m - 1, d, h - 3);

function slicesOfMonth(kind: BillingKind, month: string, tz: string): Period[] {
  const { start, end } = monthBounds(month, tz);
  const out: Period[] = [];
  for (let p = periodAt(kind, start, tz); p.start < end; p = nextPeriod(p, tz)) out.push(p);
  return out;
}

test('mulDivRound rounds half away from zero, exactly, beyond 2^53 intermediates', () => {
  assert.is(mulDivRound(1, 1, 2), 1);
  assert.is(mulDivRound(1, 1, 3), 0);
  assert.is(mulDivRound(2, 1, 3), 1);
  assert.is(mulDivRound(-1, 1, 2), -1);
  // 1e12 kopecks × a month of ms / a month of ms: the product is ~2.7e21.
  assert.is(mulDivRound(1e12, 2_678_400_000, 2_678_400_000), 1e12);
  assert.throws(() => mulDivRound(1, 1, 0));
  assert.throws(() => mulDivRound(0.5, 1, 2));
});

test('formatMinor', () => {
  assert.is(formatMinor(12345), '123.45');
  assert.is(formatMinor(-5), '-0.05');
  assert.is(formatMinor(0), '0.00');
});

test('monthly periods are calendar months in Moscow time', () => {
  const p = periodAt('monthly', msk(2026, 3, 15, 12), MSK);
  assert.is(p.label, '2026-03');
  assert.is(p.start, msk(2026, 3, 1));
  assert.is(p.end, msk(2026, 4, 1));
  // 23:30 UTC on Feb 28 is already March 1st in Moscow.
  assert.is(periodAt('monthly', Date.UTC(2026, 1, 28, 23, 30), MSK).label, '2026-03');
  assert.is(periodAt('monthly', msk(2026, 12, 31, 23), MSK).end, msk(2027, 1, 1));
  assert.equal(monthOf(msk(2026, 2, 10), MSK), {
    month: '2026-02',
    start: msk(2026, 2, 1),
    end: msk(2026, 3, 1),
  });
});

test('daily and hourly periods: labels, indexes, counts', () => {
  const d = periodAt('daily', msk(2026, 2, 28, 5), MSK);
  assert.is(d.label, '2026-02-28');
  assert.is(d.index, 28);
  assert.is(d.count, 28);
  assert.is(d.end, msk(2026, 3, 1));
  const h = periodAt('hourly', msk(2026, 1, 1, 0) + 90 * 60_000, MSK);
  assert.is(h.label, '2026-01-01T01:00+03:00');
  assert.is(h.index, 2);
  assert.is(h.count, 744);
});

test('a DST month has 743 or 745 hours and midnight-less days still start', () => {
  assert.is(periodAt('hourly', Date.UTC(2026, 2, 10), 'Europe/Berlin').count, 743);
  assert.is(periodAt('hourly', Date.UTC(2026, 9, 10), 'Europe/Berlin').count, 745);
  // Santiago skips from 00:00 to 01:00 when DST starts (first Sunday of September).
  const days = slicesOfMonth('daily', '2026-09', 'America/Santiago');
  assert.is(days.length, 30);
  for (const [i, p] of days.entries()) assert.is(p.label, `2026-09-${String(i + 1).padStart(2, '0')}`);
  // Hourly labels stay unique across the fall-back repeat of a local hour.
  const hours = slicesOfMonth('hourly', '2026-10', 'Europe/Berlin');
  assert.is(new Set(hours.map((p) => p.label)).size, hours.length);
});

test('the slices of a month add up to the monthly price to the kopeck (DESIGN example)', () => {
  const hours = slicesOfMonth('hourly', '2026-01', MSK);
  assert.is(hours.length, 744);
  const prices = hours.map((p) => periodPrice(100_000, p));
  assert.is(
    prices.reduce((a, b) => a + b, 0),
    100_000,
  );
  // 100000/744 = 134.41 → slices of 134 and 135, never a fraction.
  assert.ok(prices.every((x) => x === 134 || x === 135));
});

test('property: hourly and daily slices of any month sum to P, in any zone', () => {
  const zones = [
    'Europe/Moscow',
    'Europe/Berlin',
    'America/New_York',
    'Asia/Kolkata',
    'Australia/Lord_Howe',
    'UTC',
  ];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1e12 }),
      fc.integer({ min: 2000, max: 2100 }),
      fc.integer({ min: 1, max: 12 }),
      fc.constantFrom<BillingKind>('daily', 'hourly'),
      fc.constantFrom(...zones),
      (price, y, m, kind, tz) => {
        const month = `${y}-${String(m).padStart(2, '0')}`;
        const slices = slicesOfMonth(kind, month, tz);
        const sum = slices.reduce((s, p) => s + periodPrice(price, p), 0);
        return sum === price && slices.every((p) => p.month === month && periodPrice(price, p) >= 0);
      },
    ),
    { numRuns: 60 },
  );
});

test('property: used + remaining of a prorated period is the price', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1e12 }),
      fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
      fc.constantFrom<BillingKind>('monthly', 'daily', 'hourly'),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (price, t, kind, f) => {
        const p = periodAt(kind, t, MSK);
        const at = p.start + Math.floor(f * (p.end - p.start));
        const rest = remainingPrice(price, p, at);
        return (
          rest >= 0 &&
          rest <= price &&
          remainingPrice(price, p, p.start) === price &&
          remainingPrice(price, p, p.end) === 0
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('consecutive periods tile time without gaps', () => {
  for (const kind of ['monthly', 'daily', 'hourly'] as const) {
    let p = periodAt(kind, msk(2026, 1, 30), MSK);
    for (let i = 0; i < 100; i++) {
      const n = nextPeriod(p, MSK);
      assert.is(n.start, p.end);
      assert.ok(n.end > n.start);
      p = n;
    }
  }
});

test.run();
