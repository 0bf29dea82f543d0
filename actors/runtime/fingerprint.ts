import { hash } from 'node:crypto';

/**
 * A request's fingerprint: the same command with its keys in another order is the same
 * request, so an Idempotency-Key reused with an equal body is a retry, not a conflict.
 */
export function fingerprint(value: unknown): string {
  return hash('sha256', canonicalJson(value), 'base64url');
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
