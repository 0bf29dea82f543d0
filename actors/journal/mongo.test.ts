import { MongoClient } from 'mongodb';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { journalContract } from './journal.contract.ts';
import { openMongoJournal } from './mongo.ts';
import { JournalWriteError } from './types.ts';

// Runs against a real server (docker compose's `mongo`, a replica set so that
// w:'majority' means something) when MONGODB_URL is set, in a database of its own.

const url = process.env.MONGODB_URL;
const dbName = `abonent_test_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;

const SECOND_WRITER = 'a second writer on one database is detected, not silently merged';

if (!url) {
  console.log('MongoDB journal contract: SKIPPED — MONGODB_URL is not set');
  const unset = () => Promise.reject(new Error('MONGODB_URL is not set'));
  journalContract('mongodb', unset, { skip: true, breakStorage: unset }).run();
  const mongo = suite('journal: mongodb specifics');
  mongo.skip(SECOND_WRITER);
  mongo.run();
} else {
  const admin = new MongoClient(url);
  const db = admin.db(dbName);
  const contract = journalContract('mongodb', (observer) => openMongoJournal({ url, dbName, observer }), {
    // A validator every event fails: a real server-side refusal of the whole insertMany.
    breakStorage: async () => {
      await db.command({
        collMod: 'events',
        validator: { key: { $exists: false } },
        validationLevel: 'strict',
        validationAction: 'error',
      });
      return async () => {
        await db.command({ collMod: 'events', validator: {}, validationLevel: 'off' });
      };
    },
  });
  contract.after(async () => {
    await db.dropDatabase();
    await admin.close();
  });
  contract.run();

  const mongo = suite('journal: mongodb specifics');
  const own = `${dbName}_2`;
  mongo.after(async () => {
    const client = new MongoClient(url);
    await client.db(own).dropDatabase();
    await client.close();
  });

  mongo(SECOND_WRITER, async () => {
    const a = await openMongoJournal({ url, dbName: own });
    const b = await openMongoJournal({ url, dbName: own });
    try {
      await a.append({ key: 'account:1', events: [{ sequenceNumber: 1, data: 'a', createdAt: 1 }] });
      // b assigned positions from the same starting point, so its insert collides on `position`.
      const refused = await b
        .append({ key: 'account:2', events: [{ sequenceNumber: 1, data: 'b', createdAt: 1 }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.instance(refused, JournalWriteError);
      assert.equal(await a.events('account:2'), []);
      assert.is((await a.events('account:1')).length, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
  mongo.run();
}
