import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runLoad } from './http-load.ts';

// Charges/s through the whole HTTP money API, durably acknowledged: `npm start`'s server in
// a child process (SQLite journal, synchronous=FULL), BENCH_ACCOUNTS funded accounts, and
// a lean load generator (http-load.ts) in this process sending POST …/charges over
// BENCH_CONNECTIONS keep-alive connections, one request in flight on each, each request with
// its own Idempotency-Key and spread over the accounts. Load generator and server share this
// machine's cores.
//
// Baseline: the straightforward design, one SQLite read-modify-write transaction per charge
// (BEGIN; SELECT balance; UPDATE; INSERT operation; COMMIT) on the same settings, called
// in-process without HTTP, for as many charges as the API acknowledged (or BASELINE_SECONDS).

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'server', 'main.ts');
const TOKEN = 'bench-charges-http-token-0123456789abcdef';
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 1000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const BASELINE_SECONDS = Number(process.env.BENCH_BASELINE_SECONDS ?? 10);
/** Extra node flags for the server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const SERVER_FLAGS = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** A file to copy the server's stdout to (its log, and what flags such as --trace-gc print). */
const SERVER_LOG = process.env.BENCH_SERVER_LOG;
const FUNDS = 1_000_000_000_000;

interface Server {
  child: ChildProcess;
  base: string;
  exited: Promise<number | null>;
}

async function startServer(dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, [...SERVER_FLAGS, '--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      ABONENT_BOOTSTRAP_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Abonent is ready at http:\/\/[^"\s]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    if (SERVER_LOG) {
      const log = createWriteStream(SERVER_LOG);
      child.stdout?.pipe(log);
    }
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return { child, base: `http://127.0.0.1:${port}`, exited };
}

const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

async function post(
  base: string,
  path: string,
  body: unknown,
  key: string,
): Promise<Record<string, unknown>> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { ...headers, 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  const reply = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(reply)}`);
  return reply;
}

async function openAccounts(base: string): Promise<string[]> {
  const ids: string[] = new Array(ACCOUNTS);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < ACCOUNTS) {
        const a = next++;
        const id = String((await post(base, '/api/v1/accounts', {}, `open-${a}`)).id);
        await post(
          base,
          `/api/v1/accounts/${id}/top-ups`,
          { amount: FUNDS, source: 'bank', reference: `f${a}` },
          `fund-${a}`,
        );
        ids[a] = id;
      }
    }),
  );
  return ids;
}

/**
 * Charges of 1..100 kopecks, round-robin over the accounts, each with a fresh key. Kopecks
 * are counted as sent and as acknowledged: a request that failed or timed out may still
 * have been applied without its reply being counted.
 */
async function storm(base: string, ids: string[], seconds: number, prefix: string) {
  const kopecks = { sent: 0, acknowledged: 0, refused: 0 };
  const { hostname, port, host } = new URL(base);
  // Made once: the load generator shares the cores with the server it measures.
  const heads = ids.map(
    (id) =>
      `POST /api/v1/accounts/${id}/charges HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\n` +
      'Content-Type: application/json\r\nIdempotency-Key: ',
  );
  const tails = Array.from({ length: 100 }, (_, i) => {
    const body = JSON.stringify({ amount: i + 1, product: 'traffic' });
    return `\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  });
  const result = await runLoad({
    host: hostname,
    port: Number(port),
    connections: CONNECTIONS,
    seconds,
    timeoutSeconds: 30,
    request: (i) => {
      kopecks.sent += 1 + (i % 100);
      return `${heads[i % heads.length]}${prefix}${i}${tails[i % 100]}`;
    },
    onResponse: (i, status) => {
      if (status === 201) kopecks.acknowledged += 1 + (i % 100);
      else kopecks.refused += 1 + (i % 100);
    },
  });
  return { result, kopecks };
}

/** Σ(funds − balance) over every account: what the server says it has charged. */
async function chargedOnServer(base: string, ids: string[]): Promise<number> {
  let total = 0;
  for (let from = 0; from < ids.length; from += 50) {
    const balances = await Promise.all(
      ids.slice(from, from + 50).map(async (id) => {
        const res = await fetch(`${base}/api/v1/accounts/${id}`, { headers });
        return ((await res.json()) as { balance: number }).balance;
      }),
    );
    for (const b of balances) total += FUNDS - b;
  }
  return total;
}

/**
 * CPU seconds used so far (Linux /proc) by a process, or by its main thread alone: CPU time,
 * unlike wall time, is not inflated when other work on the machine takes the cores.
 */
function cpuSeconds(pid: number | undefined, mainThreadOnly = false): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds used so far by each thread of a process, by thread id (Linux /proc; Node names them all "node"). */
function threadCpuSeconds(pid: number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (pid === undefined) return out;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'event loop' : `thread ${tid}`;
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    }
  } catch {
    // The process is gone: nothing to add.
  }
  return out;
}

/** Sums and counts of the journal's commit histograms, from /metrics. */
async function commitStats(base: string) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (name: string) => {
    let sum = 0;
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
    return sum;
  };
  return {
    commits: value('abonent_journal_commit_seconds_count'),
    seconds: value('abonent_journal_commit_seconds_sum'),
    events: value('abonent_journal_batch_events_sum'),
  };
}

function baseline(file: string, charges: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE balances (account TEXT PRIMARY KEY, balance INTEGER NOT NULL);
    CREATE TABLE operations (id INTEGER PRIMARY KEY, account TEXT NOT NULL, amount INTEGER NOT NULL,
      product TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE, balance INTEGER NOT NULL, at INTEGER NOT NULL);
  `);
  const insertAccount = db.prepare('INSERT INTO balances (account, balance) VALUES (?, ?)');
  db.transaction(() => {
    for (let a = 0; a < ACCOUNTS; a++) insertAccount.run(String(100_001 + a), FUNDS);
  })();
  const select = db.prepare<[string], number>('SELECT balance FROM balances WHERE account = ?').pluck();
  const update = db.prepare('UPDATE balances SET balance = ? WHERE account = ?');
  const insert = db.prepare(
    'INSERT INTO operations (account, amount, product, idempotency_key, balance, at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const charge = db.transaction((account: string, amount: number, key: string) => {
    const balance = select.get(account)!;
    if (balance < amount) throw new Error('insufficient funds');
    update.run(balance - amount, account);
    insert.run(account, amount, 'traffic', key, balance - amount, Date.now());
  });
  const started = performance.now();
  const deadline = started + BASELINE_SECONDS * 1000;
  let done = 0;
  while (done < charges && performance.now() < deadline) {
    charge(String(100_001 + (done % ACCOUNTS)), 1 + (done % 100), `k${done}`);
    done++;
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  console.log(`baseline: ${done} charges in ${seconds.toFixed(2)} s, one fsynced transaction each`);
  return done / seconds;
}

export async function run(): Promise<void> {
  console.log(
    `load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} on ${cpus().length} CPUs; ${ACCOUNTS} accounts, ${CONNECTIONS} connections, ${SECONDS} s`,
  );
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'abonent-bench-charges-'));
  let server: Server | undefined;
  try {
    server = await startServer(join(dir, 'data'));
    let started = performance.now();
    const ids = await openAccounts(server.base);
    console.log(
      `opened and funded ${ids.length} accounts in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const warm = await storm(server.base, ids, WARMUP_SECONDS, 'w');
    console.log(`warm-up: ${warm.result.ok} charges`);
    started = performance.now();
    const before = await commitStats(server.base);
    const serverCpu = cpuSeconds(server.child.pid);
    const mainCpu = cpuSeconds(server.child.pid, true);
    const threadsCpu = threadCpuSeconds(server.child.pid);
    const loadCpu = process.cpuUsage();
    const measured = await storm(server.base, ids, SECONDS, 'b');
    const load = process.cpuUsage(loadCpu);
    const serverUsed = cpuSeconds(server.child.pid) - serverCpu;
    const mainUsed = cpuSeconds(server.child.pid, true) - mainCpu;
    const threadsUsed = threadCpuSeconds(server.child.pid);
    const after = await commitStats(server.base);
    const { result } = measured;
    const ok = result.ok;
    const value = ok / result.seconds;
    const codes = Object.entries(result.statuses)
      .map(([code, n]) => `${code}×${n}`)
      .join(' ');
    const failed = result.requests - ok;
    console.log(
      `charges: ${ok} acknowledged of ${result.requests} sent in ${result.seconds.toFixed(2)} s (${codes}); ` +
        `errors ${result.errors}, timeouts ${result.timeouts}; latency p50 ${result.latency.p50} ms, ` +
        `p90 ${result.latency.p90} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
    );
    const loadUsed = (load.user + load.system) / 1e6;
    const perCharge = (seconds: number) => (seconds / ok) * 1e6;
    const cpu = { server: perCharge(serverUsed), eventLoop: perCharge(mainUsed), load: perCharge(loadUsed) };
    console.log(
      `CPU per charge: server ${cpu.server.toFixed(0)} µs (its event loop ${cpu.eventLoop.toFixed(0)} µs), ` +
        `load generator ${cpu.load.toFixed(0)} µs; cores: server ${(serverUsed / result.seconds).toFixed(2)}, ` +
        `load generator ${(loadUsed / result.seconds).toFixed(2)}`,
    );
    const byThread = [...threadsUsed]
      .map(([name, used]) => [name, perCharge(used - (threadsCpu.get(name) ?? 0))] as const)
      .filter(([, us]) => us >= 0.5)
      .sort((a, b) => b[1] - a[1]);
    console.log(
      `server CPU per charge by thread: ${byThread.map(([n, us]) => `${n} ${us.toFixed(1)} µs`).join(', ')}`,
    );
    const commits = after.commits - before.commits;
    console.log(
      `journal: ${commits} commits, ${((after.events - before.events) / commits).toFixed(1)} events each, ` +
        `${(((after.seconds - before.seconds) / commits) * 1000).toFixed(2)} ms each, ` +
        `${(((after.seconds - before.seconds) / result.seconds) * 100).toFixed(0)}% of the run committing`,
    );
    // Nothing acknowledged may be missing, nothing may be applied that was not sent.
    const onServer = await chargedOnServer(server.base, ids);
    const acknowledged = warm.kopecks.acknowledged + measured.kopecks.acknowledged;
    const unanswered =
      warm.kopecks.sent +
      measured.kopecks.sent -
      acknowledged -
      warm.kopecks.refused -
      measured.kopecks.refused;
    if (onServer < acknowledged || onServer > acknowledged + unanswered) {
      throw new Error(
        `the accounts hold ${onServer} kopecks of charges; acknowledged ${acknowledged}, ${unanswered} unanswered`,
      );
    }
    console.log(
      `balances agree: ${onServer} kopecks charged, ${acknowledged} acknowledged, ${onServer - acknowledged} applied as the run stopped`,
    );
    server.child.kill('SIGTERM');
    const code = await server.exited;
    server = undefined;
    if (code !== 0) throw new Error(`server exited with ${code}`);

    mkdirSync(join(dir, 'baseline'));
    const base = baseline(join(dir, 'baseline', 'balances.sqlite'), ok);
    const round1 = (n: number) => Math.round(n * 10) / 10;
    console.log(
      JSON.stringify({
        bench: 'charges-http',
        value: Math.round(value),
        unit: 'charges/s',
        p50_ms: result.latency.p50,
        p99_ms: result.latency.p99,
        baseline: Math.round(base),
        ratio: round1(value / base),
        failed,
        errors: result.errors,
        timeouts: result.timeouts,
        server_cpu_us: Math.round(cpu.server),
        load_cpu_us: Math.round(cpu.load),
      }),
    );
  } finally {
    server?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
