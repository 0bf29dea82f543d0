import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ServerProcess, startServerProcess } from '../scripts/lib/server-process.ts';

// The read models (directory, KPIs, audit log, billing index) start from their checkpoint and
// read only the journal after it, and what they then answer is what a build from the whole
// journal answers: after a clean stop (checkpoint at the end, nothing left to read) and after
// a SIGKILL (checkpoint of the clean stop before, the work since read from the journal, a hold
// placed before the checkpoint confirmed after it among that work, another left open).

const TOKEN = 'projections-test-token-0123456789abcdef';

const start = (dataDir: string) =>
  startServerProcess({
    env: {
      DATA_DIR: dataDir,
      ABONENT_BOOTSTRAP_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
      CHECKPOINT_INTERVAL_MS: '3600000',
    },
  });

let keys = 0;
async function call(server: ServerProcess, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['idempotency-key'] = `k${++keys}`;
  }
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const reply = (await res.json()) as Record<string, unknown>;
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(reply)}`);
  return reply;
}

interface Build {
  restoredFrom: number | null;
  eventsRead: number;
  upTo: number;
}

/** The build of one group of read models, from the server's log; waits for it (the billing index builds after ready). */
async function build(server: ServerProcess, projection: 'staff' | 'billing-index'): Promise<Build> {
  for (let i = 0; i < 200; i++) {
    for (const line of server.output().split('\n')) {
      if (!line.includes('"component":"projections"') || !line.includes(`"projection":"${projection}"`))
        continue;
      const parsed = JSON.parse(line) as Build;
      return { restoredFrom: parsed.restoredFrom, eventsRead: parsed.eventsRead, upTo: parsed.upTo };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no build of ${projection} in the log:\n${server.output()}`);
}

/** Everything the read models answer over HTTP. */
async function answers(server: ServerProcess) {
  await build(server, 'billing-index');
  const kpi = await call(server, 'GET', '/api/v1/kpi');
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const billing = await call(server, 'GET', '/api/v1/billing/runs/current');
  return {
    directory: await call(server, 'GET', '/api/v1/directory/accounts?limit=100'),
    blocked: await call(server, 'GET', '/api/v1/directory/accounts?status=blocked'),
    search: await call(server, 'GET', '/api/v1/directory/accounts?q=%D0%B8%D0%B2%D0%B0%D0%BD'),
    kpi,
    hourly: [
      await call(server, 'GET', `/api/v1/kpi/hourly?date=${today}`),
      await call(server, 'GET', `/api/v1/kpi/hourly?date=${yesterday}`),
    ],
    map: await call(server, 'GET', '/api/v1/map'),
    audit: await call(server, 'GET', '/api/v1/audit?limit=500'),
    nextBillingAt: billing.nextRunAt,
  };
}

test('a start restores the read models from their checkpoint and reads only the journal after it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'abonent-projections-'));
  const running: ServerProcess[] = [];
  const started = async () => {
    const s = await start(dataDir);
    running.push(s);
    return s;
  };
  try {
    // 1. A first life: subscribers, accounts, money, a hold, a tariff.
    let server = await started();
    const fresh = await build(server, 'staff');
    assert.is(fresh.restoredFrom, null);
    const ivanov = await call(server, 'POST', '/api/v1/subscribers', {
      type: 'person',
      name: 'Иванов Пётр',
      contacts: { phones: ['+79991234567'] },
      address: { text: 'Тверь, ул. Ленина 5', lat: 56.86, lon: 35.9 },
    });
    const tariff = await call(server, 'POST', '/api/v1/tariffs', {
      name: 'Дом 100',
      group: 'internet',
      billing: 'daily',
      pricePerMonth: 60_000,
    });
    const a = String((await call(server, 'POST', '/api/v1/accounts', { subscriberId: ivanov.id })).id);
    const b = String((await call(server, 'POST', '/api/v1/accounts', {})).id);
    await call(server, 'POST', `/api/v1/accounts/${a}/top-ups`, {
      amount: 50_000,
      source: 'cash',
      reference: 'r1',
    });
    await call(server, 'POST', `/api/v1/accounts/${b}/top-ups`, {
      amount: 9_000,
      source: 'bank',
      reference: 'r2',
    });
    await call(server, 'POST', `/api/v1/accounts/${a}/charges`, { amount: 1_200, product: 'traffic' });
    const hold = await call(server, 'POST', `/api/v1/accounts/${a}/holds`, {
      amount: 7_000,
      ttlSeconds: 86_400,
    });
    // Still open after the work that follows the checkpoint: the directory must not lose it.
    await call(server, 'POST', `/api/v1/accounts/${a}/holds`, { amount: 2_000, ttlSeconds: 86_400 });
    await call(server, 'POST', `/api/v1/accounts/${b}/tariff`, { tariffId: tariff.id });
    const first = await answers(server);
    assert.is(await server.stop(), 0);

    // 2. A clean stop saved the checkpoints: nothing is read again.
    server = await started();
    const restored = await build(server, 'staff');
    assert.ok(restored.restoredFrom !== null && restored.restoredFrom > 0, JSON.stringify(restored));
    assert.is(restored.eventsRead, 0);
    assert.is((await build(server, 'billing-index')).eventsRead, 0);
    assert.equal(await answers(server), first);

    // 3. Work after the checkpoint, then a SIGKILL: no checkpoint of it was saved.
    await call(server, 'POST', `/api/v1/accounts/${a}/holds/${hold.holdId}/confirm`, { amount: 5_000 });
    await call(server, 'POST', `/api/v1/accounts/${a}/charges`, { amount: 300, product: 'static-ip' });
    await call(server, 'POST', `/api/v1/accounts/${b}/block`, { reason: 'по заявлению' });
    const c = String((await call(server, 'POST', '/api/v1/accounts', { subscriberId: ivanov.id })).id);
    await call(server, 'POST', `/api/v1/accounts/${c}/top-ups`, {
      amount: 100,
      source: 'api',
      reference: 'r3',
    });
    await call(server, 'POST', `/api/v1/accounts/${c}/tariff`, { tariffId: tariff.id });
    const beforeKill = await answers(server);
    server.child.kill('SIGKILL');
    await server.exited;

    server = await started();
    const afterKill = await build(server, 'staff');
    assert.is(afterKill.restoredFrom, restored.restoredFrom, 'the checkpoint of the clean stop');
    assert.ok(afterKill.eventsRead > 0);
    assert.is(afterKill.upTo - (afterKill.restoredFrom ?? 0) >= afterKill.eventsRead, true);
    const fromTail = await answers(server);
    assert.equal(fromTail.directory, beforeKill.directory);
    assert.equal(fromTail.kpi, beforeKill.kpi);
    assert.is(await server.stop(), 0);

    // 4. Without checkpoints, the whole journal gives the very same answers.
    const db = new Database(join(dataDir, 'journal.sqlite'));
    const dropped = db.prepare("DELETE FROM snapshots WHERE key LIKE 'projection:%'").run().changes;
    db.close();
    assert.ok(dropped >= 4, `checkpoint rows dropped: ${dropped}`);
    server = await started();
    assert.is((await build(server, 'staff')).restoredFrom, null);
    assert.is((await build(server, 'billing-index')).restoredFrom, null);
    assert.equal(await answers(server), fromTail);
    assert.is(await server.stop(), 0);
  } finally {
    for (const s of running)
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
