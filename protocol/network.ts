import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Id, Instant, Phone } from './money.ts';

// The network API: routers (MikroTik), subscribers' internet services on them, and
// connection requests (the CRM of new subscribers). Shapes for HTTP bodies and replies;
// the routers' own rules (an address once per router) are the device actor's.

const Host = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9.:_-]+$',
  description: 'IP address or DNS name of the router',
});
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const ListName = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'firewall address list',
});
export const BlockMode = Type.Union([Type.Literal('address-list'), Type.Literal('pppoe')], {
  description:
    'address-list (default): a blocked subscriber’s address goes to the block list; pppoe: its /ppp/secret is disabled and its session ended',
});
export const DeviceDriverKind = Type.Union([Type.Literal('api'), Type.Literal('rest')], {
  description: 'api (default): the RouterOS API, 8728/8729; rest: the RouterOS 7 REST API, 80/443',
});
const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Username = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\s=]+$' });
const Password = Type.String({ maxLength: 200, description: 'kept sealed (AES-256-GCM); never returned' });

export const CreateDeviceBody = Type.Object(
  {
    name: Name,
    host: Host,
    port: Port,
    username: Username,
    password: Password,
    tls: Type.Optional(Type.Boolean({ default: false })),
    blockList: Type.Optional(ListName),
    blockMode: Type.Optional(BlockMode),
    driver: Type.Optional(DeviceDriverKind),
  },
  { $id: 'CreateDeviceBody', additionalProperties: false },
);
export type CreateDeviceBody = Static<typeof CreateDeviceBody>;

export const UpdateDeviceBody = Type.Object(
  {
    name: Type.Optional(Name),
    host: Type.Optional(Host),
    port: Type.Optional(Port),
    username: Type.Optional(Username),
    password: Type.Optional(Password),
    tls: Type.Optional(Type.Boolean()),
    blockList: Type.Optional(ListName),
    blockMode: Type.Optional(BlockMode),
    driver: Type.Optional(DeviceDriverKind),
  },
  {
    $id: 'UpdateDeviceBody',
    additionalProperties: false,
    description: 'fields left out stay as they are; the password only changes when given',
  },
);
export type UpdateDeviceBody = Static<typeof UpdateDeviceBody>;

export const DeviceStatus = Type.Union(
  [Type.Literal('online'), Type.Literal('offline'), Type.Literal('auth_failed')],
  { description: 'as the router’s own connection stands' },
);

const Stage = Type.Union([
  Type.Literal('tcp'),
  Type.Literal('login'),
  Type.Literal('identity'),
  Type.Literal('resource'),
]);

export const HealthReportView = Type.Object(
  {
    ok: Type.Boolean(),
    reachable: Type.Boolean(),
    loggedIn: Type.Boolean(),
    tcpOnly: Type.Optional(
      Type.Boolean({ description: 'the login was not tried (credentials refused before)' }),
    ),
    identity: Type.Optional(Type.String()),
    resource: Type.Optional(
      Type.Object({
        uptime: Type.String(),
        version: Type.String(),
        boardName: Type.String(),
        cpuLoad: Type.Number(),
        freeMemory: Type.Number(),
        totalMemory: Type.Number(),
      }),
    ),
    failed: Type.Optional(Type.Object({ stage: Stage, code: Type.String(), message: Type.String() })),
    timings: Type.Object({
      tcp: Type.Optional(Type.Number()),
      login: Type.Optional(Type.Number()),
      total: Type.Number(),
    }),
  },
  { $id: 'HealthReport', description: 'a check step by step: TCP reach, API login, identity, resource' },
);

export const PendingCommand = Type.Object({
  key: Type.String(),
  kind: Type.Union([Type.Literal('block'), Type.Literal('unblock'), Type.Literal('speed')]),
  accountId: Id,
  serviceId: Type.Optional(Id),
  ip: Type.Optional(Type.String()),
  pppoeLogin: Type.Optional(Type.String()),
  maxLimit: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  attempt: Type.Integer({ minimum: 0, description: 'failed tries so far' }),
  nextAt: Type.Union([Instant, Type.Null()], { description: 'next try; null while waiting for the router' }),
  lastError: Type.Optional(Type.String()),
});

export const DeviceError = Type.Object({
  at: Instant,
  what: Type.Union(
    [
      Type.Literal('auth'),
      Type.Literal('connect'),
      Type.Literal('connection_lost'),
      Type.Literal('command'),
      Type.Literal('reconcile'),
      Type.Literal('check'),
    ],
    {
      description:
        'auth: login refused; connect: could not connect; connection_lost: dropped; command: a block, unblock or speed change failed; reconcile: reading or repairing the block list failed; check: a health check failed',
    },
  ),
  message: Type.String(),
});

export const DeviceView = Type.Object(
  {
    id: Id,
    name: Type.String(),
    host: Type.String(),
    port: Port,
    username: Type.String(),
    tls: Type.Boolean(),
    driver: DeviceDriverKind,
    blockMode: BlockMode,
    blockList: Type.String(),
    status: DeviceStatus,
    identity: Type.Union([Type.String(), Type.Null()]),
    version: Type.Union([Type.String(), Type.Null()]),
    uptime: Type.Union([Type.String(), Type.Null()]),
    boardName: Type.Union([Type.String(), Type.Null()]),
    lastSeenAt: Type.Union([Instant, Type.Null()]),
    pendingCommands: Type.Integer({ minimum: 0 }),
    pending: Type.Array(PendingCommand),
    lastError: Type.Union([Type.String(), Type.Null()]),
    recentErrors: Type.Array(DeviceError, {
      description: 'the last failures of this router since the server started, newest first (at most 10)',
    }),
    nextConnectAt: Type.Union([Instant, Type.Null()]),
    services: Type.Integer({ minimum: 0 }),
    reconciledAt: Type.Union([Instant, Type.Null()]),
    lastCheck: Type.Union([Type.Object({ at: Instant, report: HealthReportView }), Type.Null()]),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'Device', description: 'a router; its password is never shown' },
);
export type DeviceView = Static<typeof DeviceView>;

export const DeviceList = Type.Object({ items: Type.Array(DeviceView) }, { $id: 'DeviceList' });

/** Pending commands a `device` frame lists (the oldest); `pendingCommands` counts them all. */
export const PENDING_IN_FRAME = 50;

/**
 * The `device` frame of the socket rooms `devices` and `device:<id>`: a router as
 * `GET /api/v1/devices/{id}` shows it, its `pending` list cut to the oldest PENDING_IN_FRAME,
 * or `{id, removed: true}` once it is removed. At most one per router per 250 ms.
 */
export type DeviceFrame = DeviceView | { id: string; removed: true };

export const CreatedReply = Type.Object({ id: Id }, { $id: 'Created' });

// ---------------------------------------------------------------- services

const Ipv4 = Type.String({
  pattern: '^(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}$',
  description: 'IPv4 address of the subscriber',
});
const Mac = Type.String({ pattern: '^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$' });
const PppoeLogin = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\s=]+$' });

export const CreateServiceBody = Type.Object(
  {
    kind: Type.Literal('internet'),
    deviceId: Id,
    ip: Ipv4,
    mac: Type.Optional(Mac),
    pppoeLogin: Type.Optional(PppoeLogin),
  },
  {
    $id: 'CreateServiceBody',
    additionalProperties: false,
    description: 'an address is used once per router; a PPPoE router needs the pppoeLogin',
  },
);
export type CreateServiceBody = Static<typeof CreateServiceBody>;

export const UpdateServiceBody = Type.Object(
  {
    ip: Type.Optional(Ipv4),
    mac: Type.Optional(Type.Union([Mac, Type.Null()])),
    pppoeLogin: Type.Optional(Type.Union([PppoeLogin, Type.Null()])),
  },
  {
    $id: 'UpdateServiceBody',
    additionalProperties: false,
    description:
      'null removes the mac or login; the router cannot change (remove the service and add it anew)',
  },
);
export type UpdateServiceBody = Static<typeof UpdateServiceBody>;

export const ServiceView = Type.Object(
  {
    id: Id,
    kind: Type.Literal('internet'),
    accountId: Id,
    deviceId: Id,
    ip: Type.String(),
    mac: Type.Optional(Type.String()),
    pppoeLogin: Type.Optional(Type.String()),
    blocked: Type.Boolean({ description: 'what Abonent wants on the router' }),
    maxLimit: Type.Union([Type.String(), Type.Null()], { description: 'upload/download, from the tariff' }),
    pending: Type.Boolean({ description: 'a change not yet confirmed by the router' }),
  },
  { $id: 'Service' },
);
export type ServiceView = Static<typeof ServiceView>;

export const ServiceList = Type.Object({ items: Type.Array(ServiceView) }, { $id: 'ServiceList' });

// ---------------------------------------------------------------- connection requests

export const RequestStatus = Type.Union(
  [
    Type.Literal('new'),
    Type.Literal('assigned'),
    Type.Literal('scheduled'),
    Type.Literal('connected'),
    Type.Literal('rejected'),
  ],
  { description: 'new → assigned → scheduled → connected | rejected' },
);
export type RequestStatus = Static<typeof RequestStatus>;

export const RequestSource = Type.Union([
  Type.Literal('form'),
  Type.Literal('cabinet'),
  Type.Literal('telegram'),
  Type.Literal('staff'),
]);

const Coordinates = Type.Object(
  { lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
  { additionalProperties: false },
);

const requestFields = {
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  phone: Phone,
  address: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }),
  coordinates: Type.Optional(Coordinates),
  tariffId: Type.Optional(Id),
  comment: Type.Optional(Type.String({ maxLength: 2000 })),
};

/** The field a person never sees on the form (hidden by CSS) and a bot fills in. */
export const HONEYPOT_FIELD = 'website';

export const SubmitRequestBody = Type.Object(
  { ...requestFields, [HONEYPOT_FIELD]: Type.Optional(Type.String({ maxLength: 500 })) },
  {
    $id: 'SubmitRequestBody',
    additionalProperties: false,
    description: `a request to be connected; leave ${HONEYPOT_FIELD} empty (it is hidden from people)`,
  },
);
export type SubmitRequestBody = Static<typeof SubmitRequestBody>;

export const RequestReceived = Type.Object(
  { status: Type.Literal('received') },
  { $id: 'RequestReceived', description: 'we will call back' },
);

export const AssignRequestBody = Type.Object(
  { assignee: Id },
  { $id: 'AssignRequestBody', additionalProperties: false, description: 'a staff user id' },
);
export const ScheduleRequestBody = Type.Object(
  { at: Instant, note: Type.Optional(Type.String({ maxLength: 500 })) },
  { $id: 'ScheduleRequestBody', additionalProperties: false, description: 'when the installer comes' },
);
export const RejectRequestBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }) },
  { $id: 'RejectRequestBody', additionalProperties: false },
);
export const CommentRequestBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S' }) },
  { $id: 'CommentRequestBody', additionalProperties: false },
);
export const ConnectRequestBody = Type.Object(
  {
    deviceId: Id,
    ip: Ipv4,
    mac: Type.Optional(Mac),
    pppoeLogin: Type.Optional(PppoeLogin),
    tariffId: Type.Optional(Id),
  },
  {
    $id: 'ConnectRequestBody',
    additionalProperties: false,
    description:
      'creates the subscriber, the account, the tariff assignment (the requested tariff unless another is given) and the internet service; repeating it creates nothing more',
  },
);
export type ConnectRequestBody = Static<typeof ConnectRequestBody>;

const HistoryEntry = Type.Object({
  at: Instant,
  by: Type.Object({ type: Type.String(), id: Type.String() }),
  what: Type.Union([
    Type.Literal('submitted'),
    Type.Literal('assigned'),
    Type.Literal('scheduled'),
    Type.Literal('rejected'),
    Type.Literal('connected'),
    Type.Literal('commented'),
  ]),
  status: RequestStatus,
  detail: Type.Optional(Type.String()),
});

export const RequestView = Type.Object(
  {
    id: Id,
    source: RequestSource,
    status: RequestStatus,
    ...requestFields,
    assignee: Type.Union([Id, Type.Null()]),
    scheduledAt: Type.Union([Instant, Type.Null()]),
    rejection: Type.Union([Type.String(), Type.Null()]),
    connection: Type.Union([
      Type.Object({
        subscriberId: Id,
        accountId: Id,
        serviceId: Id,
        tariffId: Type.Union([Id, Type.Null()]),
      }),
      Type.Null(),
    ]),
    comments: Type.Array(Type.Object({ at: Instant, by: Type.String(), text: Type.String() })),
    history: Type.Array(HistoryEntry),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'ConnectionRequest' },
);
export type RequestView = Static<typeof RequestView>;

export const RequestList = Type.Object({ items: Type.Array(RequestView) }, { $id: 'ConnectionRequestList' });

export const RequestsQuery = Type.Object({
  status: Type.Optional(RequestStatus),
  assignee: Type.Optional(Id),
});

export const networkSchemas: TSchema[] = [
  CreateDeviceBody,
  UpdateDeviceBody,
  HealthReportView,
  DeviceView,
  DeviceList,
  CreatedReply,
  CreateServiceBody,
  UpdateServiceBody,
  ServiceView,
  ServiceList,
  SubmitRequestBody,
  RequestReceived,
  AssignRequestBody,
  ScheduleRequestBody,
  RejectRequestBody,
  CommentRequestBody,
  ConnectRequestBody,
  RequestView,
  RequestList,
];
