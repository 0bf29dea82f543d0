import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ServerProcess, startServerProcess } from '../scripts/lib/server-process.ts';

// The money API's promise under a crash: `npm start`'s server (server/main.ts) takes a storm
// of charges over several accounts and is killed with SIGKILL in the middle of it. Restarted
// on the same data, every acknowledged charge is there exactly once; replaying every charge
// sent, with its Idempotency-Key, gives the acknowledged ones their first reply and applies
// the rest once, so each balance is exactly the top-up minus every charge sent.

const TOKEN = 'money-crash-test-token-0123456789abcdef';
const ACCOUNTS = 6;
const WORKERS = 48;
const FUNDS = 1_000_000_000;
const KILL_AFTER = 1000;

const startServer = (dataDir: string) =>
  startServerProcess({
    env: { DATA_DIR: dataDir, ABONENT_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'info', SNAPSHOT_EVERY: '40' },
  });

async function call(port: number, method: string, path: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key !== undefined) headers['idempotency-key'] = key;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const accountOf = (ids: string[], i: number) => ids[i % ACCOUNTS]!;
const charge = (ids: string[], port: number, i: number) =>
  call(
    port,
    'POST',
    `/api/v1/accounts/${accountOf(ids, i)}/charges`,
    { amount: i, product: `p${i}` },
    `c${i}`,
  );

/** Every charge on the account, by its product (`p<i>`), read from the operations list. */
async function chargesOn(port: number, id: string): Promise<number[]> {
  const out: number[] = [];
  let cursor = '';
  for (;;) {
    const page = await call(port, 'GET', `/api/v1/accounts/${id}/operations?kind=charge&limit=500${cursor}`);
    assert.is(page.status, 200);
    for (const op of page.body.items as { product: string; amount: number }[]) {
      const i = Number(op.product.slice(1));
      assert.is(op.amount, -i, `charge ${i} has its own amount`);
      out.push(i);
    }
    if (page.body.nextCursor === undefined) return out;
    cursor = `&cursor=${page.body.nextCursor}`;
  }
}

async function check(port: number, ids: string[], mustHave: Iterable<number>, exactly?: number[]) {
  const seen = new Set<number>();
  for (const id of ids) {
    const charges = await chargesOn(port, id);
    for (const i of charges) {
      assert.not.ok(seen.has(i), `charge ${i} was applied twice`);
      assert.is(accountOf(ids, i), id, `charge ${i} is on its own account`);
      seen.add(i);
    }
    const account = await call(port, 'GET', `/api/v1/accounts/${id}`);
    const spent = charges.reduce((s, i) => s + i, 0);
    assert.is(account.body.balance, FUNDS - spent, `balance of ${id} is the top-up minus its charges`);
  }
  for (const i of mustHave) assert.ok(seen.has(i), `acknowledged charge ${i} was lost`);
  if (exactly) assert.is(seen.size, exactly.length);
}

test('SIGKILL mid-storm of charges: nothing acknowledged lost, nothing applied twice, replays move nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'abonent-money-crash-'));
  let server: ServerProcess | undefined;
  try {
    server = await startServer(dataDir);
    const port = server.port;
    const ids: string[] = [];
    for (let a = 0; a < ACCOUNTS; a++) {
      const open = await call(port, 'POST', '/api/v1/accounts', {}, `open-${a}`);
      assert.is(open.status, 201);
      const id = String(open.body.id);
      const top = await call(
        port,
        'POST',
        `/api/v1/accounts/${id}/top-ups`,
        { amount: FUNDS, source: 'bank', reference: `pp-${a}` },
        `top-${a}`,
      );
      assert.is(top.status, 201);
      ids.push(id);
    }

    const acked = new Map<number, Record<string, unknown>>();
    const sent: number[] = [];
    let next = 1;
    let dead = false;
    const victim = server;
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (!dead) {
          const i = next++;
          sent.push(i);
          try {
            const { status, body } = await charge(ids, port, i);
            if (status !== 201) throw new Error(`unexpected ${status} ${JSON.stringify(body)}`);
            acked.set(i, body);
            if (acked.size >= KILL_AFTER && !victim.child.killed) victim.child.kill('SIGKILL');
          } catch (error) {
            if ((error as Error).message.startsWith('unexpected')) throw error;
            dead = true; // the connection died with the server
          }
        }
      }),
    );
    await server.exited;
    assert.ok(sent.length > acked.size, 'the kill caught charges in flight');

    server = await startServer(dataDir);
    await check(server.port, ids, acked.keys());

    for (let from = 0; from < sent.length; from += WORKERS) {
      await Promise.all(
        sent.slice(from, from + WORKERS).map(async (i) => {
          const { status, body } = await charge(ids, server!.port, i);
          assert.is(status, 201, `replay of ${i}: ${JSON.stringify(body)}`);
          const first = acked.get(i);
          if (first) assert.equal(body, first, `replay of acknowledged ${i} returns the first reply`);
        }),
      );
    }
    await check(server.port, ids, sent, sent);
    server.child.kill('SIGTERM');
    assert.is(await server.exited, 0);
    server = undefined;
  } finally {
    server?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
