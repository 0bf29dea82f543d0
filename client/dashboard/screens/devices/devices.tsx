import { createSignal, For, type JSX, Show } from 'solid-js';
import {
  type DeviceRow,
  deviceList,
  devicesError,
  devicesLoaded,
  loadDevices,
  useDevices,
} from '../../devices.ts';
import { count, t } from '../../i18n/i18n.ts';
import { href } from '../../router.ts';
import { can } from '../../session.ts';
import { ScreenHead } from '../../ui/screen-head.tsx';
import { Empty, ErrorState, Loading } from '../../ui/states.tsx';
import {
  CheckOutcome,
  DeleteDeviceDialog,
  DeviceDialog,
  DeviceStatusBadge,
  identityOf,
  lastSeen,
  useCheck,
} from './parts.tsx';

// The routers: every one with its status, identity and version, uptime, last contact, the
// commands it still owes and its last error, changing live as the `devices` room reports.
// Adding, changing and removing are for roles with devices.write; "check now" for anyone who
// may see the routers.

export function DevicesScreen(): JSX.Element {
  useDevices();
  const writable = () => can('devices.write');
  const [editing, setEditing] = createSignal<DeviceRow | 'new' | null>(null);
  const [deleting, setDeleting] = createSignal<DeviceRow | null>(null);
  const { busy, outcome, check } = useCheck();

  return (
    <div class="screen devices">
      <ScreenHead
        title={t('dev.title')}
        action={{
          label: t('dev.add'),
          testId: 'device-add',
          allowed: writable(),
          onClick: () => setEditing('new'),
        }}
      />
      <CheckOutcome outcome={outcome()} />
      <Show when={devicesError() && !devicesLoaded()}>
        <ErrorState error={devicesError()} title={t('dev.error')} onRetry={loadDevices} />
      </Show>
      <Show when={!devicesError() && !devicesLoaded()}>
        <Loading />
      </Show>
      <Show when={devicesLoaded()}>
        <Show
          when={deviceList().length > 0}
          fallback={
            <Empty>
              {t('dev.empty')} {writable() ? t('dev.empty_write') : t('dev.empty_read')}
            </Empty>
          }
        >
          <p class="found">{t('dev.count', { count: count(deviceList().length) })}</p>
          <div class="table-wrap">
            <table class="table" data-testid="devices">
              <thead>
                <tr>
                  <th scope="col">{t('dev.name')}</th>
                  <th scope="col">{t('dev.host')}</th>
                  <th scope="col">{t('dev.status')}</th>
                  <th scope="col">{t('dev.identity')}</th>
                  <th scope="col">{t('dev.uptime')}</th>
                  <th scope="col">{t('dev.last_seen')}</th>
                  <th scope="col" class="num">
                    {t('dev.pending')}
                  </th>
                  <th scope="col">{t('dev.last_error')}</th>
                  <th scope="col">
                    <span class="sr-only">{t('app.edit')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={deviceList()}>
                  {(row) => (
                    <tr data-testid={`device-row-${row.id}`} data-status={row.status}>
                      <th scope="row">
                        <a href={href.device(row.id)} aria-label={t('dev.open', { name: row.name })}>
                          {row.name}
                        </a>
                        <div class="dev-sub">{row.id}</div>
                      </th>
                      <td>
                        {row.host}:{row.port}
                      </td>
                      <td data-testid="device-status">
                        <DeviceStatusBadge status={row.status} />
                      </td>
                      <td>{identityOf(row)}</td>
                      <td>{row.uptime ?? t('app.none')}</td>
                      <td>{lastSeen(row.lastSeenAt)}</td>
                      <td class="num" data-testid="device-pending">
                        {count(row.pendingCommands)}
                      </td>
                      <td class="dev-error" data-testid="device-last-error">
                        {row.lastError ?? t('app.none')}
                      </td>
                      <td>
                        <div class="row-actions dev-actions">
                          <button
                            type="button"
                            class="btn btn-small"
                            disabled={busy() === row.id}
                            data-testid="device-check"
                            onClick={() => void check(row)}
                          >
                            {busy() === row.id ? t('dev.checking') : t('dev.check')}
                            <span class="sr-only"> {row.name}</span>
                          </button>
                          <Show when={writable()}>
                            <button
                              type="button"
                              class="btn btn-small"
                              data-testid="device-edit"
                              onClick={() => setEditing(row)}
                            >
                              {t('app.edit')}
                              <span class="sr-only"> {row.name}</span>
                            </button>
                            <button
                              type="button"
                              class="btn btn-small btn-danger-outline"
                              data-testid="device-delete"
                              onClick={() => setDeleting(row)}
                            >
                              {t('dev.delete')}
                              <span class="sr-only"> {row.name}</span>
                            </button>
                          </Show>
                        </div>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </Show>
      <Show when={editing()}>
        {(what) => (
          <DeviceDialog
            device={what() === 'new' ? null : (what() as DeviceRow)}
            onClose={() => setEditing(null)}
          />
        )}
      </Show>
      <Show when={deleting()}>
        {(row) => <DeleteDeviceDialog device={row()} onClose={() => setDeleting(null)} />}
      </Show>
    </div>
  );
}
