import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import { type RedisHandle, startRedis } from '../../scripts/lib/redis.ts';
import { type ServerProcess, startServerProcess } from '../../scripts/lib/server-process.ts';

// Two server nodes and a real Redis: with REDIS_URL, socket.io's Redis adapter carries the
// events one node commits to the browsers connected to the other, exactly once each (the
// live bus, which also goes through Redis, does not deliver them a second time).

// `npm start`'s server: socket.io patches its adapter once per process, so each node is a process.
const TOKEN = 'two-nodes-bootstrap-token-0123456789abcdef';

interface Node extends ServerProcess {
  dataDir: string;
}

async function startNode(redisUrl: string): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), 'abonent-node-'));
  const server = await startServerProcess({
    env: {
      DATA_DIR: dataDir,
      REDIS_URL: redisUrl,
      ABONENT_BOOTSTRAP_TOKEN: TOKEN,
      ABONENT_SECRET_KEY: 'b2'.repeat(32),
      LOG_LEVEL: 'info',
    },
  });
  return { ...server, dataDir };
}

async function stopNode(node: Node): Promise<void> {
  await node.stop();
  rmSync(node.dataDir, { recursive: true, force: true });
}

interface Ctx {
  redis: RedisHandle;
  nodes: Node[];
  sockets: Socket[];
}

const test = suite<Ctx>('live sockets across two nodes (Redis adapter)', {} as Ctx);

test.before(async (ctx) => {
  ctx.redis = await startRedis();
  ctx.nodes = await Promise.all([startNode(ctx.redis.url), startNode(ctx.redis.url)]);
  ctx.sockets = [];
});

test.after(async (ctx) => {
  for (const s of ctx.sockets) s.disconnect();
  await Promise.all(ctx.nodes.map(stopNode));
  await ctx.redis.stop();
});

async function online(
  ctx: Ctx,
  node: Node,
  rooms: string[],
): Promise<{ socket: Socket; events: LiveEvent[] }> {
  const socket = io(`http://127.0.0.1:${node.port}`, {
    path: '/socket.io/',
    transports: ['websocket'],
    auth: { token: TOKEN },
    reconnection: false,
  });
  ctx.sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  for (const room of rooms) assert.equal(await socket.emitWithAck('join', room), { ok: true });
  const events: LiveEvent[] = [];
  // One by one from an account's room, in arrays from the feed.
  socket.on('event', (e: LiveEvent) => events.push(e));
  socket.on('events', (list: LiveEvent[]) => events.push(...list));
  return { socket, events };
}

function call(node: Node, method: string, path: string, body: unknown, key?: string) {
  return fetch(`http://127.0.0.1:${node.port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('an event committed on one node reaches the browsers of both, once per room', async (ctx) => {
  const [one, two] = ctx.nodes as [Node, Node];
  const opened = await call(one, 'POST', '/api/v1/accounts', {});
  assert.is(opened.status, 201);
  const id = String(opened.body.id);
  const here = await online(ctx, one, ['feed']);
  const there = await online(ctx, two, ['feed', `account:${id}`]);
  const otherRoom = await online(ctx, two, ['account:999999']);
  for (let i = 0; i < 5; i++) {
    const r = await call(
      one,
      'POST',
      `/api/v1/accounts/${id}/top-ups`,
      { amount: 100 + i, source: 'cash', reference: `r${i}` },
      `k${i}`,
    );
    assert.is(r.status, 201);
  }
  // The opening was committed just before the sockets joined: the feed frame it waits in
  // (FEED_FRAME_MS) may still carry it to them, or may have gone out before they joined.
  const topUps = (events: LiveEvent[]) =>
    events.filter((e) => (e.event as { type: string }).type === 'ToppedUp');
  const end = Date.now() + 5000;
  while ((topUps(here.events).length < 5 || topUps(there.events).length < 10) && Date.now() < end)
    await sleep(20);
  await sleep(300); // anything extra would have come by now
  assert.equal(
    topUps(here.events).map((e) => (e.event as { amount: number }).amount),
    [100, 101, 102, 103, 104],
  );
  assert.ok(here.events.length <= 6, 'nothing else but the opening');
  const positions = topUps(there.events).map((e) => e.position);
  assert.is(positions.length, 10, 'feed and the account room, each once');
  for (const p of new Set(positions)) assert.is(positions.filter((x) => x === p).length, 2);
  assert.is(otherRoom.events.length, 0, 'a room nobody published to stays quiet');
});

test.run();
