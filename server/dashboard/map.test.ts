import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MapView } from '../../protocol/map.ts';
import { type StaffApi, startStaffApi } from '../staff/testing/harness.ts';

// GET /api/v1/map: the subscribers the map can place (an address with coordinates), each with
// its first account for the link to the card, kept current as addresses change and accounts
// are opened or blocked; and the tile server the operator configured.

interface Ctx {
  api: StaffApi;
}

const test = suite<Ctx>('map', {} as Ctx);
const TILES = 'http://tiles.example.net/{z}/{x}/{y}.png';

test.before(async (ctx) => {
  ctx.api = await startStaffApi({ env: { MAP_TILE_URL: TILES, MAP_TILE_ATTRIBUTION: 'Tiles: ISP' } });
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

async function subscriber(ctx: Ctx, name: string, address: Record<string, unknown>): Promise<string> {
  const r = await ctx.api.call('POST', '/api/v1/subscribers', {
    token: 'bootstrap',
    body: { type: 'person', name, address },
  });
  assert.is(r.status, 201, r.text);
  return String(r.body.id);
}

async function map(ctx: Ctx, token: string | null): Promise<{ status: number; body: MapView }> {
  return ctx.api.call<MapView>('GET', '/api/v1/map', { token });
}

test('needs a login and names its permission', async (ctx) => {
  const r = await map(ctx, null);
  assert.is(r.status, 401);
  const doc = await ctx.api.call<{ paths: Record<string, { get: Record<string, unknown> }> }>(
    'GET',
    '/api/v1/openapi.json',
  );
  assert.is(doc.body.paths['/api/v1/map']!.get['x-permission'], 'subscribers.read');
});

test('subscribers with coordinates, each with its first account; the configured tiles', async (ctx) => {
  await ctx.api.createUser('map-cashier', ['cashier']);
  const { accessToken } = await ctx.api.login('map-cashier');
  const placed = await subscriber(ctx, 'Ольга Иванова', { text: 'ул. Садовая, 3', lat: 55.75, lon: 37.61 });
  const unplaced = await subscriber(ctx, 'Пётр Сидоров', { text: 'ул. Полевая, 9' });
  const opened = await ctx.api.call('POST', '/api/v1/accounts', {
    token: 'bootstrap',
    body: { subscriberId: placed },
  });
  assert.is(opened.status, 201);
  const accountId = String(opened.body.id);

  const r = await map(ctx, accessToken);
  assert.is(r.status, 200);
  assert.equal(r.body.tiles, { url: TILES, attribution: 'Tiles: ISP' });
  assert.equal(r.body.subscribers, [
    {
      subscriberId: placed,
      name: 'Ольга Иванова',
      address: 'ул. Садовая, 3',
      lat: 55.75,
      lon: 37.61,
      accountId,
      status: 'active',
    },
  ]);
  assert.ok(!r.body.subscribers.some((s) => s.subscriberId === unplaced));

  // A blocked account shows at once, and so does a subscriber added since.
  const blocked = await ctx.api.call('POST', `/api/v1/accounts/${accountId}/block`, {
    token: 'bootstrap',
    body: { reason: 'ремонт линии' },
  });
  assert.is(blocked.status, 200, blocked.text);
  const later = await subscriber(ctx, 'Пётр Сидоров', { text: 'ул. Полевая, 9', lat: 55.7, lon: 37.5 });
  const after = await map(ctx, accessToken);
  const byId = new Map(after.body.subscribers.map((s) => [s.subscriberId, s]));
  assert.is(byId.get(placed)?.status, 'blocked');
  assert.equal(byId.get(later), {
    subscriberId: later,
    name: 'Пётр Сидоров',
    address: 'ул. Полевая, 9',
    lat: 55.7,
    lon: 37.5,
    accountId: null,
    status: null,
  });
});

test('after a restart the map is rebuilt from the journal', async (ctx) => {
  const before = (await map(ctx, 'bootstrap')).body.subscribers;
  assert.is(before.length, 2);
  const { dataDir } = ctx.api;
  await ctx.api.stop();
  ctx.api = await startStaffApi({ dataDir });
  const after = await map(ctx, 'bootstrap');
  assert.equal(
    after.body.subscribers.sort((a, b) => a.subscriberId.localeCompare(b.subscriberId)),
    before.sort((a, b) => a.subscriberId.localeCompare(b.subscriberId)),
  );
  assert.is(after.body.tiles.url, 'https://tile.openstreetmap.org/{z}/{x}/{y}.png');
});

test.run();
