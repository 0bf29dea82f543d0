import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PERMISSIONS } from '../../protocol/permissions.ts';
import { ROLE_PERMISSIONS, ROLES, type Role } from '../../protocol/roles.ts';
import { type StaffApi, startStaffApi } from './testing/harness.ts';

// Every route of the running server × every role, expected from the one matrix: the route
// list is the server's own OpenAPI document (made from the routes it serves), the expectation
// protocol/roles.ts. A role without the route's permission gets 403 forbidden, logged, with
// nothing journaled; without a token, 401; with the permission, never 401 or 403.

interface Operation {
  method: string;
  path: string;
  permission: string | undefined;
  secured: boolean;
}

interface Ctx {
  api: StaffApi;
  tokens: Record<Role, string>;
  users: Record<Role, string>;
  operations: Operation[];
}

const test = suite<Ctx>('permissions: every route × every role', {} as Ctx);

test.before(async (ctx) => {
  ctx.api = await startStaffApi();
  ctx.tokens = {} as Record<Role, string>;
  ctx.users = {} as Record<Role, string>;
  for (const role of ROLES) {
    ctx.users[role] = await ctx.api.createUser(`user-${role}`, [role]);
    ctx.tokens[role] = (await ctx.api.login(`user-${role}`)).accessToken;
  }
  const doc = await ctx.api.call<{
    paths: Record<string, Record<string, { security?: unknown; 'x-permission'?: string }>>;
  }>('GET', '/api/v1/openapi.json');
  ctx.operations = [];
  for (const [path, methods] of Object.entries(doc.body.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      ctx.operations.push({
        method: method.toUpperCase(),
        path: path.replace(/\{[^}]+\}/g, 'x1'),
        permission: op['x-permission'],
        secured: op.security !== undefined,
      });
    }
  }
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Not refused for who is asking. Public routes of the login flow answer 401 of their own
 * (invalid_credentials, invalid_refresh_token): about the credentials they are given, not the caller.
 */
function admitted(op: Operation, r: { status: number; body: Record<string, unknown> }): boolean {
  if (r.status === 403 && r.body.code === 'forbidden') return false;
  return op.secured ? r.status !== 401 : !(r.status === 401 && r.body.code === 'unauthorized');
}

function send(ctx: Ctx, op: Operation, token: string | null) {
  return ctx.api.call(op.method, op.path, {
    token,
    ...(BODY_METHODS.has(op.method) ? { body: {} } : {}),
  });
}

test('the route list is the running server’s, and every permission it names is in the matrix', (ctx) => {
  assert.ok(ctx.operations.length >= 40, `only ${ctx.operations.length} operations`);
  const paths = new Set(ctx.operations.map((o) => `${o.method} ${o.path}`));
  for (const expected of [
    'POST /api/v1/auth/login',
    'GET /api/v1/staff',
    'GET /api/v1/audit',
    'GET /api/v1/kpi',
    'GET /api/v1/feed',
    'GET /api/v1/directory/accounts',
    'POST /api/v1/accounts/x1/top-ups',
  ]) {
    assert.ok(paths.has(expected), expected);
  }
  for (const op of ctx.operations) {
    if (op.permission)
      assert.ok((PERMISSIONS as readonly string[]).includes(op.permission), `${op.path}: ${op.permission}`);
  }
});

test('without a token: 401 on every secured route, never on a public one', async (ctx) => {
  for (const op of ctx.operations) {
    const r = await send(ctx, op, null);
    if (op.secured) {
      assert.is(r.status, 401, `${op.method} ${op.path}`);
      assert.is(r.body.code, 'unauthorized');
    } else {
      assert.ok(admitted(op, r), `${op.method} ${op.path}: ${r.status} ${r.text}`);
    }
  }
});

test('every role × every route: allowed exactly as the matrix says; a refusal is logged and changes nothing', async (ctx) => {
  let refused = 0;
  let allowed = 0;
  for (const role of ROLES) {
    const granted = new Set<string>(ROLE_PERMISSIONS[role]);
    for (const op of ctx.operations) {
      const label = `${role}: ${op.method} ${op.path} (${op.permission ?? (op.secured ? 'any principal' : 'public')})`;
      const mayNot = op.permission !== undefined && !granted.has(op.permission);
      const before = await ctx.api.position();
      const logged = ctx.api.logs.length;
      const r = await send(ctx, op, ctx.tokens[role]);
      if (mayNot) {
        refused++;
        assert.is(r.status, 403, `${label}: ${r.status} ${r.text}`);
        assert.is(r.body.code, 'forbidden', label);
        assert.equal(r.body.details, { permission: op.permission }, label);
        assert.is(await ctx.api.position(), before, `${label}: nothing is journaled`);
        const line = ctx.api.logs
          .slice(logged)
          .find((l) => l.code === 'forbidden' && l.principal === ctx.users[role] && l.route !== undefined);
        assert.ok(line, `${label}: the refusal is logged with who asked`);
      } else {
        allowed++;
        assert.ok(admitted(op, r), `${label}: ${r.status} ${r.text}`);
      }
    }
  }
  assert.ok(refused > 100 && allowed > 100, `refused ${refused}, allowed ${allowed}`);
});

test('the bootstrap token may do everything', async (ctx) => {
  for (const op of ctx.operations) {
    if (op.path === '/api/v1/auth/keys/rotate') continue;
    const r = await send(ctx, op, 'bootstrap');
    assert.ok(admitted(op, r), `${op.method} ${op.path}: ${r.status} ${r.text}`);
  }
});

test.run();
