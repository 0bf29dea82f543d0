import type { RequestView } from '../../../../protocol/network.ts';
import { t } from '../../i18n/i18n.ts';

// The board's small pure pieces: the search, a card's age, and which of two copies of a
// request is the later one (live refetches may answer out of order).

/** Name, address or phone contains the needle; "916 123-45" finds "+79161234567". */
export function matches(r: Pick<RequestView, 'name' | 'phone' | 'address'>, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (needle === '') return true;
  if (/^[\d\s()+-]+$/.test(needle) && r.phone.includes(needle.replace(/[\s()-]/g, ''))) return true;
  return `${r.name}\u0001${r.address}\u0001${r.phone}`.toLowerCase().includes(needle);
}

/** "5 min ago" from the request's creation. */
export function age(createdAt: number, now: number): string {
  const minutes = Math.max(0, Math.floor((now - createdAt) / 60_000));
  if (minutes < 1) return t('req.age.now');
  if (minutes < 60) return t('req.age.minutes', { n: minutes });
  if (minutes < 48 * 60) return t('req.age.hours', { n: Math.floor(minutes / 60) });
  return t('req.age.days', { n: Math.floor(minutes / 1440) });
}

/** True when `b` is the same request as `a` or a later state of it. */
export function newer(
  a: Pick<RequestView, 'updatedAt' | 'history'> | undefined,
  b: Pick<RequestView, 'updatedAt' | 'history'>,
): boolean {
  return (
    !a || b.updatedAt > a.updatedAt || (b.updatedAt === a.updatedAt && b.history.length >= a.history.length)
  );
}
