import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness } from '../testkit/harness.ts';
import { staffDirectoryKind } from './directory.ts';
import { KEYS_KEPT, signingKeysKind } from './keys.ts';
import {
  FAILURE_MEMORY_MS,
  LOCK_AFTER_FAILURES,
  LOCK_MS,
  lockedUntilAfter,
  nextFailureCount,
  retryAfterSeconds,
} from './lockout.ts';
import { mfaRequiredFor, securityPolicyKind } from './policy.ts';
import { MAX_SESSIONS, REFRESH_GRACE_MS, staffUserKind } from './user.ts';

// The staff kinds, pure: lockout, sessions and refresh-token families, 2FA replays, unique
// usernames and the one setup claim, signing keys, the 2FA policy.

const T0 = Date.UTC(2026, 0, 1, 9);
const DAY = 24 * 3600_000;

function user() {
  const h = new Harness(staffUserKind, 'u1', T0, { type: 'staff', id: 'admin', ip: '10.0.0.1' });
  h.ok({ type: 'Create', username: 'kassa', password: 'scrypt$hash', roles: ['cashier'] });
  return h;
}

const session = (familyId: string, tokenHash = `${familyId}-h1`, now = T0) => ({
  type: 'StartSession' as const,
  familyId,
  tokenHash,
  expiresAt: now + 14 * DAY,
});

test('lockout: free attempts, then a growing wait, then 15 minutes', () => {
  assert.equal(
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((n) => lockedUntilAfter(n, 0)),
    [0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, LOCK_MS, LOCK_MS],
  );
  assert.is(nextFailureCount(5, T0, T0 + 1000), 6);
  assert.is(nextFailureCount(5, T0, T0 + FAILURE_MEMORY_MS + 1), 1, 'old failures are forgotten');
  assert.is(retryAfterSeconds(T0 + 1500, T0), 2);
  assert.is(retryAfterSeconds(T0, T0), 1);
});

test('a user: created once, its failures lock it, a login clears them', () => {
  const h = user();
  assert.is(
    h.refused({ type: 'Create', username: 'x', password: 'p', roles: ['admin'] }).code,
    'username_taken',
  );
  for (let i = 1; i <= 3; i++)
    assert.equal(h.ok({ type: 'RecordFailure', reason: 'password' }), { failures: i, lockedUntil: 0 });
  assert.equal(h.ok({ type: 'RecordFailure', reason: 'password' }), { failures: 4, lockedUntil: T0 + 1000 });
  const locked = h.refused({ type: 'RecordFailure', reason: 'password' });
  assert.is(locked.status, 423);
  assert.is(locked.code, 'account_locked');
  assert.is(locked.headers['Retry-After'], '1');
  assert.is(h.refused(session('f0')).code, 'account_locked', 'even the right password waits');
  h.advance(T0 + 1000);
  h.ok({ type: 'RecordFailure', reason: 'mfa' });
  assert.is(h.state.failures, 5);
  h.advance(T0 + 3000);
  h.ok(session('f1', 'h', T0 + 3000));
  assert.is(h.state.failures, 0);
  assert.is(h.state.lockedUntil, 0);
  assert.equal(
    h.journal.map((e) => e.type),
    ['UserCreated', 'LoginFailed', 'LoginFailed', 'LoginFailed', 'LoginFailed', 'LoginFailed', 'LoggedIn'],
  );
});

test('ten failures lock for 15 minutes', () => {
  const h = user();
  for (let i = 0; i < LOCK_AFTER_FAILURES; i++) {
    h.advance(Math.max(h.now, h.state.lockedUntil));
    h.ok({ type: 'RecordFailure', reason: 'password' });
  }
  assert.is(h.state.lockedUntil, h.now + LOCK_MS);
  h.advance(h.now + LOCK_MS - 1);
  assert.is(h.refused(session('f')).code, 'account_locked');
  h.advance(h.now + 1);
  h.ok(session('f', 'h', h.now));
});

test('refresh: rotates; the old token right after is a race of two tabs, later a theft that ends the family', () => {
  const h = user();
  h.ok(session('fam', 'h1'));
  const rotate = (presented: string, next: string) => ({
    type: 'Refresh' as const,
    familyId: 'fam',
    presentedHash: presented,
    tokenHash: next,
    expiresAt: h.now + 14 * DAY,
  });
  const ok = h.ok(rotate('h1', 'h2')) as { ok: boolean; user: { username: string } };
  assert.ok(ok.ok);
  assert.is(ok.user.username, 'kassa');
  // Another tab sent h1 at the same time: it is rotated too (h3), h2 becomes the previous one.
  assert.ok((h.ok(rotate('h1', 'h3')) as { ok: boolean }).ok, 'within the grace');
  assert.is(h.state.sessions.fam!.previousHash, 'h2');
  h.advance(h.now + REFRESH_GRACE_MS);
  assert.equal(h.ok(rotate('h1', 'h9')), { ok: false, reason: 'reuse' });
  assert.is(h.journal.at(-1)!.type, 'RefreshReuseDetected');
  assert.is(h.refused(rotate('h3', 'h4')).code, 'invalid_refresh_token', 'the whole family is gone');
  assert.is(h.refused({ ...rotate('zz', 'h5'), familyId: 'nope' }).code, 'invalid_refresh_token');
});

test('refresh tokens expire; logout ends the family; sessions are bounded', () => {
  const h = user();
  h.ok(session('a', 'ha'));
  h.advance(T0 + 14 * DAY);
  assert.is(
    h.refused({ type: 'Refresh', familyId: 'a', presentedHash: 'ha', tokenHash: 'x', expiresAt: h.now + DAY })
      .code,
    'invalid_refresh_token',
  );
  h.ok(session('b', 'hb', h.now));
  assert.equal(Object.keys(h.state.sessions), ['b'], 'the expired one was pruned');
  h.ok({ type: 'EndSession', familyId: 'b', presentedHash: 'wrong' });
  assert.ok(h.state.sessions.b, 'a wrong token ends nothing');
  h.ok({ type: 'EndSession', familyId: 'b', presentedHash: 'hb' });
  assert.equal(h.state.sessions, {});
  for (let i = 0; i < MAX_SESSIONS + 5; i++) {
    h.advance(h.now + 1);
    h.ok(session(`s${i}`, `h${i}`, h.now));
  }
  assert.is(Object.keys(h.state.sessions).length, MAX_SESSIONS);
  assert.not.ok(h.state.sessions.s0, 'the oldest went first');
});

test('disabling ends every session and refuses new ones; a new password ends them too', () => {
  const h = user();
  h.ok(session('a'));
  h.ok({ type: 'Update', disabled: true });
  assert.equal(h.state.sessions, {});
  assert.is(h.refused(session('b')).code, 'user_disabled');
  assert.is(h.refused(session('b')).status, 403);
  h.ok({ type: 'Update', disabled: false });
  h.ok(session('c'));
  h.ok({ type: 'Update', password: 'scrypt$new' });
  assert.equal(h.state.sessions, {});
  assert.is(h.state.password, 'scrypt$new');
});

test('updates journal only what changed', () => {
  const h = user();
  const before = h.journal.length;
  h.ok({ type: 'Update', roles: ['cashier'] });
  h.ok({ type: 'Update', disabled: false });
  assert.is(h.journal.length, before, 'nothing changed, nothing journaled');
  h.ok({ type: 'Update', roles: ['noc', 'support'] });
  assert.equal(h.journal.at(-1), {
    type: 'RolesChanged',
    from: ['cashier'],
    to: ['noc', 'support'],
    by: { type: 'staff', id: 'admin', ip: '10.0.0.1' },
    at: T0,
  });
  assert.is(h.refused({ type: 'Update', roles: [] }).code, 'invalid_roles');
  assert.is(h.refused({ type: 'Update', roles: ['root' as never] }).code, 'invalid_roles');
});

test('2FA: enrol, confirm with a step, a step is used once, a reset removes it', () => {
  const h = user();
  assert.is(h.refused({ type: 'ConfirmMfa', step: 5 }).code, 'mfa_not_pending');
  h.ok({ type: 'StartMfaEnrol', secret: 'sealed-1' });
  h.ok({ type: 'ConfirmMfa', step: 100 });
  assert.equal(h.state.mfa, { secret: 'sealed-1', enabledAt: T0, lastStep: 100 });
  assert.is(h.state.mfaPending, null);
  assert.is(h.refused({ ...session('a'), mfaStep: 100 }).code, 'invalid_mfa_code', 'the same code again');
  h.ok({ ...session('a'), mfaStep: 101 });
  assert.is(h.state.mfa?.lastStep, 101);
  h.ok({ type: 'Update', resetMfa: true });
  assert.is(h.state.mfa, null);
});

test('2FA enrolment demanded at login: the first code turns it on and logs in', () => {
  const h = user();
  assert.is(h.refused({ ...session('a'), mfaStep: 7, enrol: true }).code, 'mfa_not_pending');
  h.ok({ type: 'StartMfaEnrol', secret: 'sealed-2' });
  h.ok({ ...session('a'), mfaStep: 7, enrol: true });
  assert.equal(
    h.journal.slice(-2).map((e) => e.type),
    ['MfaEnabled', 'LoggedIn'],
  );
  assert.is(h.state.mfa?.secret, 'sealed-2');
  assert.ok(h.state.sessions.a);
});

test('commands to a user that does not exist are refused', () => {
  const h = new Harness(staffUserKind, 'ghost', T0);
  assert.is(h.refused(session('a')).code, 'user_not_found');
  assert.is(h.refused({ type: 'RecordFailure', reason: 'password' }).code, 'user_not_found');
});

const directory = suite('staff directory');

directory('a username is claimed once; a retry gets the same id back', () => {
  const h = new Harness(staffDirectoryKind, 'main', T0);
  assert.equal(h.ok({ type: 'Claim', username: 'kassa', userId: 'u1' }), { userId: 'u1', created: true });
  assert.equal(h.ok({ type: 'Claim', username: 'kassa', userId: 'u2' }), { userId: 'u1', created: false });
  assert.is(h.journal.length, 1);
});

directory('only one setup claim: a second setup is refused, its retry is not', () => {
  const h = new Harness(staffDirectoryKind, 'main', T0);
  h.ok({ type: 'Claim', username: 'cashier', userId: 'u0' });
  assert.equal(h.ok({ type: 'Claim', username: 'root', userId: 'u1', setup: true }), {
    userId: 'u1',
    created: true,
  });
  assert.equal(h.ok({ type: 'Claim', username: 'root', userId: 'u9', setup: true }), {
    userId: 'u1',
    created: false,
  });
  assert.is(h.refused({ type: 'Claim', username: 'other', userId: 'u2', setup: true }).code, 'setup_done');
  assert.is(h.refused({ type: 'Claim', username: 'cashier', userId: 'u3', setup: true }).code, 'setup_done');
  h.ok({ type: 'Claim', username: 'other', userId: 'u2' });
});

directory.run();

const keys = suite('signing keys and the 2FA policy');

keys('keys: the newest signs, a few are kept, a kid is added once', () => {
  const h = new Harness(signingKeysKind, 'main', T0);
  for (let i = 0; i < KEYS_KEPT + 2; i++) {
    h.ok({
      type: 'AddKey',
      key: { kid: `k${i}`, alg: 'EdDSA', publicJwk: { x: `${i}` }, privateJwk: `sealed-${i}` },
    });
  }
  assert.equal(
    h.state.keys.map((k) => k.kid),
    ['k2', 'k3', 'k4'],
  );
  assert.is(
    h.refused({ type: 'AddKey', key: { kid: 'k4', alg: 'EdDSA', publicJwk: {}, privateJwk: '' } }).code,
    'key_exists',
  );
});

keys('policy: roles in a fixed order, the same policy twice journals once', () => {
  const h = new Harness(securityPolicyKind, 'main', T0);
  h.ok({ type: 'SetMfaPolicy', requiredRoles: ['cashier', 'admin', 'admin'] });
  assert.equal(h.state.mfaRequiredRoles, ['admin', 'cashier']);
  h.ok({ type: 'SetMfaPolicy', requiredRoles: ['admin', 'cashier'] });
  assert.is(h.journal.length, 1);
  assert.ok(mfaRequiredFor(h.state, ['noc', 'cashier']));
  assert.not.ok(mfaRequiredFor(h.state, ['noc']));
  assert.is(h.refused({ type: 'SetMfaPolicy', requiredRoles: ['boss' as never] }).code, 'invalid_roles');
});

keys.run();
test.run();
