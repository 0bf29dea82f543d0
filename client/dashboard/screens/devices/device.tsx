import { createSignal, For, type JSX, onMount, Show } from 'solid-js';
import type { DeviceView } from '../../../../protocol/network.ts';
import type { LiveEvent } from '../../../live/types.ts';
import { ApiFailure, get } from '../../api/http.ts';
import { deviceRow, putDevice, useDeviceRoom, useDevices } from '../../devices.ts';
import { describe } from '../../events.ts';
import type { Key } from '../../i18n/dict.ts';
import { count, dateTime, t, time } from '../../i18n/i18n.ts';
import { useEvents, useResync } from '../../live.ts';
import { href, navigate } from '../../router.ts';
import { can } from '../../session.ts';
import { Empty, ErrorState, Loading } from '../../ui/states.tsx';
import { Table } from '../../ui/table.tsx';
import {
  CheckOutcome,
  DeleteDeviceDialog,
  DeviceDialog,
  DeviceStatusBadge,
  identityOf,
  lastSeen,
  useCheck,
} from './parts.tsx';

// One router: how it is reached, how it stands, the commands it still owes (each with its
// tries and last error) and the last things that went wrong, all live: its row comes with the
// `devices` room, its events with its own room `device:<id>`.

const ACTIVITY = 30;

export function DeviceScreen(props: { id: string }): JSX.Element {
  useDevices();
  void useDeviceRoom(props.id);
  const [missing, setMissing] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [editing, setEditing] = createSignal(false);
  const [deleting, setDeleting] = createSignal(false);
  const [activity, setActivity] = createSignal<LiveEvent[]>([]);
  const { busy, outcome, check } = useCheck();
  const row = () => deviceRow(props.id);
  const writable = () => can('devices.write');

  // The full view (every pending command); the live rows list the oldest ones.
  const load = async () => {
    try {
      putDevice(await get<DeviceView>(`/api/v1/devices/${encodeURIComponent(props.id)}`));
      setMissing(false);
      setError(undefined);
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404) setMissing(true);
      else setError(err);
    }
  };
  onMount(() => void load());
  useResync(() => void load());
  useEvents((events) => {
    const mine = events.filter((e) => e.kind === 'device' && e.id === props.id);
    if (mine.length > 0) setActivity((a) => [...mine.reverse(), ...a].slice(0, ACTIVITY));
  });

  return (
    <div class="screen device">
      <p>
        <a href={href.devices}>← {t('dev.back')}</a>
      </p>
      <Show when={!row()}>
        <h1 tabindex="-1">{props.id}</h1>
        <Show when={missing()} fallback={error() ? null : <Loading />}>
          <Empty>{t('dev.not_found')}</Empty>
        </Show>
        <Show when={error()}>
          <ErrorState error={error()} title={t('dev.error')} onRetry={() => void load()} />
        </Show>
      </Show>
      <Show when={row()}>
        {(r) => (
          <>
            <div class="card-head">
              <div>
                <h1 tabindex="-1" data-testid="device-title">
                  {r().name}
                </h1>
                <p class="dev-sub">
                  {r().id} · {r().host}:{r().port}
                </p>
              </div>
              <div class="actions">
                <span data-testid="device-status">
                  <DeviceStatusBadge status={r().status} />
                </span>
                <button
                  type="button"
                  class="btn"
                  disabled={busy() !== null}
                  data-testid="device-check"
                  onClick={() => void check(r())}
                >
                  {busy() ? t('dev.checking') : t('dev.check')}
                </button>
                <Show when={writable()}>
                  <button
                    type="button"
                    class="btn"
                    data-testid="device-edit"
                    onClick={() => setEditing(true)}
                  >
                    {t('app.edit')}
                  </button>
                  <button
                    type="button"
                    class="btn btn-danger-outline"
                    data-testid="device-delete"
                    onClick={() => setDeleting(true)}
                  >
                    {t('dev.delete')}
                  </button>
                </Show>
              </div>
            </div>
            <CheckOutcome outcome={outcome()} />
            <Show when={r().lastError}>
              <p class="notice notice-alert" data-testid="device-last-error">
                <strong>{t('dev.last_error')}:</strong> {r().lastError}
              </p>
            </Show>

            <section class="panel" aria-labelledby="dev-state">
              <h2 id="dev-state">{t('dev.status')}</h2>
              <dl class="dev-facts">
                <Fact label={t('dev.identity')}>{identityOf(r())}</Fact>
                <Fact label={t('dev.uptime')}>{r().uptime ?? t('app.none')}</Fact>
                <Fact label={t('dev.last_seen')}>{lastSeen(r().lastSeenAt)}</Fact>
                <Fact label={t('dev.pending')}>
                  <span data-testid="device-pending">{count(r().pendingCommands)}</span>
                </Fact>
                <Fact label={t('dev.services')}>{count(r().services)}</Fact>
                <Fact label={t('dev.reconciled')}>
                  {r().reconciledAt ? dateTime(r().reconciledAt!) : t('app.none')}
                </Fact>
                <Show when={r().nextConnectAt}>
                  {(at) => <Fact label={t('dev.next_connect')}>{time(at())}</Fact>}
                </Show>
                <Fact label={t('dev.last_check')}>
                  {r().lastCheck
                    ? `${dateTime(r().lastCheck!.at)} — ${
                        r().lastCheck!.report.ok
                          ? t('dev.check_passed')
                          : `${r().lastCheck!.report.failed?.stage ?? ''}: ${r().lastCheck!.report.failed?.message ?? ''}`
                      }`
                    : t('app.none')}
                </Fact>
              </dl>
            </section>

            <div class="dev-page-grid">
              <section class="panel" aria-labelledby="dev-pending">
                <h2 id="dev-pending">{t('dev.pending_title')}</h2>
                <PendingTable row={r()} />
              </section>
              <section class="panel" aria-labelledby="dev-errors">
                <h2 id="dev-errors">{t('dev.errors_title')}</h2>
                <p class="dev-sub">{t('dev.errors_note')}</p>
                <Show when={r().recentErrors.length > 0} fallback={<Empty>{t('dev.errors_empty')}</Empty>}>
                  <Table
                    testId="device-errors"
                    columns={[
                      { label: t('dev.when') },
                      { label: t('dev.what') },
                      { label: t('dev.message') },
                    ]}
                    rows={r().recentErrors}
                  >
                    {(e) => (
                      <tr>
                        <td>{dateTime(e.at)}</td>
                        <td>{t(`dev.what.${e.what}` as Key)}</td>
                        <td class="dev-error">{e.message}</td>
                      </tr>
                    )}
                  </Table>
                </Show>
                <Show when={activity().length > 0}>
                  <h3>{t('feed.title')}</h3>
                  <ul class="feed" data-testid="device-activity">
                    <For each={activity()}>
                      {(e) => (
                        <li class="feed-item">
                          <span class="feed-time">{time(e.at)}</span>
                          <span class="feed-text">{describe(e).text}</span>
                        </li>
                      )}
                    </For>
                  </ul>
                </Show>
              </section>
            </div>

            <section class="panel" aria-labelledby="dev-settings">
              <h2 id="dev-settings">{t('dev.settings')}</h2>
              <dl class="dev-facts">
                <Fact label={t('dev.host')}>
                  {r().host}:{r().port}
                </Fact>
                <Fact label={t('dev.username')}>{r().username}</Fact>
                <Fact label={t('dev.driver')}>{t(`dev.driver.${r().driver}` as Key)}</Fact>
                <Fact label={t('dev.tls')}>{r().tls ? t('app.yes') : t('app.no')}</Fact>
                <Fact label={t('dev.block_mode')}>{t(`dev.block_mode.${r().blockMode}` as Key)}</Fact>
                <Fact label={t('dev.block_list')}>{r().blockList}</Fact>
              </dl>
            </section>

            <Show when={editing()}>
              <DeviceDialog device={r()} onClose={() => setEditing(false)} />
            </Show>
            <Show when={deleting()}>
              <DeleteDeviceDialog
                device={r()}
                onClose={() => setDeleting(false)}
                onDeleted={() => navigate(href.devices)}
              />
            </Show>
          </>
        )}
      </Show>
    </div>
  );
}

function Fact(props: { label: string; children: JSX.Element }): JSX.Element {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function PendingTable(props: { row: ReturnType<typeof deviceRow> & object }): JSX.Element {
  const list = () => props.row.pending ?? [];
  return (
    <Show when={props.row.pendingCommands > 0} fallback={<Empty>{t('dev.pending_empty')}</Empty>}>
      <Show when={list().length < props.row.pendingCommands}>
        <p class="dev-sub">
          {t('dev.pending_shown', { shown: count(list().length), total: count(props.row.pendingCommands) })}
        </p>
      </Show>
      <Table
        testId="device-pending-list"
        columns={[
          { label: t('dev.command') },
          { label: t('dev.account') },
          { label: t('dev.target') },
          { label: t('dev.attempts'), num: true },
          { label: t('dev.next_try') },
          { label: t('dev.last_error') },
        ]}
        rows={list()}
      >
        {(p) => (
          <tr>
            <td>
              {t(`dev.intent.${p.kind}` as Key)}
              <Show when={p.kind === 'speed'}> {p.maxLimit ?? t('app.none')}</Show>
            </td>
            <td>
              <a href={href.account(p.accountId)}>{p.accountId}</a>
            </td>
            <td>{[p.ip, p.pppoeLogin].filter(Boolean).join(' · ') || t('app.none')}</td>
            <td class="num">{count(p.attempt)}</td>
            <td>{p.nextAt ? time(p.nextAt) : t('dev.waits_router')}</td>
            <td class="dev-error">{p.lastError ?? t('app.none')}</td>
          </tr>
        )}
      </Table>
    </Show>
  );
}
