import { createResource, createSignal } from 'solid-js';
import { createStore } from 'solid-js/store';
import type { RequestStatus, RequestView } from '../../../../protocol/network.ts';
import type { StaffView } from '../../../../protocol/staff.ts';
import { get } from '../../api/http.ts';
import { t } from '../../i18n/i18n.ts';
import { useEvents, useResync, useRoom } from '../../live.ts';
import { can, user } from '../../session.ts';
import { newer } from './filters.ts';

// The board's data: every connection request, kept current live. The `requests` room brings
// each change of the board as an event naming the request; the request as it is now is then
// fetched (the events are the actor's own, the view is what the API answers), and a reply
// older than what is shown is dropped, so replies arriving out of order never step back.

export const STATUSES: RequestStatus[] = ['new', 'assigned', 'scheduled', 'connected', 'rejected'];
/** Where a request may go from each status, as actors/crm/requests.ts allows. */
export const MOVES: Record<RequestStatus, RequestStatus[]> = {
  new: ['assigned', 'rejected'],
  assigned: ['scheduled', 'rejected'],
  scheduled: ['connected', 'rejected'],
  connected: [],
  rejected: [],
};

export type Board = ReturnType<typeof useBoard>;

export function useBoard() {
  const [items, setItems] = createStore<Record<string, RequestView>>({});
  const [loaded, setLoaded] = createSignal(false);
  const [error, setError] = createSignal<unknown>();

  const put = (r: RequestView) => {
    if (newer(items[r.id], r)) setItems(r.id, r);
  };
  const load = async () => {
    try {
      const reply = await get<{ items: RequestView[] }>('/api/v1/requests');
      for (const r of reply.items) put(r);
      setError(undefined);
      setLoaded(true);
    } catch (err) {
      setError(err);
    }
  };
  const refresh = async (id: string) => {
    try {
      put(await get<RequestView>(`/api/v1/requests/${encodeURIComponent(id)}`));
    } catch {
      // The next event or resync fetches it again; the board keeps what it showed.
    }
  };

  void useRoom('requests');
  useEvents((events) => {
    const ids = new Set<string>();
    for (const e of events) {
      const requestId = (e.event as { requestId?: unknown }).requestId;
      if (e.kind === 'requests' && typeof requestId === 'string') ids.add(requestId);
    }
    for (const id of ids) void refresh(id);
  });
  useResync(() => void load());
  void load();

  return {
    /** Newest first, as the server lists them. */
    list: () => Object.values(items).sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id)),
    get: (id: string): RequestView | undefined => items[id],
    put,
    load,
    loaded,
    error,
  };
}

/** Staff names for assignees: the staff list when the role may read it, else at least oneself. */
export function useStaffNames() {
  const [staff] = createResource(
    () => can('staff.read'),
    () =>
      get<{ items: StaffView[] }>('/api/v1/staff')
        .then((r) => r.items)
        .catch(() => [] as StaffView[]),
  );
  const people = (): { id: string; username: string }[] => {
    const me = user();
    const list = (staff() ?? []).filter((s) => !s.disabled).map((s) => ({ id: s.id, username: s.username }));
    if (me && !list.some((s) => s.id === me.id)) list.unshift({ id: me.id, username: me.username });
    return list;
  };
  const name = (id: string | null): string => {
    if (id === null) return t('req.unassigned');
    return people().find((p) => p.id === id)?.username ?? id;
  };
  return { people, name };
}
