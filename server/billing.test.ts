import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { accountKind } from '../actors/account/account.ts';
import type { BillingProgress } from '../actors/billing/run.ts';
import { ManualClock } from '../actors/runtime/clock.ts';
import { type AbonentServices, type RunningAbonent, startAbonent } from './app.ts';
import { loadConfig } from './config.ts';

// The billing routes on the whole server (startAbonent, port 0, temp data dir), over real
// HTTP; accounts are set up through the actor system it runs.

const TOKEN = 'billing-routes-test-token-0123456789';
/** Moscow wall time (UTC+3, no DST) as an instant. */
const msk = (y: number, m: number, d = 1, h = 0, mi = 0) => Date.UTC(y, m - 1, d, h - 3, mi);
const ACCOUNTS = 150;

interface Ctx {
  dir: string;
  clock: ManualClock;
  server: RunningAbonent;
  services: AbonentServices;
  base: string;
}

const test = suite<Ctx>('billing routes', {} as Ctx);

test.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'abonent-billing-http-'));
  ctx.clock = new ManualClock(msk(2026, 3, 31, 22, 30));
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: ctx.dir,
    ABONENT_BOOTSTRAP_TOKEN: TOKEN,
    LOG_LEVEL: 'silent',
    // Two ticks at a time, so a run lasts long enough to be seen going on.
    BILLING_CONCURRENCY: '2',
  });
  ctx.server = await startAbonent(config, {
    clock: ctx.clock,
    routes: (services) => {
      ctx.services = services;
      return [];
    },
  });
  ctx.base = `http://127.0.0.1:${ctx.server.port}`;
});

test.after(async (ctx) => {
  await ctx.server?.stop();
  rmSync(ctx.dir, { recursive: true, force: true });
});

async function call(ctx: Ctx, method: string, path: string, token: string | null = TOKEN) {
  const res = await fetch(ctx.base + path, {
    method,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('the catch-up run at start is visible, with nothing to do on an empty journal', async (ctx) => {
  // The index is built in the background: 503 not_ready until then.
  let res = await call(ctx, 'GET', '/api/v1/billing/runs/current');
  for (let i = 0; res.status === 503 && i < 500; i++) {
    assert.is(res.body.code, 'not_ready');
    await new Promise((r) => setTimeout(r, 10));
    res = await call(ctx, 'GET', '/api/v1/billing/runs/current');
  }
  assert.is(res.status, 200);
  assert.is(res.body.current, null);
  const last = res.body.last as BillingProgress;
  assert.is(last.total, 0);
  assert.is(last.done, 0);
  assert.ok(last.finishedAt !== undefined);
  assert.is(res.body.nextRunAt, null);
});

test('POST starts a run (202), a second one meanwhile is refused (409); GET shows it to the end', async (ctx) => {
  const { system } = ctx.services;
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = `H${i}`;
    await system.ask(accountKind, id, { type: 'Open', subscriberId: null });
    await system.ask(accountKind, id, { type: 'TopUp', amount: 10_000, source: 'cash', reference: id });
    await system.ask(accountKind, id, {
      type: 'AssignTariff',
      tariff: { tariffId: 'hour', name: 'Hour', billing: 'hourly', pricePerMonth: 72_000 },
    });
  }
  const before = await call(ctx, 'GET', '/api/v1/billing/runs/current');
  assert.is(
    before.body.nextRunAt,
    msk(2026, 3, 31, 23),
    'the next hour, when the accounts have a period to pay',
  );

  ctx.clock.set(msk(2026, 3, 31, 23));
  const [first, second] = await Promise.all([
    call(ctx, 'POST', '/api/v1/billing/runs'),
    call(ctx, 'POST', '/api/v1/billing/runs'),
  ]);
  assert.is(first.status, 202);
  const started = first.body as unknown as BillingProgress;
  assert.type(started.runId, 'string');
  assert.is(started.total, ACCOUNTS);
  assert.is(started.until, msk(2026, 3, 31, 23));
  assert.is(second.status, 409);
  assert.is(second.body.code, 'billing_run_in_progress');

  const going = await call(ctx, 'GET', '/api/v1/billing/runs/current');
  assert.is((going.body.current as BillingProgress | null)?.runId, started.runId);

  const deadline = Date.now() + 15_000;
  let now = going;
  while (now.body.current !== null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    now = await call(ctx, 'GET', '/api/v1/billing/runs/current');
  }
  const last = now.body.last as BillingProgress;
  assert.is(last.runId, started.runId);
  assert.is(last.done, ACCOUNTS);
  assert.is(last.charged, ACCOUNTS);
  assert.is(last.failed, 0);
  assert.is(now.body.nextRunAt, msk(2026, 4, 1));
});

test('the routes need a principal and are in the OpenAPI document', async (ctx) => {
  assert.is((await call(ctx, 'POST', '/api/v1/billing/runs', null)).status, 401);
  assert.is((await call(ctx, 'GET', '/api/v1/billing/runs/current', null)).status, 401);
  const doc = await call(ctx, 'GET', '/api/v1/openapi.json', null);
  const paths = doc.body.paths as Record<string, unknown>;
  assert.ok(paths['/api/v1/billing/runs']);
  assert.ok(paths['/api/v1/billing/runs/current']);
});

test.run();
