import type { Logger } from 'pino';
import { ApiError } from '../../protocol/errors.ts';
import type { SpeedProfile } from '../../protocol/money.ts';
import { accountKind } from '../account/account.ts';
import type { AccountEvent } from '../account/events.ts';
import type { AccountState } from '../account/state.ts';
import type { DeviceKind } from '../device/device.ts';
import type { AccountUpdate, BlockReason, DeviceEvent } from '../device/state.ts';
import type { Journal, StoredEvent } from '../journal/types.ts';
import type { Envelope } from '../runtime/envelope.ts';
import { type ActorKind, accept, type Cause } from '../runtime/kind.ts';
import type { ActorSystem } from '../runtime/system.ts';
import { CATALOG_ID, type CatalogEvent, catalogKind } from '../tariff/catalog.ts';
import type { NetworkDirectory } from './directory.ts';
import { QuietRuns } from './quiet-runs.ts';

// The hand-off from the money side to the routers: what the seed wanted Kafka for.
//
// An account's Blocked, Unblocked and AccountClosed, a tariff's new speed, a service added
// to a router: each is an event in the journal, with a global position. This process
// manager reads the journal in position order from a durable checkpoint (the `handoff:network`
// actor) and turns those events into `UpdateAccounts` for the routers of the account. Only
// once every router's mailbox has accepted (journaled) its news does the checkpoint move.
// So an account event that commits and then the process dies is found again at start and
// delivered; nothing waits in memory only.
//
// Delivered twice is harmless: a block or unblock carries the account's own sequence number,
// and a router ignores news older than what it has; speeds and full statuses are read at
// delivery time, so they are the truth of now, not of then. It is woken by every relevant
// commit of this process (ActorSystem.onPersisted) within the same tick, and polls now and
// then for commits it was not told about. The commits it was told carry no news (nearly all:
// charges) it steps over without reading them back (quiet-runs.ts).

export const HANDOFF_ID = 'network';

export interface HandOffState {
  /** Every journal event up to here has been handed to the routers. */
  position: number;
}

export type HandOffCommand = { type: 'Advance'; to: number };
export type HandOffEvent = { type: 'HandedOff'; to: number; by: Cause; at: number };

export const handoffKind: ActorKind<HandOffState, HandOffCommand, HandOffEvent, HandOffState> = {
  name: 'handoff',
  initial: () => ({ position: 0 }),
  decide: (state, cmd, ctx) =>
    cmd.to <= state.position
      ? accept([], state)
      : accept([{ type: 'HandedOff', to: cmd.to, by: ctx.cause, at: ctx.now }], { position: cmd.to }),
  evolve: (state, e) => ({ position: Math.max(state.position, e.to) }),
};

/** `upload/download` for RouterOS from a tariff's speed profile. */
export function maxLimitOf(speed: SpeedProfile | null | undefined): string | null {
  return speed ? `${speed.upKbps}k/${speed.downKbps}k` : null;
}

/** The block reasons an account has now. */
export function reasonsOf(s: AccountState): BlockReason[] {
  const out: BlockReason[] = [];
  if (s.manualBlock) out.push('manual');
  if (s.fundsBlockedAt !== null) out.push('insufficient_funds');
  if (s.closedAt !== null) out.push('closed');
  return out;
}

const ACCOUNT_EVENTS = new Set<AccountEvent['type']>([
  'Blocked',
  'Unblocked',
  'AccountClosed',
  'TariffAssigned',
  'TariffUnassigned',
]);

/** Whether an event means news for some router. */
export function concernsRouters(kind: string, event: unknown): boolean {
  const type = (event as { type?: string }).type;
  if (kind === accountKind.name) return ACCOUNT_EVENTS.has(type as AccountEvent['type']);
  if (kind === catalogKind.name)
    return type === 'TariffUpdated' && 'speed' in (event as { changes: object }).changes;
  if (kind === 'device') return type === 'ServiceAdded';
  return false;
}

export interface HandOffOptions {
  system: ActorSystem;
  journal: Journal;
  directory: NetworkDirectory;
  deviceKind: DeviceKind;
  log: Logger;
  /** Journal events read per round. */
  pageSize?: number;
  /** How often to look for commits no listener told us about. */
  pollMs?: number;
  /** Called after every round with the position reached. */
  onProgress?: (position: number) => void;
  /** The checkpoint actor's id; another one starts from the beginning (tests replay with it). */
  checkpointId?: string;
}

/** Irrelevant events are not worth a journal write each; the checkpoint follows them in strides. */
const IDLE_STRIDE = 5000;
const RETRYABLE = new Set([
  'overloaded',
  'outcome_unknown',
  'store_unavailable',
  'not_ready',
  'internal_error',
]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Plan = Map<string, AccountUpdate[]>;

export class NetworkHandOff {
  private position = 0;
  private stored = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private off: (() => void) | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly pageSize: number;
  private readonly quiet = new QuietRuns();

  private readonly checkpointId: string;

  constructor(private readonly o: HandOffOptions) {
    this.pageSize = o.pageSize ?? 2000;
    this.checkpointId = o.checkpointId ?? HANDOFF_ID;
  }

  get handedOffUpTo(): number {
    return this.position;
  }

  /** Catches up with what was committed while we were down, then follows every commit. */
  async start(): Promise<void> {
    const { system } = this.o;
    this.position = this.stored = await system.read(handoffKind, this.checkpointId, (s) => s.position);
    this.off = system.onPersisted((events) => {
      for (const e of events) {
        if (concernsRouters(e.kind, e.event)) {
          this.kick();
          return;
        }
      }
      if (events.length > 0) this.quiet.add(events[0]!.position, events[events.length - 1]!.position);
    });
    this.poller = setInterval(() => this.kick(), this.o.pollMs ?? 5000);
    this.poller.unref();
    this.kick();
    await this.idle();
  }

  /** Resolves once nothing is left to hand off (for tests and the benchmark). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.off?.();
    clearInterval(this.poller);
    await this.running?.catch(() => {});
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.catchUp();
        } while (this.again && !this.stopped);
      } catch (err) {
        // Nothing moved the checkpoint: the next kick (or the poll) starts from the same place.
        this.o.log.error({ err }, 'network hand-off failed; will retry');
      } finally {
        this.running = undefined;
      }
    })();
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      this.position = this.quiet.skip(this.position);
      if (this.position - this.stored >= IDLE_STRIDE) await this.checkpoint();
      if (this.stopped) return;
      const page = await this.o.journal.readAll<Envelope>(this.position, this.pageSize);
      if (page.length === 0) return;
      const plan = await this.plan(page);
      if (plan.size > 0) await this.deliver(plan);
      if (this.stopped) return;
      this.position = page.at(-1)!.position;
      if (plan.size > 0 || this.position - this.stored >= IDLE_STRIDE) await this.checkpoint();
      this.o.onProgress?.(this.position);
      if (page.length < this.pageSize) return;
    }
  }

  private async checkpoint(): Promise<void> {
    await this.o.system.ask(handoffKind, this.checkpointId, { type: 'Advance', to: this.position });
    this.stored = this.position;
  }

  /** The news each router gets from one page, in journal order. */
  private async plan(page: StoredEvent<Envelope>[]): Promise<Plan> {
    const { directory } = this.o;
    const plan: Plan = new Map();
    const add = (deviceId: string, update: AccountUpdate) => {
      const list = plan.get(deviceId);
      if (list) list.push(update);
      else plan.set(deviceId, [update]);
    };
    const toRouters = (accountId: string, update: AccountUpdate) => {
      for (const deviceId of directory.devicesOf(accountId)) add(deviceId, update);
    };
    let speeds: Map<string, string | null> | undefined;
    const speedOfTariff = async (tariffId: string | null) => {
      if (tariffId === null) return null;
      speeds ??= await this.tariffSpeeds();
      return speeds.get(tariffId) ?? null;
    };

    for (const stored of page) {
      const split = stored.key.indexOf(':');
      const kind = stored.key.slice(0, split);
      const id = stored.key.slice(split + 1);
      const event = stored.data.event;
      if (!concernsRouters(kind, event)) continue;

      if (kind === accountKind.name) {
        if (!directory.hasServices(id)) continue;
        const e = event as AccountEvent;
        const version = stored.sequenceNumber;
        if (e.type === 'Blocked' || e.type === 'Unblocked') {
          toRouters(id, {
            accountId: id,
            kind: 'block',
            version,
            reason: e.reason,
            blocked: e.type === 'Blocked',
          });
        } else if (e.type === 'AccountClosed') {
          toRouters(id, { accountId: id, kind: 'block', version, reason: 'closed', blocked: true });
        } else {
          const tariffId = await this.o.system.read(accountKind, id, (s) => s.tariff?.tariffId ?? null);
          toRouters(id, { accountId: id, kind: 'speed', maxLimit: await speedOfTariff(tariffId) });
        }
      } else if (kind === catalogKind.name) {
        const e = event as CatalogEvent & { type: 'TariffUpdated' };
        speeds = undefined;
        const users = await this.o.system.read(catalogKind, CATALOG_ID, (s) =>
          Object.entries(s.usage)
            .filter(([, tariffId]) => tariffId === e.tariffId)
            .map(([accountId]) => accountId),
        );
        const maxLimit = await speedOfTariff(e.tariffId);
        for (const accountId of users) {
          if (directory.hasServices(accountId)) toRouters(accountId, { accountId, kind: 'speed', maxLimit });
        }
      } else {
        // A service is new on this router: it gets the account's whole status as of now.
        const e = event as DeviceEvent & { type: 'ServiceAdded' };
        const accountId = e.service.accountId;
        const now = await this.o.system.read(accountKind, accountId, (s) =>
          s.opened ? { version: s.seq, reasons: reasonsOf(s), tariffId: s.tariff?.tariffId ?? null } : null,
        );
        if (!now) continue;
        add(id, { accountId, kind: 'status', version: now.version, reasons: now.reasons });
        add(id, { accountId, kind: 'speed', maxLimit: await speedOfTariff(now.tariffId) });
      }
    }
    return plan;
  }

  private tariffSpeeds(): Promise<Map<string, string | null>> {
    return this.o.system.read(
      catalogKind,
      CATALOG_ID,
      (s) => new Map(Object.values(s.tariffs).map((t) => [t.id, maxLimitOf(t.speed)])),
    );
  }

  /** Every router's mailbox takes its news; a busy one is asked again until it does. */
  private async deliver(plan: Plan): Promise<void> {
    const { system, deviceKind, log } = this.o;
    await Promise.all(
      [...plan].map(async ([deviceId, updates]) => {
        for (let attempt = 0; ; attempt++) {
          try {
            await system.ask(
              deviceKind,
              deviceId,
              { type: 'UpdateAccounts', updates },
              { timeoutMs: 30_000 },
            );
            return;
          } catch (err) {
            const code = err instanceof ApiError ? err.code : 'error';
            if (!RETRYABLE.has(code) || this.stopped) {
              // A refusal will not change by asking again; what it was about is logged.
              if (!this.stopped)
                log.error({ err, deviceId, updates: updates.length }, 'router refused account news');
              return;
            }
            await sleep(Math.min(5000, 50 * 2 ** attempt));
          }
        }
      }),
    );
  }
}
