import { createSignal, type JSX, Show } from 'solid-js';
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
import { Listing } from '../../ui/listing.tsx';
import { useRowForm } from '../../ui/row-form.ts';
import { ScreenHead } from '../../ui/screen-head.tsx';
import { RowButton, Table } from '../../ui/table.tsx';
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
  const form = useRowForm<DeviceRow>();
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
          onClick: form.add,
        }}
      />
      <CheckOutcome outcome={outcome()} />
      <Listing
        items={devicesLoaded() ? deviceList() : undefined}
        error={devicesError()}
        errorTitle={t('dev.error')}
        onRetry={loadDevices}
        empty={
          <>
            {t('dev.empty')} {writable() ? t('dev.empty_write') : t('dev.empty_read')}
          </>
        }
      >
        {(items) => (
          <>
            <p class="found">{t('dev.count', { count: count(items().length) })}</p>
            <Table
              testId="devices"
              columns={[
                { label: t('dev.name') },
                { label: t('dev.host') },
                { label: t('dev.status') },
                { label: t('dev.identity') },
                { label: t('dev.uptime') },
                { label: t('dev.last_seen') },
                { label: t('dev.pending'), num: true },
                { label: t('dev.last_error') },
                { label: t('app.edit'), unseen: true },
              ]}
              rows={items()}
            >
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
                      <RowButton
                        label={busy() === row.id ? t('dev.checking') : t('dev.check')}
                        row={row.name}
                        disabled={busy() === row.id}
                        testId="device-check"
                        onClick={() => void check(row)}
                      />
                      <Show when={writable()}>
                        <RowButton
                          label={t('app.edit')}
                          row={row.name}
                          testId="device-edit"
                          onClick={() => form.change(row)}
                        />
                        <RowButton
                          label={t('dev.delete')}
                          row={row.name}
                          class="btn btn-small btn-danger-outline"
                          testId="device-delete"
                          onClick={() => setDeleting(row)}
                        />
                      </Show>
                    </div>
                  </td>
                </tr>
              )}
            </Table>
          </>
        )}
      </Listing>
      <Show when={form.open()}>{(open) => <DeviceDialog device={open().row} onClose={form.close} />}</Show>
      <Show when={deleting()}>
        {(row) => <DeleteDeviceDialog device={row()} onClose={() => setDeleting(null)} />}
      </Show>
    </div>
  );
}
