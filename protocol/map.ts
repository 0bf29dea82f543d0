import { type Static, Type } from '@sinclair/typebox';

// What the dashboard's map reads: where to get its tiles (configured on the server, see
// MAP_TILE_URL) and the subscribers whose address has coordinates. Connection requests carry
// their own coordinates in the board (protocol/network.ts RequestView).

export const MapTiles = Type.Object({
  url: Type.String({ description: 'a Leaflet tile URL template: {z}/{x}/{y}, optionally {s}' }),
  attribution: Type.String(),
});

export const MapSubscriber = Type.Object({
  subscriberId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  address: Type.String(),
  lat: Type.Number(),
  lon: Type.Number(),
  accountId: Type.Union([Type.String(), Type.Null()], { description: 'the first account, for its card' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('blocked'), Type.Literal('closed'), Type.Null()], {
    description: "that account's status",
  }),
});
export type MapSubscriber = Static<typeof MapSubscriber>;

export const MapView = Type.Object({ tiles: MapTiles, subscribers: Type.Array(MapSubscriber) });
export type MapView = Static<typeof MapView>;
