import { batch, createSignal, onCleanup, onMount } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { AccountView } from '../../../../protocol/money.ts';
import type { LiveEvent } from '../../../live/types.ts';
import { get } from '../../api/http.ts';
import { applyAccountEvent } from '../../events.ts';
import { useEvents, useResync, useRoom } from '../../live.ts';

// One account, live. An event for it changes the figures on screen in the same frame it
// arrives (from the event's amount), and a fetch of the account follows shortly after, which
// makes everything exact again (holds, dues, the clamp of `available`).

const CONFIRM_AFTER_MS = 200;

export function useAccount(id: () => string) {
  const [account, setAccount] = createStore<{ value: AccountView | null }>({ value: null });
  const [error, setError] = createSignal<unknown>();
  const [lastEvent, setLastEvent] = createSignal<LiveEvent | null>(null);
  let confirm: ReturnType<typeof setTimeout> | undefined;

  const load = async () => {
    const wanted = id();
    try {
      const view = await get<AccountView>(`/api/v1/accounts/${encodeURIComponent(wanted)}`);
      if (wanted !== id()) return;
      batch(() => {
        setAccount('value', reconcile(view));
        setError(undefined);
      });
    } catch (err) {
      if (wanted === id()) setError(err);
    }
  };
  const confirmSoon = () => {
    if (confirm !== undefined) return;
    confirm = setTimeout(() => {
      confirm = undefined;
      void load();
    }, CONFIRM_AFTER_MS);
  };

  const joined = useRoom(`account:${id()}`);
  onMount(() => void joined.then(load));
  useEvents((events) => {
    const mine = events.filter((e) => e.kind === 'account' && e.id === id());
    if (mine.length === 0) return;
    const current = account.value;
    if (current) {
      let figures = {
        balance: current.balance,
        available: current.available,
        status: current.status,
        tariffId: current.tariffId ?? null,
      };
      for (const e of mine) figures = { ...figures, ...(applyAccountEvent(figures, e.event) ?? {}) };
      setAccount('value', {
        balance: figures.balance,
        available: figures.available,
        status: figures.status,
        tariffId: figures.tariffId ?? undefined,
      });
    }
    setLastEvent(mine[mine.length - 1]!);
    confirmSoon();
  });
  useResync(() => void load());
  onCleanup(() => clearTimeout(confirm));

  return {
    account: () => account.value,
    error,
    lastEvent,
    reload: load,
    /** A reply that carries the new figures (top-up, adjustment) shows them before the event comes. */
    patch(figures: Partial<AccountView>) {
      if (account.value) setAccount('value', figures);
      confirmSoon();
    },
  };
}
