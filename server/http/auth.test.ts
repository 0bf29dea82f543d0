import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BOOTSTRAP_PRINCIPAL, bearer, bootstrapAuthenticator, hasPermission } from './auth.ts';

const TOKEN = 'x'.repeat(40);
const auth = bootstrapAuthenticator(TOKEN);
const ask = (authorization: string) => auth.authenticate({ authorization, headers: {}, ip: '127.0.0.1' });

test('the bootstrap token gives the machine admin principal', () => {
  assert.equal(ask(`Bearer ${TOKEN}`), BOOTSTRAP_PRINCIPAL);
  assert.equal(ask(`bearer ${TOKEN}`), BOOTSTRAP_PRINCIPAL);
  assert.is(BOOTSTRAP_PRINCIPAL.permissions, 'all');
  assert.is(BOOTSTRAP_PRINCIPAL.kind, 'machine');
});

test('anything else is not recognised', () => {
  for (const header of [
    '',
    'Bearer',
    'Bearer ',
    `Basic ${TOKEN}`,
    `Bearer ${TOKEN}x`,
    `Bearer ${TOKEN.slice(1)}`,
    TOKEN,
  ]) {
    assert.is(ask(header), null, header);
  }
});

test('a token that passed once still passes, and a wrong one after it still does not', () => {
  const fresh = bootstrapAuthenticator(TOKEN);
  const check = (authorization: string) =>
    fresh.authenticate({ authorization, headers: {}, ip: '127.0.0.1' });
  assert.is(check(`Bearer ${TOKEN.slice(1)}y`), null);
  assert.equal(check(`Bearer ${TOKEN}`), BOOTSTRAP_PRINCIPAL);
  assert.equal(check(`Bearer ${TOKEN}`), BOOTSTRAP_PRINCIPAL);
  for (const wrong of [`${TOKEN}x`, TOKEN.slice(1), TOKEN.toUpperCase(), '']) {
    assert.is(check(`Bearer ${wrong}`), null, wrong);
  }
});

test('bearer() extracts the token', () => {
  assert.is(bearer('Bearer abc'), 'abc');
  assert.is(bearer('BEARER  abc '), 'abc');
  assert.is(bearer('Token abc'), null);
});

test('permissions: all, or a set', () => {
  assert.ok(hasPermission(BOOTSTRAP_PRINCIPAL, 'anything'));
  const staff = { kind: 'staff' as const, id: 's', permissions: new Set(['accounts.read']) };
  assert.ok(hasPermission(staff, 'accounts.read'));
  assert.not.ok(hasPermission(staff, 'accounts.charge'));
});

test.run();
