import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness } from '../testkit/harness.ts';
import { sequenceKind } from './sequence.ts';

test('numbers go up by one from 1; a repeated key gets its first number', () => {
  const h = new Harness(sequenceKind, 'accounts', Date.UTC(2026, 0, 1));
  assert.equal(h.ok({ type: 'Next' }), { n: 1 });
  assert.equal(h.ok({ type: 'Next' }, { key: 'a' }), { n: 2 });
  assert.equal(h.ok({ type: 'Next' }), { n: 3 });
  assert.equal(h.ok({ type: 'Next' }, { key: 'a' }), { n: 2 });
  assert.is(h.state.last, 3);
  assert.is(h.journal.length, 3);
});

test('an unknown command is refused and issues nothing', () => {
  const h = new Harness(sequenceKind, 'accounts', 0);
  const error = h.refused({ type: 'Reset' } as never);
  assert.is(error.code, 'unknown_command');
  assert.is(h.state.last, 0);
});

test.run();
