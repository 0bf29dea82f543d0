// Money is integer minor units (kopecks). Every division in the money domain goes through
// `mulDivRound`, so there is exactly one rounding rule to reason about.

import { MAX_AMOUNT } from '../../protocol/money.ts';

export { MAX_AMOUNT };

/** A positive whole number of minor units that fits a single operation. */
export function isPositiveAmount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= MAX_AMOUNT;
}

/** Zero or a positive amount (prices, credit limits). */
export function isNonNegativeAmount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_AMOUNT;
}

/**
 * round(a·b/c), half away from zero, computed exactly. a·b overflows 2^53 easily (a monthly
 * price times the milliseconds of a month), hence BigInt inside; the result is a safe integer
 * whenever |a·b/c| is one, which holds for every caller here (b ≤ c).
 */
export function mulDivRound(a: number, b: number, c: number): number {
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || !Number.isSafeInteger(c) || c === 0) {
    throw new RangeError(`mulDivRound needs safe integers and c ≠ 0, got ${a}, ${b}, ${c}`);
  }
  let n = BigInt(a) * BigInt(b);
  let d = BigInt(c);
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const q = (abs * 2n + d) / (2n * d);
  const r = Number(negative ? -q : q);
  if (!Number.isSafeInteger(r))
    throw new RangeError(`mulDivRound result ${a}·${b}/${c} is not a safe integer`);
  return r;
}

/** Minor units as a decimal string for people and CSV (2 decimals for RUB): 12345 → "123.45". */
export function formatMinor(amount: number, decimals = 2): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  if (decimals === 0) return sign + String(abs);
  const unit = 10 ** decimals;
  return `${sign}${Math.floor(abs / unit)}.${String(abs % unit).padStart(decimals, '0')}`;
}
