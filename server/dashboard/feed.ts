import type { Journal } from '../../actors/journal/types.ts';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import type { Envelope } from '../../actors/runtime/envelope.ts';
import { splitKey, toLiveEvent } from '../../actors/runtime/projection.ts';
import { feedPermission } from '../../protocol/roles.ts';
import { hasPermission, type Principal } from '../http/auth.ts';

// GET /api/v1/feed: the journal read forward from a position, as LiveEvents, keeping only the
// kinds the principal may see (protocol/roles.ts FEED_KINDS). What a browser missed while its
// socket was down is fetched from here, so nothing is lost from its feed.

const PAGE = 1000;
/** A page stops after reading this many events, even if it found fewer than `limit` to show. */
const MAX_SCANNED = 100_000;

function maySee(principal: Principal, kind: string): boolean {
  const permission = feedPermission(kind);
  return permission !== null && hasPermission(principal, permission);
}

/**
 * Up to `limit` events after `after`, oldest first. Without `after`, the latest `limit` the
 * principal may see: the journal is read backwards in windows, each twice the one before, so
 * a role that sees few kinds finds its events however many others came after them, and a
 * role that sees most kinds reads about one window. Either way a page reads at most
 * MAX_SCANNED events (fewer found are returned then).
 */
export async function readFeed(
  journal: Journal,
  principal: Principal,
  after: number | undefined,
  limit: number,
): Promise<LiveEvent[]> {
  if (after === undefined) return readLatest(journal, principal, limit);
  const out: LiveEvent[] = [];
  let from = after;
  let scanned = 0;
  while (scanned < MAX_SCANNED) {
    const page = await journal.readAll<Envelope>(from, PAGE);
    for (const stored of page) {
      if (!maySee(principal, splitKey(stored.key).kind)) continue;
      out.push(toLiveEvent(stored));
      if (out.length === limit) return out;
    }
    scanned += page.length;
    if (page.length < PAGE) break;
    from = page[page.length - 1]!.position;
  }
  return out;
}

async function readLatest(journal: Journal, principal: Principal, limit: number): Promise<LiveEvent[]> {
  // Windows (start, end] of positions, newest first; `found` holds them newest window first.
  const found: LiveEvent[][] = [];
  let count = 0;
  let scanned = 0;
  let end = await journal.lastPosition();
  let size = limit * 4;
  while (end > 0 && count < limit && scanned < MAX_SCANNED) {
    const start = Math.max(0, end - size);
    const window: LiveEvent[] = [];
    for (let from = start; from < end; ) {
      const page = await journal.readAll<Envelope>(from, Math.min(PAGE, end - from));
      scanned += page.length;
      for (const stored of page) {
        // Positions are increasing, not necessarily gapless: a page may reach past the window.
        if (stored.position > end) break;
        if (maySee(principal, splitKey(stored.key).kind)) window.push(toLiveEvent(stored));
      }
      const last = page[page.length - 1];
      if (!last) break;
      from = last.position;
    }
    found.push(window);
    count += window.length;
    end = start;
    size *= 2;
  }
  return found.reverse().flat().slice(-limit);
}
