import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { type AccountCommand, type AccountState, accountKind } from '../../actors/account/account.ts';
import { BillingClock } from '../../actors/billing/clock.ts';
import { openBillingIndex } from '../../actors/billing/index.ts';
import { BILLING_TOPIC, type BillingProgress } from '../../actors/billing/run.ts';
import { openSqliteJournal } from '../../actors/journal/sqlite.ts';
import type { NewEvent, StoredSnapshot } from '../../actors/journal/types.ts';
import { LocalBus } from '../../actors/runtime/bus.ts';
import { type SnapshotData, snapshotInterval } from '../../actors/runtime/cell.ts';
import { ManualClock } from '../../actors/runtime/clock.ts';
import { type Envelope, envelope } from '../../actors/runtime/envelope.ts';
import { type Cause, isRejected } from '../../actors/runtime/kind.ts';
import { ActorSystem, DEFAULT_SNAPSHOT_EVERY } from '../../actors/runtime/system.ts';

// One billing run over BENCH_ACCOUNTS (1,000,000) accounts on an hourly tariff, at the top
// of the hour after they were set up: each account is activated from the journal, charged
// one period (durable before its tick answers), and passivated again.
//
// Set-up (not measured) writes each account's history straight into the journal in large
// group commits: the events are made by the account kind's own decide/evolve, with the
// envelopes the runtime writes, so the run recovers exactly what real accounts would hold.
//
// BENCH_AGE_DAYS (default 0) gives every account that many days of hourly billing before
// the run, with the latest snapshot the runtime would have taken at the account's cadence:
// the steady state of a provider billing hourly, where each tick recovers an account from
// its snapshot and the events after it. (Try BENCH_ACCOUNTS=5000 BENCH_AGE_DAYS=60.)

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 1_000_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 200);
/** A file name: the run alone (not the set-up) is CPU-profiled into it. */
const PROFILE = process.env.BENCH_PROFILE;
/** A folder that keeps the set-up journal between runs (delete it when done). */
const SETUP_CACHE = process.env.BENCH_SETUP_CACHE;
const AGE_DAYS = Number(process.env.BENCH_AGE_DAYS ?? 0);
/** Accounts per set-up commit: fewer when each brings a long history. */
const SETUP_CHUNK = AGE_DAYS > 0 ? 200 : 10_000;
/**
 * V8's young generation per semi-space, MB (0: V8's default, 16 on Node 20). A tick's garbage
 * lives until its commit, a few ms, long enough to outlive the default one's scavenges: it
 * was promoted and swept by full GCs that mark the whole million-account index each time.
 */
const SEMI_SPACE_MB = Number(process.env.BENCH_SEMI_SPACE_MB ?? 64);

/** Moscow wall time (UTC+3, no DST) as an instant. */
const msk = (y: number, m: number, d: number, h: number, mi = 0) => Date.UTC(y, m - 1, d, h - 3, mi);
const HOUR = 3_600_000;
const RUN_AT = msk(2026, 3, 10, 13);
const SET_UP_AT = msk(2026, 3, 10, 12, 20) - AGE_DAYS * 24 * HOUR;
const cashier: Cause = { type: 'staff', id: 'cashier-1' };

const SET_UP: AccountCommand[] = [
  { type: 'Open', subscriberId: null },
  // Enough for the run and for every hour of the aged history (1 ₽ an hour).
  { type: 'TopUp', amount: 500_00 + AGE_DAYS * 24 * 100, source: 'cash', reference: 'bench' },
  {
    type: 'AssignTariff',
    tariff: { tariffId: 'home-100', name: 'Home 100', billing: 'hourly', pricePerMonth: 720_00 },
  },
];

const billingCause: Cause = { type: 'system', id: 'billing' };

/**
 * The journal batch of one account, as the runtime would have appended it, and the latest
 * snapshot it would have taken (with the aged history only: a young account has none).
 */
function history(id: string): { events: NewEvent<Envelope>[]; snapshot?: StoredSnapshot<SnapshotData> } {
  let state: AccountState = accountKind.initial(id);
  const events: NewEvent<Envelope>[] = [];

  let snapshot: StoredSnapshot<SnapshotData> | undefined;
  const apply = (command: AccountCommand, now: number, cause: Cause) => {
    const decision = accountKind.decide(state, command, { id, now, cause });
    if (isRejected(decision)) throw decision.reject;
    for (const event of decision.events) {
      state = accountKind.evolve(state, event);
      events.push({ sequenceNumber: events.length + 1, createdAt: now, data: envelope(event, cause, now) });
      // Where the runtime would have taken one (no applied keys here: ticks carry none).
      const every = snapshotInterval(accountKind, state, 0, DEFAULT_SNAPSHOT_EVERY);
      if (events.length - (snapshot?.sequenceNumber ?? 0) >= every) {
        snapshot = {
          key: `account:${id}`,
          sequenceNumber: events.length,
          data: { state, applied: [] },
          createdAt: now,
        };
      }
    }
  };
  for (const command of SET_UP) apply(command, SET_UP_AT, cashier);
  // Each hour's tick of the aged history, up to the hour before the run.
  for (let at = SET_UP_AT + HOUR - (SET_UP_AT % HOUR); at < RUN_AT; at += HOUR) {
    apply({ type: 'BillingTick', until: at }, at, billingCause);
  }
  return snapshot ? { events, snapshot } : { events };
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/**
 * CPU seconds of the main thread and of all the others (the SQLite writer, V8's GC helpers),
 * from /proc (Linux; undefined elsewhere): the main thread is what a run is bound by, and
 * process.cpuUsage() mixes the two.
 */
function threadCpu(): { main: number; others: number } | undefined {
  try {
    let main = 0;
    let others = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      // utime and stime are fields 14 and 15, counted after the parenthesised name.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
      if (Number(tid) === process.pid) main += seconds;
      else others += seconds;
    }
    return { main, others };
  } catch {
    return undefined;
  }
}
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** Writes the accounts' histories into a new journal file. */
async function setUp(file: string): Promise<void> {
  const journal = await openSqliteJournal({ file });
  const started = performance.now();
  for (let from = 0; from < ACCOUNTS; from += SETUP_CHUNK) {
    const appends: Promise<unknown>[] = [];
    const snapshots: StoredSnapshot<SnapshotData>[] = [];
    for (let i = from; i < Math.min(ACCOUNTS, from + SETUP_CHUNK); i++) {
      const id = `A${i}`;
      const { events, snapshot } = history(id);
      appends.push(journal.append({ key: `account:${id}`, events }));
      if (snapshot) snapshots.push(snapshot);
    }
    await Promise.all(appends);
    await Promise.all(snapshots.map((snapshot) => journal.takeSnapshot(snapshot)));
    if ((from / SETUP_CHUNK) % 20 === 19) console.log(`  set up ${from + SETUP_CHUNK} accounts`);
  }
  const events = await journal.lastPosition();
  await journal.close();
  console.log(
    `set-up: ${ACCOUNTS} accounts${AGE_DAYS > 0 ? ` with ${AGE_DAYS} days of hourly billing` : ''}, ${events} events in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/**
 * The accounts' histories in a journal file: set up anew, or with BENCH_SETUP_CACHE set up
 * once into the cache and copied from it each time (the startup bench reads the same cache).
 */
export async function prepareJournal(file: string): Promise<void> {
  if (!SETUP_CACHE) return setUp(file);
  const base = join(SETUP_CACHE, `billing-run-${ACCOUNTS}-${AGE_DAYS}d.sqlite`);
  if (!existsSync(base)) {
    mkdirSync(SETUP_CACHE, { recursive: true });
    await setUp(base);
  }
  copyFileSync(base, file);
}

/** Runs this bench again in a child with the young generation set; false when this is that child. */
function rerunWithSemiSpace(): boolean {
  const flag = '--max-semi-space-size';
  if (SEMI_SPACE_MB <= 0) return false;
  if ([...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => arg.includes(flag))) return false;
  const args = [...process.execArgv, `${flag}=${SEMI_SPACE_MB}`, ...process.argv.slice(1)];
  const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exitCode = child.status ?? 1;
  return true;
}

export async function run(): Promise<void> {
  if (rerunWithSemiSpace()) return;
  console.log(
    `load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} on ${cpus().length} CPUs; ${ACCOUNTS} accounts, ${CONCURRENCY} ticks in flight`,
  );
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'abonent-bench-billing-'));
  const file = join(dir, 'journal.sqlite');
  // An interrupted bench must not leave gigabytes behind.
  const interrupted = () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await prepareJournal(file);
    const commits = { count: 0, events: 0, ms: 0 };
    const journal = await openSqliteJournal({
      file,
      observer: ({ events, ms }) => {
        commits.count++;
        commits.events += events;
        commits.ms += ms;
      },
    });
    let started = performance.now();

    const clock = new ManualClock(RUN_AT);
    const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
    const bus = new LocalBus();
    const system = new ActorSystem({ journal, log, clock, bus }).register(accountKind);
    await system.start();
    started = performance.now();
    const { index, following } = await openBillingIndex(journal, system);
    console.log(
      `billing index: ${index.size} accounts from the journal in ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
        `heap ${mb(process.memoryUsage().heapUsed)} MB`,
    );

    let shown = 0;
    bus.subscribe(BILLING_TOPIC, (message) => {
      const p = message.event as BillingProgress;
      if (performance.now() - shown < 1000 && p.finishedAt === undefined) return;
      shown = performance.now();
      console.log(
        `  ${p.done}/${p.total} accounts, ${p.charged} charged, ${p.failed} failed; ` +
          `rss ${mb(process.memoryUsage().rss)} MB, ${system.activeActors} live actors`,
      );
    });
    const billing = new BillingClock({
      system,
      index,
      clock,
      log,
      bus,
      maxCatchUp: 744,
      concurrency: CONCURRENCY,
      maxSleepMs: 3_600_000,
    });
    const before = await journal.lastPosition();
    Object.assign(commits, { count: 0, events: 0, ms: 0 });
    const profiler = PROFILE ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const cpu = process.cpuUsage();
    const threadsBefore = threadCpu();
    const elu = performance.eventLoopUtilization();
    started = performance.now();
    const progress = await billing.start().finished;
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const threadsAfter = threadCpu();
    const busy = performance.eventLoopUtilization(elu).utilization;
    if (profiler && PROFILE) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(PROFILE, JSON.stringify(profile));
      profiler.disconnect();
    }
    await billing.stop();
    await following.stop();
    const written = (await journal.lastPosition()) - before;
    await system.stop();
    await journal.close();

    if (progress.charged !== ACCOUNTS || progress.failed !== 0 || written !== ACCOUNTS) {
      throw new Error(
        `expected ${ACCOUNTS} durable charges, got ${progress.charged} charged, ${progress.failed} failed, ${written} events written`,
      );
    }
    const perAccount = (seconds: number) => ((seconds * 1e6) / ACCOUNTS).toFixed(1);
    const threads =
      threadsBefore && threadsAfter
        ? ` (main thread ${perAccount(threadsAfter.main - threadsBefore.main)}, other threads ${perAccount(threadsAfter.others - threadsBefore.others)})`
        : '';
    console.log(
      `run: ${progress.charged} charges in ${seconds.toFixed(2)} s; CPU ${((used.user + used.system) / ACCOUNTS).toFixed(1)} µs/account${threads}; ` +
        `${commits.count} commits of ${Math.round(commits.events / commits.count)} events, ${(commits.ms / commits.count).toFixed(1)} ms each; ` +
        `event loop busy ${(busy * 100).toFixed(0)}% of the time`,
    );
    console.log(
      JSON.stringify({
        bench: 'billing-run',
        accounts: ACCOUNTS,
        ...(AGE_DAYS > 0 ? { age_days: AGE_DAYS } : {}),
        seconds: Number(seconds.toFixed(2)),
        value: Math.round(progress.charged / seconds),
        unit: 'charges/s',
        rss_mb: peakRssMb(),
      }),
    );
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    rmSync(dir, { recursive: true, force: true });
  }
}
