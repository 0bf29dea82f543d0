import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, startServerProcess } from '../scripts/lib/server-process.ts';

// The promise Abonent makes: nothing acknowledged is ever lost, nothing is applied twice.
// A real server process takes a storm of HTTP commands and is killed (SIGKILL) or stopped
// (SIGTERM) in the middle of it; restarted on the same data, it must hold every
// acknowledged command exactly once, and a replay of every command with its
// Idempotency-Key must change nothing that was acknowledged.

const CHILD = join(ROOT, 'actors', 'runtime', 'testing', 'crash-server.ts');
const TOKEN = 'crash-test-bootstrap-token-0123456789abcdef';
const TALLIES = 8;
const WORKERS = 48;

const startServer = (dataDir: string) =>
  startServerProcess({
    entry: CHILD,
    env: { DATA_DIR: dataDir, ABONENT_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'warn', SNAPSHOT_EVERY: '50' },
  });

interface Reply {
  total: number;
  count: number;
}

async function add(port: number, i: number): Promise<{ status: number; body: Reply }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/test/tallies/t${i % TALLIES}/adds`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': `k${i}`,
    },
    body: JSON.stringify({ amount: i }),
  });
  return { status: res.status, body: (await res.json()) as Reply };
}

async function amounts(port: number): Promise<number[]> {
  const all: number[] = [];
  for (let t = 0; t < TALLIES; t++) {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/test/tallies/t${t}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.is(res.status, 200);
    const body = (await res.json()) as { total: number; amounts: number[] };
    assert.is(
      body.total,
      body.amounts.reduce((a, b) => a + b, 0),
    );
    for (const a of body.amounts) assert.is(a % TALLIES, t, `amount ${a} landed in tally t${t}`);
    all.push(...body.amounts);
  }
  return all;
}

/** Sends commands 1, 2, 3… from WORKERS concurrent clients until `stopWhen` says so or the server dies. */
async function storm(port: number, stopWhen: (acked: number) => boolean) {
  const acked = new Map<number, Reply>();
  const sent: number[] = [];
  let next = 1;
  let dead = false;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (!dead) {
        const i = next++;
        sent.push(i);
        try {
          const { status, body } = await add(port, i);
          if (status === 201) acked.set(i, body);
          else if (status !== 503) throw new Error(`unexpected ${status} ${JSON.stringify(body)}`);
          if (stopWhen(acked.size)) dead = true;
        } catch (error) {
          if ((error as Error).message.startsWith('unexpected')) throw error;
          dead = true; // the connection died with the server
        }
      }
    }),
  );
  return { acked, sent };
}

function assertExactlyOnce(all: number[], mustHave: Iterable<number>) {
  const seen = new Set<number>();
  for (const a of all) {
    assert.not.ok(seen.has(a), `command ${a} was applied twice`);
    seen.add(a);
  }
  for (const i of mustHave) assert.ok(seen.has(i), `acknowledged command ${i} was lost`);
}

async function replay(port: number, sent: number[], acked: Map<number, Reply>) {
  for (let from = 0; from < sent.length; from += WORKERS) {
    await Promise.all(
      sent.slice(from, from + WORKERS).map(async (i) => {
        const { status, body } = await add(port, i);
        assert.is(status, 201, `replay of ${i}`);
        const first = acked.get(i);
        if (first) assert.equal(body, first, `replay of acknowledged ${i} returns the first reply`);
        else acked.set(i, body);
      }),
    );
  }
}

const crash = suite('crash safety');

crash(
  'SIGKILL mid-storm: every acknowledged command survives exactly once; replays change nothing',
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'abonent-crash-'));
    try {
      let server = await startServer(dataDir);
      const port = server.port;
      let killed = false;
      const { acked, sent } = await storm(port, (n) => {
        if (n >= 1500 && !killed) {
          killed = true;
          server.child.kill('SIGKILL');
        }
        return false;
      });
      await server.exited;
      assert.ok(acked.size >= 1500, `acknowledged ${acked.size}`);
      assert.ok(sent.length > acked.size, 'the kill caught commands in flight');

      server = await startServer(dataDir);
      assertExactlyOnce(await amounts(server.port), acked.keys());

      await replay(server.port, sent, acked);
      const afterReplay = await amounts(server.port);
      assertExactlyOnce(afterReplay, sent);
      assert.is(afterReplay.length, sent.length);

      // A second replay, after a restart, is a no-op for everything.
      server.child.kill('SIGTERM');
      assert.is(await server.exited, 0);
      server = await startServer(dataDir);
      await replay(server.port, sent, acked);
      assert.equal(
        (await amounts(server.port)).sort((a, b) => a - b),
        afterReplay.sort((a, b) => a - b),
      );
      server.child.kill('SIGTERM');
      assert.is(await server.exited, 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);

crash('SIGTERM mid-storm: exits 0 after draining, and nothing acknowledged is lost', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'abonent-term-'));
  try {
    let server = await startServer(dataDir);
    let stopped = false;
    const { acked } = await storm(server.port, (n) => {
      if (n >= 800 && !stopped) {
        stopped = true;
        server.child.kill('SIGTERM');
      }
      return false;
    });
    assert.is(await server.exited, 0, server.output());
    server = await startServer(dataDir);
    assertExactlyOnce(await amounts(server.port), acked.keys());
    server.child.kill('SIGTERM');
    assert.is(await server.exited, 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

crash.run();
