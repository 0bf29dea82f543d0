import type { StoredEvent } from '../../actors/journal/types.ts';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import type { Envelope } from '../../actors/runtime/envelope.ts';
import type { Cause } from '../../actors/runtime/kind.ts';
import { type JournalFollower, splitKey } from '../../actors/runtime/projection.ts';
import { STAFF_DIRECTORY } from '../../actors/staff/directory.ts';
import { SIGNING_KEYS } from '../../actors/staff/keys.ts';
import { SECURITY_POLICY } from '../../actors/staff/policy.ts';
import { STAFF_USER } from '../../actors/staff/user.ts';
import type { AuditItem, AuditPage } from '../../protocol/staff.ts';
import type { StaffRoster } from './roster.ts';

// The audit log is a projection over the journal, where every event already names who caused
// it, when and from which IP (Cause): every event a staff user or the bootstrap token caused,
// and every event of the staff kinds themselves (logins, failures, lockouts, role changes,
// key rotations, whoever caused them). What the billing clock or a machine client does alone
// is in the journal, not here. Secrets (password hashes, sealed keys, token hashes) never
// appear in `details`.

const STAFF_KINDS = new Set([STAFF_USER, STAFF_DIRECTORY, SIGNING_KEYS, SECURITY_POLICY]);
/** Bookkeeping that every account opening makes; the opening itself is audited. */
const IGNORED_KINDS = new Set(['sequence']);
const SECRET_FIELD = /password|secret|hash|private|token/i;
export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_CSV_LIMIT = 100_000;

interface Entry {
  position: number;
  at: number;
  cause: Cause;
  action: string;
  object: string;
  /** The event as journaled (never changed after): scrubbed only when an entry is shown. */
  event: unknown;
}

export interface AuditFilter {
  user?: string;
  action?: string;
  object?: string;
  from?: number;
  to?: number;
  limit: number;
  /** Entries older than this position (the nextCursor of the previous page). */
  before?: number;
}

function auditable(kind: string, cause: Cause | undefined): boolean {
  if (IGNORED_KINDS.has(kind)) return false;
  if (STAFF_KINDS.has(kind)) return true;
  return cause?.type === 'staff' || (cause?.type === 'api' && cause.id === 'bootstrap');
}

/** The event without `by`, `at` and anything secret. */
export function scrub(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => scrub(v, false));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_FIELD.test(k) || (top && (k === 'by' || k === 'at'))) continue;
    out[k] = scrub(v, false);
  }
  return out;
}

/** `*` at the end makes a prefix; otherwise equal to the whole value or its part after `sep`. */
function matches(pattern: string, value: string, sep: string): boolean {
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (value === pattern) return true;
  const i = value.indexOf(sep);
  return i >= 0 && value.slice(i + 1) === pattern;
}

export class AuditLog implements JournalFollower {
  private readonly entries: Entry[] = [];

  constructor(private readonly roster: StaffRoster) {}

  stored(s: StoredEvent<Envelope>): void {
    const { kind, id } = splitKey(s.key);
    this.add(s.position, kind, id, s.data.event, s.data.by, s.data.at);
  }

  live(events: LiveEvent[]): void {
    for (const e of events) this.add(e.position, e.kind, e.id, e.event, e.cause as Cause, e.at);
  }

  private add(position: number, kind: string, id: string, event: unknown, cause: Cause, at: number): void {
    if (!auditable(kind, cause)) return;
    const type = (event as { type?: unknown })?.type;
    const entry: Entry = {
      position,
      at,
      cause,
      action: `${kind}.${typeof type === 'string' ? type : 'event'}`,
      object: `${kind}:${id}`,
      event,
    };
    const list = this.entries;
    // Commits of one process arrive in position order; keep it so even if one does not.
    let i = list.length;
    while (i > 0 && list[i - 1]!.position > position) i--;
    if (i === list.length) list.push(entry);
    else list.splice(i, 0, entry);
  }

  /** Newest first. */
  query(f: AuditFilter): AuditPage {
    const items: AuditItem[] = [];
    const user = f.user?.toLowerCase();
    let i = this.entries.length - 1;
    if (f.before !== undefined) {
      let lo = 0;
      let hi = this.entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.entries[mid]!.position < f.before) lo = mid + 1;
        else hi = mid;
      }
      i = lo - 1;
    }
    let last: Entry | undefined;
    for (; i >= 0; i--) {
      const e = this.entries[i]!;
      if (f.to !== undefined && e.at >= f.to) continue;
      if (f.from !== undefined && e.at < f.from) continue;
      if (f.action !== undefined && !matches(f.action, e.action, '.')) continue;
      if (f.object !== undefined && !matches(f.object, e.object, ':')) continue;
      const shown = this.userOf(e.cause);
      if (user !== undefined && shown?.toLowerCase() !== user && e.cause?.id?.toLowerCase() !== user)
        continue;
      if (items.length === f.limit) {
        return { items, nextCursor: String(last!.position) };
      }
      items.push({
        position: e.position,
        at: e.at,
        user: shown,
        ip: e.cause?.ip ?? null,
        action: e.action,
        object: e.object,
        details: scrub(e.event),
      });
      last = e;
    }
    return { items };
  }

  private userOf(cause: Cause | undefined): string | null {
    if (!cause) return null;
    if (cause.type === 'staff') return this.roster.get(cause.id)?.username ?? cause.id;
    if (cause.type === 'api') return cause.id;
    return `${cause.type}:${cause.id}`;
  }
}

const CSV_COLUMNS = ['position', 'at', 'user', 'ip', 'action', 'object', 'details'] as const;

function csvCell(value: unknown): string {
  let text =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  // A cell a spreadsheet would run as a formula is kept as text.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180, `at` as an ISO date, `details` as JSON. */
export function auditCsv(items: readonly AuditItem[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const item of items) {
    lines.push(
      CSV_COLUMNS.map((c) => csvCell(c === 'at' ? new Date(item.at).toISOString() : item[c])).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
