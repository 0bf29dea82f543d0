import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SeenPositions } from './seen.ts';

// An event that arrives twice (two rooms, or live and in the catch-up after a reconnect)
// reaches the screens once; the memory of positions stays bounded.

test('a position is new once', () => {
  const seen = new SeenPositions(10);
  assert.ok(seen.add(5));
  assert.not.ok(seen.add(5));
  assert.ok(seen.add(4), 'older positions that were not seen are new');
});

test('only the latest positions are remembered', () => {
  const seen = new SeenPositions(100);
  for (let p = 1; p <= 1_000; p++) seen.add(p);
  assert.ok(seen.has(1_000));
  assert.ok(seen.has(901));
  assert.not.ok(seen.has(900));
  assert.not.ok(seen.has(1));
  // And it keeps working across its internal compaction.
  for (let p = 1_001; p <= 5_000; p++) assert.ok(seen.add(p));
  assert.not.ok(seen.add(4_950));
  assert.ok(seen.has(4_901));
  assert.not.ok(seen.has(4_900));
});

test.run();
