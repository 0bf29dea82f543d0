import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../../../actors/runtime/clock.ts';
import { type AbonentServices, startAbonent } from '../../../app.ts';
import { loadConfig } from '../../../config.ts';

// The whole server in this process, on a free port and a temp data dir, for the API tests:
// requests go over real HTTP; the services are kept only to look at the journal.

export const TOKEN = 'money-api-test-token-0123456789abcdef';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** Idempotency-Key header. */
  key?: string;
  headers?: Record<string, string>;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
}

export interface Api {
  base: string;
  dataDir: string;
  services: AbonentServices;
  call<T = Record<string, unknown>>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  /** Journal position: unchanged means nothing was persisted. */
  position(): Promise<number>;
  stop(): Promise<void>;
  /** Stops and removes the data dir. */
  dispose(): Promise<void>;
}

export async function startApi(opts: { dataDir?: string; clock?: Clock } = {}): Promise<Api> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'abonent-api-'));
  let services: AbonentServices | undefined;
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    ABONENT_BOOTSTRAP_TOKEN: TOKEN,
    LOG_LEVEL: 'silent',
    SHUTDOWN_TIMEOUT_MS: '5000',
  });
  const running = await startAbonent(config, {
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
  return {
    base,
    dataDir,
    services: services!,
    async call<T>(method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> {
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
    },
    position: () => services!.journal.lastPosition(),
    stop,
    async dispose() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
