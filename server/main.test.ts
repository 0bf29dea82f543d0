import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configVariables } from './config.ts';

// `server/main.ts` as a person runs it: a child process, its exit code and its output.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'server', 'main.ts');
// The SIGTERM test needs the journal (actors/journal/open.ts, another engineer's work):
// until it exists that test is skipped, and the summary says so.
const JOURNAL_READY = existsSync(join(ROOT, 'actors', 'journal', 'open.ts'));

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(env: Record<string, string>, args: string[] = []): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout?.on('data', (d: Buffer) => {
    run.stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    run.stderr += d.toString();
  });
  return run;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string, run: Run): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => {
          run.child.kill('SIGKILL');
          reject(new Error(`${what} within ${ms} ms\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

test('a too-short ABONENT_BOOTSTRAP_TOKEN → exit 2, the variable named on stderr', async () => {
  const run = start({ ABONENT_BOOTSTRAP_TOKEN: 'too-short-secret', PORT: '0' });
  const { code } = await withTimeout(run.exited, 30_000, 'exit', run);
  assert.is(code, 2);
  assert.match(run.stderr, /ABONENT_BOOTSTRAP_TOKEN/);
  assert.match(run.stderr, /at least 32 characters/);
  assert.not.match(run.stderr, /too-short-secret/);
});

test('a bad PORT → exit 2 naming PORT', async () => {
  const run = start({ PORT: 'eighty' });
  const { code } = await withTimeout(run.exited, 30_000, 'exit', run);
  assert.is(code, 2);
  assert.match(run.stderr, /PORT/);
});

test('--help lists every variable and exits 0', async () => {
  const run = start({}, ['--help']);
  const { code } = await withTimeout(run.exited, 30_000, 'exit', run);
  assert.is(code, 0);
  for (const v of configVariables) assert.ok(run.stdout.includes(v.name), v.name);
});

(JOURNAL_READY ? test : test.skip)(
  'starts, becomes ready, and SIGTERM stops it with exit 0 [needs actors/journal/open.ts]',
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'abonent-main-'));
    const run = start({ PORT: '0', DATA_DIR: dataDir, ABONENT_BOOTSTRAP_TOKEN: 'z'.repeat(32) });
    try {
      const url = await withTimeout(
        (async () => {
          for (;;) {
            const m = /"url":"(http:\/\/[^"]+)"/.exec(run.stdout);
            if (m) return m[1]!;
            if (run.child.exitCode !== null) throw new Error(`exited early:\n${run.stdout}\n${run.stderr}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        })(),
        60_000,
        'ready',
        run,
      );
      const ready = await fetch(`${url}/readyz`);
      assert.is(ready.status, 200);
      const body = (await ready.json()) as { status: string; journal: string };
      assert.is(body.status, 'ready');
      assert.is(body.journal, 'sqlite');
      const page = await fetch(`${url}/`);
      assert.is(page.status, 200);

      run.child.kill('SIGTERM');
      const { code } = await withTimeout(run.exited, 20_000, 'exit after SIGTERM', run);
      assert.is(code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /"msg":"stopped"/);
    } finally {
      run.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);

test.run();
