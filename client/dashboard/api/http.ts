// Every call to the server goes through here: the bearer token, one refresh-and-retry when it
// has expired, and refusals turned into ApiFailure with the server's machine-readable code.

export class ApiFailure extends Error {
  override name = 'ApiFailure';
  constructor(
    /** 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Seconds, from Retry-After (423 account_locked, 429). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** Worth sending again with the same Idempotency-Key: the outcome is unknown, not a refusal. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  idempotencyKey?: string;
  /** text/csv for exports; the reply is then returned as text. */
  accept?: string;
  signal?: AbortSignal;
  /** Auth calls themselves must not try to refresh on a 401. */
  noRefresh?: boolean;
}

export interface TokenSource {
  /** The current access token, refreshed first when it is about to expire. */
  token(): Promise<string | null>;
  /** After a 401: one refresh through the cookie; false when the session is over. */
  renew(): Promise<boolean>;
}

let tokens: TokenSource = {
  token: async () => null,
  renew: async () => false,
};

export function useTokens(source: TokenSource): void {
  tokens = source;
}

export function withQuery(path: string, query: CallOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const first = await send(method, path, options, await tokens.token());
  if (first.status === 401 && !options.noRefresh && (await tokens.renew())) {
    return read<T>(await send(method, path, options, await tokens.token()), options);
  }
  return read<T>(first, options);
}

export const get = <T>(path: string, options?: CallOptions) => call<T>('GET', path, options);
export const post = <T>(path: string, body?: unknown, options?: CallOptions) =>
  call<T>('POST', path, { ...options, body });
export const put = <T>(path: string, body?: unknown, options?: CallOptions) =>
  call<T>('PUT', path, { ...options, body });

async function send(
  method: string,
  path: string,
  options: CallOptions,
  token: string | null,
): Promise<Response> {
  const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  try {
    return await fetch(withQuery(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiFailure(0, 'network', 'the server cannot be reached');
  }
}

async function read<T>(res: Response, options: CallOptions): Promise<T> {
  if (res.ok) {
    if (res.status === 204) return undefined as T;
    if (options.accept && !options.accept.includes('json')) return (await res.text()) as T;
    return (await res.json()) as T;
  }
  let body: { code?: string; message?: string; details?: unknown } = {};
  try {
    body = await res.json();
  } catch {}
  const retryAfter = Number(res.headers.get('Retry-After'));
  throw new ApiFailure(
    res.status,
    body.code ?? `http_${res.status}`,
    body.message ?? res.statusText,
    body.details,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

/** An Idempotency-Key: randomUUID is missing outside secure contexts (plain http on a LAN address). */
export function newKey(): string {
  if (typeof crypto.randomUUID === 'function' && globalThis.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * One key per user action: the same body sent again (a retry after a timeout) reuses the key,
 * so the server answers the first reply instead of moving money twice; a changed body is a
 * new action with a new key.
 */
export class ActionKey {
  private key = newKey();
  private body: string | undefined;

  for(body: unknown): string {
    const text = JSON.stringify(body);
    if (this.body !== undefined && this.body !== text) this.key = newKey();
    this.body = text;
    return this.key;
  }

  /** After a definite answer (success or refusal) the next submit is a new action. */
  settle(): void {
    this.key = newKey();
    this.body = undefined;
  }
}
