import { createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { BillingRunProgress, Kpi } from '../../../live/types.ts';
import { get } from '../../api/http.ts';
import type { Key } from '../../i18n/dict.ts';
import { count, money, t } from '../../i18n/i18n.ts';
import { live, useResync, useRoom } from '../../live.ts';
import { can } from '../../session.ts';
import { ErrorState } from '../../ui/states.tsx';

// The KPI tiles. The server pushes the whole KPI object at most every 250 ms on the `kpi`
// room; it replaces what is shown (reconcile), so only the figures that changed re-render.
// A tile is data: later areas (devices, modems, licences) appear as soon as the server
// sends their counter, in the same grid.

interface TileSpec {
  field: string;
  label: Key;
  format: (n: number) => string;
  testId: string;
  tone?: 'alert';
  /** Only shown when the server sends the field: areas that are not there yet stay out. */
  optional?: boolean;
}

const TILES: TileSpec[] = [
  { field: 'activeAccounts', label: 'kpi.activeAccounts', format: count, testId: 'kpi-active-accounts' },
  {
    field: 'blockedAccounts',
    label: 'kpi.blockedAccounts',
    format: count,
    testId: 'kpi-blocked-accounts',
    tone: 'alert',
  },
  { field: 'paymentsToday', label: 'kpi.paymentsToday', format: money, testId: 'kpi-payments-today' },
  { field: 'chargesToday', label: 'kpi.chargesToday', format: money, testId: 'kpi-charges-today' },
  { field: 'devices', label: 'kpi.devices', format: count, testId: 'kpi-devices', optional: true },
  { field: 'modems', label: 'kpi.modems', format: count, testId: 'kpi-modems', optional: true },
  { field: 'licenses', label: 'kpi.licenses', format: count, testId: 'kpi-licenses', optional: true },
];

export function useKpi() {
  const [kpi, setKpi] = createStore<{ value: Kpi | null }>({ value: null });
  const [error, setError] = createSignal<unknown>();
  const [billing, setBilling] = createSignal<BillingRunProgress | null>(null);
  const load = async () => {
    try {
      const value = await get<Kpi>('/api/v1/kpi');
      setKpi('value', reconcile(value));
      setBilling(value.billingRun ?? null);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  const joined = useRoom('kpi');
  // The run's own progress frames are finer than the KPI's; not every role may follow them.
  if (can('billing.read')) useRoom('billing');
  onCleanup(
    live.onKpi((value) => {
      setKpi('value', reconcile(value));
      setBilling(value.billingRun ?? null);
      setError(undefined);
    }),
  );
  onCleanup(live.onBilling((progress) => setBilling(progress)));
  onMount(() => {
    // After the join, so nothing between the snapshot and the first push is missed.
    void joined.then(load);
  });
  useResync(load);
  return {
    kpi: () => kpi.value,
    error,
    billing,
    reload: load,
  };
}

export function KpiTiles(props: {
  kpi: Kpi | null;
  error: unknown;
  onRetry: () => void;
  /** More tiles of other areas (the routers), in the same grid. */
  extra?: JSX.Element;
}): JSX.Element {
  const value = (field: string) => {
    const v = props.kpi?.[field];
    return typeof v === 'number' ? v : null;
  };
  const shown = () => TILES.filter((tile) => !tile.optional || value(tile.field) !== null);
  return (
    <section aria-labelledby="kpi-title">
      <h2 id="kpi-title" class="sr-only">
        {t('home.kpi')}
      </h2>
      <Show when={props.error && !props.kpi}>
        <ErrorState error={props.error} title={t('kpi.unavailable')} onRetry={props.onRetry} />
      </Show>
      <ul class="tiles">
        <For each={shown()}>
          {(tile) => (
            <li
              class={`tile ${tile.tone === 'alert' && (value(tile.field) ?? 0) > 0 ? 'tile-alert' : ''}`}
              data-testid={tile.testId}
            >
              <span class="tile-label">{t(tile.label)}</span>
              <span class="tile-value" data-testid={`${tile.testId}-value`}>
                {value(tile.field) === null ? '…' : tile.format(value(tile.field)!)}
              </span>
            </li>
          )}
        </For>
        {props.extra}
      </ul>
    </section>
  );
}

export function BillingProgress(props: { progress: BillingRunProgress | null }): JSX.Element {
  const running = () => {
    const p = props.progress;
    return p && p.total > 0 && p.done < p.total ? p : null;
  };
  return (
    <Show when={running()}>
      {(p) => (
        <section class="billing" aria-labelledby="billing-title" data-testid="billing-progress">
          <h2 id="billing-title" class="billing-title">
            {t('billing.title')}
          </h2>
          <div
            class="progress"
            role="progressbar"
            aria-labelledby="billing-title"
            aria-valuemin={0}
            aria-valuemax={p().total}
            aria-valuenow={p().done}
            aria-valuetext={t('billing.progress', { done: count(p().done), total: count(p().total) })}
          >
            <div class="progress-bar" style={{ width: `${(100 * p().done) / p().total}%` }} />
          </div>
          <p class="billing-text">
            {t('billing.progress', { done: count(p().done), total: count(p().total) })}
          </p>
        </section>
      )}
    </Show>
  );
}
