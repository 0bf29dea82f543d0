import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteJournal } from '../../actors/journal/sqlite.ts';
import type { CommitObserver, NewEvent } from '../../actors/journal/types.ts';

// Durable events/s through the SQLite journal: many actors appending at once (group
// commit) against one commit per event. Both runs fsync every commit (synchronous=FULL),
// so the ratio is what group commit buys. The temp dir (BENCH_DIR, else the OS temp dir)
// must be on a real disk. BENCH_KEYS, BENCH_EVENTS_PER_APPEND and BENCH_SECONDS vary the load.

const KEYS = Number(process.env.BENCH_KEYS ?? 1000);
const EVENTS_PER_APPEND = Number(process.env.BENCH_EVENTS_PER_APPEND ?? 4);
const GROUP_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BASELINE_SECONDS = Math.min(GROUP_SECONDS, 3);

function charge(key: string, seq: number, now: number): NewEvent {
  return {
    sequenceNumber: seq,
    createdAt: now,
    tags: ['money'],
    data: {
      type: 'Charged',
      chargeId: `${key}/${seq}`,
      amount: { minor: 12_345 + seq, currency: 'RUB' },
      reason: 'tariff',
      tariff: 'home-100',
      period: { from: now - 3_600_000, to: now },
      cause: { type: 'system', id: 'abonent' },
    },
  };
}

async function baseline(file: string): Promise<number> {
  const journal = await openSqliteJournal({ file });
  const key = 'account:baseline';
  const started = performance.now();
  const deadline = started + BASELINE_SECONDS * 1000;
  let seq = 0;
  while (performance.now() < deadline) {
    seq++;
    await journal.append({ key, events: [charge(key, seq, Date.now())] });
  }
  const seconds = (performance.now() - started) / 1000;
  await journal.close();
  console.log(`baseline: ${seq} events in ${seconds.toFixed(2)} s, one commit per event`);
  return seq / seconds;
}

async function grouped(file: string): Promise<number> {
  let commits = 0;
  let largest = 0;
  const observer: CommitObserver = ({ events }) => {
    commits++;
    largest = Math.max(largest, events);
  };
  const journal = await openSqliteJournal({ file, observer });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + GROUP_SECONDS * 1000;
  let total = 0;
  const appender = async (key: string) => {
    let seq = 0;
    // The account's next billing period, restated unchanged with every append.
    const wakeupAt = Date.now() + 3_600_000;
    while (performance.now() < deadline) {
      const now = Date.now();
      const events: NewEvent[] = [];
      for (let i = 0; i < EVENTS_PER_APPEND; i++) events.push(charge(key, ++seq, now));
      await journal.append({ key, events, wakeupAt });
      total += EVENTS_PER_APPEND;
    }
  };
  let reported = 0;
  const progress = setInterval(() => {
    console.log(`  ${total - reported} events in the last second`);
    reported = total;
  }, 1000);
  await Promise.all(Array.from({ length: KEYS }, (_, i) => appender(`account:${i}`)));
  clearInterval(progress);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const stored = await journal.lastPosition();
  await journal.close();
  if (stored !== total) throw new Error(`journal holds ${stored} events, appenders counted ${total}`);
  console.log(
    `group commit: ${total} events in ${seconds.toFixed(2)} s, ${KEYS} keys × ${EVENTS_PER_APPEND} events/append, ` +
      `${commits} commits, ${Math.round(total / commits)} events/commit on average (largest ${largest}); ` +
      `CPU ${((used.user + used.system) / total).toFixed(2)} µs/event (user ${(used.user / total).toFixed(2)})`,
  );
  return total / seconds;
}

export async function run(): Promise<void> {
  // The box is shared: say how busy it was, since both figures depend on it.
  console.log(
    `load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} on ${cpus().length} CPUs`,
  );
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'abonent-bench-journal-'));
  try {
    const base = await baseline(join(dir, 'baseline', 'journal.sqlite'));
    const value = await grouped(join(dir, 'group', 'journal.sqlite'));
    const round = (n: number) => Math.round(n);
    console.log(
      JSON.stringify({
        bench: 'journal',
        value: round(value),
        unit: 'events/s',
        baseline: round(base),
        ratio: Number((value / base).toFixed(1)),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
