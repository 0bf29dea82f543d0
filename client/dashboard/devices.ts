import { createRoot, createSignal } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { DeviceFrame, DeviceView } from '../../protocol/network.ts';
import { get } from './api/http.ts';
import { live, useRoom } from './live.ts';
import { can } from './session.ts';

// The routers, shared by the devices screen and the home tiles: fetched once, then kept by
// the `device` frames of the room `devices` (a router's whole row each time it changes), so
// the list and the tiles change without a reload. The snapshot is fetched after joining, and
// frames that came while it was on the way are applied again after it (a frame is never older
// than the change it tells of, and a later change sends another frame).

export type DeviceStatus = DeviceView['status'];
export type DeviceRow = Omit<DeviceView, 'pending'> & { pending?: DeviceView['pending'] };

const state = createRoot(() => {
  const [store, setStore] = createStore<{ rows: Record<string, DeviceRow> }>({ rows: {} });
  const [loaded, setLoaded] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  return { store, setStore, loaded, setLoaded, error, setError };
});

let inflight: Promise<void> | null = null;
/** Frames that came while a snapshot was on the way; null while none is. */
let during: DeviceFrame[] | null = null;

function apply(frames: DeviceFrame[]): void {
  for (const frame of frames) {
    if ('removed' in frame) state.setStore('rows', frame.id, undefined!);
    else state.setStore('rows', frame.id, reconcile(frame as DeviceRow));
  }
}

live.onDevices((frames) => {
  if (during) during.push(...frames);
  // Frames before the first snapshot are left to it; frames of one router's own room still count.
  if (state.loaded()) apply(frames);
});

export function loadDevices(): Promise<void> {
  if (!can('devices.read')) return Promise.resolve();
  if (inflight) return inflight;
  during = [];
  inflight = get<{ items: DeviceView[] }>('/api/v1/devices')
    .then(
      (reply) => {
        const rows: Record<string, DeviceRow> = {};
        for (const item of reply.items) rows[item.id] = item;
        state.setStore('rows', reconcile(rows));
        state.setLoaded(true);
        state.setError(undefined);
        apply(during ?? []);
      },
      (err: unknown) => {
        state.setError(err);
      },
    )
    .finally(() => {
      inflight = null;
      during = null;
    });
  return inflight;
}

live.onResync(() => {
  if (state.loaded()) void loadDevices();
});

/** Follows the routers while the calling component lives: joins `devices`, then loads. */
export function useDevices(): void {
  const joined = useRoom('devices');
  void joined.then(() => loadDevices());
}

/** One router's own room (its events and rows) while the calling component lives. */
export function useDeviceRoom(id: string): Promise<boolean> {
  return useRoom(`device:${id}`);
}

export const devicesLoaded = () => state.loaded();
export const devicesError = () => state.error();

/** By number: D2 before D10. */
export function deviceList(): DeviceRow[] {
  return Object.values(state.store.rows)
    .filter((r): r is DeviceRow => r !== undefined)
    .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

export function deviceRow(id: string): DeviceRow | undefined {
  return state.store.rows[id];
}

/** Put what a form's reply says at once, before its frame comes. */
export function putDevice(view: DeviceView): void {
  apply([view]);
}

export function dropDevice(id: string): void {
  apply([{ id, removed: true }]);
}

export interface DeviceCounts {
  online: number;
  offline: number;
  auth_failed: number;
  pending: number;
  total: number;
}

export function deviceCounts(): DeviceCounts {
  const out: DeviceCounts = { online: 0, offline: 0, auth_failed: 0, pending: 0, total: 0 };
  for (const row of deviceList()) {
    out[row.status]++;
    out.pending += row.pendingCommands;
    out.total++;
  }
  return out;
}

/** Forget everything on logout: the next user may not see routers at all. */
export function resetDevices(): void {
  state.setStore('rows', reconcile({}));
  state.setLoaded(false);
  state.setError(undefined);
}
