import type { AppliedRecord } from './envelope.ts';

export interface IdempotencyPolicy {
  /** Keys remembered per actor; the oldest are forgotten first. */
  maxKeys: number;
  /** How long a key is remembered, measured on the journaled event time (so replay agrees). */
  retainMs: number;
}

export const defaultIdempotencyPolicy: IdempotencyPolicy = { maxKeys: 10_000, retainMs: 30 * 24 * 3600_000 };

/** A remembered key as kept in snapshots: [key, fingerprint, reply, appliedAt]. */
export type AppliedEntry = [string, string, unknown, number];

/**
 * The applied-keys window of one actor. It lives in actor state (and snapshots), not in
 * a TTL cache, so a retry after a restart still gets the first reply. It is rebuilt
 * from the journal exactly as it was built live: entries are only added by journaled
 * records and only forgotten by the times those records carry.
 */
export class AppliedKeys {
  // Map keeps insertion order, which is application order: the oldest key is first.
  private readonly entries = new Map<string, { fingerprint: string; reply: unknown; at: number }>();

  constructor(
    private readonly policy: IdempotencyPolicy,
    from: AppliedEntry[] = [],
  ) {
    for (const [key, fingerprint, reply, at] of from) this.entries.set(key, { fingerprint, reply, at });
  }

  get(key: string) {
    return this.entries.get(key);
  }

  get size(): number {
    return this.entries.size;
  }

  record(record: AppliedRecord, at: number): void {
    const entries = this.entries;
    const size = entries.size;
    const entry = { fingerprint: record.fingerprint, reply: record.reply, at };
    entries.set(record.key, entry);
    // A key recorded again moves to the end (the newest): delete and set anew. A new key,
    // the usual case, costs one lookup.
    if (entries.size === size) {
      entries.delete(record.key);
      entries.set(record.key, entry);
    }
    this.prune(at);
  }

  private prune(now: number): void {
    const oldest = now - this.policy.retainMs;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.policy.maxKeys && entry.at >= oldest) break;
      this.entries.delete(key);
    }
  }

  toJSON(): AppliedEntry[] {
    return [...this.entries].map(([key, e]) => [key, e.fingerprint, e.reply, e.at]);
  }
}
