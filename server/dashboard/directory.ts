import type { AccountEvent } from '../../actors/account/events.ts';
import { type AccountState, availableOf, statusOf } from '../../actors/account/state.ts';
import type { StoredEvent } from '../../actors/journal/types.ts';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import type { Envelope } from '../../actors/runtime/envelope.ts';
import { type CheckpointedFollower, splitKey } from '../../actors/runtime/projection.ts';
import type { SubscriberEvent, SubscriberState } from '../../actors/subscriber/subscriber.ts';
import type { DirectoryPage, DirectoryQuery, DirectoryRow } from '../../protocol/dashboard.ts';
import type { MapSubscriber } from '../../protocol/map.ts';

// The account directory the dashboard searches and sorts: one small row per account, joined
// with its subscriber's name, first phone and address. Built from the journal at start with a
// compact fold of the account events (directory.test.ts keeps it equal to the account's own
// evolve), then kept current from the state every commit leaves behind, which is authoritative.
//
// Fast at 100,000 accounts: a query is one pass over a sorted array; the array of each sort
// is kept until a change could move a row in it (balance sorts are rebuilt after money moves,
// name sorts only when names or the set of accounts change).

type Status = DirectoryRow['status'];
type SortKey = NonNullable<DirectoryQuery['sort']>;

interface SubscriberInfo {
  name: string | null;
  phones: string[];
  address: string | null;
  /** Where the address is, for the map, when the subscriber gave it. */
  point: Point | null;
  accounts: Set<string>;
}

interface Point {
  lat: number;
  lon: number;
}

const pointOf = (a: { lat?: number; lon?: number } | null | undefined): Point | null =>
  a?.lat !== undefined && a.lon !== undefined ? { lat: a.lat, lon: a.lon } : null;

interface Row {
  accountId: string;
  /** Numeric ids sort as numbers ("100002" before "1000010"). */
  idKey: string;
  subscriberId: string | null;
  status: Status;
  tariffId: string | null;
  balance: number;
  available: number;
  /** Lower-cased search text and name; rebuilt lazily after the subscriber changes. */
  search: string | undefined;
  nameKey: string | undefined;
  // The build at start folds these; afterwards they follow the account state, so that a
  // checkpoint holds what the events after it are folded on.
  creditLimit: number;
  /** Open holds while the build folds events. */
  holds: Map<string, number> | undefined;
  /** Open holds after it: the account state's own (never changed in place), undefined for none. */
  openHolds: Readonly<Record<string, { amount: number }>> | undefined;
  manualBlock: boolean;
  fundsBlocked: boolean;
  closed: boolean;
}

/**
 * The directory as a checkpoint keeps it: columns, one entry per row or subscriber (a few
 * arrays of plain values are copied in a fraction of the time an array per row takes, and the
 * copy is what holds requests: its serialization is spread over turns of the event loop).
 * Status and available follow from the rest.
 */
interface SavedDirectory {
  subscribers: {
    ids: string[];
    names: (string | null)[];
    phones: string[][];
    addresses: (string | null)[];
    points: (Point | null)[];
  };
  rows: {
    accountIds: string[];
    subscriberIds: (string | null)[];
    tariffIds: (string | null)[];
    balances: number[];
    creditLimits: number[];
    /** Bits: 1 manual block, 2 blocked for funds, 4 closed. */
    flags: number[];
    /** The open holds of all rows: row index, hold id, amount. */
    holds: [row: number, holdId: string, amount: number][];
  };
}

const STATUS_ORDER: Record<Status, number> = { active: 0, blocked: 1, closed: 2 };
const ACCOUNT = 'account';
const SUBSCRIBER = 'subscriber';

function idKey(id: string): string {
  return /^\d{1,15}$/.test(id) ? id.padStart(15, '0') : `~${id}`;
}

export class AccountDirectory implements CheckpointedFollower {
  readonly checkpointVersion = 1;
  private readonly rows = new Map<string, Row>();
  private readonly list: Row[] = [];
  private readonly subscribers = new Map<string, SubscriberInfo>();
  private readonly counts: Record<Status, number> = { active: 0, blocked: 0, closed: 0 };
  private readonly versions: Record<SortKey, number> = { id: 0, name: 0, balance: 0, status: 0 };
  private readonly sorted = new Map<SortKey, { version: number; rows: Row[] }>();

  get size(): number {
    return this.list.length;
  }

  /** Accounts by status, for the KPIs. */
  count(status: Status): number {
    return this.counts[status];
  }

  stored(stored: StoredEvent<Envelope>): void {
    const { kind, id } = splitKey(stored.key);
    if (kind === ACCOUNT) this.foldAccount(id, stored.data.event as AccountEvent);
    else if (kind === SUBSCRIBER) this.foldSubscriber(id, stored.data.event as SubscriberEvent);
  }

  save(): SavedDirectory {
    // Sized once: arrays grown by push copy themselves over and over at 100,000 entries.
    const n = this.subscribers.size;
    const subscribers: SavedDirectory['subscribers'] = {
      ids: new Array(n),
      names: new Array(n),
      phones: new Array(n),
      addresses: new Array(n),
      points: new Array(n),
    };
    let i = 0;
    for (const [id, s] of this.subscribers) {
      subscribers.ids[i] = id;
      subscribers.names[i] = s.name;
      // Replaced on change, never changed in place: safe to hand over without a copy.
      subscribers.phones[i] = s.phones;
      subscribers.addresses[i] = s.address;
      subscribers.points[i] = s.point;
      i++;
    }
    const m = this.list.length;
    const rows: SavedDirectory['rows'] = {
      accountIds: new Array(m),
      subscriberIds: new Array(m),
      tariffIds: new Array(m),
      balances: new Array(m),
      creditLimits: new Array(m),
      flags: new Array(m),
      holds: [],
    };
    for (let r = 0; r < m; r++) {
      const row = this.list[r]!;
      rows.accountIds[r] = row.accountId;
      rows.subscriberIds[r] = row.subscriberId;
      rows.tariffIds[r] = row.tariffId;
      rows.balances[r] = row.balance;
      rows.creditLimits[r] = row.creditLimit;
      rows.flags[r] = (row.manualBlock ? 1 : 0) | (row.fundsBlocked ? 2 : 0) | (row.closed ? 4 : 0);
      for (const holdId in row.openHolds) rows.holds.push([r, holdId, row.openHolds[holdId]!.amount]);
    }
    return { subscribers, rows };
  }

  reset(): void {
    this.rows.clear();
    this.list.length = 0;
    this.subscribers.clear();
    for (const status of Object.keys(this.counts) as Status[]) this.counts[status] = 0;
    this.sorted.clear();
  }

  /** Puts the rows back as the build left them, ready to fold the events after the checkpoint. */
  restore(data: unknown): void {
    const { subscribers: subs, rows: saved } = data as SavedDirectory;
    for (let i = 0; i < subs.ids.length; i++) {
      const info = this.subscriber(subs.ids[i]!);
      info.name = subs.names[i]!;
      info.phones = subs.phones[i]!;
      info.address = subs.addresses[i]!;
      info.point = subs.points[i]!;
    }
    const rows: Row[] = new Array(saved.accountIds.length);
    for (let i = 0; i < rows.length; i++) {
      const row = this.row(saved.accountIds[i]!);
      this.link(row, saved.subscriberIds[i]!);
      row.tariffId = saved.tariffIds[i]!;
      row.balance = saved.balances[i]!;
      row.creditLimit = saved.creditLimits[i]!;
      const flags = saved.flags[i]!;
      row.manualBlock = (flags & 1) !== 0;
      row.fundsBlocked = (flags & 2) !== 0;
      row.closed = (flags & 4) !== 0;
      row.holds = new Map();
      rows[i] = row;
    }
    for (const [i, holdId, amount] of saved.holds) rows[i]!.holds!.set(holdId, amount);
    for (const row of rows) {
      let held = 0;
      for (const amount of row.holds!.values()) held += amount;
      row.available = row.balance + row.creditLimit - held;
      this.setStatus(row, row.closed ? 'closed' : row.manualBlock || row.fundsBlocked ? 'blocked' : 'active');
    }
  }

  built(): void {
    for (const row of this.list) {
      if (row.holds && row.holds.size > 0) {
        const open: Record<string, { amount: number }> = {};
        for (const [holdId, amount] of row.holds) open[holdId] = { amount };
        row.openHolds = open;
      }
      row.holds = undefined;
      // Made now rather than by the first search after a start.
      this.searchText(row);
      this.nameKey(row);
    }
  }

  live(events: LiveEvent[], state: unknown): void {
    const first = events[0];
    if (!first) return;
    if (first.kind === ACCOUNT) this.applyAccountState(first.id, state as AccountState);
    else if (first.kind === SUBSCRIBER) this.applySubscriberState(first.id, state as SubscriberState);
  }

  /** The row as the API shows it (tests). */
  get(accountId: string): DirectoryRow | undefined {
    const row = this.rows.get(accountId);
    return row && this.view(row);
  }

  // ------------------------------------------------------------ accounts

  private row(accountId: string): Row {
    let row = this.rows.get(accountId);
    if (!row) {
      row = {
        accountId,
        idKey: idKey(accountId),
        subscriberId: null,
        status: 'active',
        tariffId: null,
        balance: 0,
        available: 0,
        search: undefined,
        nameKey: undefined,
        creditLimit: 0,
        holds: undefined,
        openHolds: undefined,
        manualBlock: false,
        fundsBlocked: false,
        closed: false,
      };
      this.rows.set(accountId, row);
      this.list.push(row);
      this.counts.active++;
      this.bump('id', 'name', 'balance', 'status');
    }
    return row;
  }

  /** The account's evolve, reduced to the fields of a row. */
  private foldAccount(accountId: string, e: AccountEvent): void {
    const row = this.row(accountId);
    row.holds ??= new Map();
    const holds = row.holds;
    switch (e.type) {
      case 'AccountOpened':
        row.creditLimit = e.creditLimit;
        this.link(row, e.subscriberId);
        break;
      case 'ToppedUp':
      case 'Refunded':
      case 'Adjusted':
      case 'TariffCredited':
        row.balance += e.amount;
        break;
      case 'Charged':
      case 'TariffCharged':
        row.balance -= e.amount;
        break;
      case 'HoldPlaced':
        holds.set(e.holdId, e.amount);
        break;
      case 'HoldConfirmed':
        holds.delete(e.holdId);
        row.balance -= e.amount;
        break;
      case 'HoldVoided':
      case 'HoldExpired':
        holds.delete(e.holdId);
        break;
      case 'CreditLimitChanged':
        row.creditLimit = e.to;
        break;
      case 'TariffAssigned':
        row.tariffId = e.tariff.tariffId;
        break;
      case 'TariffUnassigned':
        row.tariffId = null;
        break;
      case 'Blocked':
        if (e.reason === 'manual') row.manualBlock = true;
        else row.fundsBlocked = true;
        break;
      case 'Unblocked':
        if (e.reason === 'manual') row.manualBlock = false;
        else row.fundsBlocked = false;
        break;
      case 'AccountClosed':
        row.closed = true;
        break;
    }
    let held = 0;
    for (const amount of holds.values()) held += amount;
    row.available = row.balance + row.creditLimit - held;
    this.setStatus(row, row.closed ? 'closed' : row.manualBlock || row.fundsBlocked ? 'blocked' : 'active');
    this.bump('balance');
  }

  private applyAccountState(accountId: string, s: AccountState): void {
    if (!s.opened) return;
    const row = this.row(accountId);
    this.link(row, s.subscriberId);
    const tariffId = s.tariff?.tariffId ?? null;
    if (row.balance !== s.balance) this.bump('balance');
    row.balance = s.balance;
    row.creditLimit = s.creditLimit;
    row.available = availableOf(s);
    row.tariffId = tariffId;
    row.openHolds = s.holds;
    row.manualBlock = s.manualBlock !== null;
    row.fundsBlocked = s.fundsBlockedAt !== null;
    row.closed = s.closedAt !== null;
    this.setStatus(row, statusOf(s));
  }

  private setStatus(row: Row, status: Status): void {
    if (row.status === status) return;
    this.counts[row.status]--;
    this.counts[status]++;
    row.status = status;
    this.bump('status');
  }

  private link(row: Row, subscriberId: string | null): void {
    if (row.subscriberId === subscriberId) return;
    if (row.subscriberId !== null) this.subscribers.get(row.subscriberId)?.accounts.delete(row.accountId);
    row.subscriberId = subscriberId;
    if (subscriberId !== null) this.subscriber(subscriberId).accounts.add(row.accountId);
    row.search = undefined;
    row.nameKey = undefined;
    this.bump('name');
  }

  // ------------------------------------------------------------ subscribers

  private subscriber(id: string): SubscriberInfo {
    let info = this.subscribers.get(id);
    if (!info) {
      info = { name: null, phones: [], address: null, point: null, accounts: new Set() };
      this.subscribers.set(id, info);
    }
    return info;
  }

  private foldSubscriber(id: string, e: SubscriberEvent): void {
    if (e.type === 'SubscriberRegistered') {
      this.setSubscriber(id, e.name, e.contacts.phones ?? [], e.address?.text ?? null, pointOf(e.address));
    } else if (e.type === 'SubscriberUpdated') {
      const info = this.subscriber(id);
      const c = e.changes;
      this.setSubscriber(
        id,
        c.name ?? info.name,
        c.contacts === undefined ? info.phones : (c.contacts.phones ?? []),
        c.address === undefined ? info.address : (c.address?.text ?? null),
        c.address === undefined ? info.point : pointOf(c.address),
      );
    }
  }

  private applySubscriberState(id: string, s: SubscriberState): void {
    if (!s.exists) return;
    this.setSubscriber(id, s.name, s.contacts.phones ?? [], s.address?.text ?? null, pointOf(s.address));
  }

  private setSubscriber(
    id: string,
    name: string | null,
    phones: string[],
    address: string | null,
    point: Point | null,
  ): void {
    const info = this.subscriber(id);
    if (info.name !== name) this.bump('name');
    info.name = name;
    info.phones = phones;
    info.address = address;
    info.point = point;
    for (const accountId of info.accounts) {
      const row = this.rows.get(accountId);
      if (row) {
        row.search = undefined;
        row.nameKey = undefined;
      }
    }
  }

  // ------------------------------------------------------------ queries

  private bump(...keys: SortKey[]): void {
    for (const k of keys) this.versions[k]++;
  }

  private nameOf(row: Row): string {
    return (row.subscriberId === null ? undefined : this.subscribers.get(row.subscriberId)?.name) ?? '';
  }

  private searchText(row: Row): string {
    if (row.search === undefined) {
      // Phones are E.164 (+ and digits), so "9991234567" and "+79991234567" both find them.
      const s = row.subscriberId === null ? undefined : this.subscribers.get(row.subscriberId);
      row.search = s
        ? `${row.accountId}\u0001${s.name ?? ''}\u0001${s.phones.join('\u0001')}\u0001${s.address ?? ''}`.toLowerCase()
        : row.accountId.toLowerCase();
    }
    return row.search;
  }

  private nameKey(row: Row): string {
    row.nameKey ??= this.nameOf(row).toLowerCase();
    return row.nameKey;
  }

  private sortedBy(key: SortKey): Row[] {
    const version = this.versions[key];
    const cached = this.sorted.get(key);
    if (cached && cached.version === version) return cached.rows;
    const byId = (a: Row, b: Row) => (a.idKey < b.idKey ? -1 : a.idKey > b.idKey ? 1 : 0);
    const compare: (a: Row, b: Row) => number =
      key === 'id'
        ? byId
        : key === 'balance'
          ? (a, b) => a.balance - b.balance || byId(a, b)
          : key === 'status'
            ? (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || byId(a, b)
            : (a, b) => {
                const x = this.nameKey(a);
                const y = this.nameKey(b);
                return x < y ? -1 : x > y ? 1 : byId(a, b);
              };
    // The last order of this key, with the rows added since at its end, is nearly sorted when
    // few rows changed; the sort (TimSort) then costs little more than one pass.
    const rows = cached ? [...cached.rows, ...this.list.slice(cached.rows.length)] : [...this.list];
    rows.sort(compare);
    this.sorted.set(key, { version, rows });
    return rows;
  }

  query(q: DirectoryQuery): DirectoryPage {
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 50;
    const rows = this.sortedBy(q.sort ?? 'id');
    let needle = q.q?.trim().toLowerCase() ?? '';
    // "+7 (999) 123-45" is looked for as "+799912345".
    if (/^[\d\s()+-]+$/.test(needle)) needle = needle.replace(/[\s()-]/g, '');
    const { status, tariffId, balanceBelow } = q;
    const out: DirectoryRow[] = [];
    let total = 0;
    const desc = q.order === 'desc';
    for (let n = 0; n < rows.length; n++) {
      const row = rows[desc ? rows.length - 1 - n : n]!;
      if (status !== undefined && row.status !== status) continue;
      if (tariffId !== undefined && row.tariffId !== tariffId) continue;
      if (balanceBelow !== undefined && !(row.balance < balanceBelow)) continue;
      if (needle !== '' && !this.searchText(row).includes(needle)) continue;
      if (total >= offset && out.length < limit) out.push(this.view(row));
      total++;
    }
    return { total, rows: out };
  }

  /** Subscribers whose address has coordinates, each with its first account (the map). */
  located(): MapSubscriber[] {
    const out: MapSubscriber[] = [];
    for (const [subscriberId, s] of this.subscribers) {
      if (s.point === null || s.address === null) continue;
      const first = [...s.accounts]
        .map((id) => this.rows.get(id)!)
        .sort((a, b) => (a.idKey < b.idKey ? -1 : 1))[0];
      out.push({
        subscriberId,
        name: s.name,
        address: s.address,
        lat: s.point.lat,
        lon: s.point.lon,
        accountId: first?.accountId ?? null,
        status: first?.status ?? null,
      });
    }
    return out;
  }

  private view(row: Row): DirectoryRow {
    const s = row.subscriberId === null ? undefined : this.subscribers.get(row.subscriberId);
    return {
      accountId: row.accountId,
      subscriberId: row.subscriberId,
      name: s?.name ?? null,
      phone: s?.phones[0] ?? null,
      address: s?.address ?? null,
      status: row.status,
      tariffId: row.tariffId,
      balance: row.balance,
      available: row.available,
    };
  }
}
