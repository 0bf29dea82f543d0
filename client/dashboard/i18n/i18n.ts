import { createSignal } from 'solid-js';
import { en, type Key, ru } from './dict.ts';

// The language switch, `t()` and the formatters. Money is integer kopecks everywhere; it
// becomes roubles only here, for people, and back to kopecks in parseMoney without floats.

export type Locale = 'ru' | 'en';
export const LOCALES: readonly Locale[] = ['ru', 'en'];
const STORAGE_KEY = 'abonent.locale';
const dictionaries: Record<Locale, Record<Key, string>> = { ru, en };
const intlTag: Record<Locale, string> = { ru: 'ru-RU', en: 'en-GB' };

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'ru' || saved === 'en') return saved;
  } catch {}
  return 'ru';
}

const [locale, setLocaleSignal] = createSignal<Locale>(initialLocale());

export { locale };

export function setLocale(next: Locale): void {
  setLocaleSignal(next);
  if (typeof document !== 'undefined') document.documentElement.lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {}
}

export type Params = Record<string, string | number>;

export function t(key: Key, params?: Params): string {
  const text = dictionaries[locale()][key] ?? ru[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}

/** For codes from the server: a translation when there is one. */
export function hasKey(key: string): key is Key {
  return key in ru;
}

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(id: string, make: () => T): T {
  let f = cache.get(id);
  if (!f) {
    f = make();
    cache.set(id, f);
  }
  return f as T;
}

/** Kopecks → "1 234,50 ₽" (ru) / "RUB 1,234.50" (en). */
export function money(kopecks: number, currency = 'RUB'): string {
  const l = locale();
  const f = cached(
    `money:${l}:${currency}`,
    () => new Intl.NumberFormat(intlTag[l], { style: 'currency', currency, minimumFractionDigits: 2 }),
  );
  // Kopecks / 100 is exact to the cent for any amount the API allows (< 2^53 / 100).
  return f.format(kopecks / 100);
}

/** "+150,00 ₽" for amounts whose sign matters (operations). */
export function signedMoney(kopecks: number, currency = 'RUB'): string {
  return kopecks > 0 ? `+${money(kopecks, currency)}` : money(kopecks, currency);
}

export function count(n: number): string {
  const l = locale();
  return cached(`n:${l}`, () => new Intl.NumberFormat(intlTag[l])).format(n);
}

export function dateTime(ms: number): string {
  const l = locale();
  return cached(
    `dt:${l}`,
    () => new Intl.DateTimeFormat(intlTag[l], { dateStyle: 'short', timeStyle: 'medium' }),
  ).format(ms);
}

export function date(ms: number): string {
  const l = locale();
  return cached(`d:${l}`, () => new Intl.DateTimeFormat(intlTag[l], { dateStyle: 'medium' })).format(ms);
}

export function time(ms: number): string {
  const l = locale();
  return cached(`t:${l}`, () => new Intl.DateTimeFormat(intlTag[l], { timeStyle: 'medium' })).format(ms);
}

/**
 * "150", "150,5", "150.50", "-1 000,00", "1000 ₽" → kopecks; null when it is not an amount.
 * Parsed as text: 0.1 + 0.2 never happens to money.
 */
export function parseMoney(input: string): number | null {
  const s = input.replace(/[\s\u00a0\u202f₽]/g, '').replace(/руб\.?|rub/i, '');
  const m = /^([+-]?)(\d{1,13})(?:[.,](\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const roubles = Number(m[2]);
  const kopecks = Number((m[3] ?? '').padEnd(2, '0'));
  const value = roubles * 100 + kopecks;
  return m[1] === '-' ? -value : value;
}

/** Kopecks → what a person would type into a money field ("150,50"). */
export function moneyInput(kopecks: number): string {
  const sign = kopecks < 0 ? '-' : '';
  const abs = Math.abs(kopecks);
  const sep = locale() === 'ru' ? ',' : '.';
  return `${sign}${Math.floor(abs / 100)}${sep}${String(abs % 100).padStart(2, '0')}`;
}
