import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LiveEvent } from '../../../live/types.ts';
import { MAX_LINES, mergeFeed, SHOWN } from './feed-lines.ts';

// The feed's window: newest first, SHOWN lines, but every line of one update, so no event
// is skipped by the list when a slow frame brings more than SHOWN at once.

const event = (position: number): LiveEvent => ({
  position,
  kind: 'account',
  id: '100001',
  sequenceNumber: position,
  event: { type: 'ToppedUp', amount: 100 },
  cause: { type: 'system', id: 'test' },
  at: position,
});
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => event(from + i));
const positions = (list: LiveEvent[]) => list.map((e) => e.position);

test('newest first, at most SHOWN lines at an ordinary pace', () => {
  let list: LiveEvent[] = [];
  for (let from = 1; from <= 300; from += 10) list = mergeFeed(list, range(from, 10));
  assert.is(list.length, SHOWN);
  assert.equal(positions(list).slice(0, 3), [300, 299, 298]);
  assert.is(list.at(-1)!.position, 300 - SHOWN + 1);
});

test('an update bigger than SHOWN stays whole: every event reaches the list', () => {
  const before = mergeFeed([], range(1, 50));
  const burst = range(51, SHOWN + 80);
  const list = mergeFeed(before, burst);
  assert.is(list.length, burst.length);
  assert.equal(positions(list), positions(burst).reverse());
  // The next ordinary update brings the window back to SHOWN.
  assert.is(mergeFeed(list, range(51 + burst.length, 5)).length, SHOWN);
});

test('a replay after a long drop is cut to the newest MAX_LINES', () => {
  const list = mergeFeed([], range(1, MAX_LINES * 3));
  assert.is(list.length, MAX_LINES);
  assert.is(list[0]!.position, MAX_LINES * 3);
});

test('events older than the top (a catch-up overlapping the live ones) are sorted in', () => {
  const list = mergeFeed(mergeFeed([], [event(10), event(12)]), [event(11), event(13)]);
  assert.equal(positions(list), [13, 12, 11, 10]);
});

test.run();
