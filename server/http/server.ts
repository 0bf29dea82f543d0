import uWS from 'uWebSockets.js';
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Value } from '@sinclair/typebox/value';
import type { Registry } from 'prom-client';
import { HotHistogram } from '../../actors/runtime/hot-histogram.ts';
import { ApiError, errors } from '../../protocol/errors.ts';
import type { Logger } from '../log.ts';
import {
  type Authenticator,
  type AuthRequest,
  forbidden,
  hasPermission,
  type Principal,
  unauthorized,
} from './auth.ts';
import type { HttpReply, Method, RequestContext, Route } from './route.ts';
import { BODY_METHODS, type CompiledRoute, type PathEntry, Router } from './router.ts';

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port; the bound one is reported back. */
  port: number;
  routes: readonly Route[];
  log: Logger;
  /** Where the abonent_http_* instruments go; none are kept without it. */
  registry?: Registry;
  /** While false, unknown /api/ paths answer 503 not_ready instead of 404 (routes still being added). */
  isReady: () => boolean;
  bodyLimit: number;
  /** Asked in order; the first to return a principal wins. */
  authenticators: readonly Authenticator[];
}

export interface HttpServer {
  readonly port: number;
  /** The uWS app, for what attaches to it besides the routes (socket.io). */
  readonly app: uWS.TemplatedApp;
  /** Every route served so far (for the OpenAPI document). */
  readonly routes: readonly Route[];
  /** Adds routes to the running server, e.g. once the actor system is up. */
  addRoutes(routes: readonly Route[]): void;
  /**
   * Stops accepting connections at once; requests in flight get up to `graceMs` to be
   * answered (each with `Connection: close`), then every remaining connection is closed.
   */
  close(graceMs?: number): Promise<void>;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});
const MAX_VALIDATION_DETAILS = 20;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * This process's request ids: a random tag made at start and a counter, e.g. `m4k2x9qf-1b3`.
 * Unique enough to find one request in the logs of every node and restart, and unlike a
 * UUID per request (randomUUID builds its text from 16 bytes, ~550 bytes of garbage) it costs
 * one number-to-text.
 */
const REQUEST_TAG = randomBytes(4).readUInt32BE(0).toString(36).padStart(7, '0');
let requestCounter = 0;
const nextRequestId = () => `${REQUEST_TAG}-${(++requestCounter).toString(36)}`;
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * One request in flight. Everything uWS hands out is copied here synchronously, because
 * uWS's request object dies when the handler returns and its response after an abort.
 */
class Exchange implements RequestContext {
  params: Record<string, string> = EMPTY;
  queryValues: unknown = EMPTY;
  body: unknown = undefined;
  principal: Principal | null = null;
  idempotencyKey: string | undefined = undefined;
  head = false;
  aborted = false;
  done = false;
  /** True once the request body, if any, has been read to its end. */
  bodyConsumed = true;
  routePath = 'unmatched';
  /** The matched route, its body being read, or why the body is refused (set by dispatch). */
  compiled: CompiledRoute | undefined = undefined;
  bodyReader: BodyReader | undefined = undefined;
  bodyError: ApiError | undefined = undefined;
  private parsedQuery: URLSearchParams | undefined;
  private childLog: Logger | undefined;

  constructor(
    /** uWS's response: valid until it is ended or the request is aborted. */
    readonly res: uWS.HttpResponse,
    readonly method: Method | 'HEAD',
    readonly path: string,
    private readonly rawQuery: string,
    readonly headers: Record<string, string>,
    readonly requestId: string,
    readonly ip: string,
    private readonly baseLog: Logger,
    readonly startedAt: number,
  ) {}

  get query(): URLSearchParams {
    this.parsedQuery ??= new URLSearchParams(this.rawQuery);
    return this.parsedQuery;
  }

  get log(): Logger {
    this.childLog ??= this.baseLog.child({ requestId: this.requestId });
    return this.childLog;
  }
}

type BodyResult = string | ApiError;

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { log, bodyLimit, authenticators, isReady } = options;
  const router = new Router();
  for (const r of options.routes) router.add(r);

  const duration = options.registry
    ? new HotHistogram({
        name: 'abonent_http_request_seconds',
        help: 'Time from request to response, by route pattern',
        labelNames: ['method', 'route', 'status'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
        registers: [options.registry],
      })
    : undefined;

  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | undefined;

  const app = uWS.App();

  function finish(ex: Exchange, status: number): void {
    inFlight--;
    if (duration) {
      const key = `${ex.method} ${ex.routePath} ${status}`;
      (duration.series(key) ?? duration.add(key, [ex.method, ex.routePath, status])).observe(
        (performance.now() - ex.startedAt) / 1000,
      );
    }
    if (inFlight === 0) drained?.();
  }

  function send(ex: Exchange, reply: HttpReply): void {
    if (ex.aborted || ex.done) return;
    const { status } = reply;
    let payload: string | Uint8Array | undefined;
    let contentType = reply.contentType;
    const body = reply.body;
    if (body !== undefined && status !== 204 && status !== 304) {
      if (contentType !== undefined && (typeof body === 'string' || body instanceof Uint8Array)) {
        payload = body;
      } else {
        payload = JSON.stringify(body);
        contentType ??= 'application/json';
      }
    }
    // Only now: if serialising threw, the caller's fail() can still answer 500.
    ex.done = true;
    // An unread body would be taken for the next request on a keep-alive connection.
    const closeConnection = closing || !ex.bodyConsumed;
    corked.ex = ex;
    corked.status = status;
    corked.payload = payload;
    corked.contentType = contentType;
    corked.headers = reply.headers;
    corked.close = closeConnection;
    try {
      ex.res.cork(writeCorked);
    } finally {
      // Not kept until the next response.
      corked.ex = undefined;
      corked.payload = undefined;
      corked.headers = undefined;
    }
    finish(ex, status);
  }

  function fail(ex: Exchange, error: unknown): void {
    if (error instanceof ApiError) {
      if (error.status >= 500 && error.code !== 'not_ready')
        ex.log.warn({ code: error.code, route: ex.routePath }, error.message);
      // Refused for who is asking: logged with who it was and from where.
      else if (error.status === 401 || error.status === 403)
        ex.log.warn(
          {
            code: error.code,
            method: ex.method,
            route: ex.routePath,
            principal: ex.principal?.id,
            ip: ex.ip,
          },
          error.message,
        );
      send(ex, { status: error.status, body: error.toBody(), headers: error.headers });
      return;
    }
    // The client learns only that it failed; the log gets the whole story.
    ex.log.error({ err: error, method: ex.method, route: ex.routePath }, 'request failed');
    const internal = errors.internal();
    send(ex, { status: internal.status, body: internal.toBody() });
  }

  /**
   * The first authenticator's principal. A promise only when an authenticator answers with
   * one (a JWT check): the bootstrap token, on every machine request, costs no promise hop.
   */
  function authenticate(ex: Exchange): Principal | null | Promise<Principal | null> {
    const authorization = ex.headers.authorization ?? '';
    if (authorization === '') return null;
    return firstPrincipal({ authorization, headers: ex.headers, ip: ex.ip }, 0);
  }

  function firstPrincipal(req: AuthRequest, from: number): Principal | null | Promise<Principal | null> {
    for (let i = from; i < authenticators.length; i++) {
      const principal = authenticators[i]!.authenticate(req);
      if (principal instanceof Promise) return principal.then((p) => p ?? firstPrincipal(req, i + 1));
      if (principal) return principal;
    }
    return null;
  }

  /**
   * The checks of a matched route, in order: who is calling, the Idempotency-Key, the body,
   * the query; then the handler. Callbacks, not an async function: every request passes
   * here, and the common one (bootstrap or cached token, body in the first packet, an actor's
   * reply) needs no promise of its own but the handler's.
   */
  function run(ex: Exchange): void {
    try {
      const found = ex.compiled!.route.auth === 'public' ? optionalPrincipal(ex) : authenticate(ex);
      if (found instanceof Promise) {
        found.then(
          (principal) => authorized(ex, principal),
          (error: unknown) => fail(ex, error),
        );
      } else authorized(ex, found);
    } catch (error) {
      fail(ex, error);
    }
  }

  /** For a public route, which still learns who is calling when a valid token is sent. */
  function optionalPrincipal(ex: Exchange): Principal | null | Promise<Principal | null> {
    if (!ex.headers.authorization) return null;
    try {
      const found = authenticate(ex);
      return found instanceof Promise ? found.catch(() => null) : found;
    } catch {
      return null;
    }
  }

  function authorized(ex: Exchange, principal: Principal | null): void {
    const { auth } = ex.compiled!.route;
    if (auth !== 'public' && principal === null) {
      fail(
        ex,
        unauthorized(
          ex.headers.authorization ? 'the bearer token is not valid' : 'a valid bearer token is required',
        ),
      );
      return;
    }
    ex.principal = principal;
    if (typeof auth === 'object' && !hasPermission(principal!, auth.permission)) {
      fail(ex, forbidden(auth.permission));
      return;
    }
    afterAuth(ex);
  }

  function afterAuth(ex: Exchange): void {
    try {
      const { idempotency } = ex.compiled!.route;
      if (idempotency !== undefined) {
        const key = ex.headers['idempotency-key'];
        if (key === undefined || key === '') {
          if (idempotency === 'required') throw errors.idempotencyKeyRequired();
        } else if (!IDEMPOTENCY_KEY.test(key)) {
          throw new ApiError(
            400,
            'invalid_idempotency_key',
            'Idempotency-Key must be 1 to 255 printable ASCII characters',
          );
        } else {
          ex.idempotencyKey = key;
        }
      }
      if (ex.bodyError !== undefined) throw ex.bodyError;
    } catch (error) {
      fail(ex, error);
      return;
    }
    if (ex.bodyReader === undefined) handle(ex, undefined);
    else ex.bodyReader.whenRead((text) => handle(ex, text));
  }

  /** With the body read (or none sent): parse and check it and the query, then the handler. */
  function handle(ex: Exchange, text: BodyResult | undefined) {
    const compiled = ex.compiled!;
    const { route } = compiled;
    let reply: HttpReply | Promise<HttpReply>;
    try {
      if (text !== undefined) {
        if (typeof text !== 'string') throw text;
        if (text !== '') {
          try {
            ex.body = JSON.parse(text);
          } catch (e) {
            throw errors.invalidJson(`the body is not valid JSON: ${(e as Error).message}`);
          }
        }
      }
      if (ex.body === undefined && route.bodyOptional) ex.body = {};
      if (compiled.bodyCheck !== undefined && !compiled.bodyCheck.Check(ex.body)) {
        throw errors.validation(
          'the body does not match the schema',
          describe(compiled.bodyCheck.Errors(ex.body)),
        );
      }

      if (compiled.queryCheck !== undefined) {
        const values = Value.Convert(compiled.queryCheck.Schema(), Object.fromEntries(ex.query));
        if (!compiled.queryCheck.Check(values)) {
          throw errors.validation(
            'the query string does not match the schema',
            describe(compiled.queryCheck.Errors(values)),
          );
        }
        ex.queryValues = values;
      }

      reply = route.handler(ex);
    } catch (error) {
      fail(ex, error);
      return;
    }
    if (reply instanceof Promise) {
      reply.then(
        (r) => reply_(ex, r),
        (error: unknown) => fail(ex, error),
      );
    } else reply_(ex, reply);
  }

  /** Sends a handler's reply; one that cannot be serialised is a 500 like any bug. */
  function reply_(ex: Exchange, reply: HttpReply): void {
    try {
      send(ex, reply);
    } catch (error) {
      fail(ex, error);
    }
  }

  app.any('/*', onRequest);

  function onRequest(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const startedAt = performance.now();
    const method = req.getCaseSensitiveMethod() as Method | 'HEAD' | 'OPTIONS';
    const path = req.getUrl();
    const rawQuery = req.getQuery() || '';
    const headers: Record<string, string> = {};
    req.forEach((name, value) => {
      headers[name] = value;
    });
    const incomingId = headers['x-request-id'];
    const requestId = incomingId !== undefined && REQUEST_ID.test(incomingId) ? incomingId : nextRequestId();
    const ip = Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
    const ex = new Exchange(
      res,
      method as Method | 'HEAD',
      path,
      rawQuery,
      headers,
      requestId,
      ip,
      log,
      startedAt,
    );

    inFlight++;
    res.onAborted(() => {
      ex.aborted = true;
      if (!ex.done) {
        ex.done = true;
        finish(ex, 499);
      }
    });

    try {
      dispatch(ex);
    } catch (err) {
      // Only a bug of ours gets here; the request still gets its 500.
      fail(ex, err);
    }
  }

  function dispatch(ex: Exchange): void {
    const { headers, path } = ex;
    const method = ex.method as Method | 'HEAD' | 'OPTIONS';
    const hasBody = requestHasBody(headers);
    if (hasBody) ex.bodyConsumed = false;

    const match = router.match(path);
    if (match === null) {
      fail(ex, !isReady() && path.startsWith('/api/') ? errors.notReady() : errors.notFound());
      return;
    }
    const entry = match.entry;
    let compiled = entry.methods.get(method);
    if (compiled === undefined) {
      if (method === 'HEAD') {
        compiled = entry.methods.get('GET');
        ex.head = true;
      } else if (method === 'OPTIONS') {
        send(ex, { status: 204, headers: { Allow: entry.allow } });
        return;
      }
      if (compiled === undefined) {
        fail(ex, methodNotAllowed(entry));
        return;
      }
    }
    ex.routePath = compiled.route.path;
    ex.compiled = compiled;

    if (match.values !== null) {
      const params: Record<string, string> = {};
      const names = compiled.paramNames;
      for (let i = 0; i < names.length; i++) {
        const raw = match.values[i]!;
        try {
          params[names[i]!] = raw.includes('%') ? decodeURIComponent(raw) : raw;
        } catch {
          fail(ex, errors.badRequest(`path parameter ${names[i]} is not valid percent-encoding`));
          return;
        }
      }
      ex.params = params;
    }

    // uWS drops body chunks that arrive before onData is attached, so the body is read
    // now, before any await; its checks run in order inside run().
    if (hasBody && BODY_METHODS.has(method as Method)) {
      const declared = Number(headers['content-length'] ?? 0);
      if (!isJsonContentType(headers['content-type'])) ex.bodyError = errors.unsupportedMediaType();
      else if (declared > bodyLimit) ex.bodyError = errors.payloadTooLarge(bodyLimit);
      else ex.bodyReader = new BodyReader(ex, bodyLimit);
    }

    run(ex);
  }

  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(options.host, options.port, (socket) => {
      if (socket) resolve(socket);
      else
        reject(
          new Error(
            `cannot listen on ${options.host}:${options.port} (in use, or not an address of this machine)`,
          ),
        );
    });
  });
  const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);
  let closed: Promise<void> | undefined;

  return {
    port,
    app,
    get routes() {
      return router.routes;
    },
    addRoutes(routes) {
      for (const r of routes) router.add(r);
    },
    close(graceMs = 5000) {
      closed ??= (async () => {
        closing = true;
        uWS.us_listen_socket_close(listenSocket);
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, graceMs);
            drained = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        // Not in uWS's typings, but in its binary: closes every remaining (idle keep-alive) socket.
        (app as unknown as { close(): void }).close();
      })();
      return closed;
    },
  };
}

/**
 * A request body being read: uWS hands it over in chunks after the handler returns, often
 * in the same turn. `then` runs its callback once the body is complete (at once if it is).
 */
class BodyReader {
  private result: BodyResult | undefined;
  private waiting: ((result: BodyResult) => void) | undefined;
  private chunks: Buffer[] | undefined;
  private size = 0;

  constructor(ex: Exchange, limit: number) {
    ex.res.onData((chunk, isLast) => {
      if (this.result !== undefined) return;
      this.size += chunk.byteLength;
      if (this.size > limit) {
        this.settle(errors.payloadTooLarge(limit));
        return;
      }
      // uWS neuters the chunk when this callback returns: decode or copy it now.
      if (isLast) {
        ex.bodyConsumed = true;
        const { chunks } = this;
        if (chunks === undefined) this.settle(Buffer.from(chunk).toString('utf8'));
        else {
          chunks.push(Buffer.from(chunk));
          this.settle(Buffer.concat(chunks, this.size).toString('utf8'));
        }
      } else {
        this.chunks ??= [];
        this.chunks.push(Buffer.from(chunk.slice(0)));
      }
    });
  }

  whenRead(fn: (result: BodyResult) => void): void {
    if (this.result !== undefined) fn(this.result);
    else this.waiting = fn;
  }

  private settle(result: BodyResult): void {
    this.result = result;
    this.chunks = undefined;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(result);
  }
}

function requestHasBody(headers: Record<string, string>): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}

function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const media = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
}

function methodNotAllowed(entry: PathEntry): ApiError {
  return new ApiError(405, 'method_not_allowed', `allowed: ${entry.allow}`, undefined, {
    Allow: entry.allow,
  });
}

function describe(errs: Iterable<{ path: string; message: string }>): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  for (const e of errs) {
    out.push({ path: e.path === '' ? '/' : e.path, message: e.message });
    if (out.length === MAX_VALIDATION_DETAILS) break;
  }
  return out;
}

const statusLines = new Map<number, string>();
function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    statusLines.set(status, line);
  }
  return line;
}

/**
 * The response `send` is writing. uWS runs a cork callback synchronously, so one function
 * reading this serves every response: a closure per response was garbage on every request.
 */
const corked: {
  ex: Exchange | undefined;
  status: number;
  payload: string | Uint8Array | undefined;
  contentType: string | undefined;
  headers: Record<string, string> | undefined;
  close: boolean;
} = {
  ex: undefined,
  status: 0,
  payload: undefined,
  contentType: undefined,
  headers: undefined,
  close: false,
};

function writeCorked(): void {
  const { status, payload, headers } = corked;
  const ex = corked.ex!;
  const res = ex.res;
  const closeConnection = corked.close;
  res.writeStatus(statusLine(status));
  res.writeHeader('X-Request-Id', ex.requestId);
  if (payload !== undefined) res.writeHeader('Content-Type', corked.contentType!);
  if (headers !== undefined) for (const name in headers) res.writeHeader(name, headers[name]!);
  if (payload === undefined) {
    if (status === 204 || status === 304) res.endWithoutBody(undefined, closeConnection);
    else res.end(undefined, closeConnection);
  } else if (ex.head) {
    res.endWithoutBody(
      typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength,
      closeConnection,
    );
  } else {
    res.end(payload, closeConnection);
  }
}
