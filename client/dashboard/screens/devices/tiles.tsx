import { For, type JSX } from 'solid-js';
import { deviceCounts, devicesError, devicesLoaded, useDevices } from '../../devices.ts';
import type { Key } from '../../i18n/dict.ts';
import { count, t } from '../../i18n/i18n.ts';
import { href } from '../../router.ts';
import { errorText } from '../../ui/errors.ts';
import './devices.css';

// The routers on the home screen, as tiles of the KPI grid: how many are online, offline and
// refusing our password, and how many commands they still owe. Counted from the same live
// rows as the devices screen, so they change the moment a router does; each tile opens the
// devices screen.

interface Tile {
  field: 'online' | 'offline' | 'auth_failed' | 'pending';
  label: Key;
  testId: string;
  /** The tile's edge when the figure is not zero: a router away or commands owed need eyes. */
  tone: 'ok' | 'alert' | 'muted';
}

const TILES: Tile[] = [
  { field: 'online', label: 'kpi.devices_online', testId: 'kpi-devices-online', tone: 'ok' },
  { field: 'offline', label: 'kpi.devices_offline', testId: 'kpi-devices-offline', tone: 'alert' },
  {
    field: 'auth_failed',
    label: 'kpi.devices_auth_failed',
    testId: 'kpi-devices-auth-failed',
    tone: 'alert',
  },
  { field: 'pending', label: 'kpi.devices_pending', testId: 'kpi-devices-pending', tone: 'muted' },
];

/** `<li>` tiles, for inside a `ul.tiles`. */
export function DeviceTiles(): JSX.Element {
  useDevices();
  const value = (tile: Tile) => (devicesLoaded() ? deviceCounts()[tile.field] : null);
  const tone = (tile: Tile) => {
    const v = value(tile) ?? 0;
    if (tile.tone === 'ok') return v > 0 ? 'tile-ok' : 'tile-muted';
    return v > 0 ? (tile.tone === 'alert' ? 'tile-alert' : '') : 'tile-muted';
  };
  return (
    <For each={TILES}>
      {(tile) => (
        <li class={`tile ${tone(tile)}`} data-testid={tile.testId}>
          <a class="tile-link" href={href.devices}>
            <span class="tile-label">{t(tile.label)}</span>
            <span
              class="tile-value"
              data-testid={`${tile.testId}-value`}
              title={devicesError() && !devicesLoaded() ? errorText(devicesError()) : undefined}
            >
              {value(tile) === null ? (devicesError() ? t('app.none') : '…') : count(value(tile)!)}
            </span>
          </a>
        </li>
      )}
    </For>
  );
}
