import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openSqliteJournal } from '../../actors/journal/sqlite.ts';
import type { Journal } from '../../actors/journal/types.ts';
import type { Envelope } from '../../actors/runtime/envelope.ts';
import type { Principal } from '../http/auth.ts';
import { readFeed } from './feed.ts';

// The feed's history over a real journal: only the kinds a principal may see, and without
// `after` the latest of those, however far back they lie behind kinds it may not see.

interface Ctx {
  dir: string;
  journal: Journal;
}

const test = suite<Ctx>('feed history', {} as Ctx);
const by = { type: 'system' as const, id: 'test' };
const staff = (...permissions: string[]): Principal => ({
  kind: 'staff',
  id: 'u1',
  permissions: new Set(permissions),
});

test.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'abonent-feed-'));
  ctx.journal = await openSqliteJournal({ file: join(ctx.dir, 'journal.sqlite') });
});

test.after(async (ctx) => {
  await ctx.journal.close();
  rmSync(ctx.dir, { recursive: true, force: true });
});

async function write(journal: Journal, key: string, types: string[]): Promise<void> {
  const last = (await journal.events(key)).length;
  await journal.append<Envelope>({
    key,
    events: types.map((type, i) => ({
      sequenceNumber: last + i + 1,
      data: { event: { type }, by, at: 1 },
      createdAt: 1,
    })),
  });
}

test('without `after`, the latest visible events even when newer ones of other kinds bury them', async ({
  journal,
}) => {
  // Seven subscriber events, then far more account events than a page, then one more subscriber event.
  await write(journal, 'subscriber:S1', ['SubscriberRegistered']);
  await write(
    journal,
    'subscriber:S2',
    Array.from({ length: 6 }, () => 'SubscriberUpdated'),
  );
  for (let n = 0; n < 30; n++)
    await write(
      journal,
      `account:${100_000 + n}`,
      Array.from({ length: 100 }, () => 'ToppedUp'),
    );
  await write(journal, 'subscriber:S1', ['SubscriberUpdated']);
  await write(journal, 'staff:u9', ['LoggedIn']);

  const subscribers = staff('subscribers.read');
  const latest = await readFeed(journal, subscribers, undefined, 5);
  assert.is(latest.length, 5, 'five subscriber events, not an empty page');
  assert.ok(latest.every((e) => e.kind === 'subscriber'));
  const positions = latest.map((e) => e.position);
  assert.equal(
    positions,
    [...positions].sort((a, b) => a - b),
    'oldest first',
  );
  assert.equal(
    latest.map((e) => `${e.id}:${e.sequenceNumber}`),
    ['S2:3', 'S2:4', 'S2:5', 'S2:6', 'S1:2'],
  );

  // Asking for more than there are gives all of them, and the staff event never shows.
  const all = await readFeed(journal, subscribers, undefined, 50);
  assert.is(all.length, 8);

  // A principal who sees the account events gets the newest of everything it may see.
  const both = await readFeed(journal, staff('subscribers.read', 'accounts.read'), undefined, 3);
  assert.equal(
    both.map((e) => e.kind),
    ['account', 'account', 'subscriber'],
  );
  assert.is(both[2]!.position, (await journal.lastPosition()) - 1);

  // Nothing visible at all: an empty page.
  assert.equal(await readFeed(journal, staff('devices.read'), undefined, 5), []);
});

test('with `after`, the visible events after it, oldest first, at most `limit`', async ({ journal }) => {
  const subscribers = staff('subscribers.read');
  const page = await readFeed(journal, subscribers, 0, 3);
  assert.equal(
    page.map((e) => `${e.id}:${e.sequenceNumber}`),
    ['S1:1', 'S2:1', 'S2:2'],
  );
  const next = await readFeed(journal, subscribers, page[2]!.position, 100);
  assert.is(next.length, 5);
});

test.run();
