import { createSignal, type JSX, Show } from 'solid-js';
import type { CreateDeviceBody, DeviceView, UpdateDeviceBody } from '../../../../protocol/network.ts';
import { call, post, put } from '../../api/http.ts';
import { type DeviceRow, type DeviceStatus, dropDevice, loadDevices, putDevice } from '../../devices.ts';
import type { Key } from '../../i18n/dict.ts';
import { dateTime, t } from '../../i18n/i18n.ts';
import { Dialog, DialogActions } from '../../ui/dialog.tsx';
import { errorText } from '../../ui/errors.ts';
import { Field, SelectField } from '../../ui/field.tsx';
import { FormMessage } from '../../ui/states.tsx';
import { useSubmit, useSubmitOnce } from '../../ui/submit.ts';
import './devices.css';

// What the devices screen and a router's page share: the status in words, "check now", the
// form that adds or changes a router (its password is write-only: never filled in, never
// shown), and removing one.

export function DeviceStatusBadge(props: { status: DeviceStatus }): JSX.Element {
  return (
    <span class={`dev-status dev-status-${props.status}`} data-status={props.status}>
      {t(`dev.status.${props.status}` as Key)}
    </span>
  );
}

export function lastSeen(at: number | null): string {
  return at === null ? t('dev.never') : dateTime(at);
}

export function identityOf(row: DeviceRow): string {
  if (!row.identity && !row.version) return t('app.none');
  return [row.identity, row.version ? `RouterOS ${row.version}` : null].filter(Boolean).join(' · ');
}

interface HealthReport {
  ok: boolean;
  identity?: string;
  resource?: { version: string };
  failed?: { stage: string; message: string };
  timings: { total: number };
}

/** "Check now": one health check, its outcome in words for a status line. */
export function useCheck() {
  const [busy, setBusy] = createSignal<string | null>(null);
  const [outcome, setOutcome] = createSignal<{ id: string; ok: boolean; text: string } | null>(null);
  const check = async (row: DeviceRow) => {
    setBusy(row.id);
    setOutcome(null);
    try {
      const r = await post<HealthReport>(`/api/v1/devices/${encodeURIComponent(row.id)}/check`);
      setOutcome({
        id: row.id,
        ok: r.ok,
        text: r.ok
          ? t('dev.check_ok', {
              identity: r.identity ?? row.name,
              version: r.resource?.version ?? '?',
              ms: Math.round(r.timings.total),
            })
          : t('dev.check_failed', { stage: r.failed?.stage ?? '?', message: r.failed?.message ?? '' }),
      });
    } catch (err) {
      setOutcome({ id: row.id, ok: false, text: errorText(err) });
    } finally {
      setBusy(null);
    }
  };
  return { busy, outcome, check };
}

export function CheckOutcome(props: { outcome: { ok: boolean; text: string } | null }): JSX.Element {
  return (
    <p class="dev-notice" role="status" data-testid="device-check-outcome">
      <Show when={props.outcome}>
        {(o) => <span class={o().ok ? 'form-ok' : 'form-error'}>{o().text}</span>}
      </Show>
    </p>
  );
}

const PORTS: Record<string, number> = {
  'api:false': 8728,
  'api:true': 8729,
  'rest:false': 80,
  'rest:true': 443,
};
const HOST = /^[A-Za-z0-9.:_-]{1,253}$/;
const USER = /^[^\s=]{1,100}$/;
const LIST = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function DeviceDialog(props: {
  device: DeviceView | DeviceRow | null;
  onClose: () => void;
}): JSX.Element {
  const x = props.device;
  const [name, setName] = createSignal(x?.name ?? '');
  const [host, setHost] = createSignal(x?.host ?? '');
  const [port, setPort] = createSignal(String(x?.port ?? 8728));
  const [portTouched, setPortTouched] = createSignal(x !== null);
  const [username, setUsername] = createSignal(x?.username ?? '');
  const [password, setPassword] = createSignal('');
  const [tls, setTls] = createSignal(x?.tls ?? false);
  const [driver, setDriver] = createSignal<'api' | 'rest'>(x?.driver ?? 'api');
  const [blockMode, setBlockMode] = createSignal<'address-list' | 'pppoe'>(x?.blockMode ?? 'address-list');
  const [blockList, setBlockList] = createSignal(x?.blockList ?? 'abonent-blocked');
  const [touched, setTouched] = createSignal(false);
  const submit = useSubmitOnce();

  // The usual port follows the protocol and TLS until someone types one.
  const follow = () => {
    if (!portTouched()) setPort(String(PORTS[`${driver()}:${tls()}`]));
  };
  const portNumber = () => (/^\d{1,5}$/.test(port()) ? Number(port()) : 0);
  const problems = () => ({
    name: name().trim() === '' ? t('form.required') : undefined,
    host:
      host().trim() === ''
        ? t('form.required')
        : HOST.test(host().trim())
          ? undefined
          : t('dev.host_invalid'),
    port: portNumber() >= 1 && portNumber() <= 65535 ? undefined : t('dev.port_invalid'),
    username:
      username() === '' ? t('form.required') : USER.test(username()) ? undefined : t('dev.username_invalid'),
    blockList: LIST.test(blockList()) ? undefined : t('form.required'),
  });
  const shown = (field: keyof ReturnType<typeof problems>) => (touched() ? problems()[field] : undefined);

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (Object.values(problems()).some(Boolean)) return;
    const fields = {
      name: name().trim(),
      host: host().trim(),
      port: portNumber(),
      username: username(),
      tls: tls(),
      driver: driver(),
      blockMode: blockMode(),
      blockList: blockList(),
    };
    const body: UpdateDeviceBody | CreateDeviceBody = x
      ? { ...fields, ...(password() !== '' ? { password: password() } : {}) }
      : { ...fields, password: password() };
    // A change names its router and is the same when sent twice: only adding one needs the key.
    await submit.run(body, async (idempotencyKey) => {
      if (x) {
        putDevice(await put<DeviceView>(`/api/v1/devices/${encodeURIComponent(x.id)}`, body));
      } else {
        await post('/api/v1/devices', body, { idempotencyKey });
        void loadDevices();
      }
      props.onClose();
    });
  };

  return (
    <Dialog open title={x ? t('dev.edit') : t('dev.add')} onClose={props.onClose} testId="device-dialog">
      <form class="dialog-body" onSubmit={onSubmit} novalidate>
        <Field
          label={t('dev.name')}
          required
          maxLength={100}
          autofocus
          data-testid="device-name"
          error={shown('name')}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <div class="field-row">
          <Field
            label={t('dev.host')}
            required
            maxLength={253}
            autocomplete="off"
            spellcheck={false}
            data-testid="device-host"
            error={shown('host')}
            value={host()}
            onInput={(e) => setHost(e.currentTarget.value)}
          />
          <Field
            label={t('dev.port')}
            inputmode="numeric"
            required
            data-testid="device-port"
            error={shown('port')}
            value={port()}
            onInput={(e) => {
              setPortTouched(true);
              setPort(e.currentTarget.value.trim());
            }}
          />
        </div>
        <Field
          label={t('dev.username')}
          required
          maxLength={100}
          autocomplete="off"
          spellcheck={false}
          data-testid="device-username"
          error={shown('username')}
          value={username()}
          onInput={(e) => setUsername(e.currentTarget.value.trim())}
        />
        <Field
          label={t('dev.password')}
          type="password"
          autocomplete="new-password"
          maxLength={200}
          data-testid="device-password"
          hint={x ? t('dev.password_keep') : t('dev.password_hint')}
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <SelectField
          label={t('dev.driver')}
          value={driver()}
          onChange={(e) => {
            setDriver(e.currentTarget.value as 'api' | 'rest');
            follow();
          }}
        >
          <option value="api">{t('dev.driver.api')}</option>
          <option value="rest">{t('dev.driver.rest')}</option>
        </SelectField>
        <label class="check">
          <input
            type="checkbox"
            checked={tls()}
            onChange={(e) => {
              setTls(e.currentTarget.checked);
              follow();
            }}
          />
          {t('dev.tls')}
        </label>
        <div class="field-row">
          <SelectField
            label={t('dev.block_mode')}
            value={blockMode()}
            onChange={(e) => setBlockMode(e.currentTarget.value as 'address-list' | 'pppoe')}
          >
            <option value="address-list">{t('dev.block_mode.address-list')}</option>
            <option value="pppoe">{t('dev.block_mode.pppoe')}</option>
          </SelectField>
          <Field
            label={t('dev.block_list')}
            maxLength={64}
            spellcheck={false}
            error={shown('blockList')}
            value={blockList()}
            onInput={(e) => setBlockList(e.currentTarget.value.trim())}
          />
        </div>
        <FormMessage error={submit.error()} />
        <DialogActions
          onCancel={props.onClose}
          label={x ? t('app.save') : t('app.create')}
          testId="device-save"
          busy={submit.busy()}
        />
      </form>
    </Dialog>
  );
}

export function DeleteDeviceDialog(props: {
  device: DeviceRow;
  onClose: () => void;
  onDeleted?: () => void;
}): JSX.Element {
  const submit = useSubmit();
  const remove = () =>
    submit.run(async () => {
      await call('DELETE', `/api/v1/devices/${encodeURIComponent(props.device.id)}`);
      dropDevice(props.device.id);
      props.onClose();
      props.onDeleted?.();
    });
  return (
    <Dialog open title={t('dev.delete_title')} onClose={props.onClose} testId="device-delete-dialog">
      <div class="dialog-body">
        <p>{t('dev.delete_confirm', { name: props.device.name, host: props.device.host })}</p>
        <FormMessage error={submit.error()} />
        <div class="dialog-actions">
          <button type="button" class="btn" autofocus onClick={props.onClose}>
            {t('app.cancel')}
          </button>
          <button
            type="button"
            class="btn btn-danger"
            disabled={submit.busy()}
            data-testid="device-delete-confirm"
            onClick={() => void remove()}
          >
            {t('dev.delete')}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
