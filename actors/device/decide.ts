import type { ApiError } from '../../protocol/errors.ts';
import {
  accept,
  type DecideContext,
  type Decision,
  isRejected,
  reject,
  systemCause,
  type Timer,
} from '../runtime/kind.ts';
import { backoffDelay, type DevicePolicies, defaultPolicies } from './backoff.ts';
import { applyChanges, StateCopy } from './changes.ts';
import { blockRequest, speedRequest, unblockRequest } from './intents.ts';
import { IPV4, LIST_NAME, MAX_LIMIT, PPP_NAME } from './names.ts';
import { decideServices, evolveServices } from './services.ts';
import {
  type BlockTarget,
  coveredByReconcile,
  type DeviceCommand,
  type DeviceConfig,
  type DeviceEvent,
  type DeviceReply,
  type DeviceState,
  type Intent,
  intentKey,
} from './state.ts';

// The device actor's rules, pure: the router is reached only by effects, whose outcomes
// come back here as commands. Outcomes carry the connection number (`link`) or the intent
// number (`seq`) they belong to, so a late answer about an older attempt changes nothing.

export interface DecideDeps {
  policies: DevicePolicies;
  /** [0, 1): jitter for backoff; injected so tests are exact. */
  random: () => number;
}

type D = Decision<DeviceEvent, DeviceReply>;

function reply(state: DeviceState, outcome: DeviceReply['outcome']): DeviceReply {
  return { outcome, status: state.status };
}

function configProblem(c: DeviceConfig): string | null {
  if (!c.host || c.host.length > 253 || /\s/.test(c.host)) return 'host is required';
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) return 'port must be 1–65535';
  if (!c.username) return 'username is required';
  if (!c.secretRef) return 'secretRef is required';
  if (c.driver !== 'api' && c.driver !== 'rest') return 'driver must be api or rest';
  if (c.blockMode !== 'address-list' && c.blockMode !== 'pppoe')
    return 'blockMode must be address-list or pppoe';
  if (!LIST_NAME.test(c.blockList)) return 'blockList must be a RouterOS list name';
  return null;
}

export function decideDevice(
  state: DeviceState,
  cmd: DeviceCommand,
  ctx: DecideContext,
  deps: DecideDeps,
): D {
  const { now } = ctx;
  const { policies, random } = deps;
  switch (cmd.type) {
    case 'Configure': {
      const problem = configProblem(cmd.config);
      if (problem) return reject(400, 'invalid_device_config', problem);
      if (JSON.stringify(state.config) === JSON.stringify(cmd.config))
        return accept([], reply(state, 'unchanged'));
      // Blocks already on the router live in the old list or mode; nothing would ever lift them.
      const moved =
        state.config !== null &&
        (state.config.blockMode !== cmd.config.blockMode || state.config.blockList !== cmd.config.blockList);
      if (moved && Object.keys(state.services).length > 0) {
        return reject(
          409,
          'device_in_use',
          'the block mode and block list cannot change while services use this router; remove them first',
        );
      }
      return accept(
        [
          { type: 'DeviceConfigured', config: cmd.config },
          { type: 'ConnectStarted', link: state.link + 1, attempt: 1 },
        ],
        reply(state, 'ok'),
      );
    }

    case 'Connect': {
      if (!state.config) return reject(409, 'device_not_configured', 'configure the device first');
      if (state.connecting && !cmd.force) return accept([], reply(state, 'unchanged'));
      return accept(
        [{ type: 'ConnectStarted', link: state.link + 1, attempt: state.connect.attempt + 1 }],
        reply(state, 'ok'),
      );
    }

    case 'ConnectSucceeded': {
      if (cmd.link !== state.link || !state.connecting) return accept([], reply(state, 'unchanged'));
      const { resource } = cmd;
      return accept(
        [
          {
            type: 'DeviceOnline',
            link: cmd.link,
            identity: cmd.identity,
            version: resource.version,
            uptime: resource.uptime,
            boardName: resource.boardName,
            at: now,
          },
          { type: 'ReconcileStarted', link: cmd.link, upToSeq: state.seq },
        ],
        reply(state, 'ok'),
      );
    }

    case 'ConnectFailed': {
      if (cmd.link !== state.link || !state.connecting) return accept([], reply(state, 'unchanged'));
      const attempt = Math.max(1, state.connect.attempt);
      const policy = cmd.authFailed ? policies.authFailed : policies.connect;
      return accept(
        [
          {
            type: 'ConnectFailed',
            link: cmd.link,
            attempt,
            authFailed: cmd.authFailed,
            message: cmd.message,
            nextAt: now + backoffDelay(attempt, policy, random),
          },
        ],
        reply(state, 'ok'),
      );
    }

    case 'Disconnected': {
      if (cmd.link !== state.link || state.status !== 'online') return accept([], reply(state, 'unchanged'));
      // A connection that did not last does not earn a fresh backoff: a router that drops
      // every session right after login must not be hammered once a second.
      const stable = state.onlineSince !== null && now - state.onlineSince >= policies.stableMs;
      const attempt = stable ? 0 : state.connect.attempt;
      return accept(
        [
          {
            type: 'DeviceOffline',
            link: cmd.link,
            reason: cmd.reason,
            attempt,
            nextAt: now + backoffDelay(attempt + 1, policies.connect, random),
          },
        ],
        reply(state, 'ok'),
      );
    }

    case 'Block': {
      if (!state.config) return reject(409, 'device_not_configured', 'configure the device first');
      const target: BlockTarget = {};
      if (cmd.ip !== undefined) {
        if (!IPV4.test(cmd.ip)) return reject(400, 'invalid_ip', 'ip must be an IPv4 address');
        target.ip = cmd.ip;
      }
      if (cmd.ppp !== undefined) {
        if (!PPP_NAME.test(cmd.ppp)) return reject(400, 'invalid_ppp_name', 'ppp must be a PPP secret name');
        target.ppp = cmd.ppp;
      }
      if (state.config.blockMode === 'address-list' && !target.ip) {
        return reject(400, 'ip_required', 'this device blocks by address list: give the ip');
      }
      if (state.config.blockMode === 'pppoe' && !target.ppp) {
        return reject(400, 'ppp_required', 'this device blocks PPPoE logins: give the ppp name');
      }
      const event = blockRequest(state, cmd.accountId, cmd.accountId, target);
      if (!event) return accept([], reply(state, 'unchanged'));
      return accept([event], reply(state, state.status === 'online' ? 'applying' : 'queued'));
    }

    case 'Unblock': {
      if (!state.config) return reject(409, 'device_not_configured', 'configure the device first');
      const event = unblockRequest(state, cmd.accountId, cmd.accountId);
      if (!event) return accept([], reply(state, 'unchanged'));
      return accept([event], reply(state, state.status === 'online' ? 'applying' : 'queued'));
    }

    case 'SetSpeed': {
      if (!state.config) return reject(409, 'device_not_configured', 'configure the device first');
      if (!IPV4.test(cmd.ip)) return reject(400, 'invalid_ip', 'ip must be an IPv4 address');
      if (cmd.maxLimit !== null && !MAX_LIMIT.test(cmd.maxLimit)) {
        return reject(400, 'invalid_max_limit', 'maxLimit is upload/download, e.g. 10M/50M');
      }
      const key = intentKey('speed', cmd.accountId);
      const current = state.speeds[cmd.accountId];
      const unchanged =
        cmd.maxLimit === null ? !current : current?.ip === cmd.ip && current.maxLimit === cmd.maxLimit;
      if (unchanged && !state.intents[key]) return accept([], reply(state, 'unchanged'));
      const event = speedRequest(state, cmd.accountId, cmd.accountId, { ip: cmd.ip }, cmd.maxLimit);
      return accept([event], reply(state, state.status === 'online' ? 'applying' : 'queued'));
    }

    case 'RetryIntent': {
      const intent = state.intents[cmd.key];
      if (!intent || intent.nextAt === null || intent.nextAt > now || state.status !== 'online') {
        return accept([], reply(state, 'unchanged'));
      }
      return accept([{ type: 'IntentStarted', key: cmd.key, seq: intent.seq }], reply(state, 'applying'));
    }

    case 'IntentApplied': {
      if (state.intents[cmd.key]?.seq !== cmd.seq) return accept([], reply(state, 'unchanged'));
      return accept(
        [{ type: 'IntentApplied', key: cmd.key, seq: cmd.seq, outcome: cmd.outcome }],
        reply(state, 'ok'),
      );
    }

    case 'IntentsSettled': {
      const current = (k: { key: string; seq: number }) => state.intents[k.key]?.seq === k.seq;
      const applied = cmd.applied.filter(current);
      const events: DeviceEvent[] = applied.length > 0 ? [{ type: 'IntentsApplied', intents: applied }] : [];
      // A lost connection is reported on its own; those intents are replayed on reconnect.
      for (const f of cmd.failed) {
        const intent = state.intents[f.key];
        if (f.lost || !intent || intent.seq !== f.seq) continue;
        const attempt = intent.attempt + 1;
        events.push({
          type: 'IntentFailed',
          key: f.key,
          seq: f.seq,
          attempt,
          message: f.message,
          nextAt: now + backoffDelay(attempt, policies.apply, random),
        });
      }
      return accept(events, reply(state, events.length > 0 ? 'ok' : 'unchanged'));
    }

    case 'ApplyFailed': {
      const intent = state.intents[cmd.key];
      // A lost connection is reported on its own; the intent is replayed on reconnect.
      if (intent?.seq !== cmd.seq || cmd.lost) return accept([], reply(state, 'unchanged'));
      const attempt = intent.attempt + 1;
      return accept(
        [
          {
            type: 'IntentFailed',
            key: cmd.key,
            seq: cmd.seq,
            attempt,
            message: cmd.message,
            nextAt: now + backoffDelay(attempt, policies.apply, random),
          },
        ],
        reply(state, 'ok'),
      );
    }

    case 'Reconcile': {
      if (state.status !== 'online') return accept([], reply(state, 'unchanged'));
      return accept(
        [{ type: 'ReconcileStarted', link: state.link, upToSeq: state.seq }],
        reply(state, 'applying'),
      );
    }

    case 'ReconcileDone': {
      if (cmd.link !== state.link) return accept([], reply(state, 'unchanged'));
      const { upToSeq, added, removed, relabeled } = cmd;
      return accept(
        [{ type: 'Reconciled', upToSeq, added, removed, relabeled, at: now }],
        reply(state, 'ok'),
      );
    }

    case 'AddService':
    case 'ChangeService':
    case 'RemoveService':
    case 'UpdateAccounts':
    case 'Decommission':
      return decideServices(state, cmd, ctx, evolveDevice);

    case 'ReconcileFailed': {
      // A lost connection is reported on its own and a reconnect reconciles anyway.
      if (cmd.link !== state.link || cmd.lost) return accept([], reply(state, 'unchanged'));
      const attempt = state.reconcile.attempt + 1;
      return accept(
        [
          {
            type: 'ReconcileFailed',
            attempt,
            message: cmd.message,
            nextAt: now + backoffDelay(attempt, policies.apply, random),
          },
        ],
        reply(state, 'ok'),
      );
    }
  }
}

/** Retries wait for the router: intents are replayed (or reconciled) when it is online. */
function paused(state: DeviceState): DeviceState {
  const intents: Record<string, Intent> = {};
  for (const [k, i] of Object.entries(state.intents))
    intents[k] = i.nextAt === null ? i : { ...i, nextAt: null };
  return { ...state, intents, reconcile: { ...state.reconcile, nextAt: null } };
}

function withoutIntent(intents: Record<string, Intent>, key: string): Record<string, Intent> {
  const { [key]: _, ...rest } = intents;
  return rest;
}

export function evolveDevice(state: DeviceState, e: DeviceEvent): DeviceState {
  switch (e.type) {
    case 'DeviceConfigured':
      return {
        ...state,
        config: e.config,
        status: 'offline',
        onlineSince: null,
        connect: { attempt: 0, nextAt: null },
      };
    case 'ConnectStarted':
      // Whatever session there was is being replaced: not online until the new one is.
      return {
        ...paused(state),
        link: e.link,
        connecting: true,
        status: state.status === 'auth_failed' ? 'auth_failed' : 'offline',
        onlineSince: null,
        connect: { attempt: e.attempt, nextAt: null },
      };
    case 'DeviceOnline':
      // Pending intents are replayed (or reconciled) right away, not on their old schedule.
      return {
        ...paused(state),
        status: 'online',
        connecting: false,
        onlineSince: e.at,
        identity: e.identity,
        version: e.version,
        uptime: e.uptime,
        boardName: e.boardName,
        lastSeenAt: e.at,
        lastError: null,
      };
    case 'ConnectFailed':
      return {
        ...state,
        status: e.authFailed ? 'auth_failed' : 'offline',
        connecting: false,
        connect: { attempt: e.attempt, nextAt: e.nextAt },
        lastError: e.message,
      };
    case 'DeviceOffline':
      return {
        ...paused(state),
        status: 'offline',
        onlineSince: null,
        connect: { attempt: e.attempt, nextAt: e.nextAt },
        lastError: e.reason,
      };
    case 'BlockRequested':
    case 'SpeedRequested':
      return applyChanges(state, [e]);
    case 'ChangesRequested':
      return applyChanges(state, e.changes);
    case 'IntentStarted': {
      const intent = state.intents[e.key];
      if (!intent) return state;
      return { ...state, intents: { ...state.intents, [e.key]: { ...intent, nextAt: null } } };
    }
    case 'IntentApplied':
      return { ...state, intents: withoutIntent(state.intents, e.key) };
    case 'IntentsApplied': {
      const copy = new StateCopy(state);
      copy.settle(e.intents.map((i) => i.key));
      return copy.state;
    }
    case 'IntentFailed': {
      const intent = state.intents[e.key];
      if (!intent) return state;
      const next = { ...intent, attempt: e.attempt, nextAt: e.nextAt, lastError: e.message };
      return { ...state, intents: { ...state.intents, [e.key]: next }, lastError: e.message };
    }
    case 'ReconcileStarted':
      return { ...state, reconcile: { ...state.reconcile, nextAt: null } };
    case 'Reconciled': {
      const intents: Record<string, Intent> = {};
      for (const [k, i] of Object.entries(state.intents)) {
        if (!(i.seq <= e.upToSeq && coveredByReconcile(state, i))) intents[k] = i;
      }
      return {
        ...state,
        intents,
        lastSeenAt: e.at,
        reconcile: {
          attempt: 0,
          nextAt: null,
          lastAt: e.at,
          last: { added: e.added, removed: e.removed, relabeled: e.relabeled },
        },
      };
    }
    case 'ReconcileFailed':
      return {
        ...state,
        reconcile: { ...state.reconcile, attempt: e.attempt, nextAt: e.nextAt },
        lastError: e.message,
      };
    case 'AccountStatusSet':
    case 'AccountSpeedSet':
      return applyChanges(state, [e]);
    case 'ServiceAdded':
    case 'ServiceChanged':
    case 'ServiceRemoved':
    case 'DeviceDecommissioned':
      return evolveServices(state, e);
  }
}

export function deviceTimers(state: DeviceState): Timer<DeviceCommand>[] {
  if (!state.config) return [];
  if (state.status !== 'online') {
    return state.connect.nextAt === null ? [] : [{ at: state.connect.nextAt, command: { type: 'Connect' } }];
  }
  const timers: Timer<DeviceCommand>[] = [];
  for (const [key, intent] of Object.entries(state.intents)) {
    if (intent.nextAt !== null) timers.push({ at: intent.nextAt, command: { type: 'RetryIntent', key } });
  }
  if (state.reconcile.nextAt !== null)
    timers.push({ at: state.reconcile.nextAt, command: { type: 'Reconcile' } });
  return timers;
}

/**
 * How the router's mailbox would answer `command` now, without sending it: for the edge to
 * refuse before it takes a number or touches another actor. The mailbox still decides.
 */
export function refusalOf(state: DeviceState, command: DeviceCommand): ApiError | null {
  const d = decideDevice(
    state,
    command,
    { id: state.id, now: 0, cause: systemCause },
    { policies: defaultPolicies, random: () => 0.5 },
  );
  return isRejected(d) ? d.reject : null;
}
