import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QuietRuns } from './quiet-runs.ts';

// The hand-off may step over a position only if it was seen quiet, and over every position
// before it too: a gap (a commit not seen, or one with news) always stops the step.

test('steps over runs that follow without a gap, and stops at a gap', () => {
  const q = new QuietRuns();
  q.add(1, 3);
  q.add(4, 4);
  q.add(7, 9);
  assert.is(q.skip(0), 4);
  assert.is(q.skip(4), 4, 'position 5 was never seen');
  assert.is(q.skip(6), 9, 'a read went past the gap');
  assert.is(q.size, 0);
});

test('runs seen out of order are merged', () => {
  const q = new QuietRuns();
  q.add(10, 12);
  q.add(3, 4);
  q.add(5, 9);
  q.add(1, 1);
  assert.is(q.size, 2);
  assert.is(q.skip(0), 1);
  assert.is(q.skip(1), 1);
  q.add(2, 2);
  assert.is(q.skip(1), 12);
});

test('never steps over a position that was not seen quiet (random commits)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 3 })), { maxLength: 40 }),
      fc.integer({ min: 0, max: 60 }),
      (commits, start) => {
        const q = new QuietRuns();
        const seen = new Set<number>();
        for (const [first, extra] of commits) {
          q.add(first, first + extra);
          for (let p = first; p <= first + extra; p++) seen.add(p);
        }
        let expected = start;
        while (seen.has(expected + 1)) expected++;
        assert.is(q.skip(start), expected);
      },
    ),
  );
});

test.run();
