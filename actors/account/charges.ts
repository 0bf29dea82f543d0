import { CHARGE_REFUND_WINDOW_MS, CHARGES_KEPT, type ChargeRecord, TARIFF_CHARGES_KEPT } from './state.ts';

// The account's memory of recent charges (for refund limits), kept in state as chunks of at
// most CHUNK records, oldest first. State is copy-on-write, so every charge copies what it
// changes: with one object keyed by charge id that was the whole memory, which grows to
// CHARGES_KEPT entries on a busy account (measured: ~20 µs per charge at 80 kept, ~1.4 ms at
// 2,000). Here a charge copies the chunk list and its last chunk, whatever the history.

export const CHUNK = 64;

/** Chunks of charges, oldest first; each chunk in order of charging. Plain JSON. */
export type ChargeBook = ChargeRecord[][];

/**
 * A snapshot written before the book had chunks holds one object keyed by charge id (in
 * order of charging); read it as a book.
 */
function bookOf(charges: ChargeBook | Record<string, Omit<ChargeRecord, 'chargeId'>>): ChargeBook {
  if (Array.isArray(charges)) return charges;
  const records = Object.entries(charges).map(([chargeId, c]) => ({ ...c, chargeId }));
  const book: ChargeBook = [];
  for (let i = 0; i < records.length; i += CHUNK) book.push(records.slice(i, i + CHUNK));
  return book;
}

/**
 * Adds a charge and forgets the oldest beyond CHARGES_KEPT or older than the refund window,
 * and a tariff charge the oldest tariff charge beyond TARIFF_CHARGES_KEPT.
 */
export function addCharge(charges: ChargeBook, record: ChargeRecord): ChargeBook {
  const book = bookOf(charges).slice();
  if (record.tariff) forgetOldestTariffCharge(book);
  const oldest = record.at - CHARGE_REFUND_WINDOW_MS;
  let count = countCharges(book);
  // Depends only on events, so recovery prunes exactly as the live actor did.
  while (book.length > 0) {
    const first = book[0]!;
    let drop = 0;
    while (drop < first.length && (count - drop >= CHARGES_KEPT || first[drop]!.at < oldest)) drop++;
    count -= drop;
    if (drop < first.length) {
      if (drop > 0) book[0] = first.slice(drop);
      break;
    }
    book.shift();
  }
  const last = book[book.length - 1];
  if (last === undefined || last.length >= CHUNK) book.push([record]);
  else book[book.length - 1] = [...last, record];
  return book;
}

/**
 * Drops the oldest tariff charge from `book` (a copy the caller owns; its chunks are shared)
 * when TARIFF_CHARGES_KEPT are remembered already. Depends only on events, like the rest.
 */
function forgetOldestTariffCharge(book: ChargeBook): void {
  let count = 0;
  let oldest: [chunk: number, index: number] | undefined;
  for (let c = 0; c < book.length; c++) {
    const chunk = book[c]!;
    for (let i = 0; i < chunk.length; i++) {
      if (!chunk[i]!.tariff) continue;
      count++;
      oldest ??= [c, i];
    }
  }
  if (oldest === undefined || count < TARIFF_CHARGES_KEPT) return;
  const [c, i] = oldest;
  const chunk = book[c]!;
  if (chunk.length === 1) book.splice(c, 1);
  // Usually the book's very first record (an hourly tariff's oldest slice): one copy.
  else if (i === 0) book[c] = chunk.slice(1);
  else {
    const rest = chunk.slice();
    rest.splice(i, 1);
    book[c] = rest;
  }
}

/** How many charges the book remembers (also one read from a snapshot before chunks). */
export function countCharges(charges: ChargeBook): number {
  let count = 0;
  for (const chunk of bookOf(charges)) count += chunk.length;
  return count;
}

/** The remembered charge with this id, or undefined (never charged, or forgotten). */
export function findCharge(charges: ChargeBook, chargeId: string): ChargeRecord | undefined {
  const book = bookOf(charges);
  // Newest first: refunds are mostly of recent charges.
  for (let c = book.length - 1; c >= 0; c--) {
    const chunk = book[c]!;
    for (let i = chunk.length - 1; i >= 0; i--) if (chunk[i]!.chargeId === chargeId) return chunk[i];
  }
  return undefined;
}

/** Records a refund of `amount` on a remembered charge; the book as it was when it is not. */
export function refundCharge(charges: ChargeBook, chargeId: string, amount: number): ChargeBook {
  const book = bookOf(charges);
  for (let c = book.length - 1; c >= 0; c--) {
    const chunk = book[c]!;
    for (let i = chunk.length - 1; i >= 0; i--) {
      const found = chunk[i]!;
      if (found.chargeId !== chargeId) continue;
      const copy = chunk.slice();
      copy[i] = { ...found, refunded: found.refunded + amount };
      const next = book.slice();
      next[c] = copy;
      return next;
    }
  }
  return book;
}

/** Every remembered charge, oldest first. */
export function chargesOf(charges: ChargeBook): ChargeRecord[] {
  return bookOf(charges).flat();
}
