import type { LiveEvent } from '../../../live/types.ts';

// Which events the feed list holds after an update: the newest on top, SHOWN of them, but
// never fewer than the update brought (up to MAX_LINES), so that every event reaches the
// screen at least once even when a slow frame at a thousand events a second brings more
// than SHOWN; a replay of thousands after a long drop is cut to the newest MAX_LINES.

export const SHOWN = 120;
export const MAX_LINES = 500;

/** `current` newest first, `incoming` in position order; returns the new list, newest first. */
export function mergeFeed(current: readonly LiveEvent[], incoming: readonly LiveEvent[]): LiveEvent[] {
  const top = current[0]?.position ?? 0;
  const next = incoming.every((e) => e.position > top)
    ? // The usual case: all newer than what is shown, already in position order.
      incoming.slice(-MAX_LINES).reverse().concat(current)
    : [...incoming, ...current].sort((a, b) => b.position - a.position);
  const keep = Math.min(MAX_LINES, Math.max(SHOWN, incoming.length));
  return next.length > keep ? next.slice(0, keep) : next;
}
