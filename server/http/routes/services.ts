import { refusalOf } from '../../../actors/device/decide.ts';
import type { ListedService } from '../../../actors/network/directory.ts';
import type { Network } from '../../../actors/network/network.ts';
import { systemCause } from '../../../actors/runtime/kind.ts';
import type { AskOptions } from '../../../actors/runtime/system.ts';
import { ApiError } from '../../../protocol/errors.ts';
import { Id } from '../../../protocol/money.ts';
import {
  CreateServiceBody,
  ServiceList,
  type ServiceView,
  ServiceView as ServiceViewSchema,
  UpdateServiceBody,
} from '../../../protocol/network.ts';
import { needs } from '../../../protocol/permissions.ts';
import type { AbonentServices } from '../../app.ts';
import { type Route, route } from '../route.ts';
import { accountIdOf, askOptions, causeOf, nextNumber, readAccount, refusal } from './context.ts';
import { deviceIdOf, deviceRecord } from './devices.ts';

// Internet services of an account: which router it is on and how that router knows it (its
// address, a PPPoE login). The router's actor decides that an address is used once on it;
// the list per account is the network directory. Ids come from the `services` sequence
// (SV1, SV2…). A blocked account's new service is blocked on its router right away: the
// network hand-off gives every new service its account's status.

const ID = new RegExp(Id.pattern as string);

export const serviceNotFound = (id: string) =>
  new ApiError(404, 'service_not_found', `there is no service ${JSON.stringify(id)} on this account`);

export interface ServiceInput {
  deviceId: string;
  ip: string;
  mac?: string;
  pppoeLogin?: string;
}

export function serviceView(network: Network, s: ListedService): ServiceView {
  const state = network.directory.state(s.deviceId);
  const pending =
    state !== undefined && (`block:${s.id}` in state.intents || `speed:${s.id}` in state.intents);
  return {
    id: s.id,
    kind: 'internet',
    accountId: s.accountId,
    deviceId: s.deviceId,
    ip: s.ip,
    ...(s.mac !== undefined ? { mac: s.mac } : {}),
    ...(s.ppp !== undefined ? { pppoeLogin: s.ppp } : {}),
    blocked: state?.blocked[s.id] !== undefined,
    maxLimit: state?.accounts[s.accountId]?.maxLimit ?? null,
    pending,
  };
}

/**
 * Adds an internet service to an open account. With an idempotency key in `options` a retry
 * gets the same service id, and the router's mailbox finds the same service already there.
 */
export async function addInternetService(
  services: AbonentServices,
  network: Network,
  accountId: string,
  input: ServiceInput,
  options: AskOptions,
): Promise<ServiceView> {
  const { system } = services;
  const open = await readAccount(system, accountId, (s) => s.closedAt === null);
  if (!open) throw new ApiError(409, 'account_closed', `account ${accountId} is closed`);
  await deviceRecord(services, input.deviceId);
  const fields = {
    accountId,
    ip: input.ip,
    ...(input.mac !== undefined ? { mac: input.mac } : {}),
    ...(input.pppoeLogin !== undefined ? { ppp: input.pppoeLogin } : {}),
  };
  // A refusal the router would give (its address taken, a login missing) is given before a
  // number is taken, so it leaves nothing behind. The router's mailbox still decides.
  const state = network.directory.state(input.deviceId);
  const refused = state && refusalOf(state, { type: 'AddService', serviceId: 'SV0', ...fields });
  if (refused) throw refused;
  const n = await nextNumber(system, 'services', options, {
    type: 'AddService',
    deviceId: input.deviceId,
    ...fields,
  });
  const serviceId = `SV${n}`;
  await system.ask(
    network.deviceKind,
    input.deviceId,
    { type: 'AddService', serviceId, ...fields },
    { cause: options.cause ?? systemCause },
  );
  return serviceView(network, network.directory.service(serviceId)!);
}

export function serviceRoutes(services: AbonentServices, network: Network): Route[] {
  const { system } = services;
  const { directory, deviceKind } = network;

  /** The service, when it is one of this account's. */
  function serviceOf(accountId: string, params: Record<string, string>): ListedService {
    const id = params.serviceId ?? '';
    const s = ID.test(id) ? directory.service(id) : undefined;
    if (!s || s.accountId !== accountId) throw serviceNotFound(id.slice(0, 128));
    return s;
  }

  return [
    route({
      method: 'POST',
      path: '/api/v1/accounts/:id/services',
      summary: 'Give an account an internet service on a router',
      description:
        'An address is used once per router (409 ip_taken); a PPPoE router needs the pppoeLogin. If the account is blocked, the new service is blocked on the router at once.',
      tags: ['services'],
      auth: needs('services.write'),
      idempotency: 'optional',
      body: CreateServiceBody,
      responses: {
        201: ServiceViewSchema,
        400: refusal('validation_failed, pppoe_login_required'),
        404: refusal('account_not_found, device_not_found'),
        409: refusal('ip_taken, pppoe_login_taken, account_closed'),
        422: refusal('idempotency_key_reused'),
      },
      handler: async (req) => {
        const accountId = accountIdOf(req);
        const { kind: _, ...input } = req.body;
        const view = await addInternetService(services, network, accountId, input, askOptions(req));
        return {
          status: 201,
          body: view,
          headers: { Location: `/api/v1/accounts/${accountId}/services/${view.id}` },
        };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/accounts/:id/services',
      summary: "An account's services, with what is wanted of them on their routers",
      tags: ['services'],
      auth: needs('accounts.read'),
      responses: { 200: ServiceList, 404: refusal('account_not_found') },
      handler: async (req) => {
        const accountId = accountIdOf(req);
        await readAccount(system, accountId, () => true);
        const items = directory.servicesOf(accountId).map((s) => serviceView(network, s));
        return { status: 200, body: { items } };
      },
    }),

    route({
      method: 'PUT',
      path: '/api/v1/accounts/:id/services/:serviceId',
      summary: "Change a service's address, MAC or PPPoE login",
      description: 'A block or speed limit on the router moves with the address.',
      tags: ['services'],
      auth: needs('services.write'),
      body: UpdateServiceBody,
      responses: {
        200: ServiceViewSchema,
        404: refusal('service_not_found'),
        409: refusal('ip_taken, pppoe_login_taken'),
      },
      handler: async (req) => {
        const accountId = accountIdOf(req);
        const current = serviceOf(accountId, req.params);
        const { ip, mac, pppoeLogin } = req.body;
        const nextMac = mac === undefined ? current.mac : (mac ?? undefined);
        const nextPpp = pppoeLogin === undefined ? current.ppp : (pppoeLogin ?? undefined);
        await system.ask(
          deviceKind,
          current.deviceId,
          {
            type: 'ChangeService',
            serviceId: current.id,
            ip: ip ?? current.ip,
            ...(nextMac !== undefined ? { mac: nextMac } : {}),
            ...(nextPpp !== undefined ? { ppp: nextPpp } : {}),
          },
          { cause: causeOf(req) },
        );
        return { status: 200, body: serviceView(network, directory.service(current.id)!) };
      },
    }),

    route({
      method: 'DELETE',
      path: '/api/v1/accounts/:id/services/:serviceId',
      summary: 'Remove a service; its block and speed limit leave the router with it',
      tags: ['services'],
      auth: needs('services.write'),
      responses: { 204: { description: 'removed' }, 404: refusal('service_not_found') },
      handler: async (req) => {
        const accountId = accountIdOf(req);
        const current = serviceOf(accountId, req.params);
        await system.ask(
          deviceKind,
          current.deviceId,
          { type: 'RemoveService', serviceId: current.id },
          { cause: causeOf(req) },
        );
        return { status: 204 };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/devices/:id/services',
      summary: 'The services on one router',
      tags: ['services', 'devices'],
      auth: needs('devices.read'),
      responses: { 200: ServiceList, 404: refusal('device_not_found') },
      handler: async (req) => {
        const id = deviceIdOf(req.params);
        await deviceRecord(services, id);
        const state = await system.read(deviceKind, id, (s) => s.services);
        const items = Object.keys(state)
          .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
          .map((sid) => directory.service(sid))
          .filter((s): s is ListedService => s !== undefined)
          .map((s) => serviceView(network, s));
        return { status: 200, body: { items } };
      },
    }),
  ];
}
