import { type JSX, Show } from 'solid-js';
import { t } from '../../i18n/i18n.ts';
import { can } from '../../session.ts';
import { DeviceTiles } from '../devices/tiles.tsx';
import { HourlyChart } from './chart.tsx';
import { Feed } from './feed.tsx';
import { BillingProgress, KpiTiles, useKpi } from './kpi.tsx';

// What every role sees first: the figures of the day, a billing run while one runs, the
// live feed and the day's payments and charges per hour.

export function HomeScreen(): JSX.Element {
  return (
    <div class="screen home">
      <h1 tabindex="-1">{t('home.title')}</h1>
      <Show when={can('kpi.read')}>
        <Figures />
      </Show>
      {/* Roles that watch routers but not the money (implementation) still get the routers' tiles. */}
      <Show when={!can('kpi.read') && can('devices.read')}>
        <ul class="tiles" aria-label={t('home.kpi')}>
          <DeviceTiles />
        </ul>
      </Show>
      <div class="home-grid">
        <Show when={can('feed.read')}>
          <Feed />
        </Show>
        <Show when={can('kpi.read')}>
          <HourlyChart />
        </Show>
      </div>
    </div>
  );
}

function Figures(): JSX.Element {
  const { kpi, error, billing, reload } = useKpi();
  return (
    <>
      <KpiTiles
        kpi={kpi()}
        error={error()}
        onRetry={reload}
        extra={can('devices.read') ? <DeviceTiles /> : undefined}
      />
      <BillingProgress progress={billing()} />
    </>
  );
}
