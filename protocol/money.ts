import { type Static, type TSchema, Type } from '@sinclair/typebox';

// The money domain as it crosses the wire: accounts, holds, operations, acts, subscribers,
// tariffs, and the HTTP bodies of /api/v1. Amounts are integers of minor units (kopecks for
// RUB) in JSON as everywhere else; instants are milliseconds since the epoch.
//
// Commands and events of the actors are not here: they live beside the actors
// (actors/account/, actors/subscriber/, actors/tariff/), since they never cross the wire.

/** Largest amount one operation may carry (1e12 roubles): far below 2^53. */
export const MAX_AMOUNT = 100_000_000_000_000;

// ---------------------------------------------------------------- scalars

export const CURRENCIES = ['RUB'] as const;
export const Currency = Type.Union([Type.Literal('RUB')], {
  description: 'ISO 4217 code; RUB only for now (minor unit: kopeck, 2 decimals)',
});
export type Currency = Static<typeof Currency>;

export const Amount = Type.Integer({
  minimum: 1,
  maximum: MAX_AMOUNT,
  description: 'a positive whole number of minor units (kopecks): 150 roubles 50 kopecks is 15050',
});
export const NonNegativeAmount = Type.Integer({
  minimum: 0,
  maximum: MAX_AMOUNT,
  description: 'zero or a positive whole number of minor units',
});
export const SignedAmount = Type.Integer({
  minimum: -MAX_AMOUNT,
  maximum: MAX_AMOUNT,
  description: 'a non-zero whole number of minor units; negative takes money off the account',
});
export const Balance = Type.Integer({
  minimum: -Number.MAX_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'minor units; negative when the account is using its credit limit',
});
export const Instant = Type.Integer({ minimum: 0, description: 'milliseconds since the epoch (UTC)' });
export const Id = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
  description: 'an opaque identifier',
});
export const Product = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '\\S',
  description: 'what was sold, as the calling service names it; acts group by it',
});
export const Description = Type.String({ maxLength: 500, description: 'free text for people' });
export const Reason = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: '\\S',
  description: 'why (audited)',
});
export const Month = Type.String({
  pattern: '^\\d{4}-(0[1-9]|1[0-2])$',
  description: 'a calendar month, YYYY-MM',
});

export const TopUpSource = Type.Union(
  [Type.Literal('cash'), Type.Literal('robokassa'), Type.Literal('bank'), Type.Literal('api')],
  { description: 'where the money came from' },
);
export type TopUpSource = Static<typeof TopUpSource>;

export const AccountStatus = Type.Union([
  Type.Literal('active'),
  Type.Literal('blocked'),
  Type.Literal('closed'),
]);
export type AccountStatus = Static<typeof AccountStatus>;

export const BlockReason = Type.Union([Type.Literal('insufficient_funds'), Type.Literal('manual')], {
  description: 'insufficient_funds: a tariff charge could not be paid; manual: blocked by staff',
});
export type BlockReason = Static<typeof BlockReason>;

export const BillingKind = Type.Union(
  [Type.Literal('monthly'), Type.Literal('daily'), Type.Literal('hourly')],
  {
    description:
      'monthly: the calendar month, charged on the 1st for the month ahead; daily/hourly: slices of the monthly price',
  },
);
export type BillingKind = Static<typeof BillingKind>;

// ---------------------------------------------------------------- accounts

export const HoldView = Type.Object(
  {
    holdId: Id,
    amount: Amount,
    expiresAt: Instant,
    placedAt: Instant,
    product: Product,
    description: Type.Optional(Description),
  },
  { $id: 'Hold', description: 'money reserved on an account until confirmed, voided or expired' },
);
export type HoldView = Static<typeof HoldView>;

export const TariffDueView = Type.Object(
  {
    key: Type.String({ description: 'account/tariff/period' }),
    tariffId: Id,
    period: Type.String(),
    amount: Amount,
  },
  {
    $id: 'TariffDue',
    description: 'a tariff charge that could not be paid; a top-up that covers it pays it',
  },
);
export type TariffDueView = Static<typeof TariffDueView>;

export const AccountView = Type.Object(
  {
    id: Id,
    subscriberId: Type.Optional(Id),
    currency: Currency,
    balance: Balance,
    available: Type.Integer({ description: 'balance + creditLimit − open holds; never below zero' }),
    creditLimit: NonNegativeAmount,
    holds: Type.Array(HoldView),
    status: AccountStatus,
    blockReason: Type.Optional(BlockReason),
    blockNote: Type.Optional(Reason),
    tariffId: Type.Optional(Id),
    due: Type.Optional(TariffDueView),
    timeZone: Type.String({ description: 'IANA zone of its billing calendar' }),
    openedAt: Instant,
  },
  { $id: 'Account', description: 'a personal account (лицевой счёт)' },
);
export type AccountView = Static<typeof AccountView>;

export const OpenAccountBody = Type.Object(
  {
    subscriberId: Type.Optional(Id),
    currency: Type.Optional(Currency),
    creditLimit: Type.Optional(NonNegativeAmount),
  },
  {
    $id: 'OpenAccountBody',
    additionalProperties: false,
    description: 'currency defaults to RUB, creditLimit to 0',
  },
);
export type OpenAccountBody = Static<typeof OpenAccountBody>;

export const MoneyReply = Type.Object({ balance: Balance, available: Type.Integer() });

export const TopUpBody = Type.Object(
  {
    amount: Amount,
    source: TopUpSource,
    reference: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'the payment reference at the source (receipt, Robokassa InvId, bank document)',
    }),
  },
  { $id: 'TopUpBody', additionalProperties: false },
);
export type TopUpBody = Static<typeof TopUpBody>;

export const TopUpReply = Type.Object(
  { topUpId: Id, balance: Balance, available: Type.Integer(), status: AccountStatus },
  { $id: 'TopUpReply' },
);
export type TopUpReply = Static<typeof TopUpReply>;

export const ChargeBody = Type.Object(
  { amount: Amount, product: Product, description: Type.Optional(Description) },
  { $id: 'ChargeBody', additionalProperties: false },
);
export type ChargeBody = Static<typeof ChargeBody>;

export const ChargeReply = Type.Object(
  { chargeId: Id, balance: Balance, available: Type.Integer() },
  { $id: 'ChargeReply' },
);
export type ChargeReply = Static<typeof ChargeReply>;

export const RefundBody = Type.Object(
  { amount: Amount, reason: Type.Optional(Reason) },
  {
    $id: 'RefundBody',
    additionalProperties: false,
    description: 'partial refunds allowed; all refunds ≤ the charge',
  },
);
export type RefundBody = Static<typeof RefundBody>;

export const RefundReply = Type.Object(
  {
    refundId: Id,
    chargeId: Id,
    amount: Amount,
    refunded: NonNegativeAmount,
    refundable: NonNegativeAmount,
    balance: Balance,
    available: Type.Integer(),
  },
  {
    $id: 'RefundReply',
    description: 'refunded: total refunded of the charge so far; refundable: what is left',
  },
);
export type RefundReply = Static<typeof RefundReply>;

export const BlockBody = Type.Object({ reason: Reason }, { $id: 'BlockBody', additionalProperties: false });
export type BlockBody = Static<typeof BlockBody>;

/** Longest a hold may live: long enough for a month-end settlement, short enough to notice a leak. */
export const MAX_HOLD_TTL_SECONDS = 90 * 24 * 3600;

export const HoldBody = Type.Object(
  {
    amount: Amount,
    ttlSeconds: Type.Integer({ minimum: 1, maximum: MAX_HOLD_TTL_SECONDS }),
    product: Type.Optional(Product),
    description: Type.Optional(Description),
  },
  { $id: 'HoldBody', additionalProperties: false, description: 'product defaults to "hold"' },
);
export type HoldBody = Static<typeof HoldBody>;

export const HoldReply = Type.Object(
  { holdId: Id, amount: Amount, expiresAt: Instant, available: Type.Integer() },
  { $id: 'HoldReply' },
);
export type HoldReply = Static<typeof HoldReply>;

export const ConfirmHoldBody = Type.Object(
  { amount: Type.Optional(Amount), product: Type.Optional(Product), description: Type.Optional(Description) },
  {
    $id: 'ConfirmHoldBody',
    additionalProperties: false,
    description: 'amount defaults to the whole hold; the rest of the hold is released',
  },
);
export type ConfirmHoldBody = Static<typeof ConfirmHoldBody>;

export const ConfirmHoldReply = Type.Object(
  {
    holdId: Id,
    chargeId: Id,
    amount: Amount,
    released: NonNegativeAmount,
    balance: Balance,
    available: Type.Integer(),
  },
  { $id: 'ConfirmHoldReply' },
);
export type ConfirmHoldReply = Static<typeof ConfirmHoldReply>;

export const VoidHoldReply = Type.Object(
  { holdId: Id, released: Amount, balance: Balance, available: Type.Integer() },
  { $id: 'VoidHoldReply' },
);
export type VoidHoldReply = Static<typeof VoidHoldReply>;

export const CreditLimitBody = Type.Object(
  { creditLimit: NonNegativeAmount },
  { $id: 'CreditLimitBody', additionalProperties: false },
);
export type CreditLimitBody = Static<typeof CreditLimitBody>;

export const AdjustmentBody = Type.Object(
  { amount: SignedAmount, reason: Reason },
  {
    $id: 'AdjustmentBody',
    additionalProperties: false,
    description: 'a staff correction; the reason is audited',
  },
);
export type AdjustmentBody = Static<typeof AdjustmentBody>;

export const AdjustmentReply = Type.Object(
  { adjustmentId: Id, balance: Balance, available: Type.Integer() },
  { $id: 'AdjustmentReply' },
);
export type AdjustmentReply = Static<typeof AdjustmentReply>;

export const CloseAccountBody = Type.Object(
  { reason: Type.Optional(Reason) },
  {
    $id: 'CloseAccountBody',
    additionalProperties: false,
    description: 'only at zero balance with no open holds',
  },
);
export type CloseAccountBody = Static<typeof CloseAccountBody>;

export const AssignTariffBody = Type.Object(
  { tariffId: Type.Union([Id, Type.Null()], { description: 'null removes the tariff' }) },
  { $id: 'AssignTariffBody', additionalProperties: false },
);
export type AssignTariffBody = Static<typeof AssignTariffBody>;

export const AssignTariffReply = Type.Object(
  {
    tariffId: Type.Union([Id, Type.Null()]),
    charged: NonNegativeAmount,
    credited: NonNegativeAmount,
    due: Type.Optional(TariffDueView),
    status: AccountStatus,
    balance: Balance,
    available: Type.Integer(),
  },
  {
    $id: 'AssignTariffReply',
    description:
      'charged: the new tariff for the rest of its current period; credited: the unused rest of the old one',
  },
);
export type AssignTariffReply = Static<typeof AssignTariffReply>;

// ---------------------------------------------------------------- operations and acts

export const OperationKind = Type.Union(
  [
    Type.Literal('top_up'),
    Type.Literal('charge'),
    Type.Literal('refund'),
    Type.Literal('hold'),
    Type.Literal('hold_confirm'),
    Type.Literal('hold_void'),
    Type.Literal('hold_expire'),
    Type.Literal('adjustment'),
    Type.Literal('tariff_charge'),
    Type.Literal('tariff_credit'),
  ],
  {
    description: 'hold_confirm is a charge (it appears in acts); hold/hold_void/hold_expire move no balance',
  },
);
export type OperationKind = Static<typeof OperationKind>;

export const CauseView = Type.Object(
  {
    type: Type.Union([
      Type.Literal('staff'),
      Type.Literal('subscriber'),
      Type.Literal('system'),
      Type.Literal('api'),
      Type.Literal('installation'),
    ]),
    id: Type.String(),
  },
  { $id: 'Cause', description: 'who caused it' },
);

export const OperationView = Type.Object(
  {
    id: Type.String({ description: 'the charge, refund, hold, top-up or adjustment id' }),
    seq: Type.Integer({ minimum: 1, description: 'order within the account; newer is larger' }),
    kind: OperationKind,
    at: Instant,
    by: CauseView,
    amount: Type.Integer({ description: 'effect on the balance: positive adds, negative takes' }),
    held: Type.Integer({ description: 'effect on open holds: positive reserves, negative releases' }),
    balance: Balance,
    chargeId: Type.Optional(Id),
    holdId: Type.Optional(Id),
    product: Type.Optional(Product),
    description: Type.Optional(Description),
    source: Type.Optional(TopUpSource),
    reference: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    tariffId: Type.Optional(Id),
    period: Type.Optional(Type.String()),
  },
  { $id: 'Operation', description: 'one money movement on an account' },
);
export type OperationView = Static<typeof OperationView>;

export const OperationsQuery = Type.Object(
  {
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
    kind: Type.Optional(OperationKind),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(
      Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'nextCursor of the previous page' }),
    ),
  },
  { $id: 'OperationsQuery', description: 'from inclusive, to exclusive; newest first' },
);
export type OperationsQuery = Static<typeof OperationsQuery>;

export const OperationsPage = Type.Object(
  { items: Type.Array(OperationView), nextCursor: Type.Optional(Type.String()) },
  { $id: 'OperationsPage' },
);
export type OperationsPage = Static<typeof OperationsPage>;

export const ActLine = Type.Object(
  {
    product: Product,
    count: Type.Integer({ minimum: 0, description: 'charges of the month' }),
    charged: NonNegativeAmount,
    refunded: NonNegativeAmount,
    amount: Type.Integer({ description: 'charged − refunded' }),
  },
  { $id: 'ActLine' },
);
export type ActLine = Static<typeof ActLine>;

export const Act = Type.Object(
  {
    accountId: Id,
    month: Month,
    currency: Currency,
    timeZone: Type.String(),
    from: Instant,
    to: Instant,
    lines: Type.Array(ActLine),
    charged: NonNegativeAmount,
    refunded: NonNegativeAmount,
    total: Type.Integer({ description: 'charges minus refunds of the month' }),
  },
  {
    $id: 'Act',
    description:
      'the monthly act of services rendered: charges minus refunds made in the month (a refund counts in the month it is made)',
  },
);
export type Act = Static<typeof Act>;

// ---------------------------------------------------------------- subscribers

export const Phone = Type.String({
  pattern: '^\\+[1-9][0-9]{6,14}$',
  description: 'E.164, e.g. +79991234567',
});
export const Email = Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' });

export const Contacts = Type.Object(
  {
    phones: Type.Optional(Type.Array(Phone, { maxItems: 10 })),
    email: Type.Optional(Email),
    telegramId: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { $id: 'Contacts', additionalProperties: false },
);
export type Contacts = Static<typeof Contacts>;

export const Address = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 500 }),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  },
  { $id: 'Address', additionalProperties: false, description: 'with coordinates for the map when known' },
);
export type Address = Static<typeof Address>;

export const SubscriberType = Type.Union([Type.Literal('person'), Type.Literal('company')]);
export type SubscriberType = Static<typeof SubscriberType>;

export const TaxId = Type.String({
  pattern: '^([0-9]{10}|[0-9]{12})$',
  description: 'INN: 10 digits for a company, 12 for a person or sole trader',
});

export const ExternalSource = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9._-]*$' });
export const ExternalId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@-]+$' });

export const ExternalRef = Type.Object(
  { source: ExternalSource, externalId: ExternalId },
  { $id: 'ExternalRef', description: "another service's own id for this subscriber" },
);
export type ExternalRef = Static<typeof ExternalRef>;

const subscriberFields = {
  type: SubscriberType,
  name: Type.String({ minLength: 1, maxLength: 300, pattern: '\\S' }),
  taxId: Type.Optional(TaxId),
  contacts: Type.Optional(Contacts),
  address: Type.Optional(Address),
};

export const CreateSubscriberBody = Type.Object(subscriberFields, {
  $id: 'CreateSubscriberBody',
  additionalProperties: false,
  description: 'a company needs taxId',
});
export type CreateSubscriberBody = Static<typeof CreateSubscriberBody>;

/** PUT /api/v1/subscribers/by-external/{source}/{externalId}: create-or-return. */
export const ExternalSubscriberBody = Type.Object(subscriberFields, {
  $id: 'ExternalSubscriberBody',
  additionalProperties: false,
  description:
    'when the (source, externalId) pair is already known, the existing subscriber is returned as is',
});
export type ExternalSubscriberBody = Static<typeof ExternalSubscriberBody>;

export const ExternalSubscriberParams = Type.Object(
  { source: ExternalSource, externalId: ExternalId },
  { $id: 'ExternalSubscriberParams' },
);

export const SubscriberView = Type.Object(
  {
    id: Id,
    type: SubscriberType,
    name: Type.String(),
    taxId: Type.Optional(TaxId),
    contacts: Contacts,
    address: Type.Optional(Address),
    external: Type.Optional(ExternalRef),
    accounts: Type.Array(Id),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'Subscriber', description: 'a person or a company with its accounts' },
);
export type SubscriberView = Static<typeof SubscriberView>;

// ---------------------------------------------------------------- tariffs

export const SpeedProfile = Type.Object(
  { downKbps: Type.Integer({ minimum: 1 }), upKbps: Type.Integer({ minimum: 1 }) },
  { $id: 'SpeedProfile', additionalProperties: false, description: 'for network provisioning' },
);
export type SpeedProfile = Static<typeof SpeedProfile>;

const tariffFields = {
  name: Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: '\\S',
    description: 'unique, case-insensitive',
  }),
  group: Type.String({ minLength: 1, maxLength: 100, description: 'e.g. internet, storage, hosting' }),
  billing: BillingKind,
  pricePerMonth: NonNegativeAmount,
  speed: Type.Optional(SpeedProfile),
  storageQuotaBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
};

export const TariffView = Type.Object(
  {
    id: Id,
    ...tariffFields,
    status: Type.Union([Type.Literal('active'), Type.Literal('archived')]),
    accounts: Type.Integer({ minimum: 0, description: 'accounts on this tariff' }),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'Tariff' },
);
export type TariffView = Static<typeof TariffView>;

export const CreateTariffBody = Type.Object(tariffFields, {
  $id: 'CreateTariffBody',
  additionalProperties: false,
});
export type CreateTariffBody = Static<typeof CreateTariffBody>;

export const UpdateTariffBody = Type.Object(
  {
    name: Type.Optional(tariffFields.name),
    group: Type.Optional(tariffFields.group),
    billing: Type.Optional(BillingKind),
    pricePerMonth: Type.Optional(NonNegativeAmount),
    speed: Type.Optional(Type.Union([SpeedProfile, Type.Null()])),
    storageQuotaBytes: Type.Optional(Type.Union([tariffFields.storageQuotaBytes, Type.Null()])),
    archived: Type.Optional(Type.Boolean()),
  },
  {
    $id: 'UpdateTariffBody',
    additionalProperties: false,
    description:
      'billing and price cannot change while accounts use the tariff: make a new one and move them',
  },
);
export type UpdateTariffBody = Static<typeof UpdateTariffBody>;

export const TariffList = Type.Object({ items: Type.Array(TariffView) }, { $id: 'TariffList' });
export type TariffList = Static<typeof TariffList>;

/** Every named schema of this module, for the OpenAPI document's components. */
export const moneySchemas: TSchema[] = [
  HoldView,
  TariffDueView,
  AccountView,
  OpenAccountBody,
  TopUpBody,
  TopUpReply,
  ChargeBody,
  ChargeReply,
  RefundBody,
  RefundReply,
  BlockBody,
  HoldBody,
  HoldReply,
  ConfirmHoldBody,
  ConfirmHoldReply,
  VoidHoldReply,
  CreditLimitBody,
  AdjustmentBody,
  AdjustmentReply,
  CloseAccountBody,
  AssignTariffBody,
  AssignTariffReply,
  CauseView,
  OperationView,
  OperationsQuery,
  OperationsPage,
  ActLine,
  Act,
  Contacts,
  Address,
  ExternalRef,
  CreateSubscriberBody,
  ExternalSubscriberBody,
  ExternalSubscriberParams,
  SubscriberView,
  SpeedProfile,
  TariffView,
  CreateTariffBody,
  UpdateTariffBody,
  TariffList,
];
