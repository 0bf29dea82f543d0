import { type AccountCommand, accountKind } from '../../../actors/account/account.ts';
import {
  type Connection,
  type ConnectionRequest,
  listRequests,
  REQUESTS_ID,
  type RequestCommand,
  type RequestFields,
  type RequestSource,
  requestsKind,
} from '../../../actors/crm/requests.ts';
import { refusalOf } from '../../../actors/device/decide.ts';
import type { Network } from '../../../actors/network/network.ts';
import type { Cause } from '../../../actors/runtime/kind.ts';
import type { ActorSystem } from '../../../actors/runtime/system.ts';
import { subscriberRefId, subscriberRefKind } from '../../../actors/subscriber/external.ts';
import { subscriberKind } from '../../../actors/subscriber/subscriber.ts';
import { CATALOG_ID, catalogKind, type UsageReply } from '../../../actors/tariff/catalog.ts';
import { ApiError } from '../../../protocol/errors.ts';
import { Id } from '../../../protocol/money.ts';
import {
  AssignRequestBody,
  CommentRequestBody,
  ConnectRequestBody,
  HONEYPOT_FIELD,
  RejectRequestBody,
  RequestList,
  RequestReceived,
  RequestsQuery,
  RequestView,
  ScheduleRequestBody,
  SubmitRequestBody,
} from '../../../protocol/network.ts';
import { needs } from '../../../protocol/permissions.ts';
import type { AbonentServices } from '../../app.ts';
import { RateLimiter } from '../rate-limit.ts';
import { type Route, route } from '../route.ts';
import { accountNumber } from './accounts.ts';
import { causeOf, KeyedLock, nextNumber, refusal } from './context.ts';
import { deviceRecord } from './devices.ts';
import { addInternetService } from './services.ts';
import { subscriberNumber } from './subscribers.ts';

// Connection requests: the public form (no login, rate limited, a honeypot field instead of a
// captcha), and the board staff work them on. The cabinet and the Telegram bot submit through
// submitRequest with their own source.
//
// Connecting a request makes the subscriber, the account, the tariff assignment and the
// internet service in one step. Every part is found again rather than made twice: the
// subscriber through the (crm, requestId) pair claimed once, the account as that subscriber's
// first, the number and service under idempotency keys derived from the request. So the
// step can be repeated, also after a crash half-way, and still leaves one of each.

const ID = new RegExp(Id.pattern as string);
/** What one address may send through the public form: ten at once, then one every six minutes. */
const FORM_LIMIT = { burst: 10, refillMs: 6 * 60_000 };

const requestNotFound = (id: string) =>
  new ApiError(404, 'request_not_found', `there is no connection request ${JSON.stringify(id)}`);

export function submitRequest(
  system: ActorSystem,
  source: RequestSource,
  fields: RequestFields,
  cause: Cause,
): Promise<ConnectionRequest> {
  return system.ask(requestsKind, REQUESTS_ID, { type: 'Submit', source, fields }, { cause });
}

async function checkTariff(system: ActorSystem, tariffId: string, status: number): Promise<void> {
  const t = await system.read(catalogKind, CATALOG_ID, (s) => s.tariffs[tariffId] ?? null);
  if (!t)
    throw new ApiError(
      status,
      status === 400 ? 'unknown_tariff' : 'tariff_not_found',
      `there is no tariff ${tariffId}`,
    );
  if (t.archived) throw new ApiError(409, 'tariff_archived', `tariff ${t.name} is no longer offered`);
}

export function requestRoutes(services: AbonentServices, network: Network): Route[] {
  const { system, log } = services;

  /** The account a request's earlier, unfinished connecting step made, if any. */
  async function accountOfRequest(rid: string): Promise<string | undefined> {
    const subscriberId = await system.read(
      subscriberRefKind,
      subscriberRefId('crm', rid),
      (s) => s.subscriberId,
    );
    if (subscriberId === null) return undefined;
    return (await system.read(subscriberKind, subscriberId, (s) => s.accounts))[0];
  }
  const limiter = new RateLimiter(FORM_LIMIT);
  const connecting = new KeyedLock();

  const idOf = (params: Record<string, string>) => {
    const id = params.id ?? '';
    if (!ID.test(id)) throw requestNotFound(id.slice(0, 128));
    return id;
  };
  const move = (cause: Cause, command: RequestCommand) =>
    system.ask(requestsKind, REQUESTS_ID, command, { cause });

  /** The connecting step; see the top of this file. */
  async function connect(
    request: ConnectionRequest,
    body: typeof ConnectRequestBody.static,
    cause: Cause,
  ): Promise<ConnectionRequest> {
    const rid = request.id;
    const tariffId = body.tariffId ?? request.tariffId ?? null;
    // What can be refused is checked before anything is made.
    if (tariffId !== null) await checkTariff(system, tariffId, 404);
    await deviceRecord(services, body.deviceId);
    // The router's own refusal (address taken, login missing) before anything is made; an
    // address taken by this request's own account (a repeat half-way) is its service.
    const state = network.directory.state(body.deviceId);
    const refused =
      state &&
      refusalOf(state, {
        type: 'AddService',
        serviceId: 'SV0',
        accountId: '0',
        ip: body.ip,
        ...(body.mac !== undefined ? { mac: body.mac } : {}),
        ...(body.pppoeLogin !== undefined ? { ppp: body.pppoeLogin } : {}),
      });
    if (refused) {
      const owner = (refused.details as { accountId?: string } | undefined)?.accountId;
      const mine = owner !== undefined && (await accountOfRequest(rid)) === owner;
      if (!mine) throw refused;
    }

    // 1. The subscriber: one per request, through the (crm, requestId) pair.
    const refId = subscriberRefId('crm', rid);
    let subscriberId = await system.read(subscriberRefKind, refId, (s) => s.subscriberId);
    if (subscriberId === null) {
      const fresh = subscriberNumber(await nextNumber(system, 'subscribers', { cause }, null));
      ({ subscriberId } = await system.ask(
        subscriberRefKind,
        refId,
        { type: 'Claim', subscriberId: fresh },
        { cause },
      ));
    }
    const subscriber = {
      type: 'person' as const,
      name: request.name,
      contacts: { phones: [request.phone] },
      address: {
        text: request.address,
        ...(request.coordinates ? { lat: request.coordinates.lat, lon: request.coordinates.lon } : {}),
      },
    };
    await system.ask(
      subscriberKind,
      subscriberId,
      { type: 'Register', subscriber, external: { source: 'crm', externalId: rid } },
      { cause },
    );

    // 2. The account: the subscriber's first, or a new one under the request's key.
    let accountId = (await system.read(subscriberKind, subscriberId, (s) => s.accounts))[0];
    if (accountId === undefined) {
      const open: AccountCommand = { type: 'Open', subscriberId, currency: 'RUB', creditLimit: 0 };
      const keyed = { cause, idempotencyKey: `crm:${rid}:account` };
      accountId = accountNumber(await nextNumber(system, 'accounts', keyed, open));
      await system.ask(accountKind, accountId, open, keyed);
      await system.ask(subscriberKind, subscriberId, { type: 'AttachAccount', accountId }, { cause });
    }

    // 3. The tariff, unless the account has it already.
    if (tariffId !== null) {
      const has = await system.read(accountKind, accountId, (s) => s.tariff?.tariffId ?? null);
      if (has !== tariffId) {
        const { tariff } = (await system.ask(
          catalogKind,
          CATALOG_ID,
          { type: 'TariffUsageChanged', accountId, tariffId },
          { cause, idempotencyKey: `crm:${rid}:tariff@${accountId}` },
        )) as UsageReply;
        await system.ask(
          accountKind,
          accountId,
          { type: 'AssignTariff', tariff },
          { cause, idempotencyKey: `crm:${rid}:tariff` },
        );
      }
    }

    // 4. The internet service: the one already there with this router and address, or a new one.
    let serviceId = network.directory
      .servicesOf(accountId)
      .find((s) => s.deviceId === body.deviceId && s.ip === body.ip)?.id;
    if (serviceId === undefined) {
      const { mac, pppoeLogin } = body;
      ({ id: serviceId } = await addInternetService(
        services,
        network,
        accountId,
        {
          deviceId: body.deviceId,
          ip: body.ip,
          ...(mac !== undefined ? { mac } : {}),
          ...(pppoeLogin !== undefined ? { pppoeLogin } : {}),
        },
        { cause, idempotencyKey: `crm:${rid}:service:${body.deviceId}:${body.ip}` },
      ));
    }

    // 5. The request records what it became.
    const connection: Connection = { subscriberId, accountId, serviceId, tariffId };
    return system.ask(
      requestsKind,
      REQUESTS_ID,
      { type: 'MarkConnected', requestId: rid, connection },
      { cause },
    );
  }

  return [
    route({
      method: 'POST',
      path: '/api/v1/requests',
      summary: 'Ask to be connected (the public form): no login needed',
      description: `Rate limited per address (429 rate_limited). ${HONEYPOT_FIELD} must stay empty: the form hides it from people.`,
      tags: ['requests'],
      auth: 'public',
      body: SubmitRequestBody,
      responses: {
        202: RequestReceived,
        400: refusal('validation_failed, unknown_tariff'),
        409: refusal('tariff_archived'),
        429: refusal('rate_limited'),
      },
      handler: async (req) => {
        limiter.take(req.ip);
        const { [HONEYPOT_FIELD]: trap, ...fields } = req.body;
        if (trap !== undefined && trap !== '') {
          // A bot: it is told what a person is told, and nothing is kept.
          req.log.info({ ip: req.ip }, 'connection request dropped: honeypot field filled');
          return { status: 202, body: { status: 'received' } };
        }
        if (fields.tariffId !== undefined) await checkTariff(system, fields.tariffId, 400);
        await submitRequest(system, 'form', fields, { type: 'system', id: 'request-form', ip: req.ip });
        return { status: 202, body: { status: 'received' } };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/requests',
      summary: 'The board of connection requests, newest first',
      tags: ['requests'],
      auth: needs('requests.read'),
      query: RequestsQuery,
      responses: { 200: RequestList },
      handler: async (req) => {
        const items = await system.read(requestsKind, REQUESTS_ID, (s) => listRequests(s, req.queryValues));
        return { status: 200, body: { items } };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/requests/:id',
      summary: 'One connection request with its comments and history',
      tags: ['requests'],
      auth: needs('requests.read'),
      responses: { 200: RequestView, 404: refusal('request_not_found') },
      handler: async (req) => {
        const id = idOf(req.params);
        const r = await system.read(requestsKind, REQUESTS_ID, (s) => s.requests[id] ?? null);
        if (!r) throw requestNotFound(id);
        return { status: 200, body: r };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/requests/:id/assign',
      summary: 'Give a request to a staff member (new → assigned; reassigns later ones)',
      tags: ['requests'],
      auth: needs('requests.write'),
      body: AssignRequestBody,
      responses: { 200: RequestView, 404: refusal('request_not_found'), 409: refusal('request_closed') },
      handler: async (req) => {
        const requestId = idOf(req.params);
        const r = await move(causeOf(req), { type: 'Assign', requestId, assignee: req.body.assignee });
        return { status: 200, body: r };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/requests/:id/schedule',
      summary: 'Set when the installer comes (assigned → scheduled; reschedules)',
      tags: ['requests'],
      auth: needs('requests.write'),
      body: ScheduleRequestBody,
      responses: {
        200: RequestView,
        404: refusal('request_not_found'),
        409: refusal('invalid_transition (assign it first), request_closed'),
      },
      handler: async (req) => {
        const requestId = idOf(req.params);
        const { at, note } = req.body;
        const command: RequestCommand = {
          type: 'Schedule',
          requestId,
          at,
          ...(note !== undefined ? { note } : {}),
        };
        return { status: 200, body: await move(causeOf(req), command) };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/requests/:id/reject',
      summary: 'Turn a request down, with the reason',
      tags: ['requests'],
      auth: needs('requests.write'),
      body: RejectRequestBody,
      responses: { 200: RequestView, 404: refusal('request_not_found'), 409: refusal('request_closed') },
      handler: async (req) => {
        const requestId = idOf(req.params);
        return {
          status: 200,
          body: await move(causeOf(req), { type: 'Reject', requestId, reason: req.body.reason }),
        };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/requests/:id/comments',
      summary: 'Comment on a request',
      tags: ['requests'],
      auth: needs('requests.write'),
      body: CommentRequestBody,
      responses: { 201: RequestView, 404: refusal('request_not_found') },
      handler: async (req) => {
        const requestId = idOf(req.params);
        return {
          status: 201,
          body: await move(causeOf(req), { type: 'Comment', requestId, text: req.body.text }),
        };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/requests/:id/connect',
      summary: 'Connect a scheduled request: subscriber, account, tariff and internet service in one step',
      description:
        'Repeating it (also after a failure half-way) makes nothing twice; once connected it answers the request as it is.',
      tags: ['requests'],
      auth: needs('requests.write'),
      body: ConnectRequestBody,
      responses: {
        200: RequestView,
        404: refusal('request_not_found, device_not_found, tariff_not_found'),
        409: refusal('invalid_transition, request_closed, ip_taken, tariff_archived'),
      },
      handler: async (req) => {
        const requestId = idOf(req.params);
        const cause = causeOf(req);
        const result = await connecting.run(requestId, async () => {
          const r = await system.read(requestsKind, REQUESTS_ID, (s) => s.requests[requestId] ?? null);
          if (!r) throw requestNotFound(requestId);
          if (r.status === 'connected') return r;
          if (r.status !== 'scheduled') {
            throw new ApiError(
              409,
              r.status === 'rejected' ? 'request_closed' : 'invalid_transition',
              `request ${requestId} is ${r.status}; only a scheduled request is connected`,
              { from: r.status, to: 'connected' },
            );
          }
          return connect(r, req.body, cause);
        });
        log.debug({ requestId }, 'connection request connected');
        return { status: 200, body: result };
      },
    }),
  ];
}
