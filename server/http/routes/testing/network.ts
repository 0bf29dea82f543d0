import type { Network } from '../../../../actors/network/network.ts';
import type { Clock } from '../../../../actors/runtime/clock.ts';
import { type RouterOsSim, startRouterOsSim } from '../../../../scripts/sim/routeros.ts';
import { networkOf } from '../../../network.ts';
import { startInProcess } from '../../../testing/in-process.ts';
import { type Api, TOKEN, withToken } from './api.ts';

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
  const logs: string[] = [];
  const server = await startInProcess({
    ...opts,
    env: { ABONENT_BOOTSTRAP_TOKEN: TOKEN, DEVICE_CHECK_INTERVAL_MS: '1000', ...opts.env },
    logLevel: 'debug',
    onLogLine: (line) => logs.push(line),
  });
  return {
    ...server,
    network: networkOf(server.services),
    logs,
    call: (method, path, o = {}) => server.request(method, path, withToken(o)),
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
