import type { Cause } from './kind.ts';

/**
 * How a domain event lies in the journal: with who caused it and when, so the journal
 * is the audit log. The last event of an applied command also carries the command's
 * idempotency record, so the key, the request fingerprint and the first reply become
 * durable in the same commit as the change they guard.
 */
export interface Envelope<E = unknown> {
  event: E;
  by: Cause;
  at: number;
  applied?: AppliedRecord;
}

export interface AppliedRecord {
  key: string;
  fingerprint: string;
  reply: unknown;
}
