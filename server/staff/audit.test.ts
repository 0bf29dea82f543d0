import { rmSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../actors/runtime/clock.ts';
import type { AuditItem } from '../../protocol/staff.ts';
import { auditCsv } from './audit.ts';
import { type StaffApi, startStaffApi } from './testing/harness.ts';

// The audit log: every staff action with who, when, from which IP and what, filtered by user,
// action, object and time, paged newest first, exported as CSV; secrets never in it.

interface Ctx {
  api: StaffApi;
  clock: ManualClock;
  admin: string;
  cashier: string;
  account: string;
  t: Record<string, number>;
}

const test = suite<Ctx>('audit log', {} as Ctx);

interface Page {
  items: AuditItem[];
  nextCursor?: string;
}

test.before(async (ctx) => {
  ctx.clock = new ManualClock(Date.UTC(2026, 2, 2, 8));
  ctx.api = await startStaffApi({ clock: ctx.clock });
  ctx.t = {};
  const { api, clock } = ctx;
  ctx.t.created = clock.now();
  await api.createUser('boss', ['admin']);
  await api.createUser('kassa', ['cashier']);
  ctx.admin = (await api.login('boss')).accessToken;
  ctx.cashier = (await api.login('kassa')).accessToken;
  clock.advance(120_000);
  ctx.t.opened = clock.now();
  const open = await api.call('POST', '/api/v1/accounts', { token: ctx.admin, body: {} });
  ctx.account = String(open.body.id);
  clock.advance(120_000);
  ctx.t.paid = clock.now();
  for (let i = 0; i < 3; i++) {
    const r = await api.call('POST', `/api/v1/accounts/${ctx.account}/top-ups`, {
      token: ctx.cashier,
      key: `pay-${i}`,
      headers: { 'x-forwarded-for': '10.1.1.1' },
      body: { amount: 100_00, source: 'cash', reference: `=cmd|' /C calc'!A${i}` },
    });
    assert.is(r.status, 201, r.text);
  }
  clock.advance(120_000);
  ctx.t.blocked = clock.now();
  await api.call('POST', `/api/v1/accounts/${ctx.account}/block`, {
    token: ctx.admin,
    body: { reason: 'fraud check' },
  });
});

test.after(async (ctx) => {
  await ctx.api.dispose();
  // The restart below gave its own data dir, which dispose leaves in place.
  rmSync(ctx.api.dataDir, { recursive: true, force: true });
});

const audit = (ctx: Ctx, query = '', token = ctx.admin) =>
  ctx.api.call<Page>('GET', `/api/v1/audit${query}`, { token });

test('every staff action: who, when, from where, what, on which object; newest first', async (ctx) => {
  const r = await audit(ctx);
  assert.is(r.status, 200);
  const actions = r.body.items.map((i) => i.action);
  assert.is(actions[0], 'account.Blocked');
  assert.ok(actions.includes('account.AccountOpened'));
  assert.ok(actions.includes('staff-user.UserCreated'));
  assert.ok(actions.includes('staff-user.LoggedIn'));
  assert.not.ok(actions.includes('sequence.NumberIssued'), 'bookkeeping is left out');
  const positions = r.body.items.map((i) => i.position);
  assert.equal(
    positions,
    [...positions].sort((a, b) => b - a),
  );
  const block = r.body.items[0]!;
  assert.is(block.user, 'boss');
  assert.is(block.ip, '127.0.0.1');
  assert.is(block.object, `account:${ctx.account}`);
  assert.is(block.at, ctx.t.blocked);
  assert.equal(block.details, { type: 'Blocked', reason: 'manual', note: 'fraud check' });
  const created = r.body.items.find((i) => i.action === 'staff-user.UserCreated')!;
  assert.is(created.user, 'bootstrap');
  assert.equal(
    Object.keys(created.details as object).sort(),
    ['roles', 'type', 'username'],
    'no password hash',
  );
  const login = r.body.items.find((i) => i.action === 'staff-user.LoggedIn')!;
  assert.equal(
    Object.keys(login.details as object).sort(),
    ['expiresAt', 'familyId', 'method', 'type'],
    'no token hash',
  );
});

test('filters: user, action, object, time', async (ctx) => {
  const byKassa = await audit(ctx, '?user=kassa');
  assert.ok(byKassa.body.items.length >= 4);
  assert.ok(byKassa.body.items.every((i) => i.user === 'kassa'));
  const topUps = await audit(ctx, '?action=account.ToppedUp');
  assert.is(topUps.body.items.length, 3);
  assert.equal((await audit(ctx, '?action=ToppedUp')).body.items.length, 3, 'the event type alone');
  const onAccount = await audit(ctx, `?action=account.*&user=boss`);
  assert.equal(
    onAccount.body.items.map((i) => i.action),
    ['account.Blocked', 'account.AccountOpened'],
  );
  assert.is((await audit(ctx, `?object=account:${ctx.account}`)).body.items.length, 5);
  assert.is((await audit(ctx, `?object=${ctx.account}`)).body.items.length, 5, 'the id alone');
  assert.is((await audit(ctx, '?object=account:*')).body.items.length, 5, 'a prefix');
  const window = await audit(ctx, `?from=${ctx.t.paid}&to=${ctx.t.blocked}`);
  assert.equal([...new Set(window.body.items.map((i) => i.action))], ['account.ToppedUp']);
  const iso = await audit(ctx, `?from=${new Date(ctx.t.blocked!).toISOString()}`);
  assert.equal(
    iso.body.items.map((i) => i.action),
    ['account.Blocked'],
  );
  assert.is((await audit(ctx, '?from=yesterday')).status, 400);
  assert.is((await audit(ctx, '?user=nobody')).body.items.length, 0);
});

test('pages: limit and cursor walk the whole log once', async (ctx) => {
  const all = (await audit(ctx, '?limit=1000')).body.items.map((i) => i.position);
  const seen: number[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await audit(ctx, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...page.body.items.map((i) => i.position));
    cursor = page.body.nextCursor;
    if (!cursor) break;
    assert.is(page.body.items.length, 2);
  }
  assert.equal(seen, all);
});

test('CSV export: the same entries, one row each, spreadsheet formulas defused', async (ctx) => {
  const r = await ctx.api.call('GET', '/api/v1/audit?action=ToppedUp', {
    token: ctx.admin,
    headers: { accept: 'text/csv' },
  });
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type')!, /^text\/csv/);
  assert.match(r.headers.get('content-disposition')!, /attachment/);
  const lines = r.text.trimEnd().split('\r\n');
  assert.is(lines[0], 'position,at,user,ip,action,object,details');
  assert.is(lines.length, 4);
  assert.match(
    lines[1]!,
    new RegExp(
      `^\\d+,${new Date(ctx.t.paid!).toISOString()},kassa,127\\.0\\.0\\.1,account\\.ToppedUp,account:${ctx.account},"`,
    ),
  );
  assert.match(r.text, /""reference"":""=cmd/, 'details are JSON, quoted');
  const cell = auditCsv([
    { position: 1, at: 0, user: '=HYPERLINK("x")', ip: null, action: 'a', object: null, details: null },
  ]).split('\r\n')[1]!;
  assert.is(cell, `1,1970-01-01T00:00:00.000Z,"'=HYPERLINK(""x"")",,a,,`);
});

test('only roles with audit.read see it', async (ctx) => {
  const r = await ctx.api.call('GET', '/api/v1/audit', { token: ctx.cashier });
  assert.is(r.status, 403);
  assert.is(r.body.code, 'forbidden');
});

test('a restart restores the log and the staff from their checkpoint: same pages, same sessions', async (ctx) => {
  const before = (await audit(ctx, '?limit=1000')).body;
  const position = await ctx.api.position();
  await ctx.api.stop();
  ctx.api = await startStaffApi({ clock: ctx.clock, dataDir: ctx.api.dataDir });
  const build = ctx.api.logs.find((l) => l.component === 'projections' && l.projection === 'staff');
  assert.is(build?.restoredFrom, position, JSON.stringify(build));
  assert.is(build?.eventsRead, 0);
  // The admin's session outlived the restart: the roster came back with it.
  const after = await audit(ctx, '?limit=1000');
  assert.is(after.status, 200);
  assert.equal(after.body, before);
  assert.equal((await audit(ctx, '?user=kassa&action=ToppedUp')).body.items.length, 3);
  // What a restore that failed halfway falls back on: reset, then a build from the journal.
  const log = ctx.api.area.audit;
  const saved = JSON.parse(JSON.stringify(log.save())) as unknown;
  log.reset();
  assert.is((await audit(ctx, '?limit=1000')).body.items.length, 0);
  log.restore(saved);
  assert.equal((await audit(ctx, '?limit=1000')).body, before);
});

test.run();
