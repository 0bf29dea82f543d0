import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Bus } from '../runtime/bus.ts';
import type { Clock } from '../runtime/clock.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type { BillingIndex } from './index.ts';
import { type BillingProgress, BillingRun } from './run.ts';

// The billing clock: a catch-up run at start (every period missed while Abonent was down is
// charged once, up to maxCatchUp per account), then a run whenever some account's next
// period begins: the top of the hour for hourly tariffs, midnight for daily, the 1st for
// monthly, each in the account's own time zone, since that is where its billedUntil lies.
// One run at a time; a run asked for while one is going is refused, not queued.

export interface BillingClockOptions {
  system: ActorSystem;
  index: BillingIndex;
  clock: Clock;
  log: Logger;
  bus?: Bus | undefined;
  /** Missed periods charged per account after downtime; older ones are written off. */
  maxCatchUp: number;
  /** BillingTicks in flight at once. */
  concurrency: number;
  /**
   * Longest sleep between runs: bounds how late a run can be if the wall clock jumps while
   * the timer waits (timers run on a monotonic clock, periods on the wall clock).
   */
  maxSleepMs: number;
  /** Pause before trying again accounts that were still due after a run (failed ticks). */
  retryMs?: number;
}

export class BillingClock {
  private current: BillingRun | undefined;
  private last: BillingProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;
  private readonly offEarlier: () => void;

  constructor(private readonly o: BillingClockOptions) {
    this.offEarlier = o.index.onEarlier((dueAt) => {
      if (!this.current && dueAt < this.armedFor) this.arm();
    });
  }

  /** Starts the catch-up run; later runs follow by themselves. */
  start(): BillingRun {
    return this.runNow()!;
  }

  /** The run going on now, if any. */
  get running(): BillingProgress | undefined {
    return this.current?.progress;
  }

  /** The last finished run, if any. */
  get lastRun(): BillingProgress | undefined {
    return this.last;
  }

  /** When the next run is due (undefined when no account has a tariff, or while one runs). */
  get nextRunAt(): number | undefined {
    return Number.isFinite(this.armedFor) && !this.current ? this.armedFor : undefined;
  }

  /** Starts a run over every account due by now; undefined when one is already going. */
  runNow(): BillingRun | undefined {
    if (this.current || this.stopped) return undefined;
    this.disarm();
    const { o } = this;
    const until = o.clock.now();
    const run = new BillingRun({
      runId: randomUUID(),
      system: o.system,
      clock: o.clock,
      log: o.log,
      bus: o.bus,
      accounts: o.index.dueBy(until),
      until,
      maxCatchUp: o.maxCatchUp,
      concurrency: o.concurrency,
    });
    this.current = run;
    void run.finished.then(
      (progress) => this.finish(run, progress),
      (error) => {
        o.log.error({ err: error }, 'billing run failed');
        this.finish(run, undefined);
      },
    );
    return run;
  }

  /** Ends the run in progress at a safe point and stops scheduling. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.offEarlier();
    this.disarm();
    await this.current?.stop();
  }

  private finish(run: BillingRun, progress: BillingProgress | undefined): void {
    if (this.current !== run) return;
    this.current = undefined;
    if (progress) this.last = progress;
    if (!this.stopped) this.arm();
  }

  private arm(): void {
    this.disarm();
    if (this.stopped) return;
    const { o } = this;
    const next = o.index.nextDueAt();
    if (!Number.isFinite(next)) return;
    const now = o.clock.now();
    const retryMs = o.retryMs ?? Math.min(o.maxSleepMs, 10_000);
    // Still due right after a run means ticks failed (or the run outlasted a period): try
    // again after a pause rather than spinning on an account that keeps failing.
    let delay = next - now;
    if (delay <= 0) delay = retryMs;
    delay = Math.min(delay, o.maxSleepMs);
    this.armedFor = next;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedFor = Number.POSITIVE_INFINITY;
      if (o.clock.now() < next) this.arm();
      else this.runNow();
    }, delay);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }
}
