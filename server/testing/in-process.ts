import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../actors/runtime/clock.ts';
import { type AbonentServices, startAbonent } from '../app.ts';
import { type LogLevel, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';

// The whole server in the test's own process: real HTTP on a free port, a temp data dir, and
// the services kept so a test can look at the journal. The API, network and staff harnesses
// (and the browser tests on top of them) are this plus their own way of calling it.

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
}

export interface InProcessOptions {
  /** Reused across restarts when given (and then left in place by dispose). */
  dataDir?: string;
  clock?: Clock;
  /** Configuration variables, over PORT=0, DATA_DIR and a short SHUTDOWN_TIMEOUT_MS. */
  env?: Record<string, string>;
  /** Every log line (JSON text) goes here; without it nothing is logged. */
  onLogLine?: (line: string) => void;
  logLevel?: LogLevel;
}

export interface InProcessServer {
  base: string;
  port: number;
  dataDir: string;
  services: AbonentServices;
  request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<Reply<T>>;
  /** Journal position: unchanged means nothing was persisted. */
  position(): Promise<number>;
  stop(): Promise<void>;
  /** Stops, and removes the data dir it made. */
  dispose(): Promise<void>;
}

export async function startInProcess(opts: InProcessOptions = {}): Promise<InProcessServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'abonent-test-'));
  const sink = opts.onLogLine;
  let services: AbonentServices | undefined;
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    SHUTDOWN_TIMEOUT_MS: '5000',
    LOG_LEVEL: sink ? (opts.logLevel ?? 'info') : 'silent',
    ...opts.env,
  });
  const running = await startAbonent(config, {
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(sink
      ? { log: createLogger(config.logLevel, { write: (chunk: string) => splitLines(chunk, sink) }) }
      : {}),
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
    port: running.port,
    dataDir,
    services: services!,
    async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<Reply<T>> {
      const headers: Record<string, string> = { ...o.headers };
      const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
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
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function splitLines(chunk: string, to: (line: string) => void): void {
  for (const line of chunk.split('\n')) if (line) to(line);
}
