import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccountCommand, type AccountState, accountKind } from '../../actors/account/account.ts';
import type { AccountEvent } from '../../actors/account/events.ts';
import { openSqliteJournal } from '../../actors/journal/sqlite.ts';
import type { NewEvent } from '../../actors/journal/types.ts';
import { ManualClock } from '../../actors/runtime/clock.ts';
import { type Envelope, envelope } from '../../actors/runtime/envelope.ts';
import { type Cause, isRejected } from '../../actors/runtime/kind.ts';
import { startAbonent } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { networkOf } from '../../server/network.ts';
import { type RouterOsSim, startRouterOsSim } from '../sim/routeros.ts';

// 10,000 accounts on 10 simulated routers (RouterOS API, node-routeros on the wire) run out of
// money in one billing tick. Measured: from the billing run's start (POST /api/v1/billing/runs)
// until every one of the 10,000 addresses is on its router's block list.
//
// Set-up (not measured): each account's history (opened, paid exactly the rest of today,
// daily tariff assigned) is written straight into the journal, made by the account kind's own
// decide/evolve, as the billing-run bench does; then Abonent starts on that journal, the routers
// are added over HTTP and the services given to the accounts through the routers' actors.

const ROUTERS = Number(process.env.BENCH_ROUTERS ?? 10);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10_000);
/** A file name: the storm alone (not the set-up) is CPU-profiled into it. */
const PROFILE = process.env.BENCH_PROFILE;
const TOKEN = 'block-storm-bench-token-0123456789abcdef';
const KEY = 'ab'.repeat(32);

/** Moscow wall time (UTC+3, no DST) as an instant. */
const msk = (y: number, m: number, d: number, h: number, mi = 0) => Date.UTC(y, m - 1, d, h - 3, mi);
const SET_UP_AT = msk(2026, 3, 10, 12, 20);
const RUN_AT = msk(2026, 3, 11, 0, 1);
const cashier: Cause = { type: 'staff', id: 'cashier-1' };
const TARIFF = { tariffId: 'T1', name: 'Home 100', billing: 'daily' as const, pricePerMonth: 900_00 };

function decideAll(id: string, commands: AccountCommand[]): { events: AccountEvent[]; state: AccountState } {
  let state = accountKind.initial(id);
  const events: AccountEvent[] = [];
  for (const command of commands) {
    const d = accountKind.decide(state, command, { id, now: SET_UP_AT, cause: cashier });
    if (isRejected(d)) throw d.reject;
    for (const e of d.events) state = accountKind.evolve(state, e);
    events.push(...d.events);
  }
  return { events, state };
}

/** What the rest of today costs: paid exactly, so tomorrow's slice finds the balance at zero. */
function restOfToday(): number {
  const probe = decideAll('probe', [
    { type: 'Open', subscriberId: null },
    { type: 'TopUp', amount: 1_000_00, source: 'cash', reference: 'probe' },
    { type: 'AssignTariff', tariff: TARIFF },
  ]);
  const charged = probe.events.find((e) => e.type === 'TariffCharged');
  if (charged?.type !== 'TariffCharged') throw new Error('the probe was not charged');
  return charged.amount;
}

function history(id: string, paid: number): NewEvent<Envelope>[] {
  const { events, state } = decideAll(id, [
    { type: 'Open', subscriberId: null },
    { type: 'TopUp', amount: paid, source: 'cash', reference: 'bench' },
    { type: 'AssignTariff', tariff: TARIFF },
  ]);
  if (state.balance !== 0 || state.fundsBlockedAt !== null) throw new Error(`account ${id} is not set up`);
  return events.map((event, i) => ({
    sequenceNumber: i + 1,
    createdAt: SET_UP_AT,
    data: envelope(event, cashier, SET_UP_AT),
  }));
}

const accountId = (i: number) => String(200_000 + i);
const ipOf = (i: number) => `10.${Math.floor(i / 250) % 256}.${i % 250}.${1 + Math.floor(i / 64_000)}`;
const secondsSince = (t: number) => (performance.now() - t) / 1000;

export async function run(): Promise<void> {
  console.log(
    `load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} on ${cpus().length} CPUs; ${ACCOUNTS} accounts on ${ROUTERS} routers`,
  );
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'abonent-bench-storm-'));
  const sims: RouterOsSim[] = [];
  let stop: (() => Promise<number>) | undefined;
  let result: Record<string, unknown> | undefined;
  try {
    let started = performance.now();
    const paid = restOfToday();
    const journal = await openSqliteJournal({ file: join(dir, 'journal.sqlite') });
    await Promise.all(
      Array.from({ length: ACCOUNTS }, (_, i) =>
        journal.append({ key: `account:${accountId(i)}`, events: history(accountId(i), paid) }),
      ),
    );
    await journal.close();
    console.log(
      `set-up: ${ACCOUNTS} accounts paid ${paid} for today, in ${secondsSince(started).toFixed(1)} s`,
    );

    started = performance.now();
    for (let r = 0; r < ROUTERS; r++) {
      sims.push(await startRouterOsSim({ username: 'abonent', password: `pw-${r}`, identity: `edge-${r}` }));
    }
    const clock = new ManualClock(SET_UP_AT);
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: dir,
      ABONENT_BOOTSTRAP_TOKEN: TOKEN,
      ABONENT_SECRET_KEY: KEY,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // Every check logs in anew: not during the measurement.
      DEVICE_CHECK_INTERVAL_MS: '3600000',
    });
    let services: Parameters<typeof networkOf>[0] | undefined;
    const abonent = await startAbonent(config, {
      clock,
      routes: (s) => {
        services = s;
        return [];
      },
    });
    stop = abonent.stop;
    const base = `http://127.0.0.1:${abonent.port}`;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const network = networkOf(services!);
    const { system } = services!;
    const deviceIds: string[] = [];
    for (const [r, sim] of sims.entries()) {
      const { id } = await call('POST', '/api/v1/devices', {
        name: `Edge ${r}`,
        host: sim.host,
        port: sim.port,
        username: 'abonent',
        password: `pw-${r}`,
      });
      deviceIds.push(String(id));
    }
    const perRouter = Math.ceil(ACCOUNTS / ROUTERS);
    await Promise.all(
      deviceIds.map(async (deviceId, r) => {
        for (let i = r * perRouter; i < Math.min(ACCOUNTS, (r + 1) * perRouter); i++) {
          await system.ask(network.deviceKind, deviceId, {
            type: 'AddService',
            serviceId: `SV${i + 1}`,
            accountId: accountId(i),
            ip: ipOf(i),
          });
        }
      }),
    );
    await network.handoff!.idle();
    const waitFor = async (what: string, done: () => boolean, ms: number) => {
      const deadline = performance.now() + ms;
      while (!done()) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await waitFor(
      'routers online and idle',
      () =>
        deviceIds.every((id) => {
          const s = network.directory.state(id);
          return s?.status === 'online' && Object.keys(s.intents).length === 0;
        }),
      30_000,
    );
    if (sims.some((s) => s.menus.addressList.size > 0)) throw new Error('set-up blocked someone already');
    console.log(
      `set-up: ${ROUTERS} routers online with ${ACCOUNTS} services in ${secondsSince(started).toFixed(1)} s`,
    );

    // The storm: tomorrow's daily slice is due for every account, and nobody can pay it.
    clock.set(RUN_AT);
    for (const sim of sims) sim.resetCounters();
    const profiler = PROFILE ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const cpu = process.cpuUsage();
    started = performance.now();
    await call('POST', '/api/v1/billing/runs');
    let shown = performance.now();
    const onRouters = () => sims.reduce((n, s) => n + s.menus.addressList.size, 0);
    await waitFor(
      `${ACCOUNTS} entries on the routers`,
      () => {
        if (performance.now() - shown > 1000) {
          shown = performance.now();
          console.log(`  ${secondsSince(started).toFixed(1)} s: ${onRouters()} entries on the routers`);
        }
        return onRouters() >= ACCOUNTS;
      },
      120_000,
    );
    const seconds = secondsSince(started);
    const used = process.cpuUsage(cpu);
    if (profiler && PROFILE) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(PROFILE, JSON.stringify(profile));
      profiler.disconnect();
    }
    const adds = sims.reduce((n, s) => n + (s.counters.commands['/ip/firewall/address-list/add'] ?? 0), 0);
    const current = (await call('GET', '/api/v1/billing/runs/current')) as {
      current: unknown;
      last: { blocked: number } | null;
    };
    const wrong = sims.flatMap((s) =>
      [...s.menus.addressList.rows.values()].filter((row) => !row.comment?.startsWith('abonent:2')),
    );
    if (adds !== ACCOUNTS || wrong.length > 0) {
      throw new Error(
        `expected ${ACCOUNTS} adds of ours, got ${adds} adds and ${wrong.length} foreign entries`,
      );
    }
    console.log(
      `storm: ${ACCOUNTS} blocks on ${ROUTERS} routers in ${seconds.toFixed(2)} s ` +
        `(billing run: ${current.last?.blocked ?? '?'} accounts blocked); CPU ${((used.user + used.system) / 1e6).toFixed(1)} s`,
    );
    result = {
      bench: 'block-storm',
      value: Number(seconds.toFixed(2)),
      unit: 's',
      commands_per_s: Math.round(adds / seconds),
      accounts: ACCOUNTS,
      routers: ROUTERS,
    };
  } finally {
    await stop?.();
    for (const sim of sims) await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // Last, after the shutdown's own log lines: the one JSON line whoever collects figures reads.
  console.log(JSON.stringify(result));
}
