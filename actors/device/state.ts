import type { DeviceResource } from './driver.ts';

// The device actor's data: one MikroTik router, what Abonent wants it to enforce, and the
// changes not yet confirmed by it. Plain JSON throughout: it is journaled and snapshotted.

export type BlockMode = 'address-list' | 'pppoe';

export interface DeviceConfig {
  host: string;
  port: number;
  username: string;
  /**
   * The router password as stored: a reference to (or ciphertext of) the secret, never the
   * password itself. The connection holder's resolver turns it into the password.
   */
  secretRef: string;
  tls?: boolean;
  /** `api`: the RouterOS API (8728, 8729 with tls); `rest`: the RouterOS 7 REST API (80/443). */
  driver: 'api' | 'rest';
  blockMode: BlockMode;
  /** The firewall address list that blocked subscribers go to (address-list mode). */
  blockList: string;
}

export type DeviceStatus = 'offline' | 'online' | 'auth_failed';

/** What identifies a subscriber on this router: an address, a PPP login, or both. */
export interface BlockTarget {
  ip?: string;
  ppp?: string;
}

/** Why an account is blocked; it stays blocked while any reason holds. */
export type BlockReason = 'manual' | 'insufficient_funds' | 'closed';

/** A subscriber's internet service on this router: how the router knows that subscriber. */
export interface DeviceService {
  accountId: string;
  ip: string;
  /** Upper case, colon separated; kept for staff (and a later ARP binding), not enforced. */
  mac?: string;
  /** The PPPoE login (`/ppp/secret` name). */
  ppp?: string;
}

/**
 * What this router knows of an account that has services on it. `version` is the account's
 * own sequence number the news was true at: the hand-off may deliver old news again after a
 * crash, and older news than what is here is ignored.
 */
export interface AccountOnDevice {
  version: number;
  reasons: BlockReason[];
  /** The tariff's speed as RouterOS writes it (`upload/download`), or null for no limit. */
  maxLimit: string | null;
}

/** News of one account for a router, from the network hand-off (see actors/network/handoff.ts). */
export type AccountUpdate =
  /** The whole status, read from the account at `version`. */
  | { accountId: string; kind: 'status'; version: number; reasons: BlockReason[] }
  /** One block or unblock event of the account, its sequence number being `version`. */
  | { accountId: string; kind: 'block'; version: number; reason: BlockReason; blocked: boolean }
  /** The speed of the account's tariff as it is now. */
  | { accountId: string; kind: 'speed'; maxLimit: string | null };

interface IntentBase {
  /** Whose block or limit it is: the comment on the router names this account. */
  accountId: string;
  /** What it is keyed by when not the account: a service id. */
  subject?: string;
  /** Orders intents; a reconcile that started at seq N covers every block intent up to N. */
  seq: number;
  /** Failed tries so far. */
  attempt: number;
  /** When to try again; null while a try is running or while the router is offline. */
  nextAt: number | null;
  lastError?: string;
}

/** A change Abonent has accepted but the router has not confirmed yet. */
export type Intent =
  | (IntentBase & {
      kind: 'block';
      block: boolean;
      target: BlockTarget;
      /** Another address or login the account may still be blocked under: unblocked too. */
      lift?: BlockTarget;
    })
  | (IntentBase & { kind: 'speed'; ip: string; ppp?: string; maxLimit: string | null });

export interface DeviceState {
  id: string;
  config: DeviceConfig | null;
  status: DeviceStatus;
  /** Number of the current connection attempt; outcomes of older ones are ignored. */
  link: number;
  connecting: boolean;
  connect: { attempt: number; nextAt: number | null };
  onlineSince: number | null;
  identity: string | null;
  version: string | null;
  uptime: string | null;
  boardName: string | null;
  lastSeenAt: number | null;
  /**
   * subject → target: who Abonent wants blocked on this router. A subject is a service id,
   * or an account id for blocks asked for directly (Block/Unblock without a service).
   */
  blocked: Record<string, BlockTarget>;
  /** subject → the speed limit Abonent wants enforced. */
  speeds: Record<string, { ip: string; ppp?: string; maxLimit: string }>;
  /** `block:<subject>` / `speed:<subject>` → the pending change. */
  intents: Record<string, Intent>;
  /** serviceId → the subscriber service: this router is where its address is unique. */
  services: Record<string, DeviceService>;
  /** accountId → what is known of an account with services here. */
  accounts: Record<string, AccountOnDevice>;
  seq: number;
  reconcile: {
    attempt: number;
    nextAt: number | null;
    lastAt: number | null;
    last: { added: number; removed: number; relabeled: number } | null;
  };
  lastError: string | null;
}

export type ApplyOutcome = 'applied' | 'exists' | 'missing';

export type DeviceCommand =
  | { type: 'Configure'; config: DeviceConfig }
  /** Timer, recovery or staff: (re)open the connection. `force` also replaces one in progress. */
  | { type: 'Connect'; force?: boolean }
  | { type: 'ConnectSucceeded'; link: number; identity: string; resource: DeviceResource }
  | { type: 'ConnectFailed'; link: number; authFailed: boolean; message: string }
  | { type: 'Disconnected'; link: number; reason: string }
  | { type: 'Block'; accountId: string; ip?: string; ppp?: string }
  | { type: 'Unblock'; accountId: string }
  /** `maxLimit` as RouterOS writes it (`upload/download`, `10M/50M`); null removes the limit. */
  | { type: 'SetSpeed'; accountId: string; ip: string; maxLimit: string | null }
  | { type: 'RetryIntent'; key: string }
  | { type: 'IntentApplied'; key: string; seq: number; outcome: ApplyOutcome }
  /** `lost`: the connection went away meanwhile (reported separately as Disconnected). */
  | { type: 'ApplyFailed'; key: string; seq: number; message: string; lost: boolean }
  /** The outcomes of several intents sent to the router together. */
  | { type: 'IntentsSettled'; applied: AppliedIntent[]; failed: FailedIntent[] }
  | { type: 'Reconcile' }
  | {
      type: 'ReconcileDone';
      link: number;
      upToSeq: number;
      added: number;
      removed: number;
      relabeled: number;
    }
  | { type: 'ReconcileFailed'; link: number; message: string; lost: boolean }
  | { type: 'AddService'; serviceId: string; accountId: string; ip: string; mac?: string; ppp?: string }
  /** Replaces the address, MAC and login of a service (what is not given is removed). */
  | { type: 'ChangeService'; serviceId: string; ip: string; mac?: string; ppp?: string }
  | { type: 'RemoveService'; serviceId: string }
  | { type: 'UpdateAccounts'; updates: AccountUpdate[] }
  /** The router is taken out of Abonent: connection closed, nothing more is sent to it. */
  | { type: 'Decommission' };

export interface AppliedIntent {
  key: string;
  seq: number;
  outcome: ApplyOutcome;
}

export interface FailedIntent {
  key: string;
  seq: number;
  message: string;
  lost: boolean;
}

/** The events a ChangesRequested carries: many accounts' news and what it asks of the router. */
export type RequestedChange = Extract<
  DeviceEvent,
  { type: 'AccountStatusSet' | 'AccountSpeedSet' | 'BlockRequested' | 'SpeedRequested' }
>;

export type DeviceEvent =
  | { type: 'DeviceConfigured'; config: DeviceConfig }
  | { type: 'ConnectStarted'; link: number; attempt: number }
  | {
      type: 'DeviceOnline';
      link: number;
      identity: string;
      version: string;
      uptime: string;
      boardName: string;
      at: number;
    }
  | {
      type: 'ConnectFailed';
      link: number;
      attempt: number;
      authFailed: boolean;
      message: string;
      nextAt: number;
    }
  | { type: 'DeviceOffline'; link: number; reason: string; attempt: number; nextAt: number }
  | {
      type: 'BlockRequested';
      key: string;
      seq: number;
      accountId: string;
      /** Present when the block is keyed by something else than the account (a service). */
      subject?: string;
      target: BlockTarget;
      block: boolean;
      lift?: BlockTarget;
    }
  | {
      type: 'SpeedRequested';
      key: string;
      seq: number;
      accountId: string;
      subject?: string;
      ip: string;
      ppp?: string;
      maxLimit: string | null;
    }
  | { type: 'IntentStarted'; key: string; seq: number }
  | { type: 'IntentApplied'; key: string; seq: number; outcome: ApplyOutcome }
  | { type: 'IntentsApplied'; intents: AppliedIntent[] }
  | { type: 'IntentFailed'; key: string; seq: number; attempt: number; message: string; nextAt: number }
  | { type: 'ReconcileStarted'; link: number; upToSeq: number }
  | { type: 'Reconciled'; upToSeq: number; added: number; removed: number; relabeled: number; at: number }
  | { type: 'ReconcileFailed'; attempt: number; message: string; nextAt: number }
  | { type: 'ServiceAdded'; serviceId: string; service: DeviceService }
  | { type: 'ServiceChanged'; serviceId: string; service: DeviceService }
  | { type: 'ServiceRemoved'; serviceId: string; accountId: string }
  | { type: 'AccountStatusSet'; accountId: string; version: number; reasons: BlockReason[] }
  | { type: 'AccountSpeedSet'; accountId: string; maxLimit: string | null }
  | { type: 'DeviceDecommissioned' }
  /**
   * Many changes in one event, folded with one copy of the maps they touch: a billing storm
   * brings a router a thousand accounts' news at once, and one event per change would copy
   * its maps a thousand times.
   */
  | { type: 'ChangesRequested'; changes: RequestedChange[] };

export interface DeviceReply {
  /** `applying`: sent to the router now; `queued`: kept until it is back; `unchanged`: nothing to do. */
  outcome: 'applying' | 'queued' | 'unchanged' | 'ok';
  status: DeviceStatus;
}

export function initialDeviceState(id: string): DeviceState {
  return {
    id,
    config: null,
    status: 'offline',
    link: 0,
    connecting: false,
    connect: { attempt: 0, nextAt: null },
    onlineSince: null,
    identity: null,
    version: null,
    uptime: null,
    boardName: null,
    lastSeenAt: null,
    blocked: {},
    speeds: {},
    intents: {},
    services: {},
    accounts: {},
    seq: 0,
    reconcile: { attempt: 0, nextAt: null, lastAt: null, last: null },
    lastError: null,
  };
}

export const intentKey = (kind: Intent['kind'], subject: string) => `${kind}:${subject}`;

/** The account a subject (a service id, or an account id itself) belongs to. */
export const accountOf = (state: DeviceState, subject: string): string =>
  state.services[subject]?.accountId ?? subject;

/** address → accountId, the input of reconcile. */
export function desiredAddresses(state: DeviceState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [subject, t] of Object.entries(state.blocked)) if (t.ip) out[t.ip] = accountOf(state, subject);
  return out;
}

/** Block intents that the address-list reconcile brings about by itself. */
export function coveredByReconcile(state: DeviceState, intent: Intent): boolean {
  return intent.kind === 'block' && state.config?.blockMode === 'address-list';
}
