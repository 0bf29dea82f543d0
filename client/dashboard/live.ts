import { batch, createSignal, onCleanup } from 'solid-js';
import { LiveConnection } from '../live/connection.ts';
import type { LiveEvent, LiveStatus } from '../live/types.ts';
import { get } from './api/http.ts';
import { token } from './session.ts';

// The dashboard's one live connection and the helpers screens use to follow it. Deliveries
// run inside Solid's batch(), so a frame's worth of events is one render.

export const live = new LiveConnection({
  token,
  fetchFeed: async (after, limit) =>
    (await get<{ items: LiveEvent[] }>('/api/v1/feed', { query: { after, limit } })).items,
  deliver: batch,
});

const [status, setStatus] = createSignal<LiveStatus>('offline');
export const liveStatus = status;
live.onStatus(setStatus);

/** Joins `room` while the calling component lives; resolves once joined. */
export function useRoom(room: string): Promise<boolean> {
  const membership = live.join(room);
  onCleanup(membership.release);
  return membership.ready;
}

export function useEvents(listener: (events: LiveEvent[]) => void): void {
  onCleanup(live.onEvents(listener));
}

export function useResync(listener: () => void): void {
  onCleanup(live.onResync(listener));
}
