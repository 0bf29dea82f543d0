import type { BillingKind, SpeedProfile, TariffView } from '../../protocol/money.ts';
import type { TariffTerms } from '../account/state.ts';
import { isNonNegativeAmount, MAX_AMOUNT } from '../billing/money.ts';
import { BILLING_KINDS } from '../billing/periods.ts';
import {
  type ActorKind,
  accept,
  type Cause,
  type DecideContext,
  type Decision,
  type Rejected,
  reject,
} from '../runtime/kind.ts';

// The tariffs catalog: one actor, `tariffs:catalog`, so that name uniqueness and "in use"
// are decided in one mailbox.
//
// Usage is kept as a map accountId → tariffId, set by TariffUsageChanged, not as a counter:
// setting is idempotent (a repeated or replayed message cannot skew it) and the count per
// tariff follows from it. The HTTP wiring records usage BEFORE the account's AssignTariff
// and takes the terms from this reply (reserve, then assign), so a delete can never slip in
// between; if the account then refuses, it sends TariffUsageChanged again with the account's
// actual tariff. A failure in between can only over-count, which refuses a delete (archive
// still works): the safe direction.

export const CATALOG_ID = 'catalog';

export interface TariffRecord {
  id: string;
  name: string;
  group: string;
  billing: BillingKind;
  pricePerMonth: number;
  speed: SpeedProfile | null;
  storageQuotaBytes: number | null;
  archived: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface CatalogState {
  tariffs: Record<string, TariffRecord>;
  usage: Record<string, string>;
  counts: Record<string, number>;
  seq: number;
}

export interface TariffFields {
  name: string;
  group: string;
  billing: BillingKind;
  pricePerMonth: number;
  speed?: SpeedProfile;
  storageQuotaBytes?: number;
}

export type TariffChanges = Partial<{
  name: string;
  group: string;
  billing: BillingKind;
  pricePerMonth: number;
  speed: SpeedProfile | null;
  storageQuotaBytes: number | null;
  archived: boolean;
}>;

export type CatalogCommand =
  | ({ type: 'CreateTariff' } & TariffFields)
  | { type: 'UpdateTariff'; tariffId: string; changes: TariffChanges }
  | { type: 'DeleteTariff'; tariffId: string }
  | { type: 'TariffUsageChanged'; accountId: string; tariffId: string | null };

interface Meta {
  by: Cause;
  at: number;
}

export type CatalogEvent =
  | (Meta & { type: 'TariffCreated'; tariffId: string; fields: TariffFields })
  | (Meta & { type: 'TariffUpdated'; tariffId: string; changes: TariffChanges })
  | (Meta & { type: 'TariffDeleted'; tariffId: string })
  | (Meta & {
      type: 'TariffUsageRecorded';
      accountId: string;
      tariffId: string | null;
      previous: string | null;
    });

export interface UsageReply {
  /** What the account's AssignTariff needs; null when the account is left without a tariff. */
  tariff: TariffTerms | null;
}

export type CatalogReply = TariffView | UsageReply | { deleted: string };

export function initialCatalog(): CatalogState {
  return { tariffs: {}, usage: {}, counts: {}, seq: 0 };
}

export function tariffView(s: CatalogState, t: TariffRecord): TariffView {
  const v: TariffView = {
    id: t.id,
    name: t.name,
    group: t.group,
    billing: t.billing,
    pricePerMonth: t.pricePerMonth,
    status: t.archived ? 'archived' : 'active',
    accounts: s.counts[t.id] ?? 0,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
  if (t.speed) v.speed = t.speed;
  if (t.storageQuotaBytes !== null) v.storageQuotaBytes = t.storageQuotaBytes;
  return v;
}

/** GET /api/v1/tariffs: by group, then name. */
export function listTariffs(s: CatalogState, opts: { includeArchived?: boolean } = {}): TariffView[] {
  return Object.values(s.tariffs)
    .filter((t) => opts.includeArchived !== false || !t.archived)
    .sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name))
    .map((t) => tariffView(s, t));
}

export function termsOf(t: TariffRecord): TariffTerms {
  return { tariffId: t.id, name: t.name, billing: t.billing, pricePerMonth: t.pricePerMonth };
}

const key = (name: string) => name.trim().toLocaleLowerCase('ru');

function checkFields(f: TariffChanges): Rejected | null {
  if (f.name !== undefined && !(typeof f.name === 'string' && f.name.trim() !== '' && f.name.length <= 100)) {
    return reject(400, 'invalid_tariff_name', 'name must be non-blank text of at most 100 characters');
  }
  if (
    f.group !== undefined &&
    !(typeof f.group === 'string' && f.group.trim() !== '' && f.group.length <= 100)
  ) {
    return reject(400, 'invalid_tariff_group', 'group must be non-blank text of at most 100 characters');
  }
  if (f.billing !== undefined && !BILLING_KINDS.includes(f.billing)) {
    return reject(
      400,
      'invalid_billing',
      `billing must be monthly, daily or hourly, got ${JSON.stringify(f.billing)}`,
    );
  }
  if (f.pricePerMonth !== undefined && !isNonNegativeAmount(f.pricePerMonth)) {
    return reject(
      400,
      'invalid_price',
      `pricePerMonth must be a whole number of minor units from 0 to ${MAX_AMOUNT}, got ${JSON.stringify(f.pricePerMonth)}`,
    );
  }
  const sp = f.speed;
  if (sp !== undefined && sp !== null) {
    const ok = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
    if (typeof sp !== 'object' || !ok(sp.downKbps) || !ok(sp.upKbps)) {
      return reject(400, 'invalid_speed', 'speed needs downKbps and upKbps, whole numbers ≥ 1');
    }
  }
  const q = f.storageQuotaBytes;
  if (q !== undefined && q !== null && !(typeof q === 'number' && Number.isSafeInteger(q) && q >= 0)) {
    return reject(400, 'invalid_quota', 'storageQuotaBytes must be a whole number ≥ 0');
  }
  return null;
}

function nameTaken(s: CatalogState, name: string, except?: string): Rejected | null {
  const k = key(name);
  const other = Object.values(s.tariffs).find((t) => t.id !== except && key(t.name) === k);
  if (!other) return null;
  return reject(
    409,
    'tariff_name_taken',
    `the name ${JSON.stringify(name.trim())} is taken by tariff ${other.id}${other.archived ? ' (archived)' : ''}; names are unique ignoring case`,
    { tariffId: other.id },
  );
}

function find(s: CatalogState, tariffId: unknown): TariffRecord | Rejected {
  const t = typeof tariffId === 'string' ? s.tariffs[tariffId] : undefined;
  return t ?? reject(404, 'tariff_not_found', `there is no tariff ${JSON.stringify(tariffId)}`);
}

const isRecord = (x: TariffRecord | Rejected): x is TariffRecord => !('reject' in x);

function decide(
  s: CatalogState,
  c: CatalogCommand,
  ctx: DecideContext,
): Decision<CatalogEvent, CatalogReply> {
  const meta = { by: ctx.cause, at: ctx.now };
  const after = (e: CatalogEvent) => evolve(s, e);
  switch (c.type) {
    case 'CreateTariff': {
      for (const f of ['name', 'group', 'billing', 'pricePerMonth'] as const) {
        if (c[f] === undefined) return reject(400, 'invalid_tariff', `${f} is required`);
      }
      const bad = checkFields(c) ?? nameTaken(s, c.name);
      if (bad) return bad;
      const fields: TariffFields = {
        name: c.name.trim(),
        group: c.group.trim(),
        billing: c.billing,
        pricePerMonth: c.pricePerMonth,
        ...(c.speed ? { speed: { downKbps: c.speed.downKbps, upKbps: c.speed.upKbps } } : {}),
        ...(c.storageQuotaBytes === undefined ? {} : { storageQuotaBytes: c.storageQuotaBytes }),
      };
      const tariffId = `t${s.seq + 1}`;
      const e: CatalogEvent = { type: 'TariffCreated', tariffId, fields, ...meta };
      const next = after(e);
      return accept([e], tariffView(next, next.tariffs[tariffId]!));
    }
    case 'UpdateTariff': {
      const t = find(s, c.tariffId);
      if (!isRecord(t)) return t;
      const ch = c.changes ?? {};
      const bad =
        checkFields(ch) ??
        (ch.name === undefined ? null : nameTaken(s, ch.name, t.id)) ??
        (ch.archived === undefined || typeof ch.archived === 'boolean'
          ? null
          : reject(400, 'invalid_tariff', 'archived must be true or false'));
      if (bad) return bad;
      const changes: TariffChanges = {};
      if (ch.name !== undefined && ch.name.trim() !== t.name) changes.name = ch.name.trim();
      if (ch.group !== undefined && ch.group.trim() !== t.group) changes.group = ch.group.trim();
      if (ch.billing !== undefined && ch.billing !== t.billing) changes.billing = ch.billing;
      if (ch.pricePerMonth !== undefined && ch.pricePerMonth !== t.pricePerMonth)
        changes.pricePerMonth = ch.pricePerMonth;
      if (ch.speed !== undefined) changes.speed = ch.speed;
      if (ch.storageQuotaBytes !== undefined) changes.storageQuotaBytes = ch.storageQuotaBytes;
      if (ch.archived !== undefined && ch.archived !== t.archived) changes.archived = ch.archived;
      const inUse = s.counts[t.id] ?? 0;
      if (inUse > 0 && (changes.billing !== undefined || changes.pricePerMonth !== undefined)) {
        return reject(
          409,
          'tariff_in_use',
          `tariff ${t.id} is used by ${inUse} account(s): its price and billing cannot change; create a new tariff and move them`,
          { accounts: inUse },
        );
      }
      if (Object.keys(changes).length === 0) return accept([], tariffView(s, t));
      const e: CatalogEvent = { type: 'TariffUpdated', tariffId: t.id, changes, ...meta };
      const next = after(e);
      return accept([e], tariffView(next, next.tariffs[t.id]!));
    }
    case 'DeleteTariff': {
      const t = find(s, c.tariffId);
      if (!isRecord(t)) return t;
      const inUse = s.counts[t.id] ?? 0;
      if (inUse > 0) {
        return reject(
          409,
          'tariff_in_use',
          `tariff ${t.id} is used by ${inUse} account(s) and cannot be deleted; archive it instead`,
          { accounts: inUse },
        );
      }
      return accept([{ type: 'TariffDeleted', tariffId: t.id, ...meta }], { deleted: t.id });
    }
    case 'TariffUsageChanged': {
      if (typeof c.accountId !== 'string' || c.accountId === '') {
        return reject(400, 'invalid_id', 'accountId must be a non-empty id');
      }
      const previous = s.usage[c.accountId] ?? null;
      if (c.tariffId === null) {
        if (previous === null) return accept([], { tariff: null });
        return accept(
          [{ type: 'TariffUsageRecorded', accountId: c.accountId, tariffId: null, previous, ...meta }],
          {
            tariff: null,
          },
        );
      }
      const t = find(s, c.tariffId);
      if (!isRecord(t)) return t;
      if (previous === t.id) return accept([], { tariff: termsOf(t) });
      if (t.archived) {
        return reject(
          409,
          'tariff_archived',
          `tariff ${t.id} (${t.name}) is archived: it cannot be given to more accounts`,
        );
      }
      return accept(
        [{ type: 'TariffUsageRecorded', accountId: c.accountId, tariffId: t.id, previous, ...meta }],
        {
          tariff: termsOf(t),
        },
      );
    }
    default:
      return reject(
        400,
        'unknown_command',
        `the catalog does not know ${JSON.stringify((c as { type: unknown }).type)}`,
      );
  }
}

function evolve(s: CatalogState, e: CatalogEvent): CatalogState {
  switch (e.type) {
    case 'TariffCreated': {
      const f = e.fields;
      const t: TariffRecord = {
        id: e.tariffId,
        name: f.name,
        group: f.group,
        billing: f.billing,
        pricePerMonth: f.pricePerMonth,
        speed: f.speed ?? null,
        storageQuotaBytes: f.storageQuotaBytes ?? null,
        archived: false,
        createdAt: e.at,
        updatedAt: e.at,
      };
      return { ...s, tariffs: { ...s.tariffs, [t.id]: t }, seq: s.seq + 1 };
    }
    case 'TariffUpdated': {
      const t = s.tariffs[e.tariffId];
      if (!t) return s;
      return { ...s, tariffs: { ...s.tariffs, [t.id]: { ...t, ...e.changes, updatedAt: e.at } } };
    }
    case 'TariffDeleted': {
      const tariffs = { ...s.tariffs };
      delete tariffs[e.tariffId];
      return { ...s, tariffs };
    }
    case 'TariffUsageRecorded': {
      const usage = { ...s.usage };
      const counts = { ...s.counts };
      if (e.previous !== null) {
        const n = (counts[e.previous] ?? 0) - 1;
        if (n > 0) counts[e.previous] = n;
        else delete counts[e.previous];
      }
      if (e.tariffId === null) delete usage[e.accountId];
      else {
        usage[e.accountId] = e.tariffId;
        counts[e.tariffId] = (counts[e.tariffId] ?? 0) + 1;
      }
      return { ...s, usage, counts };
    }
  }
}

export const catalogKind: ActorKind<CatalogState, CatalogCommand, CatalogEvent, CatalogReply> = {
  name: 'tariffs',
  initial: initialCatalog,
  decide,
  evolve,
};
