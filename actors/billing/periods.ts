import { mulDivRound } from './money.ts';

// Billing periods are calendar periods in the provider's time zone, computed with Intl only.
//
// monthly: the calendar month, charged at its start for the month ahead.
// daily:   the calendar day; day d of a D-day month costs round(P·d/D) − round(P·(d−1)/D).
// hourly:  hour h of the H hours of the month (H = 744 for 31 days, 743/745 across DST);
//          it costs round(P·h/H) − round(P·(h−1)/H).
// The cumulative difference makes the slices of a month add up to P exactly, whatever the
// rounding: the sum telescopes to round(P·H/H) − round(0) = P.

export type BillingKind = 'monthly' | 'daily' | 'hourly';
export const BILLING_KINDS: readonly BillingKind[] = ['monthly', 'daily', 'hourly'];
export const DEFAULT_TIME_ZONE = 'Europe/Moscow';

const HOUR = 3_600_000;

export interface Period {
  kind: BillingKind;
  /** First instant, ms since the epoch. */
  start: number;
  /** First instant of the next period. */
  end: number;
  /** Unique within (account, tariff): '2026-03', '2026-03-15', '2026-03-15T14:00+03:00'. */
  label: string;
  /** The calendar month the period belongs to, 'YYYY-MM'. */
  month: string;
  /** 1-based slice of the month (1 for monthly). */
  index: number;
  /** Slices in the month (1 for monthly). */
  count: number;
}

interface LocalParts {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function localParts(t: number, timeZone: string): LocalParts {
  const out: LocalParts = { y: 0, m: 0, d: 0, h: 0, mi: 0, s: 0 };
  for (const p of formatter(timeZone).formatToParts(t)) {
    const v = Number(p.value);
    if (p.type === 'year') out.y = v;
    else if (p.type === 'month') out.m = v;
    else if (p.type === 'day') out.d = v;
    else if (p.type === 'hour') out.h = v;
    else if (p.type === 'minute') out.mi = v;
    else if (p.type === 'second') out.s = v;
  }
  return out;
}

/** Local wall time minus UTC at instant t, in ms. */
function offsetAt(t: number, timeZone: string): number {
  const p = localParts(t, timeZone);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - Math.floor(t / 1000) * 1000;
}

const dayNumber = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86_400_000;

// Intl is slow (a formatToParts costs microseconds) and a billing run asks the same questions
// for every account: the period of one instant, the bounds of one month. Both depend on their
// arguments alone, so their answers are kept, a bounded number of them.
const MEMO_LIMIT = 10_000;

function memo<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    if (cache.size >= MEMO_LIMIT) cache.clear();
    cache.set(key, value);
  }
  return value;
}

const dayStarts = new Map<string, number>();

/** The first instant of local date y-m-d (month and day may overflow, as with Date.UTC). */
function startOfLocalDay(y: number, m: number, d: number, timeZone: string): number {
  return memo(dayStarts, `${timeZone}|${y}|${m}|${d}`, () => computeStartOfLocalDay(y, m, d, timeZone));
}

function computeStartOfLocalDay(y: number, m: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, m - 1, d);
  const t = wall - offsetAt(wall - offsetAt(wall, timeZone), timeZone);
  const p = localParts(t, timeZone);
  if (p.h === 0 && p.mi === 0 && p.s === 0 && dayNumber(p.y, p.m, p.d) === wall / 86_400_000) return t;
  // Midnight does not exist that day (a DST jump at 00:00): find the first instant of the
  // date by bisection, to the second. Rare, so its cost does not matter.
  const want = wall / 86_400_000;
  let lo = wall - 16 * HOUR;
  let hi = wall + 16 * HOUR;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    const q = localParts(mid, timeZone);
    if (dayNumber(q.y, q.m, q.d) >= want) hi = mid;
    else lo = mid;
  }
  return hi;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function offsetLabel(t: number, timeZone: string): string {
  const minutes = Math.round(offsetAt(t, timeZone) / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export interface MonthBounds {
  month: string;
  start: number;
  end: number;
}

/** The calendar month containing t. */
export function monthOf(t: number, timeZone = DEFAULT_TIME_ZONE): MonthBounds {
  const p = localParts(t, timeZone);
  return {
    month: `${pad(p.y, 4)}-${pad(p.m)}`,
    start: startOfLocalDay(p.y, p.m, 1, timeZone),
    end: startOfLocalDay(p.y, p.m + 1, 1, timeZone),
  };
}

const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(s: string): boolean {
  return MONTH_RE.test(s);
}

/** Bounds of a 'YYYY-MM' month; throws RangeError on a malformed month. */
export function monthBounds(month: string, timeZone = DEFAULT_TIME_ZONE): MonthBounds {
  const m = MONTH_RE.exec(month);
  if (!m) throw new RangeError(`not a YYYY-MM month: ${JSON.stringify(month)}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { month, start: startOfLocalDay(y, mo, 1, timeZone), end: startOfLocalDay(y, mo + 1, 1, timeZone) };
}

const periods = new Map<string, Period>();

/** The billing period of `kind` that contains instant t. Shared and frozen: do not change it. */
export function periodAt(kind: BillingKind, t: number, timeZone = DEFAULT_TIME_ZONE): Period {
  return memo(periods, `${kind}|${timeZone}|${t}`, () => Object.freeze(computePeriodAt(kind, t, timeZone)));
}

function computePeriodAt(kind: BillingKind, t: number, timeZone: string): Period {
  const p = localParts(t, timeZone);
  const month = `${pad(p.y, 4)}-${pad(p.m)}`;
  const monthStart = startOfLocalDay(p.y, p.m, 1, timeZone);
  const monthEnd = startOfLocalDay(p.y, p.m + 1, 1, timeZone);
  if (kind === 'monthly') {
    return { kind, start: monthStart, end: monthEnd, label: month, month, index: 1, count: 1 };
  }
  if (kind === 'daily') {
    const count = new Date(Date.UTC(p.y, p.m, 0)).getUTCDate();
    return {
      kind,
      start: startOfLocalDay(p.y, p.m, p.d, timeZone),
      end: startOfLocalDay(p.y, p.m, p.d + 1, timeZone),
      label: `${month}-${pad(p.d)}`,
      month,
      index: p.d,
      count,
    };
  }
  const count = Math.ceil((monthEnd - monthStart) / HOUR);
  const index = Math.floor((t - monthStart) / HOUR) + 1;
  const start = monthStart + (index - 1) * HOUR;
  const s = localParts(start, timeZone);
  return {
    kind,
    start,
    end: Math.min(start + HOUR, monthEnd),
    label: `${month}-${pad(s.d)}T${pad(s.h)}:${pad(s.mi)}${offsetLabel(start, timeZone)}`,
    month,
    index,
    count,
  };
}

export function nextPeriod(period: Period, timeZone = DEFAULT_TIME_ZONE): Period {
  return periodAt(period.kind, period.end, timeZone);
}

/** The price of one period of a tariff costing `pricePerMonth` (cumulative-difference rule). */
export function periodPrice(pricePerMonth: number, period: Period): number {
  return (
    mulDivRound(pricePerMonth, period.index, period.count) -
    mulDivRound(pricePerMonth, period.index - 1, period.count)
  );
}

/**
 * What is left of `price` for the part of a period (or any span) from t to its end, by elapsed time:
 * price − round(price·(t − start)/(end − start)). The used part is price minus this, so
 * used + left = price exactly.
 */
export function remainingPrice(price: number, span: { start: number; end: number }, t: number): number {
  const at = Math.min(Math.max(t, span.start), span.end);
  return price - mulDivRound(price, at - span.start, span.end - span.start);
}
