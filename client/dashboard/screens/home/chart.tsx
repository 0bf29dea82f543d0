import { createEffect, createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get } from '../../api/http.ts';
import type { HourlyPoint } from '../../api/types.ts';
import { locale, money, t } from '../../i18n/i18n.ts';
import { live, useResync } from '../../live.ts';
import { ErrorState, Loading } from '../../ui/states.tsx';

// Payments and charges per hour of today (uPlot bars). The figures are the server's: when
// the KPI moves, the day is fetched again, at most every few seconds, so the chart agrees
// with the tiles without re-deriving the server's rules about what counts as a payment.

const REFRESH_MS = 5_000;
const PAYMENTS = '#15803d';
const CHARGES = '#1d4ed8';

export function localDate(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function HourlyChart(): JSX.Element {
  const [hours, setHours] = createSignal<HourlyPoint[] | null>(null);
  const [error, setError] = createSignal<unknown>();
  let lastFetch = 0;
  let trailing: ReturnType<typeof setTimeout> | undefined;

  const load = async () => {
    lastFetch = Date.now();
    try {
      const reply = await get<{ hours: HourlyPoint[] }>('/api/v1/kpi/hourly', {
        query: { date: localDate() },
      });
      setHours(reply.hours);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  const soon = () => {
    if (trailing !== undefined) return;
    trailing = setTimeout(
      () => {
        trailing = undefined;
        void load();
      },
      Math.max(0, lastFetch + REFRESH_MS - Date.now()),
    );
  };
  onMount(() => void load());
  onCleanup(live.onKpi(soon));
  useResync(soon);
  onCleanup(() => clearTimeout(trailing));

  const total = () => (hours() ?? []).reduce((n, h) => n + h.payments + h.charges, 0);

  return (
    <section class="panel chart-panel" aria-labelledby="chart-title">
      <h2 id="chart-title">{t('chart.title')}</h2>
      <Show when={error() && !hours()}>
        <ErrorState error={error()} title={t('chart.error')} onRetry={load} />
      </Show>
      <Show when={!error() && !hours()}>
        <Loading />
      </Show>
      <Show when={hours()}>
        {(h) => (
          <>
            <Plot hours={h()} />
            <ul class="legend" aria-hidden="true">
              <li>
                <span class="swatch" style={{ background: PAYMENTS }} />
                {t('chart.payments')}
              </li>
              <li>
                <span class="swatch" style={{ background: CHARGES }} />
                {t('chart.charges')}
              </li>
            </ul>
            <Show when={total() === 0}>
              <p class="state state-empty chart-empty">{t('chart.empty')}</p>
            </Show>
            <HourlyTable hours={h()} />
          </>
        )}
      </Show>
    </section>
  );
}

function Plot(props: { hours: HourlyPoint[] }): JSX.Element {
  let box!: HTMLDivElement;
  let plot: uPlot | undefined;
  const data = (): uPlot.AlignedData => {
    const byHour = new Map(props.hours.map((h) => [h.hour, h]));
    const x = Array.from({ length: 24 }, (_, i) => i);
    return [
      x,
      x.map((i) => (byHour.get(i)?.payments ?? 0) / 100),
      x.map((i) => (byHour.get(i)?.charges ?? 0) / 100),
    ];
  };
  const build = () => {
    plot?.destroy();
    const bars = uPlot.paths.bars;
    const width = Math.max(280, box.clientWidth);
    plot = new uPlot(
      {
        width,
        height: 240,
        scales: { x: { time: false, range: [-0.5, 23.5] } },
        // Our own legend below says the same in the page's words and fonts.
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        axes: [
          { values: (_u, splits) => splits.map((v) => `${v}:00`), stroke: '#374151', grid: { show: false } },
          {
            values: (_u, splits) => splits.map((v) => money(Math.round(v * 100))),
            size: 90,
            stroke: '#374151',
            grid: { stroke: '#e5e7eb' },
          },
        ],
        series: [
          { label: t('chart.hour'), value: (_u, v) => (v == null ? '' : `${v}:00`) },
          {
            label: t('chart.payments'),
            stroke: PAYMENTS,
            fill: PAYMENTS,
            paths: bars?.({ size: [0.4, 24], align: -1 }),
            points: { show: false },
            value: (_u, v) => (v == null ? '' : money(Math.round(v * 100))),
          },
          {
            label: t('chart.charges'),
            stroke: CHARGES,
            fill: CHARGES,
            paths: bars?.({ size: [0.4, 24], align: 1 }),
            points: { show: false },
            value: (_u, v) => (v == null ? '' : money(Math.round(v * 100))),
          },
        ],
      },
      data(),
      box,
    );
  };
  onMount(() => {
    build();
    const observer = new ResizeObserver(() => {
      const width = Math.max(280, box.clientWidth);
      if (plot && Math.abs(plot.width - width) > 4) plot.setSize({ width, height: 240 });
    });
    observer.observe(box);
    onCleanup(() => {
      observer.disconnect();
      plot?.destroy();
    });
  });
  // Labels and number formats follow the language; the data alone is a cheap setData.
  createEffect((prev?: string) => {
    const l = locale();
    if (prev !== undefined && prev !== l) build();
    return l;
  });
  createEffect(() => {
    const d = data();
    plot?.setData(d);
  });
  return <div ref={box} class="chart" aria-hidden="true" />;
}

/** The same figures as a table, for screen readers (the canvas says nothing). */
function HourlyTable(props: { hours: HourlyPoint[] }): JSX.Element {
  return (
    <table class="sr-only">
      <caption>{t('chart.title')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('chart.hour')}</th>
          <th scope="col">{t('chart.payments')}</th>
          <th scope="col">{t('chart.charges')}</th>
        </tr>
      </thead>
      <tbody>
        <For each={props.hours.filter((h) => h.payments !== 0 || h.charges !== 0)}>
          {(h) => (
            <tr>
              <th scope="row">{`${h.hour}:00`}</th>
              <td>{money(h.payments)}</td>
              <td>{money(h.charges)}</td>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  );
}
