import { hash } from 'node:crypto';

/**
 * A request's fingerprint: the same command with its keys in another order is the same
 * request, so an Idempotency-Key reused with an equal body is a retry, not a conflict.
 */
export function fingerprint(value: unknown): string {
  return hash('sha256', canonicalJson(value), 'base64url');
}

/**
 * JSON with object keys sorted (by UTF-16 code units) and undefined members left out.
 * Fingerprints are journaled with their keys, so this text must never change for a value
 * that already had one. Built by string appends rather than entries/filter/map/join: every
 * command with a key passes here (it was ~1.6 KB of garbage per charge).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // A hole stays empty, as Array.prototype.map and join leave it.
      if (i in value) out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = sortKeys(Object.keys(record));
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

/**
 * Sorted by UTF-16 code units, as the default sort and `<` compare strings. A command has a
 * handful of keys: sorted in place here, where Array.prototype.sort made ~800 bytes of
 * garbage per charge.
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}
