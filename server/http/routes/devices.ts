import type { DeviceState } from '../../../actors/device/state.ts';
import type { Network } from '../../../actors/network/network.ts';
import {
  type DeviceRecord,
  type DeviceSettings,
  nameTaken,
  passwordContext,
  REGISTRY_ID,
  type RegistryReply,
  registryKind,
} from '../../../actors/network/registry.ts';
import { ApiError } from '../../../protocol/errors.ts';
import { Id } from '../../../protocol/money.ts';
import {
  CreateDeviceBody,
  CreatedReply,
  DeviceList,
  type DeviceView,
  DeviceView as DeviceViewSchema,
  HealthReportView,
  UpdateDeviceBody,
} from '../../../protocol/network.ts';
import { needs } from '../../../protocol/permissions.ts';
import type { AbonentServices } from '../../app.ts';
import { type Route, route } from '../route.ts';
import { askOptions, causeOf, nextNumber, refusal } from './context.ts';

// Routers (MikroTik) Abonent manages: add, list, look at, change, remove, check now.
//
// Adding one takes a number from the `devices` sequence (D1, D2…; with an Idempotency-Key a
// retry gets the same one), seals the password for that id, records the router in the
// registry and tells its actor the configuration: the actor connects at once and the
// health monitor checks it at once. The password is never returned, never logged.

const ID = new RegExp(Id.pattern as string);
const DEFAULT_LIST = 'abonent-blocked';

export const deviceNotFound = (id: string) =>
  new ApiError(404, 'device_not_found', `there is no router ${id}`);

export function deviceIdOf(params: Record<string, string>): string {
  const id = params.id ?? '';
  if (id.length > 128 || !ID.test(id)) throw deviceNotFound(id.slice(0, 128));
  return id;
}

export async function deviceRecord(services: AbonentServices, id: string): Promise<DeviceRecord> {
  const record = await services.system.read(registryKind, REGISTRY_ID, (s) => s.devices[id] ?? null);
  if (!record) throw deviceNotFound(id);
  return record;
}

export function deviceView(
  network: Network,
  record: DeviceRecord,
  state: DeviceState | undefined,
  /** List only this many pending commands, the oldest (the live frames); all when absent. */
  pendingLimit?: number,
): DeviceView {
  const check = network.monitor.lastCheck(record.id) ?? null;
  const checkedOk = check?.report.ok ? check : null;
  const seen = Math.max(state?.lastSeenAt ?? 0, checkedOk?.at ?? 0);
  const intents = Object.entries(state?.intents ?? {}).sort(([, a], [, b]) => a.seq - b.seq);
  const pendingCommands = intents.length;
  if (pendingLimit !== undefined && intents.length > pendingLimit) intents.length = pendingLimit;
  const pending = intents.map(([key, i]) => ({
    key,
    kind: i.kind === 'speed' ? ('speed' as const) : i.block ? ('block' as const) : ('unblock' as const),
    accountId: i.accountId,
    ...(i.subject !== undefined ? { serviceId: i.subject } : {}),
    ...(i.kind === 'speed'
      ? { ip: i.ip, maxLimit: i.maxLimit, ...(i.ppp !== undefined ? { pppoeLogin: i.ppp } : {}) }
      : {
          ...(i.target.ip !== undefined ? { ip: i.target.ip } : {}),
          ...(i.target.ppp !== undefined ? { pppoeLogin: i.target.ppp } : {}),
        }),
    attempt: i.attempt,
    nextAt: i.nextAt,
    ...(i.lastError !== undefined ? { lastError: i.lastError } : {}),
  }));
  const { config } = record;
  return {
    id: record.id,
    name: record.name,
    host: config.host,
    port: config.port,
    username: config.username,
    tls: config.tls ?? false,
    driver: config.driver,
    blockMode: config.blockMode,
    blockList: config.blockList,
    status: state?.config ? state.status : 'offline',
    identity: state?.identity ?? checkedOk?.report.identity ?? null,
    version: state?.version ?? checkedOk?.report.resource?.version ?? null,
    // The monitor's reading is fresher than the one taken when the connection was made.
    uptime: checkedOk?.report.resource?.uptime ?? state?.uptime ?? null,
    boardName: state?.boardName ?? checkedOk?.report.resource?.boardName ?? null,
    lastSeenAt: seen > 0 ? seen : null,
    pendingCommands,
    pending,
    lastError: state?.lastError ?? null,
    recentErrors: network.errors.of(record.id),
    nextConnectAt: state?.status !== 'online' ? (state?.connect.nextAt ?? null) : null,
    services: Object.keys(state?.services ?? {}).length,
    reconciledAt: state?.reconcile.lastAt ?? null,
    lastCheck: check,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function deviceRoutes(services: AbonentServices, network: Network): Route[] {
  const { system, log } = services;
  const { deviceKind, directory, monitor, secrets } = network;

  /** The view through the device's own mailbox, so it sees every command before it. */
  async function viewOf(record: DeviceRecord): Promise<DeviceView> {
    const state = await system.read(deviceKind, record.id, (s) => s);
    return deviceView(network, record, state);
  }

  function checkSoon(record: DeviceRecord): void {
    monitor
      .check(record)
      .catch((err: unknown) => log.warn({ err, deviceId: record.id }, 'router check failed'));
  }

  return [
    route({
      method: 'POST',
      path: '/api/v1/devices',
      summary: 'Add a router (MikroTik): it is connected to and checked at once',
      description:
        'The password is sealed with ABONENT_SECRET_KEY and never shown again. With an Idempotency-Key a retry gets the same router.',
      tags: ['devices'],
      auth: needs('devices.write'),
      idempotency: 'optional',
      body: CreateDeviceBody,
      responses: {
        201: CreatedReply,
        409: refusal('device_name_taken'),
        422: refusal('idempotency_key_reused'),
      },
      handler: async (req) => {
        const { password, name, ...rest } = req.body;
        const settings: DeviceSettings = {
          host: rest.host,
          port: rest.port,
          username: rest.username,
          tls: rest.tls ?? false,
          driver: rest.driver ?? 'api',
          blockMode: rest.blockMode ?? 'address-list',
          blockList: rest.blockList ?? DEFAULT_LIST,
        };
        // Checked before a number is taken too, so a refusal leaves nothing behind; a retry
        // under its Idempotency-Key finds its own router by that name and goes on to get it.
        const taken = await system.read(registryKind, REGISTRY_ID, (s) => {
          const refusal = nameTaken(s, name);
          if (!refusal || req.idempotencyKey === undefined) return refusal;
          const mine = Object.values(s.devices).some(
            (d) =>
              d.name === name &&
              JSON.stringify({ ...d.config, secretRef: '' }) ===
                JSON.stringify({ ...settings, secretRef: '' }),
          );
          return mine ? null : refusal;
        });
        if (taken) throw taken.reject;
        // The password is not part of what a retry must repeat: it is sealed anew each time
        // and only the first one is kept.
        const options = askOptions(req);
        const n = await nextNumber(system, 'devices', options, { type: 'AddDevice', name, settings });
        const deviceId = `D${n}`;
        const { device } = (await system.ask(
          registryKind,
          REGISTRY_ID,
          {
            type: 'AddDevice',
            deviceId,
            name,
            settings,
            sealedPassword: secrets.seal(password, passwordContext(deviceId)),
          },
          { cause: causeOf(req) },
        )) as RegistryReply;
        const record = device!;
        await system.ask(
          deviceKind,
          deviceId,
          { type: 'Configure', config: record.config },
          { cause: causeOf(req) },
        );
        checkSoon(record);
        return { status: 201, body: { id: deviceId }, headers: { Location: `/api/v1/devices/${deviceId}` } };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/devices',
      summary: 'The routers, with their status and what they still owe',
      tags: ['devices'],
      auth: needs('devices.read'),
      responses: { 200: DeviceList },
      handler: async () => {
        const records = await system.read(registryKind, REGISTRY_ID, (s) => Object.values(s.devices));
        const items = records
          .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))
          .map((r) => deviceView(network, r, directory.state(r.id)));
        return { status: 200, body: { items } };
      },
    }),

    route({
      method: 'GET',
      path: '/api/v1/devices/:id',
      summary: 'One router: status, identity, version, uptime, pending commands, last errors, last check',
      tags: ['devices'],
      auth: needs('devices.read'),
      responses: { 200: DeviceViewSchema, 404: refusal('device_not_found') },
      handler: async (req) => {
        const record = await deviceRecord(services, deviceIdOf(req.params));
        return { status: 200, body: await viewOf(record) };
      },
    }),

    route({
      method: 'PUT',
      path: '/api/v1/devices/:id',
      summary: 'Change a router: its name, address, credentials, block list or mode',
      description:
        'Fields left out stay. A changed address or password reconnects the router. The block list and mode cannot change while services use it (409 device_in_use).',
      tags: ['devices'],
      auth: needs('devices.write'),
      body: UpdateDeviceBody,
      responses: {
        200: DeviceViewSchema,
        404: refusal('device_not_found'),
        409: refusal('device_name_taken, device_in_use'),
      },
      handler: async (req) => {
        const id = deviceIdOf(req.params);
        const record = await deviceRecord(services, id);
        const { password, name, ...changes } = req.body;
        const { secretRef: _, ...current } = record.config;
        const settings: DeviceSettings = { ...current, ...changes };
        const moved = settings.blockList !== current.blockList || settings.blockMode !== current.blockMode;
        if (moved && (directory.state(id) ? Object.keys(directory.state(id)!.services).length : 0) > 0) {
          throw new ApiError(
            409,
            'device_in_use',
            'the block mode and block list cannot change while services use this router; remove them first',
          );
        }
        const { device } = (await system.ask(
          registryKind,
          REGISTRY_ID,
          {
            type: 'UpdateDevice',
            deviceId: id,
            name: name ?? record.name,
            settings,
            ...(password !== undefined
              ? { sealedPassword: secrets.seal(password, passwordContext(id)) }
              : {}),
          },
          { cause: causeOf(req) },
        )) as RegistryReply;
        const updated = device!;
        await system.ask(
          deviceKind,
          id,
          { type: 'Configure', config: updated.config },
          { cause: causeOf(req) },
        );
        if (JSON.stringify(updated.config) !== JSON.stringify(record.config)) checkSoon(updated);
        return { status: 200, body: await viewOf(updated) };
      },
    }),

    route({
      method: 'DELETE',
      path: '/api/v1/devices/:id',
      summary: 'Remove a router that no service uses; its connection is closed',
      tags: ['devices'],
      auth: needs('devices.write'),
      responses: {
        204: { description: 'removed' },
        404: refusal('device_not_found'),
        409: refusal('device_in_use: remove its services first'),
      },
      handler: async (req) => {
        const id = deviceIdOf(req.params);
        await deviceRecord(services, id);
        const cause = causeOf(req);
        // The router's mailbox decides "no services" against any service being added now.
        await system.ask(deviceKind, id, { type: 'Decommission' }, { cause });
        await system.ask(registryKind, REGISTRY_ID, { type: 'RemoveDevice', deviceId: id }, { cause });
        monitor.forget(id);
        directory.forget(id);
        network.errors.forget(id);
        system.passivate(deviceKind.name, id);
        return { status: 204 };
      },
    }),

    route({
      method: 'POST',
      path: '/api/v1/devices/:id/check',
      summary: 'Check a router now: TCP reach, API login, identity, resource; answers with the result',
      tags: ['devices'],
      auth: needs('devices.read'),
      responses: { 200: HealthReportView, 404: refusal('device_not_found') },
      handler: async (req) => {
        const record = await deviceRecord(services, deviceIdOf(req.params));
        return { status: 200, body: await monitor.check(record) };
      },
    }),
  ];
}
