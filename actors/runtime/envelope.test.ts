import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { causedBy, decidedAt, envelope } from './envelope.ts';
import { type Cause, systemCause } from './kind.ts';

const cashier: Cause = { type: 'staff', id: 'cashier-1', ip: '10.0.0.7' };
const T = Date.UTC(2026, 2, 10, 9);

test('an event that carries its own cause and time is journaled without them twice', () => {
  const event = { type: 'ToppedUp', amount: 500, by: cashier, at: T };
  const e = envelope(event, cashier, T, { key: 'k', fingerprint: 'f', reply: { ok: true } });
  assert.equal(Object.keys(e), ['event', 'applied']);
  // As read back from the journal: plain JSON, the cause a copy.
  const read = JSON.parse(JSON.stringify(e));
  assert.equal(causedBy(read), cashier);
  assert.is(decidedAt(read), T);
});

test('an event without them, or with another cause or time, keeps them in the envelope', () => {
  const plain = envelope({ type: 'add', amount: 1 }, cashier, T);
  assert.equal(plain, { event: { type: 'add', amount: 1 }, by: cashier, at: T });
  // Equal but not the very cause decide was given: nothing is assumed.
  const lookalike = envelope({ type: 'x', by: { ...cashier }, at: T }, cashier, T);
  assert.equal(Object.keys(lookalike), ['event', 'by', 'at']);
  const scheduled = envelope({ type: 'x', by: cashier, at: T + 60_000 }, cashier, T);
  assert.is(decidedAt(scheduled), T);
});

test('envelopes written before keep reading as they were', () => {
  const old = { event: { type: 'Charged', by: cashier, at: T }, by: cashier, at: T };
  assert.equal(causedBy(old), cashier);
  assert.is(decidedAt(old), T);
  assert.equal(causedBy({ event: { type: 'x' } }), systemCause);
});

test.run();
