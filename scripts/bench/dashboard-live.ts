import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { accountKind } from '../../actors/account/account.ts';
import { openJournal } from '../../actors/journal/open.ts';
import type { Journal } from '../../actors/journal/types.ts';
import { sequenceKind } from '../../actors/numbering/sequence.ts';
import { envelope } from '../../actors/runtime/envelope.ts';
import type { ActorKind, Cause } from '../../actors/runtime/kind.ts';
import { subscriberKind } from '../../actors/subscriber/subscriber.ts';
import { launchChromium } from '../lib/chromium.ts';
import { ensureClientBuilt } from '../lib/client-build.ts';
import { freePort } from '../lib/redis.ts';

// `npm run bench -- dashboard-live`: how fast the NOC dashboard shows what happens.
//
// The server holds 100,000 accounts (written straight into the journal, in big batches, as
// exactly the events the account, subscriber and sequence kinds write), runs as its own
// process, and takes 1,000 top-ups a second over HTTP for 20 s. Two headless Chromium tabs
// are signed in, one on the home screen (KPI tiles, feed, chart), one on the subscribers
// table. In each tab a MutationObserver notes when an element carrying an event's position
// (a feed line, a table row) reaches the DOM; that minus the event's own time (`at`, stamped
// when the account decided it) is the latency. Long tasks come from PerformanceObserver
// ('longtask'), WebSocket bytes from CDP Network.webSocketFrameReceived.
//
// `long_tasks` counts those of the steady updates only: from 2 s after both screens are
// loaded (the 100,000-row table drawn) until 2 s after the last top-up, before the
// screenshots. Those of signing in and the first render are `startup_long_tasks`. A long task
// is wall time: on a busy machine a 20 ms frame can take 50 ms, so compare runs made back to
// back, and the CPU profiles (BENCH_PROFILE) or the trace (BENCH_TRACE) for what runs.
//
// Prints progress lines, then one JSON line:
//   {"bench":"dashboard-live","value":<p95 ms event→DOM>,"p99_ms":…,"long_tasks":…,"ws_kb_per_s":…}
//
// The top-ups go to a pool of busy accounts (BENCH_BUSY, 5,000 by default) that includes the
// first rows of the subscribers table, so the table's live path is measured too; a payment
// storm over all 100,000 cold accounts would measure the server's actor recovery instead.
//
// BENCH_ACCOUNTS, BENCH_BUSY, BENCH_RATE (events/s) and BENCH_SECONDS change the size of the run.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const BUSY = Math.min(ACCOUNTS, Number(process.env.BENCH_BUSY ?? 5_000));
/** The subscribers tab shows the first rows by account number: they are always among the busy ones. */
const ON_SCREEN = 40;
const TOKEN = 'bench-dashboard-live-token-0123456789abcdef';
const PASSWORD = 'bench password 0123';
const FIRST_ACCOUNT = 100_000;
const SEED_CHUNK = 2_000;
/** A folder to write the tabs' CPU profiles (.cpuprofile, for Chrome DevTools) into. */
const PROFILE = process.env.BENCH_PROFILE;
/** A file to write a Chromium trace of the home tab into (chrome://tracing, DevTools). */
const TRACE = process.env.BENCH_TRACE;

const log = (line: string) => process.stdout.write(`${line}\n`);

export async function run(): Promise<void> {
  await ensureClientBuilt(log);
  const dataDir = mkdtempSync(join(tmpdir(), 'abonent-bench-live-'));
  let server: ChildProcess | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    const seeded = Date.now();
    await seed(dataDir);
    log(`seeded ${ACCOUNTS} accounts and subscribers in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const starting = Date.now();
    server = startServer(dataDir, port);
    await waitReady(base, server);
    log(
      `server ready in ${((Date.now() - starting) / 1000).toFixed(1)} s (projections built from the journal)`,
    );
    const setup = await call(base, 'POST', '/api/v1/setup', { username: 'noc', password: PASSWORD }, false);
    if (setup.status !== 201) throw new Error(`setup: ${setup.status} ${setup.text}`);

    browser = await launchChromium();
    const home = await openDashboard(browser, base, '#/');
    const table = await openDashboard(browser, base, '#/accounts');
    await home.page.getByTestId('kpi-active-accounts-value').getByText(/\d/).waitFor({ timeout: 60_000 });
    await home.page.locator('[data-testid="feed"] li').first().waitFor({ timeout: 60_000 });
    await table.page.locator('tr[data-account]').first().waitFor({ timeout: 60_000 });
    log('dashboard open: home and subscribers tabs signed in');
    await sleep(2000);

    const startPosition = (await lastPosition(base)) ?? 0;
    const before: Metrics[] = [];
    for (const tab of [home, table]) {
      tab.wsBytes = 0;
      await tab.page.evaluate(() => window.__bench.reset());
      before.push(await metrics(tab));
    }
    if (PROFILE)
      for (const tab of [home, table])
        await tab.cdp.send('Profiler.enable').then(() => tab.cdp.send('Profiler.start'));
    if (TRACE)
      await browser.startTracing(home.page, {
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'],
      });
    log(`generating ${RATE} top-ups/s for ${SECONDS} s…`);
    const load = await generate(base);
    if (TRACE) {
      writeFileSync(TRACE, await browser.stopTracing());
      log(`trace of the home tab written to ${TRACE}`);
    }
    if (PROFILE) {
      mkdirSync(PROFILE, { recursive: true });
      for (const [name, tab] of [
        ['home', home],
        ['subscribers', table],
      ] as const) {
        const { profile } = await tab.cdp.send('Profiler.stop');
        writeFileSync(join(PROFILE, `dashboard-live-${name}.cpuprofile`), JSON.stringify(profile));
      }
      log(`CPU profiles of both tabs written to ${PROFILE}`);
    }
    log(
      `sent ${load.sent}, answered ${load.ok} (${load.failed} failed), ${(load.ok / SECONDS).toFixed(0)} events/s`,
    );
    const after = await Promise.all([home, table].map(metrics));
    for (const [i, name] of ['home', 'subscribers'].entries()) {
      const d = (k: keyof Metrics) => (((after[i]![k] - before[i]![k]) * 1000) / SECONDS).toFixed(0);
      log(
        `${name} tab, ms of main thread per second: script ${d('ScriptDuration')}, style ${d('RecalcStyleDuration')}, layout ${d('LayoutDuration')}, all tasks ${d('TaskDuration')}`,
      );
    }
    await sleep(2000);
    // The steady window ends here, once the last events have been drawn: the screenshots
    // below make long tasks of their own that are not the dashboard's.
    for (const tab of [home, table]) await tab.page.evaluate(() => window.__bench.stop());

    // What the screens looked like at the end of the run (test-artifacts/ is git-ignored).
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await home.page.screenshot({ path: join(ROOT, 'test-artifacts/bench-home.png') });
    await table.page.screenshot({ path: join(ROOT, 'test-artifacts/bench-subscribers.png') });
    const probes = await Promise.all(
      [home, table].map((tab) => tab.page.evaluate(() => window.__bench.collect())),
    );
    const at = await eventTimes(base, startPosition);
    const latencies: number[] = [];
    const perTab = probes.map((probe, i) => {
      let n = 0;
      for (const [position, domAt] of probe.seen) {
        const eventAt = at.get(position);
        if (eventAt === undefined) continue;
        latencies.push(domAt - eventAt);
        n++;
      }
      return { tab: i === 0 ? 'home' : 'subscribers', observed: n };
    });
    latencies.sort((a, b) => a - b);
    const longTasks = probes.reduce((n, p) => n + p.longTasks.length, 0);
    const startupLongTasks = probes.reduce((n, p) => n + p.startup.length, 0);
    const kbPerS = (bytes: number) => Math.round((bytes / 1024 / SECONDS) * 10) / 10;
    for (const [i, probe] of probes.entries()) {
      const ms = (list: number[]) => list.map((d) => d.toFixed(0)).join(', ');
      if (probe.startup.length > 0)
        log(`${perTab[i]!.tab}: long tasks while signing in and loading (ms) ${ms(probe.startup)}`);
      if (probe.longTasks.length > 0)
        log(`${perTab[i]!.tab}: long tasks during steady updates (ms) ${ms(probe.longTasks)}`);
    }
    log(
      `events after position ${startPosition}: ${at.size}; seen in the DOM: ${perTab.map((t) => `${t.tab} ${t.observed}`).join(', ')}`,
    );
    const result = {
      bench: 'dashboard-live',
      value: percentile(latencies, 0.95),
      p50_ms: percentile(latencies, 0.5),
      p99_ms: percentile(latencies, 0.99),
      long_tasks: longTasks,
      startup_long_tasks: startupLongTasks,
      ws_kb_per_s: kbPerS(home.wsBytes),
      ws_kb_per_s_subscribers_tab: kbPerS(table.wsBytes),
      events_per_s: Math.round(load.ok / SECONDS),
      samples: latencies.length,
      accounts: ACCOUNTS,
      busy_accounts: BUSY,
    };
    log(JSON.stringify(result));
  } finally {
    await browser?.close().catch(() => {});
    if (server) await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- seeding

const FIRST = ['Иван', 'Пётр', 'Анна', 'Мария', 'Сергей', 'Ольга', 'Алексей', 'Елена', 'Дмитрий', 'Наталья'];
const LAST = [
  'Иванов',
  'Петров',
  'Сидоров',
  'Кузнецов',
  'Смирнов',
  'Попов',
  'Соколов',
  'Лебедев',
  'Козлов',
  'Новиков',
];
const STREETS = ['Ленина', 'Мира', 'Советская', 'Садовая', 'Лесная', 'Школьная', 'Заречная', 'Полевая'];

/** The events a kind writes for these commands, decided and folded by the kind itself. */
function decided<S, C, E>(
  kind: ActorKind<S, C, E>,
  id: string,
  commands: C[],
  cause: Cause,
  now: number,
): E[] {
  let state = kind.initial(id);
  const events: E[] = [];
  for (const command of commands) {
    const d = kind.decide(state, command, { id, now, cause });
    if ('reject' in d)
      throw new Error(`${kind.name}:${id} refused ${JSON.stringify(command)}: ${d.reject.message}`);
    const next = (d as { state?: S }).state;
    if (next !== undefined) state = next;
    else for (const e of d.events) state = kind.evolve(state, e);
    events.push(...d.events);
  }
  return events;
}

function append<E>(journal: Journal, key: string, events: E[], cause: Cause, now: number) {
  return journal.append({
    key,
    events: events.map((event, i) => ({
      sequenceNumber: i + 1,
      createdAt: now,
      data: envelope(event, cause, now),
    })),
  });
}

async function seed(dataDir: string): Promise<void> {
  const journal = await openJournal({ dataDir });
  const cause: Cause = { type: 'system', id: 'bench-seed' };
  const now = Date.now();
  try {
    for (let from = 1; from <= ACCOUNTS; from += SEED_CHUNK) {
      const writes: Promise<unknown>[] = [];
      for (let n = from; n < Math.min(from + SEED_CHUNK, ACCOUNTS + 1); n++) {
        const accountId = String(FIRST_ACCOUNT + n);
        const subscriberId = `S${n}`;
        const name = `${LAST[n % LAST.length]} ${FIRST[Math.floor(n / LAST.length) % FIRST.length]} ${n}`;
        const subscriber = decided(
          subscriberKind,
          subscriberId,
          [
            {
              type: 'Register',
              subscriber: {
                type: 'person',
                name,
                contacts: { phones: [`+7999${String(n).padStart(7, '0')}`] },
                address: {
                  text: `Тверь, ул. ${STREETS[n % STREETS.length]}, д. ${(n % 97) + 1}, кв. ${(n % 211) + 1}`,
                },
              },
            },
            { type: 'AttachAccount', accountId },
          ],
          cause,
          now,
        );
        const account = decided(
          accountKind,
          accountId,
          [
            { type: 'Open', subscriberId, currency: 'RUB', creditLimit: 0 },
            {
              type: 'TopUp',
              amount: 10_000 + ((n * 7919) % 200_000),
              source: 'bank',
              reference: `seed-${n}`,
            },
          ],
          cause,
          now,
        );
        writes.push(
          append(journal, `subscriber:${subscriberId}`, subscriber, cause, now),
          append(journal, `account:${accountId}`, account, cause, now),
        );
      }
      await Promise.all(writes);
    }
    // The number series continue after the seeded ones, as if each number had been issued.
    for (const series of ['accounts', 'subscribers']) {
      const issued = { type: 'NumberIssued' as const, n: ACCOUNTS, by: cause, at: now };
      sequenceKind.evolve(sequenceKind.initial(series), issued);
      await append(journal, `sequence:${series}`, [issued], cause, now);
    }
  } finally {
    await journal.close();
  }
}

// ---------------------------------------------------------------- the server

function startServer(dataDir: string, port: number): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      ABONENT_BOOTSTRAP_TOKEN: TOKEN,
      ABONENT_SECRET_KEY: 'b3'.repeat(32),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  return child;
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {}
    await sleep(250);
  }
  throw new Error('the server was not ready within 5 min');
}

// ---------------------------------------------------------------- HTTP

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  status: number;
  text: string;
}

function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  auth = true,
  key?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = `Bearer ${TOKEN}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (key) headers['idempotency-key'] = key;
    const req = request(`${base}${path}`, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Top-ups on random accounts at RATE a second, paced in 10 ms slices, never more than 2,000 in flight. */
async function generate(base: string): Promise<{ sent: number; ok: number; failed: number }> {
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  const started = performance.now();
  const end = started + SECONDS * 1000;
  const pending = new Set<Promise<void>>();
  const run = `r${Date.now().toString(36)}`;
  const busy = new Set<number>();
  for (let n = 1; n <= Math.min(ON_SCREEN, BUSY); n++) busy.add(n);
  while (busy.size < BUSY) busy.add(1 + Math.floor(Math.random() * ACCOUNTS));
  const pool = [...busy];
  let lastReport = started;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    while (sent < due && inFlight < 2000) {
      const n = pool[Math.floor(Math.random() * pool.length)]!;
      const id = String(FIRST_ACCOUNT + n);
      const key = `${run}-${sent}`;
      sent++;
      inFlight++;
      const p = call(
        base,
        'POST',
        `/api/v1/accounts/${id}/top-ups`,
        { amount: 100 + (sent % 900), source: 'cash', reference: key },
        true,
        key,
      )
        .then(
          (a) => {
            if (a.status === 201) ok++;
            else failed++;
          },
          () => {
            failed++;
          },
        )
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      pending.add(p);
    }
    if (performance.now() - lastReport >= 5000) {
      lastReport = performance.now();
      log(`  ${((lastReport - started) / 1000).toFixed(0)} s: ${ok} answered, ${inFlight} in flight`);
    }
    await sleep(10);
  }
  await Promise.all(pending);
  return { sent, ok, failed };
}

/** The newest position in the feed (the latest journal events may be of kinds it does not show). */
async function lastPosition(base: string): Promise<number | undefined> {
  const a = await call(base, 'GET', '/api/v1/feed?limit=1000');
  const items = (JSON.parse(a.text) as { items: { position: number }[] }).items;
  return items[items.length - 1]?.position;
}

/** position → `at` of every event after `after`, read back through the feed API. */
async function eventTimes(base: string, after: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let from = after; ; ) {
    const a = await call(base, 'GET', `/api/v1/feed?after=${from}&limit=1000`);
    const items = (JSON.parse(a.text) as { items: { position: number; at: number }[] }).items;
    for (const e of items) out.set(e.position, e.at);
    const last = items[items.length - 1];
    if (items.length < 1000 || !last) return out;
    from = last.position;
  }
}

// ---------------------------------------------------------------- the browser

interface Tab {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  wsBytes: number;
}

declare global {
  interface Window {
    __bench: {
      reset(): void;
      /** Ends the window of steady updates: later long tasks (screenshots, the end) are not counted. */
      stop(): void;
      collect(): { seen: [number, number][]; longTasks: number[]; startup: number[] };
    };
  }
}

/**
 * Runs in the page before the app: notes when an element with an event position reaches the
 * DOM, and the long tasks. A string, not a function: tsx would decorate a function's source
 * with helpers the page does not have.
 */
const PROBE = `(() => {
  let seen = new Map();
  const longTasks = [];
  let since = 0;
  let until = Infinity;
  const note = (el, at) => {
    const p = Number(el.getAttribute('data-position'));
    if (p > 0 && !seen.has(p)) seen.set(p, at);
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  const observer = new MutationObserver((records) => {
    const at = performance.timeOrigin + performance.now();
    for (const r of records) {
      if (r.type === 'attributes') note(r.target, at);
      else
        for (const n of r.addedNodes) {
          if (n.nodeType !== 1) continue;
          if (n.hasAttribute('data-position')) note(n, at);
          for (const inner of n.querySelectorAll('[data-position]')) note(inner, at);
        }
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-position'] });
  window.__bench = {
    reset() {
      seen = new Map();
      since = performance.now();
    },
    stop() {
      until = performance.now();
    },
    collect: () => ({
      seen: [...seen],
      longTasks: longTasks.filter(([at]) => at >= since && at < until).map(([, d]) => d),
      startup: longTasks.filter(([at]) => at < since).map(([, d]) => d),
    }),
  };
})();`;

async function openDashboard(
  browser: Awaited<ReturnType<typeof launchChromium>>,
  base: string,
  hash: string,
): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'ru-RU' });
  await context.addInitScript({ content: PROBE });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const tab: Tab = { context, page, cdp, wsBytes: 0 };
  if (!process.env.BENCH_NO_WS) await cdp.send('Network.enable');
  await cdp.send('Performance.enable');
  cdp.on('Network.webSocketFrameReceived', (e) => {
    tab.wsBytes += Buffer.byteLength(e.response.payloadData, e.response.opcode === 1 ? 'utf8' : 'base64');
  });
  await page.goto(`${base}/${hash}`);
  await page.getByTestId('login-username').fill('noc');
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('logout').waitFor({ timeout: 60_000 });
  // The pointer stays where the login button was, over the feed: moving lines under it would
  // fire hover events all run long. A person watching the wall screen has no mouse there.
  await page.mouse.move(1355, 855);
  return tab;
}

interface Metrics {
  ScriptDuration: number;
  RecalcStyleDuration: number;
  LayoutDuration: number;
  TaskDuration: number;
}

/** Chromium's own counters of main-thread time (seconds), from CDP Performance.getMetrics. */
async function metrics(tab: Tab): Promise<Metrics> {
  const { metrics: list } = await tab.cdp.send('Performance.getMetrics');
  const get = (name: string) => list.find((m) => m.name === name)?.value ?? 0;
  return {
    ScriptDuration: get('ScriptDuration'),
    RecalcStyleDuration: get('RecalcStyleDuration'),
    LayoutDuration: get('LayoutDuration'),
    TaskDuration: get('TaskDuration'),
  };
}

// ---------------------------------------------------------------- figures

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
