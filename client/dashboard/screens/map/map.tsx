import L from 'leaflet';
import { ScreenHead } from '../../ui/screen-head.tsx';
import 'leaflet/dist/leaflet.css';
import {
  createEffect,
  createResource,
  createSignal,
  For,
  type JSX,
  onCleanup,
  onMount,
  Show,
} from 'solid-js';
import type { MapSubscriber, MapView } from '../../../../protocol/map.ts';
import type { RequestView } from '../../../../protocol/network.ts';
import { get } from '../../api/http.ts';
import { t } from '../../i18n/i18n.ts';
import { href } from '../../router.ts';
import { can } from '../../session.ts';
import { ErrorState, Loading } from '../../ui/states.tsx';
import { useBoard } from '../requests/data.ts';
import './map.css';

// Subscribers and open connection requests by their coordinates. The tiles come from the
// server's MAP_TILE_URL; when they cannot be loaded (no internet at the NOC, a tile server
// down) the points are drawn all the same, on a plain background, and the screen says so.
// Markers are vector shapes (no marker images to fetch): subscribers round, requests square.

const OPEN_REQUESTS = new Set(['new', 'assigned', 'scheduled']);

export function MapScreen(): JSX.Element {
  const [view, { refetch }] = createResource(() => get<MapView>('/api/v1/map'));
  const board = can('requests.read') ? useBoard() : null;
  const [tilesFailed, setTilesFailed] = createSignal(false);
  const requests = () =>
    (board?.list() ?? []).filter((r) => r.coordinates && OPEN_REQUESTS.has(r.status)) as (RequestView & {
      coordinates: { lat: number; lon: number };
    })[];
  let host!: HTMLDivElement;
  let map: L.Map | undefined;
  let layer: L.LayerGroup | undefined;
  let fitted = false;

  onMount(() => {
    map = L.map(host, { zoomControl: true, attributionControl: true }).setView([55.75, 37.62], 10);
    layer = L.layerGroup().addTo(map);
  });
  onCleanup(() => map?.remove());

  // The tile layer, once the server said which.
  createEffect(() => {
    const v = view();
    if (!v || !map) return;
    let loaded = 0;
    const tiles = L.tileLayer(v.tiles.url, { attribution: escapeHtml(v.tiles.attribution), maxZoom: 19 });
    tiles.on('tileload', () => {
      loaded++;
      setTilesFailed(false);
    });
    tiles.on('tileerror', () => {
      if (loaded === 0) setTilesFailed(true);
    });
    tiles.addTo(map);
    onCleanup(() => tiles.remove());
  });

  // The points, kept in step with subscribers and requests: a marker whose point did not
  // change stays as it is (an open popup stays open while the board changes elsewhere).
  const drawn = new Map<string, { layer: L.Layer; look: string }>();
  const place = (key: string, look: string, make: () => L.Layer, keep: Set<string>) => {
    keep.add(key);
    const had = drawn.get(key);
    if (had?.look === look) return;
    had?.layer.remove();
    const made = make();
    layer!.addLayer(made);
    drawn.set(key, { layer: made, look });
  };
  createEffect(() => {
    const v = view();
    const rs = requests();
    if (!v || !map || !layer) return;
    const keep = new Set<string>();
    const points: L.LatLngExpression[] = [];
    for (const s of v.subscribers) {
      const at: L.LatLngExpression = [s.lat, s.lon];
      points.push(at);
      place(
        `s:${s.subscriberId}`,
        JSON.stringify(s),
        () =>
          L.circleMarker(at, {
            radius: 8,
            color: '#ffffff',
            weight: 2,
            fillColor: s.status === 'blocked' ? '#b91c1c' : '#1d4ed8',
            fillOpacity: 1,
            className: `map-subscriber map-subscriber-${s.status ?? 'none'}`,
          })
            .bindPopup(() => subscriberPopup(s))
            .bindTooltip(s.name ?? s.subscriberId),
        keep,
      );
    }
    for (const r of rs) {
      const at: L.LatLngExpression = [r.coordinates.lat, r.coordinates.lon];
      points.push(at);
      place(
        `r:${r.id}`,
        JSON.stringify([r.coordinates, r.name, r.address, r.phone, r.status]),
        () =>
          L.marker(at, {
            icon: L.divIcon({
              className: 'map-request',
              html: '<span aria-hidden="true">R</span>',
              iconSize: [18, 18],
            }),
            title: `${r.id}: ${r.name}`,
            alt: `${t('map.request')} ${r.id}`,
            keyboard: true,
          }).bindPopup(() => requestPopup(r)),
        keep,
      );
    }
    for (const [key, d] of drawn) {
      if (keep.has(key)) continue;
      d.layer.remove();
      drawn.delete(key);
    }
    // Framed once, when both kinds of points are in: later changes keep the person's view.
    if (!fitted && points.length > 0 && (!board || board.loaded())) {
      fitted = true;
      map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom: 15 });
    }
  });

  return (
    <div class="screen map-screen">
      <ScreenHead title={t('map.title')} />
      <Show when={view.error}>
        <ErrorState error={view.error} title={t('map.error')} onRetry={() => void refetch()} />
      </Show>
      <Show when={view.loading && !view()}>
        <Loading />
      </Show>
      <Show when={tilesFailed()}>
        <p class="state map-tiles-failed" role="status" data-testid="map-tiles-failed">
          {t('map.tiles_failed')}
        </p>
      </Show>
      <Show when={view()}>
        {(v) => (
          <p class="map-counts" data-testid="map-counts">
            {v().subscribers.length + requests().length === 0
              ? t('map.empty')
              : t('map.counts', { subscribers: v().subscribers.length, requests: requests().length })}
          </p>
        )}
      </Show>
      <ul class="map-legend" aria-label={t('map.legend')}>
        <li>
          <span class="map-key map-key-subscriber" aria-hidden="true" /> {t('map.subscriber')}
        </li>
        <li>
          <span class="map-key map-key-blocked" aria-hidden="true" /> {t('map.subscriber_blocked')}
        </li>
        <li>
          <span class="map-key map-key-request" aria-hidden="true" /> {t('map.request')}
        </li>
      </ul>
      <div ref={host} class="map-host" data-testid="map" />
      <Show when={view()}>
        {(v) => (
          <details class="map-list">
            {/* The same points for the keyboard and screen readers: the markers are drawings. */}
            <summary>{t('map.list')}</summary>
            <ul>
              <For each={v().subscribers}>
                {(s) => (
                  <li>
                    {s.name ?? s.subscriberId}, {s.address}:{' '}
                    {s.accountId ? (
                      <a href={href.account(s.accountId)}>{t('map.open_account', { id: s.accountId })}</a>
                    ) : (
                      t('map.no_account')
                    )}
                  </li>
                )}
              </For>
              <For each={requests()}>
                {(r) => (
                  <li>
                    {t('map.request')} {r.id}, {r.name}, {r.address}:{' '}
                    <a href={href.request(r.id)}>{t('map.open_request', { id: r.id })}</a>
                  </li>
                )}
              </For>
            </ul>
          </details>
        )}
      </Show>
    </div>
  );
}

function link(to: string, text: string, testId: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = to;
  a.textContent = text;
  a.dataset.testid = testId;
  return a;
}

function popup(title: string, lines: string[], action: HTMLElement | string): HTMLElement {
  const box = document.createElement('div');
  const strong = document.createElement('strong');
  strong.textContent = title;
  box.append(strong);
  for (const line of lines) {
    const p = document.createElement('div');
    p.textContent = line;
    box.append(p);
  }
  const foot = document.createElement('div');
  foot.append(action);
  box.append(foot);
  return box;
}

function subscriberPopup(s: MapSubscriber): HTMLElement {
  return popup(
    s.name ?? s.subscriberId,
    [s.address],
    s.accountId
      ? link(href.account(s.accountId), t('map.open_account', { id: s.accountId }), 'popup-account')
      : t('map.no_account'),
  );
}

function requestPopup(r: RequestView): HTMLElement {
  return popup(
    `${r.id}: ${r.name}`,
    [r.address, r.phone, t(`req.status.${r.status}`)],
    link(href.request(r.id), t('map.open_request', { id: r.id }), 'popup-request'),
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
