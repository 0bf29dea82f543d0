import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AccountEvent, AccountOpened } from '../account/events.ts';
import type { Journal, StoredEvent } from '../journal/types.ts';
import type { Envelope } from '../runtime/envelope.ts';
import type { Cause } from '../runtime/kind.ts';
import type { ActorSystem } from '../runtime/system.ts';

// Every applied charge and refund, for the provider's other services, on the Redis Stream
// `abonent:operations`: the seed's "log to a broker".
//
// The journal is the outbox. The forwarder tails it by global position and writes each
// operation with the stream ID `<position>-0`, so:
// - nothing is lost: after a crash or a Redis outage it resumes after the last ID the stream
//   holds (asked again after every reconnect, in case Redis came back with less);
// - nothing is doubled: Redis refuses an ID not greater than the stream's last one, and such
//   a refusal means the operation is already there;
// - consumers can read it as a log: `XREAD STREAMS abonent:operations <last id seen>`.
// onPersisted only wakes the forwarder up; what it sends always comes from the journal.

export const OPERATIONS_STREAM = 'abonent:operations';

const PAGE = 1000;
const ACCOUNT_PREFIX = 'account:';
const CURRENCY_CACHE = 100_000;
const MAX_BACKOFF_MS = 5000;

/** The journal events that move money as a charge or a refund, and their kind on the stream. */
const OPERATION_KINDS: Partial<Record<AccountEvent['type'], string>> = {
  Charged: 'charge',
  Refunded: 'refund',
  HoldConfirmed: 'hold_confirm',
  TariffCharged: 'tariff_charge',
  TariffCredited: 'tariff_credit',
};

export interface OperationsStreamOptions {
  journal: Journal;
  system: ActorSystem;
  redisUrl: string;
  log: Logger;
  stream?: string;
}

/** The fields of one stream entry (Redis stores them as strings). */
export function operationFields(
  accountId: string,
  e: AccountEvent,
  position: number,
  currency: string,
): Record<string, string> | undefined {
  const kind = OPERATION_KINDS[e.type];
  if (!kind) return undefined;
  const fields: Record<string, string> = { accountId, kind };
  switch (e.type) {
    case 'Charged':
    case 'HoldConfirmed':
    case 'TariffCharged':
      Object.assign(fields, { amount: String(e.amount), product: e.product, chargeId: e.chargeId });
      if (e.type === 'HoldConfirmed') fields.holdId = e.holdId;
      if (e.type === 'TariffCharged') Object.assign(fields, { tariffId: e.tariffId, period: e.period });
      break;
    case 'Refunded':
    case 'TariffCredited':
      Object.assign(fields, {
        amount: String(e.amount),
        product: e.product,
        refundId: e.refundId,
        chargeId: e.chargeId,
      });
      break;
    default:
      return undefined;
  }
  fields.currency = currency;
  fields.at = String(e.at);
  fields.position = String(position);
  fields.by = causeText(e.by);
  return fields;
}

function causeText(by: Cause): string {
  return `${by.type}:${by.id}`;
}

export class OperationsStream {
  private readonly redis: Redis;
  private readonly stream: string;
  /** Everything up to here is in the stream; undefined until read from it. */
  private after = 0;
  /** Set when the stream's last ID must be read (again) before sending. */
  private resync = true;
  private readonly currencies = new Map<string, string>();
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private failures = 0;
  private retry: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private readonly offPersisted: () => void;
  private forwarded = 0;

  constructor(private readonly o: OperationsStreamOptions) {
    this.stream = o.stream ?? OPERATIONS_STREAM;
    // No offline queue: while Redis is away a command fails at once and the pump backs off,
    // instead of piling up commands in memory.
    this.redis = new Redis(o.redisUrl, {
      connectionName: 'abonent-operations',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.redis.on('error', (err: Error) => o.log.debug({ err }, 'operations stream: redis'));
    this.redis.on('ready', () => {
      // Redis may have come back with less than we sent (restored from an older dump).
      this.resync = true;
      // Back now rather than after the rest of a backoff.
      this.endBackoff();
      this.wake();
    });
    this.offPersisted = o.system.onPersisted((events) => {
      if (events[0]?.kind !== 'account') return;
      for (const e of events) {
        if (OPERATION_KINDS[(e.event as AccountEvent).type]) {
          this.wake();
          return;
        }
      }
    });
  }

  /** Operations forwarded by this instance (those Redis already had are not counted). */
  get count(): number {
    return this.forwarded;
  }

  /** Forwards everything in the journal now; resolves when caught up (or stopped). */
  async start(): Promise<void> {
    this.wake();
    await this.idle();
  }

  /** Resolves when nothing is left to forward at this moment (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offPersisted();
    this.endBackoff();
    await this.idle();
    if (this.redis.status === 'end') return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private endBackoff(): void {
    if (!this.retry) return;
    clearTimeout(this.retry.timer);
    this.retry.resolve();
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.forwardAll();
        this.failures = 0;
      } catch (error) {
        if (this.stopped) return;
        this.failures++;
        const delay = Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(this.failures, 10));
        this.o.log.warn({ err: error, retryInMs: delay }, 'operations stream: forwarding paused');
        await new Promise<void>((resolve) => {
          this.retry = { timer: setTimeout(resolve, delay), resolve };
        });
        this.retry = undefined;
        this.again = true;
      }
    } while (this.again && !this.stopped);
  }

  private async forwardAll(): Promise<void> {
    if (this.resync) {
      this.resync = false;
      this.after = await this.lastForwarded();
    }
    for (;;) {
      if (this.stopped) return;
      const page = await this.o.journal.readAll<Envelope<AccountEvent>>(this.after, PAGE);
      if (page.length === 0) return;
      const entries: { position: number; fields: Record<string, string> }[] = [];
      for (const stored of page) {
        const fields = await this.fieldsOf(stored);
        if (fields) entries.push({ position: stored.position, fields });
      }
      if (entries.length > 0) await this.send(entries);
      this.after = page[page.length - 1]!.position;
    }
  }

  private async send(entries: { position: number; fields: Record<string, string> }[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const { position, fields } of entries) {
      pipeline.xadd(this.stream, `${position}-0`, ...Object.entries(fields).flat());
    }
    const results = (await pipeline.exec()) ?? [];
    for (let i = 0; i < entries.length; i++) {
      const error = results[i]?.[0];
      if (!error) {
        this.forwarded++;
        continue;
      }
      // Already in the stream: sent before a crash, or by the run before a reconnect.
      if (/equal or smaller than the target stream top item/i.test(error.message)) continue;
      throw error;
    }
  }

  private async lastForwarded(): Promise<number> {
    const last = (await this.redis.xrevrange(this.stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
    const id = last[0]?.[0];
    const position = id === undefined ? 0 : Number(id.split('-')[0]);
    const journalEnd = await this.o.journal.lastPosition();
    if (position > journalEnd) {
      // Another journal fed this stream (or ours was replaced): new operations would all be
      // refused as already there. Say so rather than drop them silently.
      this.o.log.error(
        { stream: this.stream, streamLast: position, journalLast: journalEnd },
        'operations stream is ahead of the journal: operations up to its last ID will not be forwarded',
      );
    }
    return position;
  }

  private async fieldsOf(stored: StoredEvent<Envelope<AccountEvent>>) {
    if (!stored.key.startsWith(ACCOUNT_PREFIX)) return undefined;
    const event = stored.data.event;
    if (!OPERATION_KINDS[event.type]) return undefined;
    const accountId = stored.key.slice(ACCOUNT_PREFIX.length);
    return operationFields(accountId, event, stored.position, await this.currencyOf(accountId));
  }

  /** From the account's first event: its currency never changes. */
  private async currencyOf(accountId: string): Promise<string> {
    const known = this.currencies.get(accountId);
    if (known) return known;
    const [first] = await this.o.journal.events<Envelope<AccountOpened>>(
      `${ACCOUNT_PREFIX}${accountId}`,
      0,
      1,
    );
    const currency = first?.data.event.type === 'AccountOpened' ? first.data.event.currency : 'RUB';
    if (this.currencies.size >= CURRENCY_CACHE) this.currencies.clear();
    this.currencies.set(accountId, currency);
    return currency;
  }
}
