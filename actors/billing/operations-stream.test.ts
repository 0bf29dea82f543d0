import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type RedisHandle, startRedis } from '../../scripts/lib/redis.ts';
import { type AccountCommand, type AccountEvent, accountKind } from '../account/account.ts';
import { openSqliteJournal } from '../journal/sqlite.ts';
import type { Journal } from '../journal/types.ts';
import { ManualClock } from '../runtime/clock.ts';
import type { Envelope } from '../runtime/envelope.ts';
import type { Cause } from '../runtime/kind.ts';
import { ActorSystem } from '../runtime/system.ts';
import { OPERATIONS_STREAM, OperationsStream } from './operations-stream.ts';

// The forwarder against a real redis-server (started here, with its data kept on disk so it
// can be stopped and started again like an outage) and a real actor system on SQLite.

const log = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 2, 10, 9, 30);
const api: Cause = { type: 'api', id: 'svc-storage' };
const MONEY = new Set(['Charged', 'Refunded', 'HoldConfirmed', 'TariffCharged', 'TariffCredited']);

interface Ctx {
  dir: string;
  redisDir: string;
  redis: RedisHandle;
  port: number;
  admin: Redis;
  journal: Journal;
  system: ActorSystem;
  clock: ManualClock;
  streams: OperationsStream[];
}

const test = suite<Ctx>('operations stream', {} as Ctx);

test.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'abonent-ops-stream-'));
  ctx.redisDir = join(ctx.dir, 'redis');
  mkdirSync(ctx.redisDir);
  ctx.redis = await startRedis({ dataDir: ctx.redisDir });
  ctx.port = ctx.redis.port;
  ctx.admin = new Redis(ctx.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  ctx.admin.on('error', () => {});
  ctx.clock = new ManualClock(T0);
  ctx.journal = await openSqliteJournal({ file: join(ctx.dir, 'journal.sqlite') });
  ctx.system = new ActorSystem({ journal: ctx.journal, log, clock: ctx.clock }).register(accountKind);
  await ctx.system.start();
  ctx.streams = [];
});

test.after(async (ctx) => {
  for (const s of ctx.streams) await s.stop();
  ctx.admin?.disconnect();
  await ctx.system?.stop();
  await ctx.journal?.close();
  await ctx.redis?.stop();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const send = (ctx: Ctx, id: string, command: AccountCommand) =>
  ctx.system.ask(accountKind, id, command, { cause: api }) as Promise<Record<string, unknown>>;

function forwarder(ctx: Ctx): OperationsStream {
  const s = new OperationsStream({
    journal: ctx.journal,
    system: ctx.system,
    redisUrl: `redis://127.0.0.1:${ctx.port}`,
    log,
  });
  ctx.streams.push(s);
  return s;
}

async function stopForwarder(ctx: Ctx, s: OperationsStream): Promise<void> {
  await s.stop();
  ctx.streams.splice(ctx.streams.indexOf(s), 1);
}

/** Journal positions of every charge and refund, in order. */
async function moneyPositions(ctx: Ctx): Promise<number[]> {
  const all = await ctx.journal.readAll<Envelope<AccountEvent>>(0, 100_000);
  return all.filter((s) => MONEY.has(s.data.event.type)).map((s) => s.position);
}

async function entries(ctx: Ctx): Promise<[string, Record<string, string>][]> {
  const raw = (await ctx.admin.xrange(OPERATIONS_STREAM, '-', '+')) as [string, string[]][];
  return raw.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return [id, fields];
  });
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every charge and refund of the journal is in the stream once, in order, under its position. */
async function streamMatchesJournal(ctx: Ctx): Promise<boolean> {
  const ids = (await entries(ctx)).map(([id]) => id);
  const want = (await moneyPositions(ctx)).map((p) => `${p}-0`);
  return JSON.stringify(ids) === JSON.stringify(want);
}

test('charges, refunds, confirmed holds and tariff charges and credits reach the stream once, with their fields', async (ctx) => {
  await ctx.admin.connect();
  await send(ctx, 'A', { type: 'Open', subscriberId: null });
  await send(ctx, 'A', { type: 'TopUp', amount: 100_000, source: 'cash', reference: 'r1' });
  const charge = await send(ctx, 'A', { type: 'Charge', amount: 1500, product: 'storage-100gb' });
  const refund = await send(ctx, 'A', {
    type: 'Refund',
    chargeId: charge.chargeId as string,
    amount: 500,
    reason: 'outage',
  });
  const hold = await send(ctx, 'A', { type: 'PlaceHold', amount: 700, ttlSeconds: 60, product: 'license' });
  await send(ctx, 'A', { type: 'ConfirmHold', holdId: hold.holdId as string, amount: 600 });
  const hourly = { tariffId: 'hour', name: 'Hour', billing: 'hourly' as const, pricePerMonth: 74_400 };
  await send(ctx, 'A', { type: 'AssignTariff', tariff: hourly });
  ctx.clock.advance(60_000);
  await send(ctx, 'A', { type: 'AssignTariff', tariff: null });

  const s = forwarder(ctx);
  await s.start();
  assert.ok(await streamMatchesJournal(ctx));
  const got = await entries(ctx);
  assert.equal(
    got.map(([, f]) => f.kind),
    ['charge', 'refund', 'hold_confirm', 'tariff_charge', 'tariff_credit'],
  );
  const [id, fields] = got[0]!;
  const position = Number(id.split('-')[0]);
  assert.equal(fields, {
    accountId: 'A',
    kind: 'charge',
    amount: '1500',
    product: 'storage-100gb',
    chargeId: charge.chargeId as string,
    currency: 'RUB',
    at: String(T0),
    position: String(position),
    by: 'api:svc-storage',
  });
  assert.equal(got[1]![1], {
    accountId: 'A',
    kind: 'refund',
    amount: '500',
    product: 'storage-100gb',
    refundId: refund.refundId as string,
    chargeId: charge.chargeId as string,
    currency: 'RUB',
    at: String(T0),
    position: got[1]![0].split('-')[0]!,
    by: 'api:svc-storage',
  });
  assert.is(got[2]![1].holdId, hold.holdId);
  assert.is(got[2]![1].amount, '600');
  assert.is(got[3]![1].tariffId, 'hour');

  // Live: woken by the commit, it forwards without being asked.
  await send(ctx, 'A', { type: 'Charge', amount: 100, product: 'sms' });
  await until(() => streamMatchesJournal(ctx));
  assert.is(s.count, 6);
});

test('a restarted forwarder resumes after the last ID; two at once still write each operation once', async (ctx) => {
  const first = ctx.streams[0]!;
  await stopForwarder(ctx, first);
  await send(ctx, 'A', { type: 'Charge', amount: 200, product: 'sms' });
  const before = (await entries(ctx)).length;
  const again = forwarder(ctx);
  await again.start();
  assert.is(again.count, 1, 'only the charge made while it was stopped');
  assert.is((await entries(ctx)).length, before + 1);
  assert.ok(await streamMatchesJournal(ctx));

  // A second forwarder on the same journal (a crashed one restarting while the old lingers):
  // Redis refuses IDs it has, so nothing is doubled.
  const other = forwarder(ctx);
  await other.start();
  for (let i = 0; i < 20; i++) await send(ctx, 'A', { type: 'Charge', amount: 10 + i, product: 'sms' });
  await until(() => streamMatchesJournal(ctx));
  await again.idle();
  await other.idle();
  assert.ok(await streamMatchesJournal(ctx));
  await stopForwarder(ctx, other);
});

test('Redis down, then up again: what was charged meanwhile is forwarded, nothing twice', async (ctx) => {
  const s = ctx.streams[0]!;
  await ctx.redis.stop();
  await send(ctx, 'B', { type: 'Open', subscriberId: null });
  await send(ctx, 'B', { type: 'TopUp', amount: 10_000, source: 'cash', reference: 'b1' });
  for (let i = 0; i < 5; i++) await send(ctx, 'B', { type: 'Charge', amount: 100 + i, product: 'vps' });
  await new Promise((r) => setTimeout(r, 300));
  ctx.redis = await startRedis({ port: ctx.port, dataDir: ctx.redisDir });
  await until(() => streamMatchesJournal(ctx).catch(() => false));
  await s.idle();
  const forB = (await entries(ctx)).filter(([, f]) => f.accountId === 'B');
  assert.is(forB.length, 5);
  assert.equal(
    forB.map(([, f]) => f.amount),
    ['100', '101', '102', '103', '104'],
  );
});

test('Redis back with less than was sent (an older dump, or none): the forwarder asks again and fills the gap', async (ctx) => {
  const s = ctx.streams[0]!;
  await ctx.redis.stop();
  rmSync(ctx.redisDir, { recursive: true, force: true });
  mkdirSync(ctx.redisDir);
  ctx.redis = await startRedis({ port: ctx.port, dataDir: ctx.redisDir });
  await send(ctx, 'B', { type: 'Charge', amount: 999, product: 'vps' });
  await until(() => streamMatchesJournal(ctx).catch(() => false));
  await s.idle();
  assert.is((await entries(ctx)).length, (await moneyPositions(ctx)).length);
});

test.run();
