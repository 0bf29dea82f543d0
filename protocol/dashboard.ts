import { type Static, Type } from '@sinclair/typebox';

// What the staff dashboard reads: KPIs, the live feed, the account directory, and the frames
// of its socket.io connection. Money is in minor units (kopecks); instants in ms since the epoch.

// ---------------------------------------------------------------- live events and the feed

/** One journaled event as the feed and the socket rooms carry it (actors/runtime/bus.ts). */
export const LiveEvent = Type.Object(
  {
    position: Type.Integer({ description: 'global journal position: resume from it after a reconnect' }),
    kind: Type.String({ description: 'actor kind: account, subscriber, catalog, …' }),
    id: Type.String({ description: 'actor id within its kind' }),
    sequenceNumber: Type.Integer(),
    event: Type.Object({ type: Type.String() }, { additionalProperties: true }),
    cause: Type.Unknown({ description: 'who caused it: {type, id, ip?}' }),
    at: Type.Integer(),
  },
  { $id: 'LiveEvent' },
);

export const FeedQuery = Type.Object({
  after: Type.Optional(
    Type.Integer({ minimum: 0, description: 'events after this position; omitted: the latest `limit`' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const FeedPage = Type.Object({
  items: Type.Array(LiveEvent, { description: 'oldest first, only what the principal may see' }),
});

// ---------------------------------------------------------------- KPIs

export const BillingRunView = Type.Object({
  runId: Type.String(),
  done: Type.Integer(),
  total: Type.Integer(),
});

export const Kpi = Type.Object(
  {
    activeAccounts: Type.Integer(),
    blockedAccounts: Type.Integer(),
    paymentsToday: Type.Integer({
      description: 'top-ups since local midnight (provider time zone), kopecks',
    }),
    chargesToday: Type.Integer({
      description: 'charges, confirmed holds and tariff charges since local midnight, kopecks',
    }),
    billingRun: Type.Union([BillingRunView, Type.Null()], { description: 'the run going on now, if any' }),
  },
  { $id: 'Kpi' },
);
export type Kpi = Static<typeof Kpi>;

export const KpiHourlyQuery = Type.Object({
  date: Type.Optional(
    Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD; today when omitted' }),
  ),
});

export const KpiHourly = Type.Object({
  hours: Type.Array(
    Type.Object({
      hour: Type.Integer({ minimum: 0, maximum: 23, description: 'local hour (provider time zone)' }),
      payments: Type.Integer(),
      charges: Type.Integer(),
    }),
    { minItems: 24, maxItems: 24 },
  ),
});
export type KpiHourly = Static<typeof KpiHourly>;

// ---------------------------------------------------------------- directory

export const ACCOUNT_STATUSES = ['active', 'blocked', 'closed'] as const;
export const DIRECTORY_SORTS = ['id', 'name', 'balance', 'status'] as const;

export const DirectoryQuery = Type.Object({
  q: Type.Optional(
    Type.String({ maxLength: 200, description: 'part of a name, phone, account number or address' }),
  ),
  status: Type.Optional(Type.Union(ACCOUNT_STATUSES.map((s) => Type.Literal(s)))),
  tariffId: Type.Optional(Type.String({ maxLength: 128 })),
  balanceBelow: Type.Optional(Type.Integer({ description: 'balance < this (kopecks)' })),
  sort: Type.Optional(Type.Union(DIRECTORY_SORTS.map((s) => Type.Literal(s)))),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});
export type DirectoryQuery = Static<typeof DirectoryQuery>;

export const DirectoryRow = Type.Object(
  {
    accountId: Type.String(),
    subscriberId: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()], { description: 'the subscriber’s name' }),
    phone: Type.Union([Type.String(), Type.Null()], { description: 'the subscriber’s first phone' }),
    address: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union(ACCOUNT_STATUSES.map((s) => Type.Literal(s))),
    tariffId: Type.Union([Type.String(), Type.Null()]),
    balance: Type.Integer(),
    available: Type.Integer(),
  },
  { $id: 'DirectoryRow' },
);
export type DirectoryRow = Static<typeof DirectoryRow>;

export const DirectoryPage = Type.Object({
  total: Type.Integer({ description: 'rows matching the filters' }),
  rows: Type.Array(DirectoryRow),
});
export type DirectoryPage = Static<typeof DirectoryPage>;

// ---------------------------------------------------------------- socket.io frames

/** Client → server `join` / `leave` (room, ack); the ack's refusal codes. */
export type JoinAck = { ok: true } | { ok: false; code: 'forbidden' | 'bad_room' };

/** At most one `kpi` frame per socket this often. */
export const KPI_FRAME_MS = 250;
