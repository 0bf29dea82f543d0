import type { Static, TSchema, TUnknown } from '@sinclair/typebox';
import type { Logger } from '../log.ts';
import type { Principal } from './auth.ts';

// A route is data: the router, the validators and the OpenAPI document are all made from
// the same list, so what is documented is what is enforced.

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** 'public': anyone; 'authenticated': any principal; { permission }: a principal holding it. */
export type RouteAuth = 'public' | 'authenticated' | { permission: string };

/** A response without a body, documented by its description only. */
export interface ResponseDescription {
  description: string;
}

export interface Route<B = unknown, Q = unknown> {
  method: Method;
  /** `/api/v1/accounts/:id`: `:name` segments become `params.name`. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** Defaults to method + path, e.g. `get_api_v1_accounts_id`. */
  operationId?: string;
  auth: RouteAuth;
  /** JSON request body schema; compiled once when the route is registered. */
  body?: TSchema;
  /**
   * A request without a body is read as `{}` and then checked against `body`: for commands
   * whose fields are all optional (`POST …/close`), so clients need not send `{}`.
   */
  bodyOptional?: boolean;
  /** Query string schema; values are converted (numbers, booleans) before the check. */
  query?: TSchema;
  /** Status → body schema (its `description` option documents it) or a bodiless description. */
  responses: Record<number, TSchema | ResponseDescription>;
  /**
   * Reads the Idempotency-Key header (1..255 printable ASCII characters);
   * 'required' answers 400 idempotency_key_required when it is missing.
   */
  idempotency?: 'required' | 'optional';
  /** Left out of the OpenAPI document (static files, the document itself). */
  hidden?: boolean;
  handler(req: RequestContext<B, Q>): Promise<HttpReply> | HttpReply;
}

export interface RequestContext<B = unknown, Q = unknown> {
  readonly method: Method | 'HEAD';
  /** The path as requested, without the query string. */
  readonly path: string;
  /** Path parameters, percent-decoded. */
  readonly params: Record<string, string>;
  /** The raw query string, parsed on first use. */
  readonly query: URLSearchParams;
  /** The query converted and checked against `route.query`; `{}` when the route declares none. */
  readonly queryValues: Q;
  /** The parsed JSON body, checked against `route.body`; undefined when none was sent. */
  readonly body: B;
  /** Request headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly principal: Principal | null;
  readonly idempotencyKey?: string;
  readonly ip: string;
  /** Also sent back as the X-Request-Id response header. */
  readonly requestId: string;
  /** A child logger carrying the request id, made on first use. */
  readonly log: Logger;
}

export interface HttpReply {
  status: number;
  /**
   * JSON-serialised, unless `contentType` is given and the body is a string or bytes,
   * which are then sent as they are.
   */
  body?: unknown;
  headers?: Record<string, string>;
  /** Default application/json. */
  contentType?: string;
}

/**
 * Declares a route with its body and query types inferred from the schemas:
 * `route({ method: 'POST', path: '/x', body: Type.Object({…}), handler: (req) => … })`.
 */
export function route<TBody extends TSchema = TUnknown, TQuery extends TSchema = TUnknown>(
  def: Omit<Route<Static<TBody>, Static<TQuery>>, 'body' | 'query'> & { body?: TBody; query?: TQuery },
): Route<Static<TBody>, Static<TQuery>> {
  return def;
}

export const json = (status: number, body?: unknown, headers?: Record<string, string>): HttpReply =>
  headers === undefined ? { status, body } : { status, body, headers };
