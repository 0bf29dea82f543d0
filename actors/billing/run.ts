import type { Logger } from 'pino';
import { ApiError } from '../../protocol/errors.ts';
import { type AccountCommand, accountKind } from '../account/account.ts';
import type { BillingTickReply } from '../account/replies.ts';
import type { Bus, LiveEvent } from '../runtime/bus.ts';
import type { Clock } from '../runtime/clock.ts';
import { systemCause } from '../runtime/kind.ts';
import type { ActorSystem } from '../runtime/system.ts';

// One billing run: a BillingTick to each account whose period has begun, a few thousand in
// flight at once. The account decides what is due and keeps every period charged exactly
// once, so a run can be repeated, interrupted or overlap a top-up without harm; what a run
// adds is scale: bounded concurrency, retries instead of drops, and flat memory (an account
// it woke up goes back to sleep as soon as it is done).

/** The live-bus topic of run progress, for the dashboard's progress bar. */
export const BILLING_TOPIC = 'billing';

export interface BillingProgress {
  runId: string;
  /** Every period begun by this instant is charged. */
  until: number;
  done: number;
  total: number;
  /** Periods charged (an account catching up after downtime pays several). */
  charged: number;
  /** Minor units charged. */
  amount: number;
  /** Accounts left blocked with an unpaid period. */
  blocked: number;
  /** Accounts whose tick failed after its retries; the next run tries them again. */
  failed: number;
  startedAt: number;
  finishedAt?: number;
  /** Set when the run was stopped (shutdown) before every account was ticked. */
  stopped?: boolean;
}

export interface BillingRunOptions {
  runId: string;
  system: ActorSystem;
  clock: Clock;
  log: Logger;
  bus?: Bus | undefined;
  accounts: readonly string[];
  until: number;
  maxCatchUp: number;
  concurrency: number;
  /** At most one progress message per this many ms, plus the final one. */
  progressEveryMs?: number;
}

/** Failures worth another try: the account or the journal was busy, not wrong. */
const RETRYABLE = new Set(['store_unavailable', 'outcome_unknown', 'internal_error']);
const MAX_RETRIES = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number) => Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random() / 2);

export class BillingRun {
  readonly progress: BillingProgress;
  readonly finished: Promise<BillingProgress>;
  private stopping = false;
  private published = -1;
  private sequence = 0;
  /** One for every account: commands are never changed once sent. */
  private readonly command: AccountCommand;

  constructor(private readonly o: BillingRunOptions) {
    this.command = Object.freeze({ type: 'BillingTick', until: o.until, maxCatchUp: o.maxCatchUp });
    this.progress = {
      runId: o.runId,
      until: o.until,
      done: 0,
      total: o.accounts.length,
      charged: 0,
      amount: 0,
      blocked: 0,
      failed: 0,
      startedAt: o.clock.now(),
    };
    this.finished = this.run();
  }

  get running(): boolean {
    return this.progress.finishedAt === undefined;
  }

  /** Ticks in flight finish (a tick is atomic), no new one starts; resolves with the final progress. */
  stop(): Promise<BillingProgress> {
    this.stopping = true;
    return this.finished;
  }

  private async run(): Promise<BillingProgress> {
    const { accounts, log } = this.o;
    log.info({ runId: this.o.runId, until: this.o.until, accounts: accounts.length }, 'billing run started');
    this.publish();
    const every = this.o.progressEveryMs ?? 250;
    const timer = setInterval(() => this.publish(), every);
    timer.unref();
    let next = 0;
    const worker = async () => {
      while (!this.stopping && next < accounts.length) {
        if (await this.tick(accounts[next++]!)) this.progress.done++;
      }
    };
    try {
      const workers = Math.max(1, Math.min(this.o.concurrency, accounts.length));
      await Promise.all(Array.from({ length: workers }, worker));
    } finally {
      clearInterval(timer);
    }
    if (this.progress.done < this.progress.total) this.progress.stopped = true;
    this.progress.finishedAt = this.o.clock.now();
    this.publish(true);
    log.info({ ...this.progress }, this.progress.stopped ? 'billing run stopped' : 'billing run finished');
    return this.progress;
  }

  /** True once the account is settled for this run (charged, left due, or given up on). */
  private async tick(accountId: string): Promise<boolean> {
    const { system } = this.o;
    const wasLive = system.isActive(accountKind.name, accountId);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const reply = (await system.ask(accountKind, accountId, this.command)) as BillingTickReply;
          this.progress.charged += reply.charged.length;
          this.progress.amount += reply.amount;
          if (reply.due) this.progress.blocked++;
          return true;
        } catch (error) {
          const code = error instanceof ApiError ? error.code : '';
          // A full mailbox is back-pressure, never a reason to skip an account.
          const retry = code === 'overloaded' || (RETRYABLE.has(code) && attempt < MAX_RETRIES);
          if (retry && !this.stopping) {
            await sleep(backoff(attempt));
            continue;
          }
          if (this.stopping && retry) return false;
          this.progress.failed++;
          this.o.log.warn({ err: error, accountId, runId: this.o.runId }, 'billing tick failed');
          return true;
        }
      }
    } finally {
      if (!wasLive) system.passivate(accountKind.name, accountId);
    }
  }

  private publish(final = false): void {
    const { bus, clock } = this.o;
    const p = this.progress;
    if (!bus || (!final && p.done === this.published)) return;
    this.published = p.done;
    // The bus carries journal events; progress rides in the same envelope, with no position
    // because it is not in the journal.
    const message: LiveEvent<{ type: 'BillingRunProgress' } & BillingProgress> = {
      position: 0,
      kind: 'billing-run',
      id: p.runId,
      sequenceNumber: ++this.sequence,
      event: { type: 'BillingRunProgress', ...p },
      cause: systemCause,
      at: clock.now(),
    };
    bus.publish(BILLING_TOPIC, message);
  }
}
