import { createRoot, createSignal } from 'solid-js';
import type { TariffView } from '../../protocol/money.ts';
import { get } from './api/http.ts';
import { live } from './live.ts';
import { can } from './session.ts';

// The tariff catalog, shared by every screen that names tariffs (the table, its filter, the
// account card, the tariffs screen). Fetched once, and again whenever the catalog changes:
// its events come through the live connection like any other.

/** The catalog actor's kind (actors/tariff/catalog.ts), as the feed names it. */
const CATALOG_KINDS = new Set(['tariffs']);
const REFRESH_MS = 500;

const state = createRoot(() => {
  const [list, setList] = createSignal<TariffView[] | null>(null);
  const [error, setError] = createSignal<unknown>();
  return { list, setList, error, setError };
});

let inflight: Promise<void> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

export function loadTariffs(): Promise<void> {
  if (!can('tariffs.read')) return Promise.resolve();
  inflight ??= get<{ items: TariffView[] }>('/api/v1/tariffs', { query: { archived: true } })
    .then(
      (reply) => {
        state.setList(reply.items);
        state.setError(undefined);
      },
      (error: unknown) => {
        state.setError(error);
      },
    )
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

live.onEvents((events) => {
  if (state.list() === null || !events.some((e) => CATALOG_KINDS.has(e.kind))) return;
  clearTimeout(timer);
  timer = setTimeout(() => void loadTariffs(), REFRESH_MS);
});
live.onResync(() => {
  if (state.list() !== null) void loadTariffs();
});

export function tariffs(): TariffView[] | null {
  if (state.list() === null && !inflight && state.error() === undefined) void loadTariffs();
  return state.list();
}

export const tariffsError = () => state.error();

export function tariffName(id: string | null | undefined): string {
  if (!id) return '';
  return tariffs()?.find((t) => t.id === id)?.name ?? id;
}

/** Forget everything on logout: the next user may see other tariffs. */
export function resetTariffs(): void {
  state.setList(null);
  state.setError(undefined);
}
