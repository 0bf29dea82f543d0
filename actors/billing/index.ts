import type { AccountEvent } from '../account/events.ts';
import type { AccountState } from '../account/state.ts';
import type { Journal, StoredEvent } from '../journal/types.ts';
import type { LiveEvent } from '../runtime/bus.ts';
import type { Envelope } from '../runtime/envelope.ts';
import {
  type CheckpointedFollower,
  type Following,
  type FollowOptions,
  followJournal,
} from '../runtime/projection.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type { BillingKind } from './periods.ts';

// Which accounts the billing clock must visit, and from when: every account with a tariff,
// with the instant its next period begins (its `billedUntil`). A run ticks only the accounts
// whose next period has begun, and the clock sleeps until the earliest of them, so monthly
// accounts are not woken every hour and no account is ever late. Each account's own calendar
// (its time zone, month lengths, DST) is already folded into that instant by the account.
//
// A projection: built at start from the journal (after its checkpoint), then kept current
// from the state every account commit leaves behind (ActorSystem.onPersisted), which is
// authoritative.

const ACCOUNT = 'account';
const ACCOUNT_PREFIX = `${ACCOUNT}:`;
/** Small enough that a page read does not hold up requests for long. */
const PAGE = 2000;

export interface BillingEntry {
  billing: BillingKind;
  /** The next period of the tariff begins here; nothing before it is left to charge. */
  dueAt: number;
}

const KIND_CODES: Record<BillingKind, number> = { monthly: 0, daily: 1, hourly: 2 };
const KINDS: readonly BillingKind[] = ['monthly', 'daily', 'hourly'];

/** The index as a checkpoint keeps it: the accounts with a tariff, each with its kind and due instant. */
interface SavedIndex {
  ids: string[];
  kinds: number[];
  dueAts: number[];
}

/**
 * Kept as columns (a slot per account: id, due instant, kind) rather than an object per
 * account: at a million accounts that is a million objects fewer for every full GC to mark,
 * and finding the due ones is one pass over a Float64Array.
 */
export class BillingIndex implements CheckpointedFollower {
  readonly checkpointVersion = 1;
  private readonly slots = new Map<string, number>();
  private ids: (string | undefined)[] = [];
  private dueAts = new Float64Array(1024);
  private kinds = new Uint8Array(1024);
  private readonly free: number[] = [];
  /** A lower bound of every dueAt (exact after a scan), so the clock need not scan to re-arm. */
  private earliest = Number.POSITIVE_INFINITY;
  private readonly listeners = new Set<(dueAt: number) => void>();

  get size(): number {
    return this.slots.size;
  }

  get(accountId: string): BillingEntry | undefined {
    const slot = this.slots.get(accountId);
    if (slot === undefined) return undefined;
    return { billing: KINDS[this.kinds[slot]!]!, dueAt: this.dueAts[slot]! };
  }

  /** Accounts whose next period has begun by `until`, in no particular order. */
  dueBy(until: number): string[] {
    const out: string[] = [];
    const { dueAts, ids } = this;
    for (let slot = 0; slot < ids.length; slot++) if (dueAts[slot]! <= until) out.push(ids[slot]!);
    return out;
  }

  /** The earliest instant any indexed account has a period to charge (Infinity when none). */
  nextDueAt(): number {
    let earliest = Number.POSITIVE_INFINITY;
    const { dueAts } = this;
    for (let slot = 0; slot < this.ids.length; slot++) if (dueAts[slot]! < earliest) earliest = dueAts[slot]!;
    this.earliest = earliest;
    return earliest;
  }

  /** Called with the dueAt of an entry that became due before every other one. */
  onEarlier(listener: (dueAt: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stored(stored: StoredEvent<Envelope>): void {
    if (stored.key.startsWith(ACCOUNT_PREFIX))
      this.applyEvent(stored.key.slice(ACCOUNT_PREFIX.length), stored.data.event as AccountEvent);
  }

  live(events: LiveEvent[], state: unknown): void {
    const first = events[0];
    if (first?.kind === ACCOUNT) this.applyState(first.id, state as AccountState);
  }

  built(): void {
    this.nextDueAt();
  }

  save(): SavedIndex {
    const saved: SavedIndex = { ids: [], kinds: [], dueAts: [] };
    for (const [id, slot] of this.slots) {
      saved.ids.push(id);
      saved.kinds.push(this.kinds[slot]!);
      saved.dueAts.push(this.dueAts[slot]!);
    }
    return saved;
  }

  restore(data: unknown): void {
    const { ids, kinds, dueAts } = data as SavedIndex;
    for (let i = 0; i < ids.length; i++) this.put(ids[i]!, KINDS[kinds[i]!]!, dueAts[i]!);
  }

  reset(): void {
    this.slots.clear();
    this.ids = [];
    this.dueAts = new Float64Array(1024);
    this.kinds = new Uint8Array(1024);
    this.free.length = 0;
    this.earliest = Number.POSITIVE_INFINITY;
  }

  /** Sets an account from its live state (after a commit). */
  applyState(accountId: string, state: AccountState): void {
    const t = state.closedAt === null ? state.tariff : null;
    if (!t) {
      this.remove(accountId);
      return;
    }
    this.put(accountId, t.billing, t.billedUntil);
  }

  /**
   * Folds one journaled account event, as the account's evolve moves its tariff: only for
   * the build at start, where states are not at hand. A test keeps the two in step.
   */
  applyEvent(accountId: string, e: AccountEvent): void {
    switch (e.type) {
      case 'TariffAssigned':
        this.put(accountId, e.tariff.billing, e.billedUntil);
        return;
      case 'TariffUnassigned':
      case 'AccountClosed':
        this.remove(accountId);
        return;
      case 'TariffCharged':
      case 'TariffDueRecorded':
        this.advance(accountId, e.end);
        return;
      case 'TariffPeriodsSkipped':
        this.advance(accountId, e.to);
        return;
    }
  }

  private advance(accountId: string, to: number): void {
    const slot = this.slots.get(accountId);
    if (slot !== undefined && to > this.dueAts[slot]!) this.dueAts[slot] = to;
  }

  private put(accountId: string, billing: BillingKind, dueAt: number): void {
    let slot = this.slots.get(accountId);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.grow();
      this.slots.set(accountId, slot);
      this.ids[slot] = accountId;
    }
    this.kinds[slot] = KIND_CODES[billing];
    this.dueAts[slot] = dueAt;
    if (dueAt < this.earliest) {
      this.earliest = dueAt;
      for (const listener of this.listeners) listener(dueAt);
    }
  }

  private remove(accountId: string): void {
    const slot = this.slots.get(accountId);
    if (slot === undefined) return;
    this.slots.delete(accountId);
    this.ids[slot] = undefined;
    this.dueAts[slot] = Number.POSITIVE_INFINITY;
    this.free.push(slot);
  }

  /** A new slot at the end, the columns doubled when full. */
  private grow(): number {
    const slot = this.ids.length;
    if (slot === this.dueAts.length) {
      const dueAts = new Float64Array(slot * 2);
      dueAts.set(this.dueAts);
      this.dueAts = dueAts;
      const kinds = new Uint8Array(slot * 2);
      kinds.set(this.kinds);
      this.kinds = kinds;
    }
    this.ids.push(undefined);
    return slot;
  }
}

/**
 * Builds the index from the journal (after its checkpoint, when one is given and saved) and
 * keeps it current. The server answers requests meanwhile: the build lets them in between pages.
 */
export async function openBillingIndex(
  journal: Journal,
  system: ActorSystem,
  options: Pick<FollowOptions, 'cancelled' | 'checkpoint'> = {},
): Promise<{ index: BillingIndex; following: Following }> {
  const index = new BillingIndex();
  const following = await followJournal(journal, system, [index], {
    ...options,
    pageSize: PAGE,
    yieldBetweenPages: true,
  });
  return { index, following };
}
