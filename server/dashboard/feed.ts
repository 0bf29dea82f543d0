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
 * Up to `limit` events after `after`, oldest first. Without `after`, the latest `limit`
 * (looked for among the last few times `limit` events of the journal).
 */
export async function readFeed(
  journal: Journal,
  principal: Principal,
  after: number | undefined,
  limit: number,
): Promise<LiveEvent[]> {
  const latest = after === undefined;
  let from = latest ? Math.max(0, (await journal.lastPosition()) - limit * 4) : after;
  const out: LiveEvent[] = [];
  let scanned = 0;
  while (scanned < MAX_SCANNED) {
    const page = await journal.readAll<Envelope>(from, PAGE);
    for (const stored of page) {
      if (!maySee(principal, splitKey(stored.key).kind)) continue;
      out.push(toLiveEvent(stored));
      if (!latest && out.length === limit) return out;
    }
    scanned += page.length;
    if (page.length < PAGE) break;
    from = page[page.length - 1]!.position;
  }
  return latest ? out.slice(-limit) : out;
}
