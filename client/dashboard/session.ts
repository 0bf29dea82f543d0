import { createSignal } from 'solid-js';
import { ApiFailure, call, useTokens } from './api/http.ts';
import { expiryMs, type LoginReply, type Session, type StaffUser } from './api/types.ts';

// Who is signed in. The access token lives only in memory (a page reload gets a new one
// through the HttpOnly refresh cookie); it is renewed shortly before it expires, and once
// more after any 401, so a long shift at the dashboard never sees a login screen.

/** Renew this long before expiry, so no request carries a token that dies on the way. */
const EARLY_MS = 60_000;

const [user, setUser] = createSignal<StaffUser | null>(null);
/** 'restoring' until the first refresh attempt answers. */
const [phase, setPhase] = createSignal<'restoring' | 'ready'>('restoring');
/** Why the user was sent back to the login screen, if not by their own logout. */
const [endedBecause, setEndedBecause] = createSignal<'expired' | null>(null);

export { endedBecause, phase, user };

/**
 * Set while a session is likely to exist (the refresh cookie itself is HttpOnly), so a first
 * visit does not knock on /auth/refresh for nothing.
 */
const HINT = 'abonent.session';
const hint = {
  get: () => {
    try {
      return localStorage.getItem(HINT) === '1';
    } catch {
      return true;
    }
  },
  set: (on: boolean) => {
    try {
      if (on) localStorage.setItem(HINT, '1');
      else localStorage.removeItem(HINT);
    } catch {}
  },
};

let accessToken: string | null = null;
let expiresAt = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let renewing: Promise<boolean> | null = null;

export function can(permission: string): boolean {
  const u = user();
  return !!u && (u.permissions.includes(permission) || u.permissions.includes('all'));
}

function adopt(session: Session): void {
  accessToken = session.accessToken;
  expiresAt = expiryMs(session.expiresAt);
  setEndedBecause(null);
  setUser(session.user);
  hint.set(true);
  clearTimeout(timer);
  const wait = Math.max(5_000, expiresAt - Date.now() - EARLY_MS);
  timer = setTimeout(() => void renew(), Math.min(wait, 2 ** 31 - 1));
}

function forget(reason: 'expired' | null): void {
  accessToken = null;
  expiresAt = 0;
  clearTimeout(timer);
  if (user() !== null && reason) setEndedBecause(reason);
  setUser(null);
  hint.set(false);
}

/** One refresh at a time, whoever asks: the cookie rotates, two at once would race. */
export function renew(): Promise<boolean> {
  renewing ??= (async () => {
    try {
      adopt(await call<Session>('POST', '/api/v1/auth/refresh', { noRefresh: true }));
      return true;
    } catch (error) {
      // A network hiccup is not the end of a session: the current token may still be good.
      if (error instanceof ApiFailure && error.status === 0 && accessToken) return false;
      forget('expired');
      return false;
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

export async function token(): Promise<string | null> {
  if (accessToken && Date.now() > expiresAt - 10_000) await renew();
  return accessToken;
}

useTokens({ token, renew });

/** On page load: a refresh cookie, if there is one, brings the session back. */
export async function restore(): Promise<void> {
  if (!hint.get()) {
    setPhase('ready');
    return;
  }
  try {
    adopt(await call<Session>('POST', '/api/v1/auth/refresh', { noRefresh: true }));
  } catch {
    forget(null);
  } finally {
    setPhase('ready');
  }
}

export type LoginOutcome =
  | { done: true }
  | { mfa: 'code'; mfaToken: string }
  | { mfa: 'enrol'; mfaToken: string; otpauthUrl: string; qrSvg: string };

export async function login(username: string, password: string): Promise<LoginOutcome> {
  const reply = await call<LoginReply>('POST', '/api/v1/auth/login', {
    body: { username, password },
    noRefresh: true,
  });
  if ('accessToken' in reply) {
    adopt(reply);
    return { done: true };
  }
  if ('mfaEnrolRequired' in reply) {
    return { mfa: 'enrol', mfaToken: reply.mfaToken, otpauthUrl: reply.otpauthUrl, qrSvg: reply.qrSvg };
  }
  return { mfa: 'code', mfaToken: reply.mfaToken };
}

export async function completeMfa(mfaToken: string, code: string): Promise<void> {
  adopt(await call<Session>('POST', '/api/v1/auth/mfa', { body: { mfaToken, code }, noRefresh: true }));
}

export async function logout(): Promise<void> {
  try {
    await call('POST', '/api/v1/auth/logout', { noRefresh: true });
  } catch {
    // Signed out here either way; the refresh cookie dies with its own expiry.
  }
  forget(null);
}

/** After the user changed something about themselves (2FA on): the server's view of them. */
export async function reloadMe(): Promise<void> {
  const me = await call<StaffUser | { user: StaffUser }>('GET', '/api/v1/me');
  setUser('user' in me ? me.user : me);
}
