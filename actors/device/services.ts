import { accept, type DecideContext, type Decision, reject } from '../runtime/kind.ts';
import { noNews, StateCopy } from './changes.ts';
import { blockRequest, speedRequest, unblockRequest } from './intents.ts';
import { IPV4, MAC, MAX_LIMIT, normalizeMac, PPP_NAME } from './names.ts';
import {
  type AccountOnDevice,
  type AccountUpdate,
  type BlockReason,
  type DeviceCommand,
  type DeviceEvent,
  type DeviceReply,
  type DeviceService,
  type DeviceState,
  intentKey,
  type RequestedChange,
} from './state.ts';

// Subscribers' services on this router, and what each one's account status asks of it.
//
// The router is where an address must be unique, so its mailbox decides that. Accounts
// live elsewhere: their blocks and speeds arrive as news (UpdateAccounts) from the network
// hand-off, stamped with the account's own sequence number, and the router keeps per
// account only what its services need. Which services are blocked then follows from
// (services × account status): adding a service to a blocked account blocks it, removing
// one lifts its block, a changed address moves the block.

type ServiceCommand = Extract<
  DeviceCommand,
  { type: 'AddService' | 'ChangeService' | 'RemoveService' | 'UpdateAccounts' | 'Decommission' }
>;
type ServiceEvent = Extract<
  DeviceEvent,
  {
    type: 'ServiceAdded' | 'ServiceChanged' | 'ServiceRemoved' | 'DeviceDecommissioned';
  }
>;
type Evolve = (state: DeviceState, event: DeviceEvent) => DeviceState;

const SERVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const REASONS: readonly BlockReason[] = ['manual', 'insufficient_funds', 'closed'];

/**
 * Events folded as they are made, so that each one sees the state the previous left. The
 * changes a storm is made of are folded in place on one copy (see changes.ts).
 */
class Draft {
  readonly events: DeviceEvent[] = [];
  private readonly copy: StateCopy;
  constructor(
    state: DeviceState,
    private readonly evolve: Evolve,
  ) {
    this.copy = new StateCopy(state);
  }
  get state(): DeviceState {
    return this.copy.state;
  }
  emit(event: DeviceEvent | null): void {
    if (!event) return;
    this.events.push(event);
    if (isChange(event)) this.copy.apply(event);
    else this.copy.replace(this.evolve(this.copy.state, event));
  }
  /** The events, with the changes among them carried by one ChangesRequested. */
  batched(): DeviceEvent[] {
    const changes = this.events.filter(isChange);
    if (changes.length < 2) return this.events;
    return [...this.events.filter((e) => !isChange(e)), { type: 'ChangesRequested', changes }];
  }
}

const CHANGES = new Set<DeviceEvent['type']>([
  'AccountStatusSet',
  'AccountSpeedSet',
  'BlockRequested',
  'SpeedRequested',
]);
const isChange = (e: DeviceEvent): e is RequestedChange => CHANGES.has(e.type);

function reply(state: DeviceState, outcome: DeviceReply['outcome']): DeviceReply {
  return { outcome, status: state.status };
}

function done(draft: Draft, before: DeviceState, batch = false): Decision<DeviceEvent, DeviceReply> {
  if (draft.events.length === 0) return accept([], reply(before, 'unchanged'));
  const touchesRouter = draft.events.some((e) => e.type === 'BlockRequested' || e.type === 'SpeedRequested');
  const outcome = !touchesRouter ? 'ok' : before.status === 'online' ? 'applying' : 'queued';
  return accept(batch ? draft.batched() : draft.events, reply(before, outcome));
}

/** The fields of a service as checked and stored, or the refusal. */
function serviceFields(
  state: DeviceState,
  accountId: string,
  cmd: { ip: string; mac?: string; ppp?: string },
): DeviceService | Decision<DeviceEvent, DeviceReply> {
  if (!IPV4.test(cmd.ip)) return reject(400, 'invalid_ip', 'ip must be an IPv4 address');
  if (cmd.mac !== undefined && !MAC.test(cmd.mac)) {
    return reject(400, 'invalid_mac', 'mac must look like AA:BB:CC:DD:EE:FF');
  }
  if (cmd.ppp !== undefined && !PPP_NAME.test(cmd.ppp)) {
    return reject(400, 'invalid_pppoe_login', 'the PPPoE login may not contain spaces or =');
  }
  if (state.config?.blockMode === 'pppoe' && cmd.ppp === undefined) {
    return reject(400, 'pppoe_login_required', 'this router blocks PPPoE logins: give the pppoeLogin');
  }
  return {
    accountId,
    ip: cmd.ip,
    ...(cmd.mac !== undefined ? { mac: normalizeMac(cmd.mac) } : {}),
    ...(cmd.ppp !== undefined ? { ppp: cmd.ppp } : {}),
  };
}

/** Another service on this router that already has the address or the login. */
function taken(
  state: DeviceState,
  serviceId: string,
  service: DeviceService,
): Decision<DeviceEvent, DeviceReply> | null {
  for (const [id, other] of Object.entries(state.services)) {
    if (id === serviceId) continue;
    if (other.ip === service.ip) {
      return reject(409, 'ip_taken', `${service.ip} is already used on this router by service ${id}`, {
        serviceId: id,
        accountId: other.accountId,
      });
    }
    if (service.ppp !== undefined && other.ppp === service.ppp) {
      return reject(
        409,
        'pppoe_login_taken',
        `${service.ppp} is already used on this router by service ${id}`,
        {
          serviceId: id,
          accountId: other.accountId,
        },
      );
    }
  }
  return null;
}

const isRefusal = (x: unknown): x is Decision<DeviceEvent, DeviceReply> =>
  typeof x === 'object' && x !== null && ('reject' in x || 'events' in x);

/** Brings one service's block and speed on the router in line with its account. */
function syncService(draft: Draft, serviceId: string): void {
  const s = draft.state;
  const service = s.services[serviceId];
  if (!service || !s.config) return;
  const account = s.accounts[service.accountId] ?? noNews;
  const target =
    s.config.blockMode === 'pppoe'
      ? service.ppp !== undefined
        ? { ppp: service.ppp }
        : {}
      : { ip: service.ip };
  if (account.reasons.length > 0) draft.emit(blockRequest(s, serviceId, service.accountId, target));
  else draft.emit(unblockRequest(s, serviceId, service.accountId));

  const now = draft.state;
  const want = account.maxLimit;
  const have = now.speeds[serviceId];
  const pending = now.intents[intentKey('speed', serviceId)];
  const where = { ip: service.ip, ...(service.ppp !== undefined ? { ppp: service.ppp } : {}) };
  if (want === null) {
    const removing = pending?.kind === 'speed' && pending.maxLimit === null;
    if (have || (pending && !removing))
      draft.emit(speedRequest(now, serviceId, service.accountId, where, null));
  } else if (!(have && have.ip === service.ip && have.ppp === service.ppp && have.maxLimit === want)) {
    draft.emit(speedRequest(now, serviceId, service.accountId, where, want));
  }
}

/** Lifts what a service has on the router, before it goes. */
function clearService(draft: Draft, serviceId: string, accountId: string): void {
  draft.emit(unblockRequest(draft.state, serviceId, accountId));
  const s = draft.state;
  const pending = s.intents[intentKey('speed', serviceId)];
  const removing = pending?.kind === 'speed' && pending.maxLimit === null;
  const have = s.speeds[serviceId];
  if (have || (pending && !removing)) {
    const service = s.services[serviceId];
    const ip = have?.ip ?? service?.ip ?? (pending?.kind === 'speed' ? pending.ip : '0.0.0.0');
    draft.emit(speedRequest(s, serviceId, accountId, { ip }, null));
  }
}

function applyUpdate(current: AccountOnDevice, u: AccountUpdate): AccountOnDevice | null {
  switch (u.kind) {
    case 'status': {
      const reasons = REASONS.filter((r) => u.reasons.includes(r));
      if (u.version < current.version) return null;
      if (u.version === current.version && reasons.join() === current.reasons.join()) return null;
      return { ...current, version: u.version, reasons };
    }
    case 'block': {
      if (u.version <= current.version) return null;
      const reasons = REASONS.filter((r) => (r === u.reason ? u.blocked : current.reasons.includes(r)));
      if (reasons.join() === current.reasons.join()) return null;
      return { ...current, version: u.version, reasons };
    }
    case 'speed':
      return u.maxLimit === current.maxLimit ? null : { ...current, maxLimit: u.maxLimit };
  }
}

function badUpdate(u: AccountUpdate): string | null {
  if (typeof u.accountId !== 'string' || u.accountId === '') return 'accountId is required';
  if (u.kind === 'speed') return u.maxLimit === null || MAX_LIMIT.test(u.maxLimit) ? null : 'bad maxLimit';
  if (!Number.isInteger(u.version) || u.version < 0) return 'version must be a whole number';
  if (u.kind === 'status') return u.reasons.every((r) => REASONS.includes(r)) ? null : 'unknown reason';
  if (u.kind === 'block') return REASONS.includes(u.reason) ? null : 'unknown reason';
  return 'unknown update';
}

export function decideServices(
  state: DeviceState,
  cmd: ServiceCommand,
  _ctx: DecideContext,
  evolve: Evolve,
): Decision<DeviceEvent, DeviceReply> {
  const draft = new Draft(state, evolve);
  switch (cmd.type) {
    case 'AddService': {
      if (!state.config) return reject(409, 'device_not_configured', 'configure the device first');
      if (!SERVICE_ID.test(cmd.serviceId)) return reject(400, 'invalid_service_id', 'bad service id');
      if (!SERVICE_ID.test(cmd.accountId)) return reject(400, 'invalid_account_id', 'bad account id');
      const service = serviceFields(state, cmd.accountId, cmd);
      if (isRefusal(service)) return service;
      const existing = state.services[cmd.serviceId];
      if (existing) {
        if (JSON.stringify(existing) === JSON.stringify(service))
          return accept([], reply(state, 'unchanged'));
        return reject(409, 'service_exists', `service ${cmd.serviceId} already exists with other details`);
      }
      const clash = taken(state, cmd.serviceId, service);
      if (clash) return clash;
      draft.emit({ type: 'ServiceAdded', serviceId: cmd.serviceId, service });
      syncService(draft, cmd.serviceId);
      return done(draft, state);
    }

    case 'ChangeService': {
      const existing = state.services[cmd.serviceId];
      if (!existing || !state.config) {
        return reject(404, 'service_not_found', `there is no service ${cmd.serviceId} on this router`);
      }
      const service = serviceFields(state, existing.accountId, cmd);
      if (isRefusal(service)) return service;
      if (JSON.stringify(existing) === JSON.stringify(service)) return accept([], reply(state, 'unchanged'));
      const clash = taken(state, cmd.serviceId, service);
      if (clash) return clash;
      draft.emit({ type: 'ServiceChanged', serviceId: cmd.serviceId, service });
      syncService(draft, cmd.serviceId);
      return done(draft, state);
    }

    case 'RemoveService': {
      const existing = state.services[cmd.serviceId];
      if (!existing) return accept([], reply(state, 'unchanged'));
      clearService(draft, cmd.serviceId, existing.accountId);
      draft.emit({ type: 'ServiceRemoved', serviceId: cmd.serviceId, accountId: existing.accountId });
      return done(draft, state);
    }

    case 'UpdateAccounts': {
      if (!Array.isArray(cmd.updates)) return reject(400, 'invalid_updates', 'updates must be a list');
      for (const u of cmd.updates) {
        const bad = badUpdate(u);
        if (bad) return reject(400, 'invalid_updates', bad);
      }
      // Accounts without services here are not this router's business (the hand-off may
      // know of a service before this mailbox does, or after it is gone).
      let byAccount: Map<string, string[]> | undefined;
      for (const u of cmd.updates) {
        const current = draft.state.accounts[u.accountId];
        if (!current) continue;
        const next = applyUpdate(current, u);
        if (!next) continue;
        if (next.version !== current.version || next.reasons !== current.reasons) {
          draft.emit({
            type: 'AccountStatusSet',
            accountId: u.accountId,
            version: next.version,
            reasons: next.reasons,
          });
        }
        if (next.maxLimit !== current.maxLimit) {
          draft.emit({ type: 'AccountSpeedSet', accountId: u.accountId, maxLimit: next.maxLimit });
        }
        byAccount ??= servicesByAccount(state);
        for (const serviceId of byAccount.get(u.accountId) ?? []) syncService(draft, serviceId);
      }
      return done(draft, state, true);
    }

    case 'Decommission': {
      if (!state.config) return accept([], reply(state, 'unchanged'));
      const count = Object.keys(state.services).length;
      if (count > 0) {
        return reject(409, 'device_in_use', `${count} services use this router; remove them first`, {
          services: count,
        });
      }
      return accept([{ type: 'DeviceDecommissioned' }], reply(state, 'ok'));
    }
  }
}

function servicesByAccount(state: DeviceState): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [id, s] of Object.entries(state.services)) {
    const list = out.get(s.accountId);
    if (list) list.push(id);
    else out.set(s.accountId, [id]);
  }
  return out;
}

export function evolveServices(state: DeviceState, e: ServiceEvent): DeviceState {
  switch (e.type) {
    case 'ServiceAdded': {
      const { accountId } = e.service;
      const accounts = state.accounts[accountId]
        ? state.accounts
        : { ...state.accounts, [accountId]: noNews };
      return { ...state, services: { ...state.services, [e.serviceId]: e.service }, accounts };
    }
    case 'ServiceChanged':
      return { ...state, services: { ...state.services, [e.serviceId]: e.service } };
    case 'ServiceRemoved': {
      const { [e.serviceId]: _, ...services } = state.services;
      const stillHere = Object.values(services).some((s) => s.accountId === e.accountId);
      if (stillHere) return { ...state, services };
      const { [e.accountId]: __, ...accounts } = state.accounts;
      return { ...state, services, accounts };
    }
    case 'DeviceDecommissioned':
      return {
        ...state,
        config: null,
        status: 'offline',
        connecting: false,
        onlineSince: null,
        connect: { attempt: 0, nextAt: null },
        intents: {},
        reconcile: { ...state.reconcile, nextAt: null },
      };
  }
}
