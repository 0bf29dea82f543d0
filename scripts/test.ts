import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTools, MissingToolError } from './lib/ensure-tools.ts';
import { parseUvuSummary } from './lib/uvu.ts';

// `npm test`: typecheck, lint, then every *.test.ts in its own process, two at a time.
// The last line is always `N passed, N failed` (`, N skipped` when any were skipped).
//
//   npm test                  everything
//   npm test -- journal       only test files whose path contains "journal" (no typecheck/lint)
//   npm test -- --verbose     also show the output of passing files

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEST_ROOTS = ['actors', 'server', 'protocol', 'client', 'scripts'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'data', 'test-artifacts', '.git']);
const CONCURRENCY = 2;
const FILE_TIMEOUT_MS = 5 * 60_000;
const CHECK_TIMEOUT_MS = 10 * 60_000;

interface Task {
  name: string;
  command: string;
  args: string[];
  timeoutMs: number;
  /** typecheck and lint count as one test each; test files report their own counts. */
  kind: 'check' | 'file';
}

interface Outcome {
  task: Task;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
  ms: number;
  /** Why the file failed beyond its failing tests (timeout, crash, no summary). */
  problem?: string;
}

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const filters = args.filter((a) => !a.startsWith('--'));
const running = new Set<ChildProcess>();

process.on('SIGINT', () => {
  for (const child of running) killGroup(child);
  process.exit(130);
});

main().catch((err) => {
  console.error(err);
  console.log('0 passed, 1 failed');
  process.exit(1);
});

async function main(): Promise<void> {
  try {
    ensureTools(['redis-server', 'chromium']);
  } catch (err) {
    if (!(err instanceof MissingToolError)) throw err;
    console.error(`npm test: ${err.message}`);
    process.exit(1);
  }

  const files = findTestFiles().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
  const tasks: Task[] = [];
  if (filters.length === 0) {
    tasks.push(
      {
        name: 'typecheck (tsc --noEmit)',
        command: process.execPath,
        args: [bin('typescript/bin/tsc'), '--noEmit'],
        timeoutMs: CHECK_TIMEOUT_MS,
        kind: 'check',
      },
      {
        name: 'lint (biome check .)',
        command: bin('.bin/biome'),
        args: ['check', '.'],
        timeoutMs: CHECK_TIMEOUT_MS,
        kind: 'check',
      },
    );
  } else {
    console.log(
      `only test files matching ${filters.map((f) => JSON.stringify(f)).join(' or ')}; typecheck and lint skipped`,
    );
    if (files.length === 0) {
      console.log('no test file matches');
      console.log('0 passed, 1 failed');
      process.exit(1);
    }
  }
  for (const file of files) {
    tasks.push({
      name: file,
      command: process.execPath,
      args: ['--import', 'tsx', file],
      timeoutMs: FILE_TIMEOUT_MS,
      kind: 'file',
    });
  }

  const started = Date.now();
  const outcomes: Outcome[] = [];
  const queue = [...tasks];
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
      for (let task = queue.shift(); task; task = queue.shift()) {
        const outcome = await runTask(task);
        outcomes.push(outcome);
        report(outcome);
      }
    }),
  );

  const passed = sum(outcomes, 'passed');
  const failed = sum(outcomes, 'failed');
  const skipped = sum(outcomes, 'skipped');
  const failing = outcomes.filter((o) => o.failed > 0);
  console.log('');
  console.log(`${tasks.length} task(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failing.length > 0) {
    console.log('failing:');
    for (const o of failing) console.log(`  ✘ ${o.task.name}: ${o.problem ?? `${o.failed} failed`}`);
  }
  console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed > 0 ? 1 : 0;
}

function report(o: Outcome): void {
  const seconds = (o.ms / 1000).toFixed(1);
  const ok = o.failed === 0;
  const counts =
    o.task.kind === 'check'
      ? ok
        ? 'ok'
        : 'failed'
      : `${o.passed} passed, ${o.failed} failed${o.skipped ? `, ${o.skipped} skipped` : ''}`;
  console.log(
    `${ok ? '✔' : '✘'} ${o.task.name}  ${counts}${o.problem ? ` (${o.problem})` : ''}  ${seconds} s`,
  );
  if (!ok || verbose) {
    const body = o.output.trimEnd();
    if (body)
      console.log(
        body
          .split('\n')
          .map((line) => `  │ ${line}`)
          .join('\n'),
      );
  }
}

function runTask(task: Task): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    // Own process group, so a timeout also ends what the file started (redis-server, servers).
    const child = spawn(task.command, task.args, {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'test' },
    });
    running.add(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, task.timeoutMs);

    const settle = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      clearTimeout(timer);
      running.delete(child);
      // Whatever the file left running in its group goes with it.
      killGroup(child);
      const ms = Date.now() - started;
      const outcome: Outcome = { task, passed: 0, failed: 0, skipped: 0, output, ms };
      const exit = spawnError
        ? `could not start: ${spawnError.message}`
        : timedOut
          ? `timed out after ${task.timeoutMs / 1000} s`
          : code === 0
            ? undefined
            : signal
              ? `killed by ${signal}`
              : `exit code ${code}`;

      if (task.kind === 'check') {
        if (exit === undefined) outcome.passed = 1;
        else outcome.failed = 1;
        resolve(outcome);
        return;
      }
      const summary = parseUvuSummary(output);
      if (summary === null) {
        outcome.failed = 1;
        outcome.problem = exit ?? 'ended without a uvu summary (is .run() missing?)';
      } else {
        outcome.passed = summary.passed;
        outcome.failed = summary.total - summary.passed;
        outcome.skipped = summary.skipped;
        if (exit !== undefined && outcome.failed === 0) {
          outcome.failed = 1;
          outcome.problem = `${exit} after its tests passed`;
        } else if (timedOut) {
          outcome.problem = exit;
        }
      }
      resolve(outcome);
    };
    child.on('error', (err) => settle(null, null, err));
    child.on('close', (code, signal) => settle(code, signal));
  });
}

function findTestFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (SKIP_DIRS.has(name)) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.test.ts')) found.push(relative(ROOT, full));
    }
  };
  for (const root of TEST_ROOTS) walk(join(ROOT, root));
  return found.sort();
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
}

function bin(path: string): string {
  return join(ROOT, 'node_modules', path);
}

function sum(outcomes: Outcome[], key: 'passed' | 'failed' | 'skipped'): number {
  return outcomes.reduce((n, o) => n + o[key], 0);
}
