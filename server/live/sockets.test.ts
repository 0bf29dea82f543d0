import { io, type Socket } from 'socket.io-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BILLING_TOPIC } from '../../actors/billing/run.ts';
import type { LiveEvent as BusEvent } from '../../actors/runtime/bus.ts';
import { ManualClock } from '../../actors/runtime/clock.ts';
import { systemCause } from '../../actors/runtime/kind.ts';
import { KPI_FRAME_MS, type Kpi } from '../../protocol/dashboard.ts';
import { ROLE_PERMISSIONS, ROLES, type Role } from '../../protocol/roles.ts';
import { type StaffApi, startStaffApi } from '../staff/testing/harness.ts';
import { ACCESS_TTL_MS } from '../staff/tokens.ts';

// The dashboard's socket.io transport on the uWS app: token auth at the handshake, rooms by
// topic as the matrix allows, events to `feed` and `account:<id>`, KPI frames at most one per
// 250 ms however many events come, billing progress, and resuming from a global position.

interface Ctx {
  api: StaffApi;
  clock: ManualClock;
  tokens: Record<Role, string>;
  users: Record<Role, string>;
  sockets: Socket[];
}

const test = suite<Ctx>('live sockets', {} as Ctx);

test.before(async (ctx) => {
  ctx.clock = new ManualClock(Date.UTC(2026, 4, 5, 7));
  ctx.api = await startStaffApi({ clock: ctx.clock });
  ctx.tokens = {} as Record<Role, string>;
  ctx.users = {} as Record<Role, string>;
  ctx.sockets = [];
  for (const role of ROLES) {
    ctx.users[role] = await ctx.api.createUser(`live-${role}`, [role]);
    ctx.tokens[role] = (await ctx.api.login(`live-${role}`)).accessToken;
  }
});

test.after.each((ctx) => {
  for (const s of ctx.sockets) s.disconnect();
  ctx.sockets = [];
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

function connect(ctx: Ctx, token: unknown): Socket {
  const socket = io(ctx.api.base, {
    path: '/socket.io/',
    transports: ['websocket'],
    auth: { token },
    reconnection: false,
  });
  ctx.sockets.push(socket);
  return socket;
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

function refused(socket: Socket): Promise<Error & { data?: { code: string } }> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected')));
    socket.once('connect_error', resolve);
  });
}

async function online(ctx: Ctx, role: Role, rooms: string[] = []): Promise<Socket> {
  const socket = connect(ctx, ctx.tokens[role]);
  await connected(socket);
  for (const room of rooms) assert.equal(await socket.emitWithAck('join', room), { ok: true }, room);
  return socket;
}

type LiveEvent = BusEvent<{ type: string; amount?: number }>;

/** Every event a socket gets: `event` one by one (an account's room), `events` in arrays (the feed). */
function collect(socket: Socket, into: LiveEvent[]): void {
  socket.on('event', (e: LiveEvent) => into.push(e));
  socket.on('events', (list: LiveEvent[]) => into.push(...list));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(10);
  }
}

let keys = 0;
async function openAccount(ctx: Ctx): Promise<string> {
  const r = await ctx.api.call('POST', '/api/v1/accounts', { token: 'bootstrap', body: {} });
  return String(r.body.id);
}
function topUp(ctx: Ctx, id: string, amount = 100) {
  return ctx.api.call('POST', `/api/v1/accounts/${id}/top-ups`, {
    token: 'bootstrap',
    key: `live-${++keys}`,
    body: { amount, source: 'cash', reference: `r${keys}` },
  });
}

test('the handshake needs a valid access token: none, garbage, expired → connect_error unauthorized', async (ctx) => {
  for (const token of [undefined, '', 'garbage', 'eyJhbGciOiJFZERTQSJ9.e30.c2ln']) {
    const err = await refused(connect(ctx, token));
    assert.is(err.message, 'unauthorized', String(token));
  }
  ctx.clock.advance(ACCESS_TTL_MS + 6000);
  const err = await refused(connect(ctx, ctx.tokens.cashier));
  assert.is(err.message, 'unauthorized');
  assert.match(err.data!.code, /unauthorized/);
  assert.ok(ctx.api.logs.some((l) => l.msg === 'socket refused'));
  // Fresh tokens for the rest.
  for (const role of ROLES) ctx.tokens[role] = (await ctx.api.login(`live-${role}`)).accessToken;
  await connected(connect(ctx, ctx.tokens.admin));
});

test('rooms: every role × every room, allowed exactly as the matrix says; refusals logged', async (ctx) => {
  const rooms = ['feed', 'kpi', 'billing', 'account:100001', 'devices', 'device:r1', 'requests'];
  const needs: Record<string, string> = {
    feed: 'feed.read',
    kpi: 'kpi.read',
    billing: 'billing.read',
    'account:100001': 'accounts.read',
    devices: 'devices.read',
    'device:r1': 'devices.read',
    requests: 'requests.read',
  };
  let forbidden = 0;
  for (const role of ROLES) {
    const socket = await online(ctx, role);
    for (const room of rooms) {
      const may = (ROLE_PERMISSIONS[role] as readonly string[]).includes(needs[room]!);
      const logged = ctx.api.logs.length;
      const ack = await socket.emitWithAck('join', room);
      if (may) assert.equal(ack, { ok: true }, `${role} ${room}`);
      else {
        forbidden++;
        assert.equal(ack, { ok: false, code: 'forbidden' }, `${role} ${room}`);
        assert.ok(
          ctx.api.logs.slice(logged).some((l) => l.msg === 'socket join refused' && l.room === room),
          `${role} ${room} logged`,
        );
      }
    }
    for (const bad of ['nope', 'feed/accounts.read', `$user:${ctx.users[role]}`, 'account:', 42]) {
      assert.equal(await socket.emitWithAck('join', bad), { ok: false, code: 'bad_room' }, `${role} ${bad}`);
    }
    socket.disconnect();
  }
  assert.ok(forbidden > 10);
});

test('a forbidden room gets nothing; an allowed one gets its events', async (ctx) => {
  const id = await openAccount(ctx);
  const support = await online(ctx, 'support', ['feed', `account:${id}`]);
  assert.equal(await support.emitWithAck('join', 'kpi'), { ok: false, code: 'forbidden' });
  const kpis: Kpi[] = [];
  const events: LiveEvent[] = [];
  support.on('kpi', (k: Kpi) => kpis.push(k));
  collect(support, events);
  await topUp(ctx, id);
  await until(() => events.length >= 2);
  await sleep(2 * KPI_FRAME_MS);
  assert.is(kpis.length, 0);
  assert.equal(
    events.map((e) => e.event.type),
    ['ToppedUp', 'ToppedUp'],
    'once through feed, once through the account room (the client de-duplicates by position)',
  );
  assert.is(events[0]!.position, events[1]!.position);
});

test('the feed comes in arrays: a burst of top-ups, each event once, none missing', async (ctx) => {
  const ids = await Promise.all([1, 2, 3].map(() => openAccount(ctx)));
  const socket = await online(ctx, 'noc', ['feed']);
  const messages: LiveEvent[][] = [];
  let single = 0;
  socket.on('events', (list: LiveEvent[]) => messages.push(list));
  socket.on('event', () => single++);
  const burst = 60;
  await Promise.all(Array.from({ length: burst }, (_, i) => topUp(ctx, ids[i % ids.length]!, 100 + i)));
  await until(() => messages.flat().filter((e) => e.event.type === 'ToppedUp').length >= burst);
  await sleep(100);
  const events = messages.flat();
  assert.is(single, 0, 'the feed room never sends one event at a time');
  assert.ok(
    messages.every((m) => Array.isArray(m) && m.length > 0),
    'every message is a non-empty array',
  );
  const positions = events.map((e) => e.position);
  assert.is(new Set(positions).size, positions.length, 'each event once');
  assert.equal(
    events
      .filter((e) => e.event.type === 'ToppedUp')
      .map((e) => e.event.amount)
      .sort((a, b) => a! - b!),
    Array.from({ length: burst }, (_, i) => 100 + i),
    'every top-up of the burst',
  );
});

test('the account card updates within a second of the event', async (ctx) => {
  const id = await openAccount(ctx);
  const socket = await online(ctx, 'cashier', [`account:${id}`]);
  let arrived = 0;
  socket.on('event', (e: LiveEvent) => {
    if (e.id === id && e.event.type === 'ToppedUp') arrived = performance.now();
  });
  const sent = performance.now();
  const r = await topUp(ctx, id, 250);
  assert.is(r.status, 201);
  await until(() => arrived > 0, 1000);
  assert.ok(arrived - sent < 1000, `${arrived - sent} ms`);
});

test('KPI frames: at most one per 250 ms under a burst, the last one up to date', async (ctx) => {
  const ids = await Promise.all([1, 2, 3, 4].map(() => openAccount(ctx)));
  const socket = await online(ctx, 'noc', ['kpi']);
  const frames: { at: number; kpi: Kpi }[] = [];
  socket.on('kpi', (kpi: Kpi) => frames.push({ at: performance.now(), kpi }));
  await until(() => frames.length === 1, 1000); // the frame a newcomer gets
  const start = await ctx.api.call<Kpi>('GET', '/api/v1/kpi', { token: ctx.tokens.noc });
  const burst = 200;
  const began = performance.now();
  await Promise.all(Array.from({ length: burst }, (_, i) => topUp(ctx, ids[i % ids.length]!, 1)));
  const took = performance.now() - began;
  await sleep(3 * KPI_FRAME_MS);
  const during = frames.slice(1);
  assert.ok(during.length >= 1, 'frames came');
  assert.ok(
    during.length <= Math.ceil(took / KPI_FRAME_MS) + 2,
    `${during.length} frames for ${took.toFixed(0)} ms`,
  );
  // The throttle is the server's; arrival times here carry the loopback's and the event loop's
  // jitter (two frames 250 ms apart on the server can land 200 ms apart on a busy machine), so
  // the bound is on how many frames came over the whole burst, not on single gaps.
  const span = frames.at(-1)!.at - frames[1]!.at;
  assert.ok(
    during.length - 1 <= Math.ceil(span / KPI_FRAME_MS) + 1,
    `${during.length} frames in ${span.toFixed(0)} ms`,
  );
  assert.is(frames.at(-1)!.kpi.paymentsToday, start.body.paymentsToday + burst);
  assert.equal(
    frames.at(-1)!.kpi,
    (await ctx.api.call<Kpi>('GET', '/api/v1/kpi', { token: ctx.tokens.noc })).body,
  );
});

test('billing progress goes to the billing room and into the KPI', async (ctx) => {
  const socket = await online(ctx, 'noc', ['billing']);
  const got: Record<string, unknown>[] = [];
  socket.on('billing', (p: Record<string, unknown>) => got.push(p));
  const progress = (done: number, finishedAt?: number) =>
    ctx.api.services.bus.publish(BILLING_TOPIC, {
      position: 0,
      kind: 'billing-run',
      id: 'run-1',
      sequenceNumber: done + 1,
      event: {
        type: 'BillingRunProgress',
        runId: 'run-1',
        done,
        total: 10,
        ...(finishedAt ? { finishedAt } : {}),
      },
      cause: systemCause,
      at: ctx.clock.now(),
    });
  progress(4);
  await until(() => got.length === 1);
  assert.is(got[0]!.done, 4);
  const kpi = await ctx.api.call<Kpi>('GET', '/api/v1/kpi', { token: ctx.tokens.noc });
  assert.equal(kpi.body.billingRun, { runId: 'run-1', done: 4, total: 10 });
  progress(10, ctx.clock.now());
  await until(() => got.length === 2);
  assert.is((await ctx.api.call<Kpi>('GET', '/api/v1/kpi', { token: ctx.tokens.noc })).body.billingRun, null);
});

test('resume: after a drop, GET /api/v1/feed?after=<last position> returns every event missed, in order', async (ctx) => {
  const id = await openAccount(ctx);
  const first = await online(ctx, 'audit', ['feed']);
  const seen: LiveEvent[] = [];
  collect(first, seen);
  await topUp(ctx, id, 10);
  await until(() => seen.length === 1);
  first.disconnect();
  const last = seen.at(-1)!.position;
  // Missed while offline: money, a subscriber, and staff work that the feed never shows.
  await topUp(ctx, id, 11);
  await ctx.api.call('POST', '/api/v1/subscribers', {
    token: 'bootstrap',
    body: { type: 'person', name: 'Сидоров' },
  });
  await ctx.api.createUser('newcomer', ['sales']);
  await topUp(ctx, id, 12);
  const again = await online(ctx, 'audit', ['feed']);
  const live: LiveEvent[] = [];
  collect(again, live);
  const missed = await ctx.api.call<{ items: LiveEvent[] }>('GET', `/api/v1/feed?after=${last}&limit=100`, {
    token: ctx.tokens.audit,
  });
  assert.is(missed.status, 200);
  const items = missed.body.items;
  const journal = await ctx.api.services.journal.readAll(last, 1000);
  const shown = journal.filter((e) => e.key.startsWith('account:') || e.key.startsWith('subscriber:'));
  assert.equal(
    items.map((e) => e.position),
    shown.map((e) => e.position),
    'every visible event after the position, oldest first',
  );
  assert.ok(
    items.every((e) => !e.kind.startsWith('staff')),
    'staff events never reach the feed',
  );
  assert.equal(
    items.filter((e) => e.kind === 'account').map((e) => e.event.amount),
    [11, 12],
  );
  assert.equal(items[0], {
    position: shown[0]!.position,
    kind: 'account',
    id,
    sequenceNumber: items[0]!.sequenceNumber,
    event: items[0]!.event,
    cause: { type: 'api', id: 'bootstrap', ip: '127.0.0.1' },
    at: items[0]!.at,
  });
  await topUp(ctx, id, 13);
  await until(() => live.length === 1);
  assert.ok(live[0]!.position > items.at(-1)!.position, 'live events continue after the fetched ones');
  const latest = await ctx.api.call<{ items: LiveEvent[] }>('GET', '/api/v1/feed?limit=2', {
    token: ctx.tokens.audit,
  });
  assert.equal(
    latest.body.items.map((e) => e.position),
    [items.at(-1)!.position, live[0]!.position],
  );
});

test('a user disabled or given other roles loses its sockets; after reconnecting it joins only what it may', async (ctx) => {
  const id = await ctx.api.createUser('switcher', ['noc']);
  const { accessToken } = await ctx.api.login('switcher');
  const socket = connect(ctx, accessToken);
  await connected(socket);
  assert.equal(await socket.emitWithAck('join', 'kpi'), { ok: true });
  const gone = new Promise<string>((r) => socket.once('disconnect', r));
  await ctx.api.call('PUT', `/api/v1/staff/${id}`, { token: 'bootstrap', body: { roles: ['support'] } });
  assert.is(await gone, 'io server disconnect');
  const back = connect(ctx, accessToken);
  await connected(back);
  assert.equal(await back.emitWithAck('join', 'kpi'), { ok: false, code: 'forbidden' });
  assert.equal(await back.emitWithAck('join', 'feed'), { ok: true });
  const closed = new Promise<string>((r) => back.once('disconnect', r));
  await ctx.api.call('PUT', `/api/v1/staff/${id}`, { token: 'bootstrap', body: { disabled: true } });
  assert.is(await closed, 'io server disconnect');
  const err = await refused(connect(ctx, accessToken));
  assert.is(err.message, 'unauthorized');
  assert.is(err.data!.code, 'user_disabled');
});

test('leave: no more events from the room', async (ctx) => {
  const id = await openAccount(ctx);
  const socket = await online(ctx, 'cashier', [`account:${id}`]);
  const events: LiveEvent[] = [];
  socket.on('event', (e: LiveEvent) => events.push(e));
  await topUp(ctx, id);
  await until(() => events.length === 1);
  assert.equal(await socket.emitWithAck('leave', `account:${id}`), { ok: true });
  await topUp(ctx, id);
  await sleep(200);
  assert.is(events.length, 1);
});

test('requests room: the board gets every change live, from the public form and from staff; without requests.read, nothing', async (ctx) => {
  const sales = await online(ctx, 'sales', ['requests']);
  // A cashier may follow the feed but not the board: refused the room, and the board's
  // events stay out of its feed.
  const cashier = await online(ctx, 'cashier', ['feed']);
  assert.equal(await cashier.emitWithAck('join', 'requests'), { ok: false, code: 'forbidden' });
  const noc = await online(ctx, 'noc', ['feed']);
  const board: LiveEvent[] = [];
  const cashierSaw: LiveEvent[] = [];
  const nocFeed: LiveEvent[] = [];
  sales.on('event', (e: LiveEvent) => board.push(e));
  collect(cashier, cashierSaw);
  collect(noc, nocFeed);

  const submitted = await ctx.api.call('POST', '/api/v1/requests', {
    body: { name: 'Анна Смирнова', phone: '+79990001122', address: 'ул. Мира, 5' },
  });
  assert.is(submitted.status, 202);
  await until(() => board.length === 1);
  const first = board[0]!;
  assert.is(first.kind, 'requests');
  assert.is(first.event.type, 'RequestSubmitted');
  const requestId = (first.event as { requestId?: string }).requestId!;
  assert.match(requestId, /^R\d+$/);

  const assigned = await ctx.api.call('POST', `/api/v1/requests/${requestId}/assign`, {
    token: ctx.tokens.sales,
    body: { assignee: ctx.users.sales },
  });
  assert.is(assigned.status, 200);
  await until(() => board.length === 2);
  assert.equal(
    board.map((e) => e.event.type),
    ['RequestSubmitted', 'RequestAssigned'],
  );
  assert.ok(board[1]!.position > first.position);
  await until(() => nocFeed.length === 2);
  assert.equal(
    nocFeed.map((e) => e.position),
    board.map((e) => e.position),
  );
  // The cashier's feed is live (an account event reaches it) but never showed the requests.
  const id = await openAccount(ctx);
  await topUp(ctx, id);
  await until(() => cashierSaw.some((e) => e.kind === 'account'));
  assert.ok(cashierSaw.every((e) => e.kind !== 'requests'));
  // The feed's history says the same to each of them.
  const history = async (role: Role) =>
    (
      await ctx.api.call<{ items: BusEvent[] }>('GET', `/api/v1/feed?after=${first.position - 1}`, {
        token: ctx.tokens[role],
      })
    ).body.items.filter((e) => e.kind === 'requests').length;
  assert.is(await history('noc'), 2);
  assert.is(await history('cashier'), 0);
});

test.run();
