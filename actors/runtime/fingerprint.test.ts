import { hash } from 'node:crypto';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson, fingerprint } from './fingerprint.ts';

// Fingerprints are journaled beside their idempotency keys: a retry after an upgrade must get
// the same fingerprint as before it, so the canonical text may never change.

/** The first implementation, kept as the definition the fast one must match. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
}

test('the same text as the first implementation, for any JSON-like value', () => {
  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
    ),
    node: fc.oneof(
      { depthSize: 'small' },
      tie('leaf'),
      fc.array(tie('node'), { maxLength: 5 }),
      fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('node'), { maxKeys: 6 }),
    ),
  })).node;
  fc.assert(
    fc.property(value, (v) => {
      assert.is(canonicalJson(v), reference(v));
    }),
    { numRuns: 500 },
  );
});

test('key order does not matter; undefined members and holes are as before', () => {
  assert.is(
    fingerprint({ type: 'Charge', amount: 5, product: 'traffic' }),
    fingerprint({ product: 'traffic', amount: 5, type: 'Charge', description: undefined }),
  );
  // biome-ignore lint/suspicious/noSparseArray: a hole is part of what must stay the same.
  const holes = [1, , undefined, 2];
  assert.is(canonicalJson(holes), reference(holes));
  assert.is(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
  // A fingerprint as journaled by the first implementation.
  assert.is(
    fingerprint({ type: 'Charge', amount: 5, product: 'traffic' }),
    hash('sha256', '{"amount":5,"product":"traffic","type":"Charge"}', 'base64url'),
  );
});

test.run();
