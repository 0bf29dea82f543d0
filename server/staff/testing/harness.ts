import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Clock } from '../../../actors/runtime/clock.ts';
import { type AbonentServices, startAbonent } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { type StaffArea, staffOf } from '../index.ts';

// The whole server in this process for the staff tests: real HTTP on a free port, a temp
// data dir, the log lines kept (to check that refusals are logged), and helpers to log in.

export const BOOTSTRAP = 'staff-test-bootstrap-token-0123456789abcdef';
export const PASSWORD = 'correct horse battery';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

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
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'abonent-staff-'));
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  let services: AbonentServices | undefined;
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    ABONENT_BOOTSTRAP_TOKEN: BOOTSTRAP,
    ABONENT_SECRET_KEY: 'a1'.repeat(32),
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...opts.env,
  });
  const running = await startAbonent(config, {
    ...(opts.clock ? { clock: opts.clock } : {}),
    log: createLogger('info', sink),
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

  async function call<T>(method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token === 'bootstrap' ? BOOTSTRAP : o.token}`;
    if (o.cookie) headers.cookie = o.cookie;
    if (o.key) headers['idempotency-key'] = o.key;
    let payload: string | undefined;
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(base + path, { method, headers, body: payload });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body: body as T, headers: res.headers, text };
  }

  const api: StaffApi = {
    base,
    port: running.port,
    dataDir,
    services: services!,
    area: staffOf(services!),
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
    position: () => services!.journal.lastPosition(),
    stop,
    async dispose() {
      await stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return api;
}
