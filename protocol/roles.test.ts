import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PERMISSIONS } from './permissions.ts';
import {
  FEED_KINDS,
  feedPermission,
  permissionMatrixMarkdown,
  permissionsOf,
  ROLE_PERMISSIONS,
  ROLES,
  roomPermission,
} from './roles.ts';

test('README carries the permission matrix exactly as protocol/roles.ts makes it', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const table = permissionMatrixMarkdown();
  if (!readme.includes(table)) {
    assert.unreachable(
      `README.md's roles tables differ from protocol/roles.ts: run npx tsx scripts/roles-readme.ts`,
    );
  }
});

test('every role names only known permissions; admin holds all; audit only reads', () => {
  for (const role of ROLES) {
    for (const p of ROLE_PERMISSIONS[role]) assert.ok(PERMISSIONS.includes(p), `${role}: ${p}`);
  }
  assert.equal([...permissionsOf(['admin'])].sort(), [...PERMISSIONS].sort());
  for (const p of ROLE_PERMISSIONS.audit) assert.ok(p.endsWith('.read'), p);
  assert.ok(ROLE_PERMISSIONS.audit.includes('audit.read'));
  assert.not.ok(permissionsOf(['audit']).has('staff.write'));
});

test('roles add up', () => {
  const both = permissionsOf(['cashier', 'noc']);
  for (const p of [...ROLE_PERMISSIONS.cashier, ...ROLE_PERMISSIONS.noc]) assert.ok(both.has(p));
  assert.is(permissionsOf([]).size, 0);
});

test('rooms: known patterns and their permissions; anything else is no room', () => {
  assert.is(roomPermission('feed'), 'feed.read');
  assert.is(roomPermission('kpi'), 'kpi.read');
  assert.is(roomPermission('billing'), 'billing.read');
  assert.is(roomPermission('account:100001'), 'accounts.read');
  assert.is(roomPermission('device:r1'), 'devices.read');
  assert.is(roomPermission('devices'), 'devices.read');
  assert.is(roomPermission('requests'), 'requests.read');
  for (const bad of [
    '',
    'account:',
    'account',
    'feed/accounts.read',
    '$user:1',
    'staff-user:1',
    'account:a b',
    7,
    null,
  ]) {
    assert.is(roomPermission(bad), null, String(bad));
  }
});

test('the feed never shows staff kinds', () => {
  for (const kind of ['staff-user', 'staff-directory', 'signing-keys', 'security-policy', 'sequence']) {
    assert.is(feedPermission(kind), null, kind);
  }
  for (const [kind, p] of Object.entries(FEED_KINDS)) assert.is(feedPermission(kind), p);
  assert.is(feedPermission('toString'), null);
});

test.run();
