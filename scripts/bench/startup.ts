import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, startServerProcess } from '../lib/server-process.ts';

// How long `npm start`'s server takes to start on a journal with history: BENCH_ACCOUNTS
// accounts (default 5,000) billed hourly for BENCH_AGE_DAYS days (default 30), as billing-run
// sets them up (BENCH_SETUP_CACHE shares its cache). Started three times on the same data:
//   cold — no checkpoint: every read model reads the whole journal;
//   warm — after a clean stop, which saved the read models' checkpoints;
// and the stop between them, which includes the saves. `value` is the warm start, seconds
// until the billing index is built (the last read model, after the server is ready).

process.env.BENCH_ACCOUNTS ??= '5000';
process.env.BENCH_AGE_DAYS ??= '30';
const { prepareJournal } = await import('./billing-run.ts');

interface Start {
  readySeconds: number;
  billingIndexSeconds: number;
  staff: Record<string, unknown>;
  billingIndex: Record<string, unknown>;
}

function logLines(server: ServerProcess): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of server.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // Not a log line.
    }
  }
  return out;
}

async function start(dataDir: string): Promise<{ server: ServerProcess; start: Start }> {
  const began = performance.now();
  const server = await startServerProcess({
    env: {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      // The set-up's history ends in March: no catch-up charging, only the read models.
      BILLING_MAX_CATCH_UP: '0',
    },
    startTimeoutMs: 3_600_000,
  });
  const readySeconds = (performance.now() - began) / 1000;
  const built = (projection: string) =>
    logLines(server).find(
      (l) => l.component === 'projections' && l.projection === projection && 'eventsRead' in l,
    );
  while (!built('billing-index')) await new Promise((resolve) => setTimeout(resolve, 100));
  const billingIndexSeconds = (performance.now() - began) / 1000;
  const pick = (l: Record<string, unknown> | undefined) => ({
    restoredFrom: l?.restoredFrom,
    eventsRead: l?.eventsRead,
    ms: l?.ms,
  });
  return {
    server,
    start: {
      readySeconds,
      billingIndexSeconds,
      staff: pick(built('staff')),
      billingIndex: pick(built('billing-index')),
    },
  };
}

export async function run(): Promise<void> {
  const dataDir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'abonent-bench-startup-'));
  try {
    await prepareJournal(join(dataDir, 'journal.sqlite'));
    const cold = await start(dataDir);
    console.log(`cold start: ${JSON.stringify(cold.start)}`);
    const stopping = performance.now();
    await cold.server.stop();
    const stopSeconds = (performance.now() - stopping) / 1000;
    const saves = logLines(cold.server)
      .filter((l) => l.msg === 'checkpoint saved')
      .map((l) => ({ projection: l.projection, ms: l.ms }));
    console.log(`stop: ${stopSeconds.toFixed(1)} s, checkpoints ${JSON.stringify(saves)}`);
    const warm = await start(dataDir);
    console.log(`warm start: ${JSON.stringify(warm.start)}`);
    await warm.server.stop();
    const events = cold.start.staff.eventsRead;
    const round = (n: number) => Math.round(n * 100) / 100;
    console.log(
      JSON.stringify({
        bench: 'startup',
        accounts: Number(process.env.BENCH_ACCOUNTS),
        age_days: Number(process.env.BENCH_AGE_DAYS),
        events,
        value: round(warm.start.billingIndexSeconds),
        unit: 's',
        warm_ready_s: round(warm.start.readySeconds),
        cold_s: round(cold.start.billingIndexSeconds),
        cold_ready_s: round(cold.start.readySeconds),
        stop_s: round(stopSeconds),
        checkpoint_save_ms: saves.reduce((sum, s) => sum + Number(s.ms), 0),
      }),
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
