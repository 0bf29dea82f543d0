import { ApiError } from '../../protocol/errors.ts';
import { isRole, type Role } from '../../protocol/roles.ts';
import {
  type ActorKind,
  accept,
  type Cause,
  type DecideContext,
  type Decision,
  type Rejected,
  reject,
} from '../runtime/kind.ts';
import { lockedUntilAfter, nextFailureCount, retryAfterSeconds } from './lockout.ts';

// A staff user: `staff-user:<id>`. Its password hash, its 2FA secret (sealed with
// ABONENT_SECRET_KEY), its login failures and lockout, and its sessions (refresh-token
// families). Everything expensive or secret happens at the edge (scrypt, decrypting the TOTP
// secret, checking a code); commands carry the outcome, so decide stays pure and cheap, and the
// mailbox serialises every login of one user (a lockout cannot be raced past).
//
// Its events stay off the live bus (`live: false`): they carry hashes and sealed secrets.

export const STAFF_USER = 'staff-user';

/** Sessions one user may hold at once; the oldest ends when a new one would exceed it. */
export const MAX_SESSIONS = 20;
/** A rotated-away refresh token presented this soon after is a race of two tabs, not a theft. */
export const REFRESH_GRACE_MS = 10_000;

/** A refresh-token family: one login, rotated on every refresh. Only hashes are kept. */
export interface RefreshFamily {
  tokenHash: string;
  previousHash: string | null;
  createdAt: number;
  rotatedAt: number;
  expiresAt: number;
}

export interface StaffUserState {
  id: string;
  exists: boolean;
  username: string;
  roles: Role[];
  /** scrypt hash (server/staff/passwords.ts), with its parameters. */
  password: string;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  /** `secret` is sealed; `lastStep` is the last TOTP time step used (a code works once). */
  mfa: { secret: string; enabledAt: number; lastStep: number } | null;
  /** A secret shown as a QR code, waiting for its first code. */
  mfaPending: { secret: string; at: number } | null;
  failures: number;
  lastFailureAt: number;
  /** Attempts before this instant are refused with 423 account_locked. */
  lockedUntil: number;
  sessions: Record<string, RefreshFamily>;
}

export type StaffUserCommand =
  | { type: 'Create'; username: string; password: string; roles: Role[] }
  | { type: 'Update'; roles?: Role[]; disabled?: boolean; password?: string; resetMfa?: boolean }
  | { type: 'RecordFailure'; reason: 'password' | 'mfa' }
  | {
      type: 'StartSession';
      familyId: string;
      tokenHash: string;
      expiresAt: number;
      /** The TOTP step of the code that passed (2FA logins). */
      mfaStep?: number;
      /** The code confirmed the pending secret: 2FA becomes enabled with this login. */
      enrol?: boolean;
    }
  | { type: 'Refresh'; familyId: string; presentedHash: string; tokenHash: string; expiresAt: number }
  | { type: 'EndSession'; familyId: string; presentedHash: string }
  | { type: 'StartMfaEnrol'; secret: string }
  | { type: 'ConfirmMfa'; step: number };

interface Meta {
  by: Cause;
  at: number;
}

export type StaffUserEvent = Meta &
  (
    | { type: 'UserCreated'; username: string; password: string; roles: Role[] }
    | { type: 'RolesChanged'; from: Role[]; to: Role[] }
    | { type: 'UserDisabled' }
    | { type: 'UserEnabled' }
    | { type: 'PasswordChanged'; password: string }
    | { type: 'MfaReset' }
    | { type: 'LoginFailed'; reason: 'password' | 'mfa'; failures: number; lockedUntil: number }
    | {
        type: 'LoggedIn';
        familyId: string;
        tokenHash: string;
        expiresAt: number;
        method: 'password' | 'mfa';
        mfaStep?: number;
      }
    | { type: 'MfaEnrolStarted'; secret: string }
    | { type: 'MfaEnabled'; secret: string; step: number }
    | { type: 'SessionRefreshed'; familyId: string; tokenHash: string; expiresAt: number }
    | { type: 'RefreshReuseDetected'; familyId: string }
    | { type: 'LoggedOut'; familyId: string }
  );

export interface StaffUserSummary {
  id: string;
  username: string;
  roles: Role[];
  disabled: boolean;
  mfaEnabled: boolean;
  createdAt: number;
}

export type RefreshReply = { ok: true; user: StaffUserSummary } | { ok: false; reason: 'reuse' };

export function summaryOf(s: StaffUserState): StaffUserSummary {
  return {
    id: s.id,
    username: s.username,
    roles: [...s.roles],
    disabled: s.disabled,
    mfaEnabled: s.mfa !== null,
    createdAt: s.createdAt,
  };
}

export function initialStaffUser(id: string): StaffUserState {
  return {
    id,
    exists: false,
    username: '',
    roles: [],
    password: '',
    disabled: false,
    createdAt: 0,
    updatedAt: 0,
    mfa: null,
    mfaPending: null,
    failures: 0,
    lastFailureAt: 0,
    lockedUntil: 0,
    sessions: {},
  };
}

export const userNotFound = (id: string) =>
  new ApiError(404, 'user_not_found', `there is no staff user ${id}`);
export const userDisabled = () =>
  new ApiError(403, 'user_disabled', 'this user is disabled; an admin can enable it again');
export const invalidRefreshToken = () =>
  new ApiError(401, 'invalid_refresh_token', 'the session has ended; log in again');

export function accountLocked(until: number, now: number): ApiError {
  const seconds = retryAfterSeconds(until, now);
  return new ApiError(
    423,
    'account_locked',
    `too many failed attempts; try again in ${seconds} s`,
    { retryAfter: seconds, lockedUntil: until },
    { 'Retry-After': String(seconds) },
  );
}

const refuse = (error: ApiError): Rejected => ({ reject: error });

function validRoles(roles: unknown): roles is Role[] {
  return (
    Array.isArray(roles) && roles.length > 0 && roles.every(isRole) && new Set(roles).size === roles.length
  );
}

function decide(
  s: StaffUserState,
  c: StaffUserCommand,
  ctx: DecideContext,
): Decision<StaffUserEvent, unknown> {
  const meta = { by: ctx.cause, at: ctx.now };
  if (c.type === 'Create') {
    if (s.exists) return reject(409, 'username_taken', `user ${s.id} already exists`);
    if (!validRoles(c.roles)) return reject(400, 'invalid_roles', 'roles must name at least one known role');
    const event: StaffUserEvent = {
      type: 'UserCreated',
      username: c.username,
      password: c.password,
      roles: [...c.roles],
      ...meta,
    };
    return accept([event], summaryOf(evolve(s, event)));
  }
  if (!s.exists) return refuse(userNotFound(s.id));

  switch (c.type) {
    case 'Update': {
      const events: StaffUserEvent[] = [];
      if (c.roles !== undefined) {
        if (!validRoles(c.roles))
          return reject(400, 'invalid_roles', 'roles must name at least one known role');
        const same = c.roles.length === s.roles.length && c.roles.every((r) => s.roles.includes(r));
        if (!same) events.push({ type: 'RolesChanged', from: [...s.roles], to: [...c.roles], ...meta });
      }
      if (c.disabled !== undefined && c.disabled !== s.disabled) {
        events.push(c.disabled ? { type: 'UserDisabled', ...meta } : { type: 'UserEnabled', ...meta });
      }
      if (c.password !== undefined) events.push({ type: 'PasswordChanged', password: c.password, ...meta });
      if (c.resetMfa && (s.mfa !== null || s.mfaPending !== null)) events.push({ type: 'MfaReset', ...meta });
      return accept(events, summaryOf(events.reduce(evolve, s)));
    }

    case 'RecordFailure': {
      if (ctx.now < s.lockedUntil) return refuse(accountLocked(s.lockedUntil, ctx.now));
      const failures = nextFailureCount(s.failures, s.lastFailureAt, ctx.now);
      const lockedUntil = lockedUntilAfter(failures, ctx.now);
      return accept([{ type: 'LoginFailed', reason: c.reason, failures, lockedUntil, ...meta }], {
        failures,
        lockedUntil,
      });
    }

    case 'StartSession': {
      if (s.disabled) return refuse(userDisabled());
      if (ctx.now < s.lockedUntil) return refuse(accountLocked(s.lockedUntil, ctx.now));
      const events: StaffUserEvent[] = [];
      if (c.enrol) {
        if (!s.mfaPending || c.mfaStep === undefined) {
          return reject(409, 'mfa_not_pending', 'no 2FA enrolment is waiting for a code');
        }
        events.push({ type: 'MfaEnabled', secret: s.mfaPending.secret, step: c.mfaStep, ...meta });
      } else if (c.mfaStep !== undefined && s.mfa !== null && c.mfaStep <= s.mfa.lastStep) {
        // The same code twice (or an older one): a replay.
        return reject(401, 'invalid_mfa_code', 'this code was already used; wait for the next one');
      }
      events.push({
        type: 'LoggedIn',
        familyId: c.familyId,
        tokenHash: c.tokenHash,
        expiresAt: c.expiresAt,
        method: c.mfaStep === undefined ? 'password' : 'mfa',
        ...(c.mfaStep === undefined ? {} : { mfaStep: c.mfaStep }),
        ...meta,
      });
      return accept(events, summaryOf(events.reduce(evolve, s)));
    }

    case 'Refresh': {
      const family = s.sessions[c.familyId];
      if (!family || family.expiresAt <= ctx.now || s.disabled) return refuse(invalidRefreshToken());
      // The token just rotated away, presented again within seconds: two tabs of one browser
      // refreshed at once (they share the cookie). Rotated again; the browser keeps the newest.
      const race = c.presentedHash === family.previousHash && ctx.now - family.rotatedAt < REFRESH_GRACE_MS;
      if (c.presentedHash === family.tokenHash || race) {
        const event: StaffUserEvent = {
          type: 'SessionRefreshed',
          familyId: c.familyId,
          tokenHash: c.tokenHash,
          expiresAt: c.expiresAt,
          ...meta,
        };
        return accept([event], { ok: true, user: summaryOf(s) } satisfies RefreshReply);
      }
      // An older token of a live family: it was copied. End the family, whoever holds it.
      return accept([{ type: 'RefreshReuseDetected', familyId: c.familyId, ...meta }], {
        ok: false,
        reason: 'reuse',
      } satisfies RefreshReply);
    }

    case 'EndSession': {
      const family = s.sessions[c.familyId];
      if (!family || (c.presentedHash !== family.tokenHash && c.presentedHash !== family.previousHash)) {
        return accept([], null);
      }
      return accept([{ type: 'LoggedOut', familyId: c.familyId, ...meta }], null);
    }

    case 'StartMfaEnrol':
      // The instant names this enrolment: a 2FA step token made for it is void once another starts.
      return accept([{ type: 'MfaEnrolStarted', secret: c.secret, ...meta }], { at: ctx.now });

    case 'ConfirmMfa': {
      if (!s.mfaPending) return reject(409, 'mfa_not_pending', 'start the enrolment first');
      return accept([{ type: 'MfaEnabled', secret: s.mfaPending.secret, step: c.step, ...meta }], null);
    }

    default:
      return reject(
        400,
        'unknown_command',
        `staff users do not know ${JSON.stringify((c as { type: unknown }).type)}`,
      );
  }
}

/** Drops expired sessions and, beyond MAX_SESSIONS, the oldest. */
function pruned(sessions: Record<string, RefreshFamily>, now: number): Record<string, RefreshFamily> {
  const live = Object.entries(sessions).filter(([, f]) => f.expiresAt > now);
  live.sort((a, b) => a[1].createdAt - b[1].createdAt);
  return Object.fromEntries(live.slice(Math.max(0, live.length - MAX_SESSIONS)));
}

function without(sessions: Record<string, RefreshFamily>, familyId: string): Record<string, RefreshFamily> {
  const out = { ...sessions };
  delete out[familyId];
  return out;
}

export function evolve(s: StaffUserState, e: StaffUserEvent): StaffUserState {
  switch (e.type) {
    case 'UserCreated':
      return {
        ...s,
        exists: true,
        username: e.username,
        password: e.password,
        roles: e.roles,
        createdAt: e.at,
        updatedAt: e.at,
      };
    case 'RolesChanged':
      return { ...s, roles: e.to, updatedAt: e.at };
    case 'UserDisabled':
      return { ...s, disabled: true, sessions: {}, updatedAt: e.at };
    case 'UserEnabled':
      return { ...s, disabled: false, failures: 0, lockedUntil: 0, updatedAt: e.at };
    case 'PasswordChanged':
      return { ...s, password: e.password, sessions: {}, failures: 0, lockedUntil: 0, updatedAt: e.at };
    case 'MfaReset':
      return { ...s, mfa: null, mfaPending: null, updatedAt: e.at };
    case 'LoginFailed':
      return { ...s, failures: e.failures, lastFailureAt: e.at, lockedUntil: e.lockedUntil };
    case 'LoggedIn': {
      const family: RefreshFamily = {
        tokenHash: e.tokenHash,
        previousHash: null,
        createdAt: e.at,
        rotatedAt: e.at,
        expiresAt: e.expiresAt,
      };
      const mfa = s.mfa && e.mfaStep !== undefined ? { ...s.mfa, lastStep: e.mfaStep } : s.mfa;
      return {
        ...s,
        mfa,
        failures: 0,
        lockedUntil: 0,
        sessions: pruned({ ...s.sessions, [e.familyId]: family }, e.at),
      };
    }
    case 'MfaEnrolStarted':
      return { ...s, mfaPending: { secret: e.secret, at: e.at } };
    case 'MfaEnabled':
      return { ...s, mfa: { secret: e.secret, enabledAt: e.at, lastStep: e.step }, mfaPending: null };
    case 'SessionRefreshed': {
      const f = s.sessions[e.familyId];
      if (!f) return s;
      const family = {
        ...f,
        previousHash: f.tokenHash,
        tokenHash: e.tokenHash,
        rotatedAt: e.at,
        expiresAt: e.expiresAt,
      };
      return { ...s, sessions: { ...s.sessions, [e.familyId]: family } };
    }
    case 'RefreshReuseDetected':
    case 'LoggedOut':
      return { ...s, sessions: without(s.sessions, e.familyId) };
  }
}

export const staffUserKind: ActorKind<StaffUserState, StaffUserCommand, StaffUserEvent, unknown> = {
  name: STAFF_USER,
  initial: initialStaffUser,
  decide,
  evolve,
  live: false,
};
