import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../actors/runtime/clock.ts';
import type { Cause } from '../../actors/runtime/kind.ts';
import type { ActorSystem } from '../../actors/runtime/system.ts';
import { DIRECTORY_ID, staffDirectoryKind } from '../../actors/staff/directory.ts';
import { mfaRequiredFor, POLICY_ID, securityPolicyKind } from '../../actors/staff/policy.ts';
import {
  accountLocked,
  invalidRefreshToken,
  type RefreshReply,
  type StaffUserCommand,
  type StaffUserState,
  type StaffUserSummary,
  staffUserKind,
  userDisabled,
  userNotFound,
} from '../../actors/staff/user.ts';
import { ApiError } from '../../protocol/errors.ts';
import { PERMISSIONS, type Permission } from '../../protocol/permissions.ts';
import { permissionsOf, type Role } from '../../protocol/roles.ts';
import type { LoginReply, Session, SessionUser } from '../../protocol/staff.ts';
import type { Principal } from '../http/auth.ts';
import type { Logger } from '../log.ts';
import type { SecretBox } from '../secrets.ts';
import { hashPassword, verifyNobody, verifyPassword } from './passwords.ts';
import type { StaffRoster } from './roster.ts';
import {
  ACCESS_AUDIENCE,
  ACCESS_TTL_MS,
  type KeyRing,
  MFA_AUDIENCE,
  MFA_TTL_MS,
  TokenError,
} from './tokens.ts';
import { matchCode, newTotpSecret, otpauthUrl, qrSvg } from './totp.ts';

// Logins, 2FA, sessions and staff administration. Everything slow or secret happens here at
// the edge (scrypt, opening the TOTP secret, checking a code, signing); the user actor gets the
// outcome and decides with its state (lockout, replayed codes, reused refresh tokens), so one
// user's logins are serialised by its mailbox and every step is journaled with its cause.

export const REFRESH_TTL_MS = 14 * 24 * 3600_000;
export const REFRESH_COOKIE = 'abonent_refresh';

export interface IssuedSession {
  session: Session;
  /** For the HttpOnly cookie. */
  refreshToken: string;
}

export type LoginOutcome = { kind: 'session'; issued: IssuedSession } | { kind: 'mfa'; reply: LoginReply };

export const invalidCredentials = () =>
  new ApiError(401, 'invalid_credentials', 'the username or password is wrong');
export const invalidMfaCode = (status = 401) =>
  new ApiError(status, 'invalid_mfa_code', 'the code is wrong or too old; try the current one');
export const invalidMfaToken = () =>
  new ApiError(401, 'invalid_mfa_token', 'the 2FA step has expired; log in again');
export const setupDone = () => new ApiError(409, 'setup_done', 'the first admin has already been created');
export const usernameTaken = (username: string) =>
  new ApiError(409, 'username_taken', `the username ${username} is taken`);

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const totpContext = (userId: string) => `staff-user:${userId}:totp`;

const BOOTSTRAP_USER: SessionUser = {
  id: 'bootstrap',
  username: 'bootstrap',
  roles: ['admin'],
  permissions: [...PERMISSIONS].sort(),
  mfaEnabled: false,
};

export interface StaffAccessOptions {
  system: ActorSystem;
  clock: Clock;
  log: Logger;
  box: SecretBox;
  keys: KeyRing;
  roster: StaffRoster;
}

export class StaffAccess {
  private readonly system: ActorSystem;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly box: SecretBox;
  private readonly keys: KeyRing;
  readonly roster: StaffRoster;
  /** Role changes and disables run one at a time, so two cannot together leave no admin. */
  private adminChanges: Promise<unknown> = Promise.resolve();
  private readonly permissionSets = new Map<string, ReadonlySet<string>>();

  constructor(o: StaffAccessOptions) {
    this.system = o.system;
    this.clock = o.clock;
    this.log = o.log;
    this.box = o.box;
    this.keys = o.keys;
    this.roster = o.roster;
  }

  // ------------------------------------------------------------ principals

  /** The principal of a verified access token; 401 when its user or session is gone. */
  principalOf(claims: { sub?: string; sid?: unknown }): Principal {
    const user = claims.sub === undefined ? undefined : this.roster.get(claims.sub);
    if (!user) throw unauthorizedToken('the user of this token does not exist');
    if (user.disabled) throw new ApiError(401, 'user_disabled', 'this user is disabled', undefined, BEARER);
    if (typeof claims.sid !== 'string' || !Object.hasOwn(user.sessions, claims.sid)) {
      throw unauthorizedToken('the session of this token has ended; log in again');
    }
    return { kind: 'staff', id: user.id, permissions: this.permissionsFor(user.roles) };
  }

  /** Who a principal is, as GET /api/v1/me shows it. */
  sessionUserOf(principal: Principal): SessionUser {
    if (principal.kind !== 'staff') return { ...BOOTSTRAP_USER, id: principal.id, username: principal.id };
    const user = this.roster.get(principal.id);
    if (!user) throw userNotFound(principal.id);
    return sessionUser(user);
  }

  /** The permissions of these roles (one shared set per combination). */
  permissionsFor(roles: readonly Role[]): ReadonlySet<string> {
    const key = roles.join(',');
    let set = this.permissionSets.get(key);
    if (!set) {
      set = permissionsOf(roles);
      this.permissionSets.set(key, set);
    }
    return set;
  }

  // ------------------------------------------------------------ setup and staff administration

  needsAdmin(): boolean {
    return !this.roster.anyAdmin();
  }

  /** POST /api/v1/setup: the first admin, only while there is none. */
  async setup(username: string, password: string, ip: string): Promise<StaffUserSummary> {
    if (!this.needsAdmin()) throw setupDone();
    return this.create(username, password, ['admin'], (id) => ({ type: 'staff', id, ip }), true);
  }

  createUser(username: string, password: string, roles: Role[], cause: Cause): Promise<StaffUserSummary> {
    return this.create(username, password, roles, () => cause, false);
  }

  private async create(
    rawUsername: string,
    password: string,
    roles: Role[],
    causeFor: (userId: string) => Cause,
    setup: boolean,
  ): Promise<StaffUserSummary> {
    const username = rawUsername.toLowerCase();
    const hash = await hashPassword(password);
    const fresh = randomBytes(8).toString('hex');
    const claim = await this.system.ask(
      staffDirectoryKind,
      DIRECTORY_ID,
      { type: 'Claim', username, userId: fresh, setup },
      { cause: causeFor(fresh) },
    );
    // Not created: taken, or claimed by a request that crashed before the user was made.
    if (!claim.created && this.roster.get(claim.userId)) throw usernameTaken(username);
    try {
      return (await this.system.ask(
        staffUserKind,
        claim.userId,
        { type: 'Create', username, password: hash, roles },
        { cause: causeFor(claim.userId) },
      )) as StaffUserSummary;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'username_taken') throw usernameTaken(username);
      throw error;
    }
  }

  /** PUT /api/v1/staff/{id}. Refuses (409 last_admin) to leave no admin that can log in. */
  updateUser(
    id: string,
    changes: { roles?: Role[]; disabled?: boolean; password?: string; resetMfa?: boolean },
    cause: Cause,
  ): Promise<StaffUserSummary> {
    const run = async () => {
      const user = this.roster.get(id);
      if (!user) throw userNotFound(id);
      const admins = this.roster.enabledAdmins();
      const staysAdmin =
        !(changes.disabled ?? user.disabled) && (changes.roles ?? user.roles).includes('admin');
      if (admins.length === 1 && admins[0] === id && !staysAdmin) {
        throw new ApiError(
          409,
          'last_admin',
          'this is the only admin that can log in; make another one first',
        );
      }
      const command: StaffUserCommand = { type: 'Update' };
      if (changes.roles !== undefined) command.roles = changes.roles;
      if (changes.disabled !== undefined) command.disabled = changes.disabled;
      if (changes.resetMfa) command.resetMfa = true;
      if (changes.password !== undefined) command.password = await hashPassword(changes.password);
      return (await this.system.ask(staffUserKind, id, command, { cause })) as StaffUserSummary;
    };
    const result = this.adminChanges.then(run, run);
    this.adminChanges = result.catch(() => {});
    return result;
  }

  async mfaPolicy(): Promise<Role[]> {
    return this.system.read(securityPolicyKind, POLICY_ID, (s) => s.mfaRequiredRoles);
  }

  async setMfaPolicy(requiredRoles: Role[], cause: Cause): Promise<Role[]> {
    const state = await this.system.ask(
      securityPolicyKind,
      POLICY_ID,
      { type: 'SetMfaPolicy', requiredRoles },
      { cause },
    );
    return state.mfaRequiredRoles;
  }

  // ------------------------------------------------------------ login

  async login(rawUsername: string, password: string, ip: string): Promise<LoginOutcome> {
    const username = rawUsername.toLowerCase();
    const userId = await this.system.read(staffDirectoryKind, DIRECTORY_ID, (s) =>
      Object.hasOwn(s.usernames, username) ? s.usernames[username]! : null,
    );
    const user = userId === null ? undefined : await this.userState(userId);
    if (!user) {
      await verifyNobody(password);
      this.log.warn({ username, ip, reason: 'unknown_user' }, 'login failed');
      throw invalidCredentials();
    }
    this.refuseIfLocked(user, ip, 'password');
    if (!(await verifyPassword(password, user.password))) {
      await this.recordFailure(user, 'password', ip);
      throw invalidCredentials();
    }
    if (user.disabled) {
      this.log.warn({ userId: user.id, username, ip, reason: 'user_disabled' }, 'login refused');
      throw userDisabled();
    }
    if (user.mfa) {
      const { token } = await this.keys.sign({ sub: user.id, purpose: 'verify' }, MFA_AUDIENCE, MFA_TTL_MS);
      return { kind: 'mfa', reply: { mfaRequired: true, mfaToken: token } };
    }
    const policy = await this.mfaPolicy();
    if (mfaRequiredFor({ mfaRequiredRoles: policy }, user.roles)) {
      const enrolment = await this.beginEnrol(user, { type: 'staff', id: user.id, ip });
      const { token } = await this.keys.sign(
        { sub: user.id, purpose: 'enrol', pat: enrolment.at },
        MFA_AUDIENCE,
        MFA_TTL_MS,
      );
      return {
        kind: 'mfa',
        reply: { mfaEnrolRequired: true, mfaToken: token, otpauthUrl: enrolment.url, qrSvg: enrolment.svg },
      };
    }
    return { kind: 'session', issued: await this.startSession(user, ip, {}) };
  }

  /** POST /api/v1/auth/mfa: the second step, or the first code of an enrolment the policy demanded. */
  async mfa(mfaToken: string, code: string, ip: string): Promise<IssuedSession> {
    let claims: { sub?: string; purpose?: unknown; pat?: unknown };
    try {
      claims = await this.keys.verify(mfaToken, MFA_AUDIENCE);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      this.log.warn({ ip, reason: `mfa_token_${error.reason}` }, 'login failed');
      throw invalidMfaToken();
    }
    const user = claims.sub === undefined ? undefined : await this.userState(claims.sub);
    if (!user) throw invalidMfaToken();
    this.refuseIfLocked(user, ip, 'mfa');
    if (user.disabled) throw userDisabled();
    const enrol = claims.purpose === 'enrol';
    const sealed = enrol
      ? user.mfaPending && user.mfaPending.at === claims.pat
        ? user.mfaPending.secret
        : undefined
      : user.mfa?.secret;
    if (sealed === undefined) throw invalidMfaToken();
    const step = matchCode(this.box.open(sealed, totpContext(user.id)), code, this.clock.now());
    if (step === null) {
      await this.recordFailure(user, 'mfa', ip);
      throw invalidMfaCode();
    }
    return this.startSession(user, ip, { mfaStep: step, enrol });
  }

  private async startSession(
    user: StaffUserState,
    ip: string,
    mfa: { mfaStep?: number; enrol?: boolean },
  ): Promise<IssuedSession> {
    const familyId = randomBytes(12).toString('base64url');
    const refreshToken = `${user.id}.${familyId}.${randomBytes(32).toString('base64url')}`;
    const command: StaffUserCommand = {
      type: 'StartSession',
      familyId,
      tokenHash: sha256(refreshToken),
      expiresAt: this.clock.now() + REFRESH_TTL_MS,
      ...mfa,
    };
    const summary = (await this.system.ask(staffUserKind, user.id, command, {
      cause: { type: 'staff', id: user.id, ip },
    })) as StaffUserSummary;
    return { session: await this.accessFor(summary, familyId), refreshToken };
  }

  private async accessFor(user: StaffUserSummary, sid: string): Promise<Session> {
    const { token, expiresAt } = await this.keys.sign(
      { sub: user.id, sid, name: user.username, roles: user.roles },
      ACCESS_AUDIENCE,
      ACCESS_TTL_MS,
    );
    return { accessToken: token, expiresAt, user: sessionUser(user) };
  }

  /** 423 account_locked (logged, not journaled) while the user must wait. */
  private refuseIfLocked(user: StaffUserState, ip: string, step: 'password' | 'mfa'): void {
    const now = this.clock.now();
    if (now >= user.lockedUntil) return;
    this.log.warn(
      { userId: user.id, username: user.username, ip, step, lockedUntil: user.lockedUntil, reason: 'locked' },
      'login refused',
    );
    throw accountLocked(user.lockedUntil, now);
  }

  private async recordFailure(user: StaffUserState, reason: 'password' | 'mfa', ip: string): Promise<void> {
    try {
      const { failures, lockedUntil } = (await this.system.ask(
        staffUserKind,
        user.id,
        { type: 'RecordFailure', reason },
        { cause: { type: 'staff', id: user.id, ip } },
      )) as { failures: number; lockedUntil: number };
      this.log.warn(
        { userId: user.id, username: user.username, ip, reason, failures, lockedUntil },
        'login failed',
      );
    } catch (error) {
      // Another attempt locked it meanwhile: this one is refused as locked.
      if (error instanceof ApiError && error.code === 'account_locked') {
        this.log.warn({ userId: user.id, username: user.username, ip, reason: 'locked' }, 'login refused');
      }
      throw error;
    }
  }

  private async userState(id: string): Promise<StaffUserState | undefined> {
    const state = await this.system.read(staffUserKind, id, (s) => (s.exists ? s : undefined));
    if (!state) this.system.passivate(staffUserKind.name, id);
    return state;
  }

  // ------------------------------------------------------------ sessions

  /** POST /api/v1/auth/refresh: a new access token and a rotated refresh token. */
  async refresh(refreshToken: string | undefined, ip: string): Promise<IssuedSession> {
    const parsed = parseRefresh(refreshToken);
    if (!parsed || !this.roster.get(parsed.userId)) throw invalidRefreshToken();
    const next = `${parsed.userId}.${parsed.familyId}.${randomBytes(32).toString('base64url')}`;
    const reply = (await this.system.ask(
      staffUserKind,
      parsed.userId,
      {
        type: 'Refresh',
        familyId: parsed.familyId,
        presentedHash: sha256(refreshToken!),
        tokenHash: sha256(next),
        expiresAt: this.clock.now() + REFRESH_TTL_MS,
      },
      { cause: { type: 'staff', id: parsed.userId, ip } },
    )) as RefreshReply;
    if (!reply.ok) {
      this.log.warn(
        { userId: parsed.userId, ip, reason: 'refresh_token_reused' },
        'session ended: refresh token reused',
      );
      throw new ApiError(
        401,
        'refresh_token_reused',
        'this refresh token was already used; the session has ended',
      );
    }
    return { session: await this.accessFor(reply.user, parsed.familyId), refreshToken: next };
  }

  /** POST /api/v1/auth/logout: ends the cookie's session (its access tokens stop working too). */
  async logout(refreshToken: string | undefined, ip: string): Promise<void> {
    const parsed = parseRefresh(refreshToken);
    if (!parsed || !this.roster.get(parsed.userId)) return;
    await this.system.ask(
      staffUserKind,
      parsed.userId,
      { type: 'EndSession', familyId: parsed.familyId, presentedHash: sha256(refreshToken!) },
      { cause: { type: 'staff', id: parsed.userId, ip } },
    );
  }

  // ------------------------------------------------------------ 2FA enrolment from /me

  private async beginEnrol(
    user: StaffUserState,
    cause: Cause,
  ): Promise<{ at: number; url: string; svg: string; secret: string }> {
    const secret = newTotpSecret();
    const { at } = (await this.system.ask(
      staffUserKind,
      user.id,
      { type: 'StartMfaEnrol', secret: this.box.seal(secret, totpContext(user.id)) },
      { cause },
    )) as { at: number };
    const url = otpauthUrl(secret, user.username);
    return { at, url, svg: await qrSvg(url), secret };
  }

  /** POST /api/v1/me/mfa/enrol. */
  async startEnrol(
    principal: Principal,
    ip: string,
  ): Promise<{ otpauthUrl: string; qrSvg: string; secretPending: string }> {
    const user = await this.staffUserOf(principal);
    if (user.mfa) throw new ApiError(409, 'mfa_already_enabled', '2FA is already on; an admin can reset it');
    const e = await this.beginEnrol(user, { type: 'staff', id: user.id, ip });
    return { otpauthUrl: e.url, qrSvg: e.svg, secretPending: e.secret };
  }

  /** POST /api/v1/me/mfa/confirm: the first code turns the pending secret on. */
  async confirmEnrol(principal: Principal, code: string, ip: string): Promise<void> {
    const user = await this.staffUserOf(principal);
    if (!user.mfaPending) throw new ApiError(409, 'mfa_not_pending', 'start the enrolment first');
    const secret = this.box.open(user.mfaPending.secret, totpContext(user.id));
    const step = matchCode(secret, code, this.clock.now());
    // 422, not 401: the caller is logged in, only the code is wrong.
    if (step === null) throw invalidMfaCode(422);
    await this.system.ask(
      staffUserKind,
      user.id,
      { type: 'ConfirmMfa', step },
      { cause: { type: 'staff', id: user.id, ip } },
    );
  }

  private async staffUserOf(principal: Principal): Promise<StaffUserState> {
    if (principal.kind !== 'staff') {
      throw new ApiError(403, 'staff_only', 'only a staff user can enrol in 2FA, not a machine token');
    }
    const user = await this.userState(principal.id);
    if (!user) throw userNotFound(principal.id);
    return user;
  }

  // ------------------------------------------------------------ keys

  rotateKeys(cause: Cause): Promise<string> {
    return this.keys.rotate(cause);
  }
}

const BEARER = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };

export const unauthorizedToken = (message: string) =>
  new ApiError(401, 'unauthorized', message, undefined, BEARER);

export function sessionUser(
  user: Pick<StaffUserSummary, 'id' | 'username' | 'roles' | 'mfaEnabled'> | StaffUserState,
): SessionUser {
  const mfaEnabled = 'mfaEnabled' in user ? user.mfaEnabled : user.mfa !== null;
  return {
    id: user.id,
    username: user.username,
    roles: [...user.roles],
    permissions: [...permissionsOf(user.roles)].sort() as Permission[],
    mfaEnabled,
  };
}

function parseRefresh(token: string | undefined): { userId: string; familyId: string } | null {
  if (!token || token.length > 200) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[0-9a-f]{16}$/.test(parts[0]!) || !/^[A-Za-z0-9_-]{16}$/.test(parts[1]!)) {
    return null;
  }
  return { userId: parts[0]!, familyId: parts[1]! };
}
