import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Network } from '../../../../actors/network/network.ts';
import type { Clock } from '../../../../actors/runtime/clock.ts';
import { type RouterOsSim, startRouterOsSim } from '../../../../scripts/sim/routeros.ts';
import { type AbonentServices, startAbonent } from '../../../app.ts';
import { loadConfig } from '../../../config.ts';
import { createLogger } from '../../../log.ts';
import { networkOf } from '../../../network.ts';
import type { Api, CallOptions, Reply } from './api.ts';
import { TOKEN } from './api.ts';

// The whole server in this process with its network area, for the network API tests: HTTP on
// a free port, a temp data dir, every log line kept (to prove no password reaches one), and
// RouterOS simulators spoken to through node-routeros.

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export interface NetworkApi extends Api {
  network: Network;
  /** Every log line written, as JSON text. */
  logs: string[];
  /** Polls `fn` until it returns something truthy; throws with `what` after `ms`. */
  until<T>(what: string, fn: () => T | Promise<T>, ms?: number): Promise<Truthy<T>>;
}

export async function startNetworkApi(
  opts: { dataDir?: string; clock?: Clock; env?: Record<string, string> } = {},
): Promise<NetworkApi> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'abonent-net-'));
  const logs: string[] = [];
  const log = createLogger('debug', { write: (line: string) => void logs.push(line) });
  let services: AbonentServices | undefined;
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    ABONENT_BOOTSTRAP_TOKEN: TOKEN,
    SHUTDOWN_TIMEOUT_MS: '5000',
    DEVICE_CHECK_INTERVAL_MS: '1000',
    ...opts.env,
  });
  const running = await startAbonent(config, {
    log,
    ...(opts.clock ? { clock: opts.clock } : {}),
    routes: (s) => {
      services = s;
      return [];
    },
  });
  const base = `http://127.0.0.1:${running.port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await running.stop();
  };
  const call = async <T>(method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> => {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, ...o.headers };
    if (o.key !== undefined) headers['idempotency-key'] = o.key;
    let payload: string | undefined;
    if (o.raw !== undefined) payload = o.raw;
    else if (o.body !== undefined) payload = JSON.stringify(o.body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(base + path, { method, headers, body: payload });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body: body as T, headers: res.headers, text };
  };
  return {
    base,
    dataDir,
    services: services!,
    network: networkOf(services!),
    logs,
    call,
    position: () => services!.journal.lastPosition(),
    stop,
    async dispose() {
      await stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async until<T>(what: string, fn: () => T | Promise<T>, ms = 5000): Promise<Truthy<T>> {
      const deadline = Date.now() + ms;
      for (;;) {
        const value = await fn();
        if (value) return value as Truthy<T>;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

export const ROUTER_PASSWORD = 'Sup3r-Secret-Router-Pw';

export function startSim(identity = 'edge-1'): Promise<RouterOsSim> {
  return startRouterOsSim({ username: 'abonent', password: ROUTER_PASSWORD, identity });
}

/** The body that adds `sim` as a router. */
export function deviceBody(sim: RouterOsSim, name: string, extra: Record<string, unknown> = {}) {
  return { name, host: sim.host, port: sim.port, username: 'abonent', password: ROUTER_PASSWORD, ...extra };
}

/** `address comment` of every entry in the sim's address lists, sorted. */
export function entries(sim: RouterOsSim, list = 'abonent-blocked'): string[] {
  return [...sim.menus.addressList.rows.values()]
    .filter((r) => r.list === list)
    .map((r) => `${r.address} ${r.comment ?? ''}`.trim())
    .sort();
}
