import { hash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../../protocol/errors.ts';

/** Who is calling. `permissions: 'all'` is the admin scope. */
export interface Principal {
  kind: 'machine' | 'staff' | 'subscriber';
  id: string;
  permissions: 'all' | ReadonlySet<string>;
}

export interface AuthRequest {
  /** The value of the Authorization header ('' when absent). */
  authorization: string;
  headers: Readonly<Record<string, string>>;
  ip: string;
}

/**
 * Recognises one kind of credential. Returns null when the credential is not its kind (the
 * next authenticator is asked); throws an ApiError (usually 401) when it is its kind but bad,
 * e.g. an expired JWT. Synchronous results keep the hot path free of promise hops.
 */
export interface Authenticator {
  readonly name: string;
  authenticate(req: AuthRequest): Principal | null | Promise<Principal | null>;
}

export const BOOTSTRAP_PRINCIPAL: Principal = Object.freeze({
  kind: 'machine',
  id: 'bootstrap',
  permissions: 'all',
});

/**
 * ABONENT_BOOTSTRAP_TOKEN as a bearer token: the admin scope for machine clients before any
 * staff login exists. Compared in constant time over digests, so neither content nor length leaks.
 */
export function bootstrapAuthenticator(token: string): Authenticator {
  const expected = digest(token);
  // A token that passed once is found again by a Map lookup, which compares hashes before
  // text: no timing tells how much of a wrong token was right. Saves a SHA-256 (~1.2 µs)
  // on every machine request. Only the right token is ever kept, so it stays one entry.
  const passed = new Map<string, true>();
  return {
    name: 'bootstrap',
    authenticate({ authorization }) {
      const presented = bearer(authorization);
      if (presented === null) return null;
      if (passed.has(presented)) return BOOTSTRAP_PRINCIPAL;
      if (!timingSafeEqual(digest(presented), expected)) return null;
      passed.set(presented, true);
      return BOOTSTRAP_PRINCIPAL;
    },
  };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(authorization: string): string | null {
  if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const token = authorization.slice(7).trim();
  return token === '' ? null : token;
}

export function hasPermission(principal: Principal, permission: string): boolean {
  return principal.permissions === 'all' || principal.permissions.has(permission);
}

export const unauthorized = (message = 'a valid bearer token is required') =>
  new ApiError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer' });

export const forbidden = (permission: string) =>
  new ApiError(403, 'forbidden', `this needs the ${permission} permission`, { permission });

function digest(s: string): Buffer {
  // One-shot: every authenticated request comes through here.
  return hash('sha256', s, 'buffer');
}
