import { generateKeyPair, SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../actors/runtime/clock.ts';
import { LOCK_MS } from '../../actors/staff/lockout.ts';
import { REFRESH_GRACE_MS } from '../../actors/staff/user.ts';
import { cookieOf, PASSWORD, type StaffApi, startStaffApi } from './testing/harness.ts';
import { ACCESS_TTL_MS } from './tokens.ts';
import { codeAt } from './totp.ts';

// Logins, sessions, 2FA, lockout and the tokens they give, over real HTTP, with the clock in
// the test's hand: wrong passwords, expired, forged and foreign tokens, a disabled user's
// token, reused refresh tokens, replayed codes — each refused with its code, logged, and
// (except the failures the lockout counts) leaving the journal as it was.

interface Ctx {
  api: StaffApi;
  clock: ManualClock;
}

const test = suite<Ctx>('staff auth', {} as Ctx);

test.before(async (ctx) => {
  ctx.clock = new ManualClock(Date.UTC(2026, 0, 12, 9));
  ctx.api = await startStaffApi({ clock: ctx.clock });
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

const login = (api: StaffApi, username: string, password = PASSWORD) =>
  api.call<Record<string, unknown>>('POST', '/api/v1/auth/login', { body: { username, password } });

const secretOf = (otpauthUrl: string) => new URL(otpauthUrl).searchParams.get('secret')!;

test('first run: setup creates the first admin once; two racing setups make one admin', async ({ api }) => {
  assert.equal((await api.call('GET', '/api/v1/setup')).body, { needsAdmin: true });
  const [a, b] = await Promise.all([
    api.call('POST', '/api/v1/setup', { body: { username: 'Root', password: PASSWORD } }),
    api.call('POST', '/api/v1/setup', { body: { username: 'boss', password: PASSWORD } }),
  ]);
  const statuses = [a.status, b.status].sort();
  assert.equal(statuses, [201, 409], `${a.text} ${b.text}`);
  const made = a.status === 201 ? a : b;
  assert.equal(made.body, { id: made.body.id, username: made.body.username, roles: ['admin'] });
  assert.is((a.status === 409 ? a : b).body.code, 'setup_done');
  assert.equal((await api.call('GET', '/api/v1/setup')).body, { needsAdmin: false });
  const again = await api.call('POST', '/api/v1/setup', { body: { username: 'third', password: PASSWORD } });
  assert.is(again.status, 409);
  assert.is(again.body.code, 'setup_done');
  const staff = await api.call<{ items: { username: string; roles: string[] }[] }>('GET', '/api/v1/staff', {
    token: 'bootstrap',
  });
  assert.equal(
    staff.body.items.filter((u) => u.roles.includes('admin')).map((u) => u.username),
    [made.body.username],
  );
  // Both setups pass as "root" from now on, whichever won.
  if (made.body.username !== 'root') {
    await api.createUser('root', ['admin']);
  }
});

test('login: an access token, the user with its permissions, and an HttpOnly SameSite=Strict refresh cookie', async ({
  api,
  clock,
}) => {
  const r = await login(api, 'ROOT');
  assert.is(r.status, 200, r.text);
  const body = r.body as { accessToken: string; expiresAt: number; user: Record<string, unknown> };
  assert.match(body.accessToken, /^eyJ/);
  assert.is(body.expiresAt, Math.floor(clock.now() / 1000) * 1000 + ACCESS_TTL_MS);
  assert.is(body.user.username, 'root');
  assert.equal(body.user.roles, ['admin']);
  assert.ok((body.user.permissions as string[]).includes('staff.write'));
  assert.is(body.user.mfaEnabled, false);
  const cookie = r.headers.get('set-cookie')!;
  assert.match(
    cookie,
    /^abonent_refresh=[^;]+; HttpOnly; SameSite=Strict; Path=\/api\/v1\/auth; Max-Age=1209600$/,
  );
  const me = await api.call('GET', '/api/v1/me', { token: body.accessToken });
  assert.equal(me.body, body.user);
});

test('wrong password: 401 invalid_credentials, logged and audited; unknown user: the same, nothing journaled', async ({
  api,
}) => {
  await api.createUser('kassa1', ['cashier']);
  const logged = api.logs.length;
  const wrong = await login(api, 'kassa1', 'not the password');
  assert.is(wrong.status, 401);
  assert.is(wrong.body.code, 'invalid_credentials');
  assert.ok(
    api.logs
      .slice(logged)
      .some((l) => l.msg === 'login failed' && l.username === 'kassa1' && l.reason === 'password'),
  );
  const audit = await api.call<{ items: { action: string; user: string; ip: string }[] }>(
    'GET',
    '/api/v1/audit?action=LoginFailed&user=kassa1',
    { token: 'bootstrap' },
  );
  assert.is(audit.body.items.length, 1);
  assert.is(audit.body.items[0]!.ip, '127.0.0.1');

  const before = await api.position();
  const unknown = await login(api, 'nobody-here');
  assert.is(unknown.status, 401);
  assert.is(unknown.body.code, 'invalid_credentials', 'the same answer: which usernames exist is not told');
  assert.is(await api.position(), before);
  assert.ok(api.logs.some((l) => l.msg === 'login failed' && l.reason === 'unknown_user'));
});

test('repeated failures slow down, then lock for 15 minutes (423 with Retry-After)', async ({
  api,
  clock,
}) => {
  await api.createUser('kassa2', ['cashier']);
  for (let i = 1; i <= 3; i++) assert.is((await login(api, 'kassa2', 'wrong')).status, 401, `failure ${i}`);
  assert.is((await login(api, 'kassa2', 'wrong')).status, 401, 'the 4th is still a wrong password');
  const wait = await login(api, 'kassa2', PASSWORD);
  assert.is(wait.status, 423, 'even the right password waits');
  assert.is(wait.body.code, 'account_locked');
  assert.is(wait.headers.get('retry-after'), '1');
  // Keep failing, waiting each time as long as told, up to the lock.
  for (let i = 5; i <= 10; i++) {
    clock.advance(30_000);
    assert.is((await login(api, 'kassa2', 'wrong')).status, 401, `failure ${i}`);
  }
  const locked = await login(api, 'kassa2', PASSWORD);
  assert.is(locked.status, 423);
  assert.is(locked.headers.get('retry-after'), String(LOCK_MS / 1000));
  const before = await api.position();
  assert.is((await login(api, 'kassa2', 'wrong')).status, 423, 'attempts while locked are not counted');
  assert.is(await api.position(), before);
  assert.ok(
    api.logs.some((l) => l.msg === 'login refused' && l.reason === 'locked' && l.username === 'kassa2'),
  );
  clock.advance(LOCK_MS);
  assert.is((await login(api, 'kassa2')).status, 200);
});

test('an expired access token is refused; the refresh cookie gives a new one', async ({ api, clock }) => {
  const session = await api.login('root');
  clock.advance(ACCESS_TTL_MS + 6000);
  const expired = await api.call('GET', '/api/v1/me', { token: session.accessToken });
  assert.is(expired.status, 401);
  assert.is(expired.body.code, 'unauthorized');
  assert.match(String(expired.body.message), /expired/);
  const refreshed = await api.call<{ accessToken: string }>('POST', '/api/v1/auth/refresh', {
    cookie: session.cookie,
  });
  assert.is(refreshed.status, 200, refreshed.text);
  assert.is.not(cookieOf(refreshed.headers), session.cookie, 'the refresh token is rotated');
  assert.is((await api.call('GET', '/api/v1/me', { token: refreshed.body.accessToken })).status, 200);
});

test('forged and foreign tokens are refused and change nothing', async ({ api, clock }) => {
  const session = await api.login('root');
  const jwks = await api.call<{ keys: { kid: string }[] }>('GET', '/.well-known/jwks.json');
  const kid = jwks.body.keys.at(-1)!.kid;
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const now = Math.floor(clock.now() / 1000);
  const forged = await new SignJWT({ sid: 'x', roles: ['admin'] })
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setSubject(session.userId)
    .setIssuer('abonent')
    .setAudience('abonent:staff')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
  const [header, payload, signature] = session.accessToken.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${signature}`;
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
  const mfaToken = await api.area.keys.sign(
    { sub: session.userId, purpose: 'verify' },
    'abonent:mfa',
    300_000,
  );
  const before = await api.position();
  for (const [name, token] of [
    ['signed by another key', forged],
    ['payload changed', tampered],
    ['alg none', none],
    ['a 2FA step token', mfaToken.token],
    ['garbage', 'eyJhbGciOi.not.a-token'],
  ] as const) {
    const r = await api.call('GET', '/api/v1/staff', { token });
    assert.is(r.status, 401, `${name}: ${r.text}`);
    assert.is(r.body.code, 'unauthorized', name);
  }
  assert.is(await api.position(), before);
  assert.ok(api.logs.some((l) => l.code === 'unauthorized' && l.route === '/api/v1/staff'));
});

test('a disabled user: its token is refused (401 user_disabled), it cannot log in or refresh', async ({
  api,
}) => {
  const id = await api.createUser('leaver', ['support']);
  const session = await api.login('leaver');
  const admin = await api.login('root');
  const off = await api.call('PUT', `/api/v1/staff/${id}`, {
    token: admin.accessToken,
    body: { disabled: true },
  });
  assert.is(off.status, 200);
  assert.is(off.body.disabled, true);
  const before = await api.position();
  const r = await api.call('GET', '/api/v1/me', { token: session.accessToken });
  assert.is(r.status, 401);
  assert.is(r.body.code, 'user_disabled');
  assert.is((await api.call('POST', '/api/v1/auth/refresh', { cookie: session.cookie })).status, 401);
  const again = await login(api, 'leaver');
  assert.is(again.status, 403);
  assert.is(again.body.code, 'user_disabled');
  assert.is(await api.position(), before);
  // Enabled again, it logs in anew.
  await api.call('PUT', `/api/v1/staff/${id}`, { token: admin.accessToken, body: { disabled: false } });
  assert.is((await login(api, 'leaver')).status, 200);
});

test('a refresh token used again after it was rotated ends the whole session', async ({ api, clock }) => {
  const session = await api.login('root');
  const first = await api.call<{ accessToken: string }>('POST', '/api/v1/auth/refresh', {
    cookie: session.cookie,
  });
  const rotated = cookieOf(first.headers)!;
  // Two tabs refreshing at once (one cookie): both get a session, the browser keeps the newest cookie.
  const race = await api.call('POST', '/api/v1/auth/refresh', { cookie: session.cookie });
  assert.is(race.status, 200, race.text);
  const newest = cookieOf(race.headers)!;
  clock.advance(REFRESH_GRACE_MS);
  const stolen = await api.call('POST', '/api/v1/auth/refresh', { cookie: session.cookie });
  assert.is(stolen.status, 401);
  assert.is(stolen.body.code, 'refresh_token_reused');
  assert.match(stolen.headers.get('set-cookie')!, /Max-Age=0/);
  assert.is.not(rotated, newest);
  const legit = await api.call('POST', '/api/v1/auth/refresh', { cookie: newest });
  assert.is(legit.status, 401, 'the holder of the newest token is logged out too');
  const token = await api.call('GET', '/api/v1/me', { token: first.body.accessToken });
  assert.is(token.status, 401, 'and the access tokens of that session stop working');
  assert.ok(api.logs.some((l) => l.reason === 'refresh_token_reused'));
});

test('logout: 204, the cookie cleared, the session and its access token ended', async ({ api }) => {
  const session = await api.login('root');
  const out = await api.call('POST', '/api/v1/auth/logout', { cookie: session.cookie });
  assert.is(out.status, 204);
  assert.match(
    out.headers.get('set-cookie')!,
    /^abonent_refresh=; HttpOnly; SameSite=Strict; Path=\/api\/v1\/auth; Max-Age=0/,
  );
  assert.is((await api.call('GET', '/api/v1/me', { token: session.accessToken })).status, 401);
  assert.is((await api.call('POST', '/api/v1/auth/refresh', { cookie: session.cookie })).status, 401);
  assert.is((await api.call('POST', '/api/v1/auth/logout', {})).status, 204, 'without a cookie too');
});

test('2FA: enrol with a QR code, confirm, then login asks for the code; a code works once', async ({
  api,
  clock,
}) => {
  await api.createUser('noc1', ['noc']);
  const session = await api.login('noc1');
  const enrol = await api.call<{ otpauthUrl: string; qrSvg: string; secretPending: string }>(
    'POST',
    '/api/v1/me/mfa/enrol',
    { token: session.accessToken },
  );
  assert.is(enrol.status, 200);
  assert.match(enrol.body.otpauthUrl, /^otpauth:\/\/totp\/Abonent:noc1\?/);
  assert.match(enrol.body.qrSvg, /^<svg/);
  const secret = enrol.body.secretPending;
  assert.is(secretOf(enrol.body.otpauthUrl), secret);
  const bad = await api.call('POST', '/api/v1/me/mfa/confirm', {
    token: session.accessToken,
    body: { code: '000000' },
  });
  assert.is(bad.status, 422);
  assert.is(bad.body.code, 'invalid_mfa_code');
  const ok = await api.call('POST', '/api/v1/me/mfa/confirm', {
    token: session.accessToken,
    body: { code: codeAt(secret, clock.now()) },
  });
  assert.is(ok.status, 204, ok.text);
  assert.is((await api.call('GET', '/api/v1/me', { token: session.accessToken })).body.mfaEnabled, true);

  clock.advance(30_000);
  const step1 = await login(api, 'noc1');
  assert.is(step1.status, 200);
  assert.equal(Object.keys(step1.body).sort(), ['mfaRequired', 'mfaToken']);
  assert.is(step1.headers.get('set-cookie'), null, 'no session before the code');
  const mfaToken = step1.body.mfaToken as string;
  const wrong = await api.call('POST', '/api/v1/auth/mfa', { body: { mfaToken, code: '123456' } });
  assert.is(wrong.status, 401);
  assert.is(wrong.body.code, 'invalid_mfa_code');
  const code = codeAt(secret, clock.now());
  const done = await api.call<{ accessToken: string; user: { mfaEnabled: boolean } }>(
    'POST',
    '/api/v1/auth/mfa',
    {
      body: { mfaToken, code },
    },
  );
  assert.is(done.status, 200, done.text);
  assert.ok(done.body.accessToken);
  assert.is(done.body.user.mfaEnabled, true);
  assert.match(done.headers.get('set-cookie')!, /^abonent_refresh=/);
  const replay = await api.call('POST', '/api/v1/auth/mfa', { body: { mfaToken, code } });
  assert.is(replay.status, 401);
  assert.is(replay.body.code, 'invalid_mfa_code');
  clock.advance(6 * 60_000);
  const late = await api.call('POST', '/api/v1/auth/mfa', {
    body: { mfaToken, code: codeAt(secret, clock.now()) },
  });
  assert.is(late.status, 401);
  assert.is(late.body.code, 'invalid_mfa_token', 'the 2FA step token expires');
});

test('an admin requires 2FA for a role: its users enrol at their next login', async ({ api, clock }) => {
  const admin = await api.login('root');
  await api.createUser('kassa3', ['cashier']);
  const policy = await api.call('PUT', '/api/v1/security/mfa-policy', {
    token: admin.accessToken,
    body: { requiredRoles: ['cashier'] },
  });
  assert.equal(policy.body, { requiredRoles: ['cashier'] });
  assert.equal((await api.call('GET', '/api/v1/security/mfa-policy', { token: admin.accessToken })).body, {
    requiredRoles: ['cashier'],
  });
  const step1 = await login(api, 'kassa3');
  assert.is(step1.status, 200);
  assert.equal(Object.keys(step1.body).sort(), ['mfaEnrolRequired', 'mfaToken', 'otpauthUrl', 'qrSvg']);
  const secret = secretOf(step1.body.otpauthUrl as string);
  const done = await api.call<{ user: { mfaEnabled: boolean; username: string } }>(
    'POST',
    '/api/v1/auth/mfa',
    {
      body: { mfaToken: step1.body.mfaToken, code: codeAt(secret, clock.now()) },
    },
  );
  assert.is(done.status, 200, done.text);
  assert.is(done.body.user.mfaEnabled, true);
  clock.advance(30_000);
  const next = await login(api, 'kassa3');
  assert.is(next.body.mfaRequired, true, 'from now on the code is asked');
  // An admin resets a lost phone: enrolment is asked again.
  const id = (
    await api.call<{ items: { id: string; username: string }[] }>('GET', '/api/v1/staff', {
      token: admin.accessToken,
    })
  ).body.items.find((u) => u.username === 'kassa3')!.id;
  await api.call('PUT', `/api/v1/staff/${id}`, { token: admin.accessToken, body: { resetMfa: true } });
  assert.is((await login(api, 'kassa3')).body.mfaEnrolRequired, true);
  await api.call('PUT', '/api/v1/security/mfa-policy', {
    token: admin.accessToken,
    body: { requiredRoles: [] },
  });
});

test('roles apply at once, also to tokens already issued; the last admin cannot be removed', async ({
  api,
}) => {
  const admin = await api.login('root');
  const id = await api.createUser('auditor', ['cashier']);
  const session = await api.login('auditor');
  assert.is((await api.call('GET', '/api/v1/staff', { token: session.accessToken })).status, 403);
  const changed = await api.call('PUT', `/api/v1/staff/${id}`, {
    token: admin.accessToken,
    body: { roles: ['audit'] },
  });
  assert.equal(changed.body.roles, ['audit']);
  assert.is((await api.call('GET', '/api/v1/staff', { token: session.accessToken })).status, 200);
  const roster = await api.call<{ items: { id: string; roles: string[]; disabled: boolean }[] }>(
    'GET',
    '/api/v1/staff',
    {
      token: admin.accessToken,
    },
  );
  const admins = roster.body.items.filter((u) => u.roles.includes('admin') && !u.disabled);
  for (const other of admins.slice(1)) {
    await api.call('PUT', `/api/v1/staff/${other.id}`, { token: 'bootstrap', body: { disabled: true } });
  }
  const last = admins[0]!.id;
  const demote = await api.call('PUT', `/api/v1/staff/${last}`, {
    token: 'bootstrap',
    body: { roles: ['noc'] },
  });
  assert.is(demote.status, 409);
  assert.is(demote.body.code, 'last_admin');
  const disable = await api.call('PUT', `/api/v1/staff/${last}`, {
    token: 'bootstrap',
    body: { disabled: true },
  });
  assert.is(disable.body.code, 'last_admin');
  for (const other of admins.slice(1)) {
    await api.call('PUT', `/api/v1/staff/${other.id}`, { token: 'bootstrap', body: { disabled: false } });
  }
});

test('usernames are unique, whatever the case; a new password ends the old sessions', async ({ api }) => {
  const taken = await api.call('POST', '/api/v1/staff', {
    token: 'bootstrap',
    body: { username: 'KASSA1', password: PASSWORD, roles: ['cashier'] },
  });
  assert.is(taken.status, 409);
  assert.is(taken.body.code, 'username_taken');
  const weak = await api.call('POST', '/api/v1/staff', {
    token: 'bootstrap',
    body: { username: 'short', password: 'short', roles: ['cashier'] },
  });
  assert.is(weak.status, 400);
  const id = await api.createUser('mover', ['sales']);
  const session = await api.login('mover');
  await api.call('PUT', `/api/v1/staff/${id}`, {
    token: 'bootstrap',
    body: { password: 'a brand new passphrase' },
  });
  assert.is((await api.call('GET', '/api/v1/me', { token: session.accessToken })).status, 401);
  assert.is((await login(api, 'mover')).status, 401);
  assert.is((await login(api, 'mover', 'a brand new passphrase')).status, 200);
});

test('key rotation: new tokens carry the new key, tokens signed before stay valid', async ({ api }) => {
  const before = await api.login('root');
  const rotated = await api.call<{ kid: string }>('POST', '/api/v1/auth/keys/rotate', {
    token: before.accessToken,
  });
  assert.is(rotated.status, 200);
  const jwks = await api.call<{ keys: { kid: string; alg: string; d?: string }[] }>(
    'GET',
    '/.well-known/jwks.json',
  );
  assert.ok(jwks.body.keys.length >= 2);
  assert.is(jwks.body.keys.at(-1)!.kid, rotated.body.kid);
  for (const key of jwks.body.keys) assert.is(key.d, undefined, 'no private half is published');
  assert.is((await api.call('GET', '/api/v1/me', { token: before.accessToken })).status, 200);
  const after = await api.login('root');
  const header = JSON.parse(Buffer.from(after.accessToken.split('.')[0]!, 'base64url').toString());
  assert.is(header.kid, rotated.body.kid);
});

test('the journal holds no secret in the clear', async ({ api }) => {
  const all = await api.services.journal.readAll<{ event: Record<string, unknown> }>(0, 100_000);
  const text = JSON.stringify(all.map((e) => e.data));
  assert.not.ok(text.includes(PASSWORD), 'no password');
  for (const e of all) {
    const event = e.data.event;
    if (event.type === 'MfaEnrolStarted' || event.type === 'MfaEnabled') {
      assert.match(String(event.secret), /^v1\./, 'the TOTP secret is sealed');
    }
    if (event.type === 'SigningKeyAdded') {
      const key = event.key as { privateJwk: string; publicJwk: Record<string, unknown> };
      assert.match(key.privateJwk, /^v1\./, 'the private key is sealed');
      assert.is(key.publicJwk.d, undefined);
    }
    if (event.type === 'UserCreated' || event.type === 'PasswordChanged') {
      assert.match(String(event.password), /^scrypt\$15\$8\$1\$/);
    }
  }
});

test.run();
