import { MapView } from '../../protocol/map.ts';
import { needs } from '../../protocol/permissions.ts';
import { type Route, route } from '../http/route.ts';
import type { AccountDirectory } from './directory.ts';

// The map of the dashboard: subscribers by the coordinates of their address, from the account
// directory's projection, and the tile server to draw them on (MAP_TILE_URL). The tiles are
// the browser's business; a dashboard without internet still gets every point from here.

export interface MapRouteDeps {
  directory: AccountDirectory;
  tiles: { url: string; attribution: string };
}

export function mapRoutes({ directory, tiles }: MapRouteDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/map',
      summary: 'Subscribers with coordinates (each with its first account) and the tile server of the map',
      tags: ['dashboard'],
      auth: needs('subscribers.read'),
      responses: { 200: MapView },
      handler: () => ({ status: 200, body: { tiles, subscribers: directory.located() } }),
    }),
  ];
}
