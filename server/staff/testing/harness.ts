import type { Clock } from '../../../actors/runtime/clock.ts';
import type { AbonentServices } from '../../app.ts';
import { type Reply, startInProcess } from '../../testing/in-process.ts';
import { type StaffArea, staffOf } from '../index.ts';

// The whole server in this process for the staff tests: real HTTP on a free port, a temp
// data dir, the log lines kept (to check that refusals are logged), and helpers to log in.

export const BOOTSTRAP = 'staff-test-bootstrap-token-0123456789abcdef';
export const PASSWORD = 'correct horse battery';

export type { Reply };

export interface CallOptions {
  body?: unknown;
  /** An access token, 'bootstrap', or null for none (the default). */
  token?: string | null;
  cookie?: string;
  headers?: Record<string, string>;
  key?: string;
}

export interface Login {
  accessToken: string;
  /** `abonent_refresh=…`, ready for a Cookie header. */
  cookie: string;
  userId: string;
}

export interface StaffApi {
  base: string;
  port: number;
  dataDir: string;
  services: AbonentServices;
  area: StaffArea;
  logs: Record<string, unknown>[];
  call<T = Record<string, unknown>>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  /** Creates a user with the bootstrap token; returns its id. */
  createUser(username: string, roles: string[], password?: string): Promise<string>;
  login(username: string, password?: string): Promise<Login>;
  position(): Promise<number>;
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

export function cookieOf(headers: Headers): string | undefined {
  const set = headers.get('set-cookie');
  return set?.split(';')[0];
}

export async function startStaffApi(
  opts: { clock?: Clock; dataDir?: string; env?: Record<string, string> } = {},
): Promise<StaffApi> {
  const logs: Record<string, unknown>[] = [];
  const server = await startInProcess({
    ...opts,
    env: { ABONENT_BOOTSTRAP_TOKEN: BOOTSTRAP, ABONENT_SECRET_KEY: 'a1'.repeat(32), ...opts.env },
    onLogLine: (line) => logs.push(JSON.parse(line)),
  });
  const { services } = server;

  function call<T>(method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token === 'bootstrap' ? BOOTSTRAP : o.token}`;
    if (o.cookie) headers.cookie = o.cookie;
    if (o.key) headers['idempotency-key'] = o.key;
    return server.request<T>(method, path, { headers, body: o.body });
  }

  const api: StaffApi = {
    ...server,
    area: staffOf(services),
    logs,
    call,
    async createUser(username, roles, password = PASSWORD) {
      const r = await call<{ id: string }>('POST', '/api/v1/staff', {
        token: 'bootstrap',
        body: { username, password, roles },
      });
      if (r.status !== 201) throw new Error(`creating ${username}: ${r.status} ${r.text}`);
      return String(r.body.id);
    },
    async login(username, password = PASSWORD) {
      const r = await call<{ accessToken: string; user: { id: string } }>('POST', '/api/v1/auth/login', {
        body: { username, password },
      });
      if (r.status !== 200 || !r.body.accessToken)
        throw new Error(`login ${username}: ${r.status} ${r.text}`);
      return { accessToken: r.body.accessToken, cookie: cookieOf(r.headers)!, userId: r.body.user.id };
    },
  };
  return api;
}
