import { Redis } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type RedisHandle, startRedis } from '../../scripts/lib/redis.ts';
import type { LiveEvent } from './bus.ts';
import { RedisBus } from './redis-bus.ts';

// Against a real redis-server on a free port (started and stopped here).

interface Ctx {
  redis: RedisHandle;
  a: RedisBus;
  b: RedisBus;
  admin: Redis;
}

const test = suite<Ctx>('RedisBus', {} as Ctx);

test.before(async (ctx) => {
  ctx.redis = await startRedis();
  ctx.a = new RedisBus(ctx.redis.url);
  ctx.b = new RedisBus(ctx.redis.url);
  ctx.admin = new Redis(ctx.redis.url);
});

test.after(async (ctx) => {
  await ctx.a?.close();
  await ctx.b?.close();
  ctx.admin?.disconnect();
  await ctx.redis?.stop();
});

const event = (position: number, id = '42'): LiveEvent => ({
  position,
  kind: 'account',
  id,
  sequenceNumber: position,
  event: { type: 'Charged', amount: { minor: 500, currency: 'RUB' } },
  cause: { type: 'api', id: 'bootstrap' },
  at: Date.UTC(2026, 0, 1),
});

function collect(bus: RedisBus, topic: string) {
  const got: { message: LiveEvent; topic: string }[] = [];
  const off = bus.subscribe(topic, (message, t) => got.push({ message, topic: t }));
  return { got, off };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function numsub(admin: Redis, channel: string): Promise<number> {
  const reply = (await admin.pubsub('NUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

test('an event published on one node reaches listeners on another, in order', async (ctx) => {
  const feed = collect(ctx.b, 'feed');
  const own = collect(ctx.a, 'feed');
  await ctx.b.settled();
  await ctx.a.settled();
  for (let i = 1; i <= 50; i++) ctx.a.publish('feed', event(i));
  await until(() => feed.got.length === 50 && own.got.length === 50);
  assert.equal(
    feed.got.map((g) => g.message.position),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.equal(feed.got[0], { message: event(1), topic: 'feed' });
  feed.off();
  own.off();
});

test('topics are separate channels named abonent:live:<topic>', async (ctx) => {
  const one = collect(ctx.b, 'account:1');
  const two = collect(ctx.b, 'account:2');
  await ctx.b.settled();
  assert.is(await numsub(ctx.admin, 'abonent:live:account:1'), 1);
  ctx.a.publish('account:2', event(7, '2'));
  await until(() => two.got.length === 1);
  await new Promise((r) => setTimeout(r, 30));
  assert.is(one.got.length, 0);
  assert.is(two.got[0]?.topic, 'account:2');
  one.off();
  two.off();
});

test('subscriptions are refcounted per topic', async (ctx) => {
  const channel = 'abonent:live:kpi';
  const first = collect(ctx.b, 'kpi');
  const second = collect(ctx.b, 'kpi');
  await ctx.b.settled();
  assert.is(await numsub(ctx.admin, channel), 1, 'one Redis subscription for two listeners');

  first.off();
  first.off(); // twice is harmless
  await ctx.b.settled();
  assert.is(await numsub(ctx.admin, channel), 1, 'still wanted by the second listener');
  ctx.a.publish('kpi', event(1));
  await until(() => second.got.length === 1);
  assert.is(first.got.length, 0);

  second.off();
  await ctx.b.settled();
  assert.is(await numsub(ctx.admin, channel), 0, 'unsubscribed when nobody listens');
});

test('a throwing listener does not stop the others', async (ctx) => {
  const errors: string[] = [];
  const bus = new RedisBus(ctx.redis.url, { onError: (_err, context) => errors.push(context) });
  bus.subscribe('feed', () => {
    throw new Error('listener bug');
  });
  const ok = collect(bus, 'feed');
  await bus.settled();
  ctx.a.publish('feed', event(1));
  await until(() => ok.got.length === 1);
  assert.equal(errors, ['listener of feed']);
  await bus.close();
});

test('close quits both connections', async (ctx) => {
  const bus = new RedisBus(ctx.redis.url);
  bus.subscribe('feed', () => {});
  await bus.settled();
  const clients = () => ctx.admin.client('LIST') as Promise<string>;
  await until(() => true);
  const before = await clients();
  assert.ok(before.includes('name=abonent-bus-sub'));
  const countBefore = before.split('\n').filter((l) => l.includes('name=abonent-bus')).length;
  await bus.close();
  await new Promise((r) => setTimeout(r, 50));
  const after = (await clients()).split('\n').filter((l) => l.includes('name=abonent-bus')).length;
  assert.is(countBefore - after, 2);
  bus.publish('feed', event(1)); // after close: ignored, not thrown
});

test.run();
