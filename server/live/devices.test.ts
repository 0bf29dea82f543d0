import { io, type Socket } from 'socket.io-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import type { DeviceFrame } from '../../protocol/network.ts';
import type { Role } from '../../protocol/roles.ts';
import { type RouterOsSim, startRouterOsSim } from '../../scripts/sim/routeros.ts';
import { networkOf } from '../network.ts';
import { type StaffApi, startStaffApi } from '../staff/testing/harness.ts';

// The rooms of the devices screen, through a real socket.io client: `devices` carries each
// router's row as a `device` frame when it changes (online, offline, auth_failed, pending
// commands, last error), `device:<id>` the router's own events and its row; a role without
// devices.read is refused both.

interface Ctx {
  api: StaffApi;
  sim: RouterOsSim;
  tokens: Partial<Record<Role, string>>;
  sockets: Socket[];
}

const test = suite<Ctx>('device rooms', {} as Ctx);
const PASSWORD = 'Router-Pw-0123';

test.before(async (ctx) => {
  ctx.api = await startStaffApi();
  ctx.sim = await startRouterOsSim({ username: 'abonent', password: PASSWORD, identity: 'edge-7' });
  ctx.tokens = {};
  ctx.sockets = [];
  for (const role of ['noc', 'implementation', 'cashier', 'support'] as const) {
    await ctx.api.createUser(`dev-${role}`, [role]);
    ctx.tokens[role] = (await ctx.api.login(`dev-${role}`)).accessToken;
  }
});

test.after(async (ctx) => {
  for (const s of ctx.sockets) s.disconnect();
  await ctx.api.dispose();
  await ctx.sim.close();
});

async function online(ctx: Ctx, role: Role): Promise<Socket> {
  const socket = io(ctx.api.base, {
    path: '/socket.io/',
    transports: ['websocket'],
    auth: { token: ctx.tokens[role] },
    reconnection: false,
  });
  ctx.sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => T, ms = 8000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const latest = (frames: DeviceFrame[], id: string) => frames.filter((f) => f.id === id).at(-1);
const statusOf = (frame: DeviceFrame | undefined) => (frame && 'status' in frame ? frame.status : undefined);

test('without devices.read: both device rooms are refused', async (ctx) => {
  for (const role of ['cashier', 'support'] as const) {
    const socket = await online(ctx, role);
    assert.equal(await socket.emitWithAck('join', 'devices'), { ok: false, code: 'forbidden' }, role);
    assert.equal(await socket.emitWithAck('join', 'device:D1'), { ok: false, code: 'forbidden' }, role);
  }
  assert.ok(ctx.api.logs.some((l) => l.msg === 'socket join refused' && l.room === 'devices'));
});

test('a router added, dropped, refusing the password and removed: every step is a `device` frame, live', async (ctx) => {
  const noc = await online(ctx, 'noc');
  const cashier = await online(ctx, 'cashier');
  const frames: DeviceFrame[] = [];
  const cashierFrames: unknown[] = [];
  noc.on('device', (f: DeviceFrame) => frames.push(f));
  cashier.on('device', (f: unknown) => cashierFrames.push(f));
  cashier.on('event', (e: LiveEvent) => cashierFrames.push(e));
  assert.equal(await noc.emitWithAck('join', 'devices'), { ok: true });
  // The cashier follows the feed but may not see the routers: neither frames nor their events.
  assert.equal(await cashier.emitWithAck('join', 'feed'), { ok: true });

  const added = await ctx.api.call<{ id: string }>('POST', '/api/v1/devices', {
    token: ctx.tokens.noc!,
    body: { name: 'Edge 7', host: ctx.sim.host, port: ctx.sim.port, username: 'abonent', password: PASSWORD },
  });
  assert.is(added.status, 201);
  const id = added.body.id;

  // One router's page follows its own room: its events and its row.
  const page = await online(ctx, 'implementation');
  const pageFrames: DeviceFrame[] = [];
  const pageEvents: LiveEvent<{ type: string }>[] = [];
  page.on('device', (f: DeviceFrame) => pageFrames.push(f));
  page.on('event', (e: LiveEvent<{ type: string }>) => pageEvents.push(e));
  assert.equal(await page.emitWithAck('join', `device:${id}`), { ok: true });

  const up = await until('online', () => {
    const f = latest(frames, id);
    return f && 'status' in f && f.status === 'online' && f.identity === 'edge-7' ? f : undefined;
  });
  assert.is(up.name, 'Edge 7');
  assert.is(up.host, ctx.sim.host);
  assert.match(up.version ?? '', /^7\.18\.2/);
  assert.ok(up.uptime);
  assert.ok(up.lastSeenAt! > 0);
  assert.is(up.pendingCommands, 0);
  assert.is(up.lastError, null);
  assert.not.ok('password' in up, 'the password never goes out');
  assert.not.ok(JSON.stringify(frames).includes(PASSWORD));

  // The cable is pulled and the router now refuses our password: offline, then auth_failed.
  ctx.sim.refuseLogins(true);
  ctx.sim.dropConnections();
  const failed = await until('auth_failed', () => {
    const f = latest(frames, id);
    return f && 'status' in f && f.status === 'auth_failed' ? f : undefined;
  });
  assert.ok(
    frames.some((f) => statusOf(f) === 'offline'),
    'the drop itself was shown',
  );
  assert.ok(failed.lastError);
  assert.ok(failed.recentErrors.some((e) => e.what === 'auth'));
  assert.ok(failed.recentErrors.some((e) => e.what === 'connection_lost'));

  // /metrics says it too: the status, and the last error as a label.
  const metrics = await (await fetch(`${ctx.api.base}/metrics`)).text();
  assert.match(metrics, new RegExp(`abonent_device_status\\{device="${id}",status="auth_failed"\\} 1`));
  assert.match(
    metrics,
    new RegExp(
      `abonent_device_last_error_info\\{device="${id}",message="[^"]*invalid user name or password[^"]*"\\} 1`,
    ),
  );

  // The router's page got the same rows and the router's events.
  await until('the page row', () => statusOf(latest(pageFrames, id)) === 'auth_failed');
  assert.ok(pageEvents.some((e) => e.kind === 'device' && e.id === id && e.event.type === 'ConnectFailed'));
  assert.ok(pageEvents.every((e) => e.kind === 'device' && e.id === id));

  // The snapshot over HTTP says what the frames said.
  const view = await ctx.api.call<{ status: string; recentErrors: unknown[] }>(
    'GET',
    `/api/v1/devices/${id}`,
    {
      token: ctx.tokens.noc!,
    },
  );
  assert.is(view.body.status, 'auth_failed');
  assert.equal(view.body.recentErrors, (latest(frames, id) as { recentErrors: unknown[] }).recentErrors);

  // Removed: the list drops the row.
  ctx.sim.refuseLogins(false);
  const removed = await ctx.api.call('DELETE', `/api/v1/devices/${id}`, { token: ctx.tokens.noc! });
  assert.is(removed.status, 204);
  await until('removed', () => {
    const f = latest(frames, id);
    return f && 'removed' in f;
  });
  await sleep(50);
  assert.equal(cashierFrames, [], 'the cashier saw nothing of the routers');
});

test('a burst of router commits is one frame per 250 ms, each with the row as it is then', async (ctx) => {
  const noc = await online(ctx, 'noc');
  const frames: { at: number; frame: DeviceFrame }[] = [];
  noc.on('device', (frame: DeviceFrame) => frames.push({ at: performance.now(), frame }));
  assert.equal(await noc.emitWithAck('join', 'devices'), { ok: true });
  const sim = await startRouterOsSim({ username: 'abonent', password: PASSWORD, identity: 'edge-8' });
  try {
    const added = await ctx.api.call<{ id: string }>('POST', '/api/v1/devices', {
      token: ctx.tokens.noc!,
      body: { name: 'Edge 8', host: sim.host, port: sim.port, username: 'abonent', password: PASSWORD },
    });
    const id = added.body.id;
    await until(
      'online',
      () =>
        statusOf(
          latest(
            frames.map((f) => f.frame),
            id,
          ),
        ) === 'online',
    );
    // Forty blocks asked for directly of the router: forty commits or more.
    const network = networkOf(ctx.api.services);
    const before = frames.length;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        ctx.api.services.system.ask(network.deviceKind, id, {
          type: 'Block',
          accountId: `${900_000 + i}`,
          ip: `100.64.1.${i + 1}`,
        }),
      ),
    );
    await until('blocks applied', () => sim.menus.addressList.rows.size === 40);
    // The last frame shows the row as it ended: nothing pending.
    await until('the row settles', () => {
      const f = frames.slice(before).at(-1)?.frame;
      return f && 'pendingCommands' in f && f.pendingCommands === 0;
    });
    const burst = frames.slice(before);
    assert.ok(burst.length >= 1);
    assert.ok(burst.length < 40, `${burst.length} frames for 40+ commits`);
    for (let i = 1; i < burst.length; i++)
      assert.ok(
        burst[i]!.at - burst[i - 1]!.at >= 200,
        `frames ${Math.round(burst[i]!.at - burst[i - 1]!.at)} ms apart`,
      );
  } finally {
    await sim.close();
  }
});

test.run();
