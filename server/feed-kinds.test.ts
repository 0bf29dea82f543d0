import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FEED_KINDS } from '../protocol/roles.ts';
import { startApi } from './http/routes/testing/api.ts';

// FEED_KINDS names actor kinds by the names their events carry. A key that names no kind the
// server runs shows nothing in the feed, silently (the tariff catalog's events once went
// missing that way): this holds the list to the kinds the server really registers.

test('every kind the live feed shows is a kind the server runs', async () => {
  const api = await startApi();
  try {
    const running = new Set(api.services.system.kindNames());
    for (const kind of Object.keys(FEED_KINDS))
      assert.ok(running.has(kind), `feed kind "${kind}" is not registered`);
  } finally {
    await api.dispose();
  }
});

test.run();
