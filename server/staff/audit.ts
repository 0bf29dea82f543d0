import type { Journal, StoredEvent } from '../../actors/journal/types.ts';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import { causedBy, decidedAt, type Envelope } from '../../actors/runtime/envelope.ts';
import type { Cause } from '../../actors/runtime/kind.ts';
import { type CheckpointedFollower, splitKey } from '../../actors/runtime/projection.ts';
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

/**
 * A table of distinct values, each stored once; entries refer to it by number. Found by two
 * parts (kind and id, kind and event type, caller and IP) so that no string is built to look
 * one up on every audited event.
 */
class Interned<T> {
  readonly values: T[] = [];
  /** The two parts each value was found by, in the values' order (for a checkpoint). */
  private readonly parts: [string, string][] = [];
  private readonly index = new Map<string, Map<string, number>>();

  save(): [string, string, T][] {
    return this.parts.map(([first, second], i) => [first, second, this.values[i]!]);
  }

  /** Into an empty table: the same values get the same numbers. */
  restore(saved: [string, string, T][]): void {
    for (const [first, second, value] of saved) this.of(first, second, () => value);
  }

  of(first: string, second: string, make: () => T): number {
    let inner = this.index.get(first);
    if (inner === undefined) {
      inner = new Map();
      this.index.set(first, inner);
    }
    let i = inner.get(second);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(make());
      this.parts.push([first, second]);
      inner.set(second, i);
    }
    return i;
  }
}

interface SavedColumns {
  length: number;
  positions: string;
  ats: string;
  actions: string;
  objects: string;
  causes: string;
}

interface SavedAudit {
  rows: SavedColumns;
  actions: [string, string, string][];
  objects: [string, string, string][];
  /** JSON has no undefined: the entry of events without a caller comes back as null. */
  causes: [string, string, Cause | null][];
}

/** Growable number columns: a few bytes per entry instead of an object. */
class Columns {
  length = 0;
  positions = new Float64Array(1024);
  ats = new Float64Array(1024);
  actions = new Uint32Array(1024);
  objects = new Uint32Array(1024);
  causes = new Uint32Array(1024);

  /** The columns in use, as base64 of their bytes (compact, and exact for every number). */
  save(): SavedColumns {
    const bytes = (a: Float64Array | Uint32Array) =>
      Buffer.from(a.buffer, a.byteOffset, this.length * a.BYTES_PER_ELEMENT).toString('base64');
    return {
      length: this.length,
      positions: bytes(this.positions),
      ats: bytes(this.ats),
      actions: bytes(this.actions),
      objects: bytes(this.objects),
      causes: bytes(this.causes),
    };
  }

  restore(saved: SavedColumns): void {
    const room = Math.max(1024, 2 ** Math.ceil(Math.log2(saved.length + 1)));
    const read = <A extends Float64Array | Uint32Array>(Type: new (n: number) => A, text: string): A => {
      const a = new Type(room);
      const bytes = Buffer.from(text, 'base64');
      new Uint8Array(a.buffer).set(bytes);
      return a;
    };
    this.positions = read(Float64Array, saved.positions);
    this.ats = read(Float64Array, saved.ats);
    this.actions = read(Uint32Array, saved.actions);
    this.objects = read(Uint32Array, saved.objects);
    this.causes = read(Uint32Array, saved.causes);
    this.length = saved.length;
  }

  /** Room for one more, with the entries from `at` on moved up by one. */
  open(at: number): void {
    if (this.length === this.positions.length) {
      const grow = <A extends Float64Array | Uint32Array>(a: A): A => {
        const b = new (a.constructor as new (n: number) => A)(a.length * 2);
        b.set(a);
        return b;
      };
      this.positions = grow(this.positions);
      this.ats = grow(this.ats);
      this.actions = grow(this.actions);
      this.objects = grow(this.objects);
      this.causes = grow(this.causes);
    }
    if (at < this.length) {
      for (const a of [this.positions, this.ats, this.actions, this.objects, this.causes]) {
        a.copyWithin(at + 1, at, this.length);
      }
    }
    this.length++;
  }
}

/**
 * Keeps where the audited events are, not the events: a position, a time and three numbers
 * into string tables per entry (~28 bytes). Every charge a machine client makes with the
 * bootstrap token is audited, and holding each event in memory cost the server ~9 µs of CPU
 * per charge in garbage collection (charges-http bench) and grew without end; the details
 * of a page are read from the journal, which holds them anyway.
 */
export class AuditLog implements CheckpointedFollower {
  readonly checkpointVersion = 1;
  private rows = new Columns();
  private actions = new Interned<string>();
  private objects = new Interned<string>();
  private causes = new Interned<Cause | undefined>();

  constructor(
    private readonly roster: StaffRoster,
    private readonly journal: Pick<Journal, 'eventsAt'>,
  ) {}

  save(): SavedAudit {
    return {
      rows: this.rows.save(),
      actions: this.actions.save(),
      objects: this.objects.save(),
      causes: this.causes.save().map(([first, second, cause]) => [first, second, cause ?? null]),
    };
  }

  restore(data: unknown): void {
    const saved = data as SavedAudit;
    this.rows.restore(saved.rows);
    this.actions.restore(saved.actions);
    this.objects.restore(saved.objects);
    this.causes.restore(saved.causes.map(([first, second, cause]) => [first, second, cause ?? undefined]));
  }

  reset(): void {
    this.rows = new Columns();
    this.actions = new Interned();
    this.objects = new Interned();
    this.causes = new Interned();
  }

  stored(s: StoredEvent<Envelope>): void {
    const { kind, id } = splitKey(s.key);
    this.add(s.position, kind, id, s.data.event, causedBy(s.data), decidedAt(s.data));
  }

  live(events: LiveEvent[]): void {
    for (const e of events) this.add(e.position, e.kind, e.id, e.event, e.cause as Cause, e.at);
  }

  private add(position: number, kind: string, id: string, event: unknown, cause: Cause, at: number): void {
    if (!auditable(kind, cause)) return;
    const given = (event as { type?: unknown })?.type;
    const type = typeof given === 'string' ? given : 'event';
    const rows = this.rows;
    // Commits of one process arrive in position order; keep it so even if one does not.
    let i = rows.length;
    while (i > 0 && rows.positions[i - 1]! > position) i--;
    rows.open(i);
    rows.positions[i] = position;
    rows.ats[i] = at;
    rows.actions[i] = this.actions.of(kind, type, () => `${kind}.${type}`);
    rows.objects[i] = this.objects.of(kind, id, () => `${kind}:${id}`);
    rows.causes[i] = cause
      ? this.causes.of(`${cause.type}:${cause.id}`, cause.ip ?? '', () => cause)
      : this.causes.of('', '', () => undefined);
  }

  /** Newest first. */
  async query(f: AuditFilter): Promise<AuditPage> {
    const rows = this.rows;
    let i = rows.length - 1;
    if (f.before !== undefined) {
      let lo = 0;
      let hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (rows.positions[mid]! < f.before) lo = mid + 1;
        else hi = mid;
      }
      i = lo - 1;
    }
    // Each filter is decided once per distinct action, object and caller, not per entry.
    const action = verdicts(this.actions.values, f.action, (a, p) => matches(p, a, '.'));
    const object = verdicts(this.objects.values, f.object, (o, p) => matches(p, o, ':'));
    const user = f.user?.toLowerCase();
    const caller = verdicts(this.causes.values, user, (cause, u) => {
      const shown = this.userOf(cause);
      return shown?.toLowerCase() === u || cause?.id?.toLowerCase() === u;
    });
    const found: number[] = [];
    let more = false;
    for (; i >= 0; i--) {
      const at = rows.ats[i]!;
      if (f.to !== undefined && at >= f.to) continue;
      if (f.from !== undefined && at < f.from) continue;
      if (!action(rows.actions[i]!) || !object(rows.objects[i]!) || !caller(rows.causes[i]!)) continue;
      if (found.length === f.limit) {
        more = true;
        break;
      }
      found.push(i);
    }
    const events = await this.journal.eventsAt<Envelope>(found.map((row) => rows.positions[row]!));
    const byPosition = new Map(events.map((e) => [e.position, e]));
    const items: AuditItem[] = found.map((row) => {
      const position = rows.positions[row]!;
      const cause = this.causes.values[rows.causes[row]!];
      return {
        position,
        at: rows.ats[row]!,
        user: this.userOf(cause),
        ip: cause?.ip ?? null,
        action: this.actions.values[rows.actions[row]!]!,
        object: this.objects.values[rows.objects[row]!]!,
        details: scrub(byPosition.get(position)?.data.event),
      };
    });
    const last = items.at(-1);
    return more && last ? { items, nextCursor: String(last.position) } : { items };
  }

  private userOf(cause: Cause | undefined): string | null {
    if (!cause) return null;
    if (cause.type === 'staff') return this.roster.get(cause.id)?.username ?? cause.id;
    if (cause.type === 'api') return cause.id;
    return `${cause.type}:${cause.id}`;
  }
}

/** Whether the i-th value of a table passes a filter; every value passes when there is none. */
function verdicts<T>(
  values: readonly T[],
  filter: string | undefined,
  test: (value: T, filter: string) => boolean,
): (i: number) => boolean {
  if (filter === undefined) return () => true;
  // 0: not decided yet, 1: passes, 2: does not.
  const known = new Uint8Array(values.length);
  return (i) => {
    if (known[i] === 0) known[i] = test(values[i]!, filter) ? 1 : 2;
    return known[i] === 1;
  };
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
