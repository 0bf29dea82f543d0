import { batch, createEffect, createSignal, on, onCleanup, untrack } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { LiveEvent } from '../../../live/types.ts';
import { get } from '../../api/http.ts';
import type { DirectoryPage, DirectoryRow } from '../../api/types.ts';
import { applyAccountEvent } from '../../events.ts';
import { useEvents, useResync, useRoom } from '../../live.ts';
import { can } from '../../session.ts';
import { usePoll } from '../../ui/poll.ts';

// The data behind the 100,000-row table: pages of rows fetched by offset as they scroll into
// view, one store of rows keyed by account id, and an index → id list. Live account events
// are applied to loaded rows as path updates (the live module hands them over once per
// frame, inside batch); a page fetched again replaces its rows with reconcile.

export const PAGE = 100;
/** Events that change who is in the list, not just a figure: the visible pages are fetched again. */
const STRUCTURAL = new Set([
  'AccountOpened',
  'SubscriberRegistered',
  'SubscriberUpdated',
  'AccountAttached',
  'AccountDetached',
]);
const STRUCTURAL_REFRESH_MS = 2_000;

export type SortKey = 'id' | 'name' | 'balance' | 'status';

export interface DirectoryQuery {
  q: string;
  status: '' | 'active' | 'blocked' | 'closed';
  tariffId: string;
  /** Kopecks, or null for no filter. */
  balanceBelow: number | null;
  sort: SortKey;
  order: 'asc' | 'desc';
}

export interface Row extends DirectoryRow {
  /** The position of the last live event applied to this row (for the latency benchmark and debugging). */
  position?: number;
}

export function createDirectory(query: () => DirectoryQuery) {
  const [rows, setRows] = createStore<Record<string, Row>>({});
  const [total, setTotal] = createSignal<number | null>(null);
  const [error, setError] = createSignal<unknown>();
  const [version, setVersion] = createSignal(0);
  let ids: (string | undefined)[] = [];
  let pages = new Map<number, 'loading' | 'loaded'>();
  let generation = 0;
  let controller = new AbortController();
  let visible: [number, number] = [0, PAGE];
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;

  const params = (q: DirectoryQuery, offset: number) => ({
    q: q.q.trim() || undefined,
    status: q.status || undefined,
    tariffId: q.tariffId || undefined,
    balanceBelow: q.balanceBelow ?? undefined,
    sort: q.sort,
    order: q.order,
    offset,
    limit: PAGE,
  });

  async function loadPage(page: number, force = false): Promise<void> {
    if (!force && pages.has(page)) return;
    pages.set(page, 'loading');
    const gen = generation;
    const signal = controller.signal;
    try {
      const reply = await get<DirectoryPage>('/api/v1/directory/accounts', {
        query: params(untrack(query), page * PAGE),
        signal,
      });
      if (gen !== generation) return;
      batch(() => {
        reply.rows.forEach((row, i) => {
          ids[page * PAGE + i] = row.accountId;
          setRows(row.accountId, reconcile(row as Row));
        });
        if (reply.total < ids.length) ids.length = reply.total;
        setTotal(reply.total);
        setError(undefined);
        setVersion((v) => v + 1);
      });
      pages.set(page, 'loaded');
    } catch (err) {
      if (gen !== generation) return;
      pages.delete(page);
      if (signal.aborted) return;
      setError(err);
    }
  }

  function reset(): void {
    generation++;
    controller.abort();
    controller = new AbortController();
    ids = [];
    pages = new Map();
    batch(() => {
      setRows(reconcile({}));
      setTotal(null);
      setError(undefined);
      setVersion((v) => v + 1);
    });
    void loadPage(0);
  }

  createEffect(on(query, reset, { defer: false }));

  /** The rows on screen (plus overscan): their pages are fetched if they are not yet. */
  function showRange(start: number, end: number): void {
    visible = [start, end];
    for (let p = Math.floor(start / PAGE); p <= Math.floor(Math.max(start, end) / PAGE); p++)
      void loadPage(p);
  }

  /** Fetch the pages on screen again (after a reconnect, or when rows were added). */
  function refreshVisible(): void {
    const [start, end] = visible;
    for (let p = Math.floor(start / PAGE); p <= Math.floor(Math.max(start, end) / PAGE); p++) {
      if (pages.get(p) !== 'loading') void loadPage(p, true);
    }
    if (total() === null) void loadPage(0, true);
  }

  // Live changes come with the feed; a role that may not follow it (sales) sees them by polling.
  if (can('feed.read')) useRoom('feed');
  else usePoll(refreshVisible, 15_000);
  useEvents((events: LiveEvent[]) => {
    let structural = false;
    for (const live of events) {
      if (STRUCTURAL.has(live.event.type)) structural = true;
      if (live.kind !== 'account') continue;
      const row = untrack(() => rows[live.id]);
      if (!row) continue;
      const change = applyAccountEvent(row, live.event);
      if (change) setRows(live.id, { ...change, position: live.position });
    }
    if (structural && refreshTimer === undefined) {
      refreshTimer = setTimeout(() => {
        refreshTimer = undefined;
        refreshVisible();
      }, STRUCTURAL_REFRESH_MS);
    }
  });
  useResync(refreshVisible);
  onCleanup(() => {
    clearTimeout(refreshTimer);
    controller.abort();
  });

  return {
    rows,
    total,
    error,
    /** The account id at a row index, once its page is loaded. */
    idAt(index: number): string | undefined {
      version();
      return ids[index];
    },
    showRange,
    retry: refreshVisible,
  };
}
