import type { Clock } from '../../../../actors/runtime/clock.ts';
import type { AbonentServices } from '../../../app.ts';
import { type Reply, startInProcess } from '../../../testing/in-process.ts';

// The whole server in this process, on a free port and a temp data dir, for the API tests:
// requests go over real HTTP with the bootstrap token; the services are kept only to look at
// the journal.

export type { Reply };

export const TOKEN = 'money-api-test-token-0123456789abcdef';

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
  /** Stops and removes the data dir it made. */
  dispose(): Promise<void>;
}

export async function startApi(opts: { dataDir?: string; clock?: Clock } = {}): Promise<Api> {
  const server = await startInProcess({ ...opts, env: { ABONENT_BOOTSTRAP_TOKEN: TOKEN } });
  return { ...server, call: (method, path, o = {}) => server.request(method, path, withToken(o)) };
}

/** The bootstrap token and the Idempotency-Key as headers. */
export function withToken(o: CallOptions): CallOptions {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, ...o.headers };
  if (o.key !== undefined) headers['idempotency-key'] = o.key;
  return { ...o, headers };
}
