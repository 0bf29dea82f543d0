import type { EffectContext } from '../runtime/kind.ts';
import type { DeviceConnections } from './connections.ts';
import type { DeviceDriver } from './driver.ts';
import { OWNER_PREFIX } from './driver.ts';
import { DeviceError, isConnectionLoss } from './errors.ts';
import { reconcile } from './reconcile.ts';
import {
  type AppliedIntent,
  type ApplyOutcome,
  type BlockTarget,
  coveredByReconcile,
  type DeviceCommand,
  type DeviceConfig,
  type DeviceEvent,
  type DeviceState,
  desiredAddresses,
  type FailedIntent,
  type Intent,
} from './state.ts';

// What the device actor does to the router after its events are durable. Every outcome
// goes back to the actor as a command carrying the connection number or intent number it
// belongs to; nothing here changes state or decides whether to retry.

type Ctx = EffectContext<DeviceCommand>;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function deviceEffects(
  connections: DeviceConnections,
  state: DeviceState,
  events: DeviceEvent[],
  ctx: Ctx,
  concurrency: number,
): void {
  for (const e of events) {
    switch (e.type) {
      case 'ConnectStarted':
        connect(connections, state, e.link, ctx);
        break;
      case 'DeviceOnline': {
        const keys = Object.entries(state.intents)
          .filter(([, intent]) => !coveredByReconcile(state, intent))
          .map(([key]) => key);
        if (keys.length > 0) applyMany(connections, state, keys, ctx, concurrency);
        break;
      }
      case 'ChangesRequested': {
        if (state.status !== 'online') break;
        const keys = e.changes.flatMap((c) => ('key' in c ? [c.key] : []));
        if (keys.length > 0) applyMany(connections, state, keys, ctx, concurrency);
        break;
      }
      case 'ReconcileStarted':
        runReconcile(connections, state, e.link, e.upToSeq, ctx, concurrency);
        break;
      case 'BlockRequested':
      case 'SpeedRequested':
      case 'IntentStarted':
        if (state.status === 'online') apply(connections, state, e.key, ctx);
        break;
      case 'DeviceDecommissioned':
        void connections.close(ctx.id);
        break;
    }
  }
}

/**
 * After recovery. A process restart leaves no connection, whatever the journal says: make
 * one. A passivated actor coming back may still find its connection open: keep it.
 */
export function resumeDevice(connections: DeviceConnections, state: DeviceState, ctx: Ctx): void {
  if (!state.config) return;
  if (state.status === 'online' && connections.isOpen(ctx.id, state.link)) return;
  ctx.tellSelf({ type: 'Connect', force: true });
}

function connect(connections: DeviceConnections, state: DeviceState, link: number, ctx: Ctx): void {
  const config = state.config;
  if (!config) return;
  connections
    .open(ctx.id, link, config, (reason) => ctx.tellSelf({ type: 'Disconnected', link, reason }))
    .then(
      ({ identity, resource }) => ctx.tellSelf({ type: 'ConnectSucceeded', link, identity, resource }),
      (err: unknown) => {
        const authFailed = err instanceof DeviceError && err.code === 'auth_failed';
        ctx.log.warn(
          { host: config.host, port: config.port, authFailed, error: message(err) },
          'device connect failed',
        );
        ctx.tellSelf({ type: 'ConnectFailed', link, authFailed, message: message(err) });
      },
    );
}

function apply(connections: DeviceConnections, state: DeviceState, key: string, ctx: Ctx): void {
  const intent = state.intents[key];
  const config = state.config;
  if (!intent || !config) return;
  const { seq } = intent;
  connections
    .run(ctx.id, state.link, (driver) => applyIntent(driver, config, intent))
    .then(
      (outcome) => ctx.tellSelf({ type: 'IntentApplied', key, seq, outcome }),
      (err: unknown) =>
        ctx.tellSelf({ type: 'ApplyFailed', key, seq, message: message(err), lost: isConnectionLoss(err) }),
    );
}

/**
 * Several intents on one connection turn, `concurrency` of them in flight at once (the API
 * pipelines tagged commands), their outcomes reported together: one command and one event
 * for the lot instead of one per intent.
 */
function applyMany(
  connections: DeviceConnections,
  state: DeviceState,
  keys: string[],
  ctx: Ctx,
  concurrency: number,
): void {
  const config = state.config;
  if (!config) return;
  const items = keys.flatMap((key) => {
    const intent = state.intents[key];
    return intent ? [{ key, intent }] : [];
  });
  connections
    .run(ctx.id, state.link, async (driver) => {
      const applied: AppliedIntent[] = [];
      const failed: FailedIntent[] = [];
      await forEachLimit(items, concurrency, async ({ key, intent }) => {
        try {
          applied.push({ key, seq: intent.seq, outcome: await applyIntent(driver, config, intent) });
        } catch (err) {
          failed.push({ key, seq: intent.seq, message: message(err), lost: isConnectionLoss(err) });
        }
      });
      return { applied, failed };
    })
    .then(
      ({ applied, failed }) => ctx.tellSelf({ type: 'IntentsSettled', applied, failed }),
      (err: unknown) => {
        const failed = items.map(({ key, intent }) => ({
          key,
          seq: intent.seq,
          message: message(err),
          lost: isConnectionLoss(err),
        }));
        ctx.tellSelf({ type: 'IntentsSettled', applied: [], failed });
      },
    );
}

/** `abonent-10000k-50000k`: the profile of one speed, for every login on it. */
export const pppProfileName = (maxLimit: string | null) =>
  maxLimit === null ? 'default' : `abonent-${maxLimit.replace('/', '-')}`;

export async function applyIntent(
  driver: DeviceDriver,
  config: DeviceConfig,
  intent: Intent,
): Promise<ApplyOutcome> {
  if (intent.kind === 'speed') {
    // A PPPoE router shapes by the login's profile (one per speed, shared); others by a
    // simple queue per service on its address.
    if (config.blockMode === 'pppoe' && intent.ppp !== undefined) {
      return driver.setPppProfile(intent.ppp, pppProfileName(intent.maxLimit), intent.maxLimit);
    }
    const name = OWNER_PREFIX + (intent.subject ?? intent.accountId);
    if (intent.maxLimit === null) return driver.removeQueue(name);
    return driver.upsertQueue(name, intent.ip, intent.maxLimit);
  }
  if (intent.lift) await setBlocked(driver, config, intent.lift, intent.accountId, false);
  return setBlocked(driver, config, intent.target, intent.accountId, intent.block);
}

async function setBlocked(
  driver: DeviceDriver,
  config: DeviceConfig,
  target: BlockTarget,
  accountId: string,
  block: boolean,
): Promise<ApplyOutcome> {
  if (config.blockMode === 'address-list') {
    if (!target.ip) return 'missing';
    if (block) return driver.block(config.blockList, target.ip, OWNER_PREFIX + accountId);
    return driver.unblock(config.blockList, target.ip);
  }
  if (!target.ppp) return 'missing';
  const outcome = await driver.setPppSecretDisabled(target.ppp, block);
  // A disabled secret only stops new logins: the running session is ended too.
  if (block) await driver.kickPppActive(target.ppp);
  return outcome;
}

function runReconcile(
  connections: DeviceConnections,
  state: DeviceState,
  link: number,
  upToSeq: number,
  ctx: Ctx,
  concurrency: number,
): void {
  const config = state.config;
  if (!config) return;
  const desired = desiredAddresses(state);
  const logins = Object.values(state.blocked)
    .map((t) => t.ppp)
    .filter((p): p is string => p !== undefined);
  connections
    .run(ctx.id, link, async (driver) => {
      if (config.blockMode === 'pppoe') {
        // Disabled secrets cannot be told apart from the operator's, so only Abonent's
        // blocks are asserted again; unblocks are intents, replayed on reconnect.
        await forEachLimit(logins, concurrency, async (login) => {
          await driver.setPppSecretDisabled(login, true);
          await driver.kickPppActive(login);
        });
        return { added: 0, removed: 0, relabeled: 0 };
      }
      const plan = reconcile(desired, await driver.listBlocked(config.blockList));
      await forEachLimit(plan.remove, concurrency, (e) => driver.removeEntry(e.id));
      await forEachLimit(plan.relabel, concurrency, (e) => driver.setEntryComment(e.id, e.comment));
      await forEachLimit(plan.add, concurrency, (e) => driver.block(config.blockList, e.address, e.comment));
      return { added: plan.add.length, removed: plan.remove.length, relabeled: plan.relabel.length };
    })
    .then(
      (counts) => ctx.tellSelf({ type: 'ReconcileDone', link, upToSeq, ...counts }),
      (err: unknown) =>
        ctx.tellSelf({ type: 'ReconcileFailed', link, message: message(err), lost: isConnectionLoss(err) }),
    );
}

/** Runs `fn` over `items` with at most `limit` in flight: RouterOS pipelines tagged commands. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
