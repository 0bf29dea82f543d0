import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUvuSummary } from './uvu.ts';

test('reads the plain summary', () => {
  const out =
    ' suite  • • ✘ (2 / 3)\n\n  Total:     3\n  Passed:    2\n  Skipped:   1\n  Duration:  3.2ms\n\n';
  assert.equal(parseUvuSummary(out), { total: 3, passed: 2, skipped: 1 });
});

test('strips colours', () => {
  const out =
    '\n  Total:     4\x1b[32m\n  Passed:    4\x1b[39m\n  Skipped:   \x1b[33m2\x1b[39m\n  Duration:  1ms\n';
  assert.equal(parseUvuSummary(out), { total: 4, passed: 4, skipped: 2 });
});

test('no summary → null', () => {
  assert.is(parseUvuSummary('Error: Cannot find module\n    at foo'), null);
  assert.is(parseUvuSummary(''), null);
});

test.run();
