import type { AccountEvent } from '../../actors/account/events.ts';
import { DEFAULT_TIME_ZONE } from '../../actors/billing/periods.ts';
import type { BillingProgress } from '../../actors/billing/run.ts';
import type { StoredEvent } from '../../actors/journal/types.ts';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import type { Clock } from '../../actors/runtime/clock.ts';
import { decidedAt, type Envelope } from '../../actors/runtime/envelope.ts';
import { type CheckpointedFollower, splitKey } from '../../actors/runtime/projection.ts';
import type { Kpi, KpiHourly } from '../../protocol/dashboard.ts';
import type { AccountDirectory } from './directory.ts';

// The dashboard's tiles and its hourly chart: accounts by status (from the directory), and
// payments and charges per local hour of the provider's time zone, for every day of the
// journal (48 numbers a day). "Today" is the provider's date now, by the injected clock.

const ACCOUNT = 'account';
/** Every time zone's offset is a multiple of 15 minutes: one lookup per quarter hour, not per event. */
const SLOT_MS = 15 * 60_000;

interface Day {
  payments: number[];
  charges: number[];
}

/** One day of the chart as a checkpoint keeps it: date, payments by hour, charges by hour. */
type SavedDay = [date: string, payments: number[], charges: number[]];

export class KpiBoard implements CheckpointedFollower {
  readonly checkpointVersion = 1;
  private readonly days = new Map<string, Day>();
  private readonly slots = new Map<number, { date: string; hour: number }>();
  private readonly format: Intl.DateTimeFormat;
  private billing: Kpi['billingRun'] = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly directory: AccountDirectory,
    private readonly clock: Clock,
    readonly timeZone = DEFAULT_TIME_ZONE,
  ) {
    this.format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    });
  }

  /** Called when a KPI may have changed (any account commit, billing progress). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The hourly sums; account counts live in the directory, a billing run only on the bus. */
  save(): { timeZone: string; days: SavedDay[] } {
    return {
      timeZone: this.timeZone,
      days: [...this.days].map(([date, day]) => [date, [...day.payments], [...day.charges]]),
    };
  }

  /** Hours summed in another time zone are other hours. */
  fits(data: unknown): boolean {
    return (data as { timeZone?: unknown }).timeZone === this.timeZone;
  }

  restore(data: unknown): void {
    for (const [date, payments, charges] of (data as { days: SavedDay[] }).days)
      this.days.set(date, { payments, charges });
  }

  reset(): void {
    this.days.clear();
  }

  stored(stored: StoredEvent<Envelope>): void {
    if (splitKey(stored.key).kind === ACCOUNT)
      this.count(stored.data.event as AccountEvent, decidedAt(stored.data));
  }

  live(events: LiveEvent[]): void {
    if (events[0]?.kind !== ACCOUNT) return;
    for (const e of events) this.count(e.event as AccountEvent, e.at);
    this.changed();
  }

  /** Billing run progress as the billing engine publishes it on the bus topic `billing`. */
  billingProgress(p: Pick<BillingProgress, 'runId' | 'done' | 'total' | 'finishedAt'>): void {
    const running = p.finishedAt === undefined;
    if (!running && this.billing !== null && this.billing.runId !== p.runId) return;
    this.billing = running ? { runId: p.runId, done: p.done, total: p.total } : null;
    this.changed();
  }

  kpi(): Kpi {
    const today = this.days.get(this.local(this.clock.now()).date);
    return {
      activeAccounts: this.directory.count('active'),
      blockedAccounts: this.directory.count('blocked'),
      paymentsToday: today ? sum(today.payments) : 0,
      chargesToday: today ? sum(today.charges) : 0,
      billingRun: this.billing,
    };
  }

  /** The provider's local date now, YYYY-MM-DD. */
  today(): string {
    return this.local(this.clock.now()).date;
  }

  hourly(date: string): KpiHourly {
    const day = this.days.get(date);
    return {
      hours: Array.from({ length: 24 }, (_, hour) => ({
        hour,
        payments: day?.payments[hour] ?? 0,
        charges: day?.charges[hour] ?? 0,
      })),
    };
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private count(e: AccountEvent, at: number): void {
    let payment = 0;
    let charge = 0;
    switch (e.type) {
      case 'ToppedUp':
        payment = e.amount;
        break;
      case 'Charged':
      case 'HoldConfirmed':
      case 'TariffCharged':
        charge = e.amount;
        break;
      default:
        return;
    }
    const { date, hour } = this.local(at);
    let day = this.days.get(date);
    if (!day) {
      day = { payments: new Array(24).fill(0), charges: new Array(24).fill(0) };
      this.days.set(date, day);
    }
    day.payments[hour]! += payment;
    day.charges[hour]! += charge;
  }

  private local(t: number): { date: string; hour: number } {
    const slot = Math.floor(t / SLOT_MS);
    let local = this.slots.get(slot);
    if (!local) {
      const parts: Record<string, string> = {};
      for (const p of this.format.formatToParts(slot * SLOT_MS)) parts[p.type] = p.value;
      local = { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
      if (this.slots.size > 200_000) this.slots.clear();
      this.slots.set(slot, local);
    }
    return local;
  }
}

function sum(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
