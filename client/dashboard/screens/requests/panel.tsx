import { createResource, createSignal, createUniqueId, For, type JSX, Match, Show, Switch } from 'solid-js';
import type { DeviceView, RequestStatus, RequestView } from '../../../../protocol/network.ts';
import { get, post } from '../../api/http.ts';
import { dateTime, t } from '../../i18n/i18n.ts';
import { href } from '../../router.ts';
import { can, user } from '../../session.ts';
import { tariffName, tariffs } from '../../tariffs.ts';
import { Dialog } from '../../ui/dialog.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { ErrorState, FormMessage, Loading } from '../../ui/states.tsx';
import { type Board, MOVES } from './data.ts';

// One request: what was asked, its comments and history, and the next steps the role may
// take. Each step is a small form because each needs something: whom to assign, when the
// installer comes, which router and address the internet service gets, why it is rejected.

export type Action = 'assigned' | 'scheduled' | 'connected' | 'rejected';
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const OPEN: RequestStatus[] = ['new', 'assigned', 'scheduled'];

interface Staff {
  people(): { id: string; username: string }[];
  name(id: string | null): string;
}

export function RequestPanel(props: {
  board: Board;
  staff: Staff;
  id: string;
  action: Action | null;
  onClose: () => void;
}): JSX.Element {
  const [action, setAction] = createSignal<Action | null>(props.action);
  const [missing, setMissing] = createSignal<unknown>();
  const request = () => props.board.get(props.id);
  // Opened from a link before the board has it (or it is not there at all): ask once.
  if (!request()) {
    get<RequestView>(`/api/v1/requests/${encodeURIComponent(props.id)}`).then(props.board.put, setMissing);
  }
  const writable = () => can('requests.write');
  const steps = (r: RequestView): Action[] => {
    if (!OPEN.includes(r.status)) return [];
    // Reassigning stays possible until the request is closed.
    const next = MOVES[r.status] as Action[];
    return next.includes('assigned') ? next : ['assigned', ...next];
  };
  let status!: HTMLParagraphElement;
  const done = (r: RequestView) => {
    props.board.put(r);
    setAction(null);
    // The form is gone with its button: the new status (announced) has the focus next.
    status.focus();
  };

  return (
    <Dialog open title={t('req.panel', { id: props.id })} onClose={props.onClose} testId="request-panel">
      <div class="dialog-body req-panel">
        <Show
          when={request()}
          fallback={
            <Show when={missing()} fallback={<Loading />}>
              <ErrorState error={missing()} title={t('req.not_found', { id: props.id })} />
            </Show>
          }
        >
          {(r) => (
            <>
              <p class="req-status" data-testid="panel-status" ref={status} tabindex="-1" role="status">
                <strong class="req-name">{r().name}</strong>{' '}
                <span class={`req-badge req-badge-${r().status}`}>{t(`req.status.${r().status}`)}</span>
              </p>
              <dl class="req-facts">
                <dt>{t('req.phone')}</dt>
                <dd>{r().phone}</dd>
                <dt>{t('req.address')}</dt>
                <dd>{r().address}</dd>
                <dt>{t('req.tariff')}</dt>
                <dd>{r().tariffId ? tariffName(r().tariffId) : t('req.no_tariff')}</dd>
                <dt>{t('req.assignee')}</dt>
                <dd data-testid="panel-assignee">{props.staff.name(r().assignee)}</dd>
                <dt>{t('req.source')}</dt>
                <dd>{t(`req.source.${r().source}`)}</dd>
                <dt>{t('req.created')}</dt>
                <dd>{dateTime(r().createdAt)}</dd>
                <Show when={r().scheduledAt}>
                  {(at) => (
                    <>
                      <dt>{t('req.scheduled_at')}</dt>
                      <dd>{dateTime(at())}</dd>
                    </>
                  )}
                </Show>
                <Show when={r().comment}>
                  <dt>{t('req.comment')}</dt>
                  <dd>{r().comment}</dd>
                </Show>
                <Show when={r().rejection}>
                  <dt>{t('req.rejection')}</dt>
                  <dd>{r().rejection}</dd>
                </Show>
                <Show when={r().connection}>
                  {(c) => (
                    <>
                      <dt>{t('req.account')}</dt>
                      <dd>
                        <a href={href.account(c().accountId)} data-testid="panel-account">
                          {c().accountId}
                        </a>
                      </dd>
                    </>
                  )}
                </Show>
              </dl>

              <Show when={writable()} fallback={<p class="hint">{t('req.read_only')}</p>}>
                <Show when={steps(r()).length > 0} fallback={<p class="hint">{t('req.closed')}</p>}>
                  <fieldset class="req-steps">
                    <legend class="sr-only">{t('req.move_to', { id: r().id })}</legend>
                    <For each={steps(r())}>
                      {(step) => (
                        <button
                          type="button"
                          class="btn btn-small"
                          classList={{ 'btn-primary': action() === step }}
                          aria-pressed={action() === step}
                          data-testid={`step-${step}`}
                          onClick={() => setAction(step)}
                        >
                          {stepLabel(step)}
                        </button>
                      )}
                    </For>
                  </fieldset>
                  <Switch>
                    <Match when={action() === 'assigned'}>
                      <AssignForm request={r()} staff={props.staff} onDone={done} />
                    </Match>
                    <Match when={action() === 'scheduled'}>
                      <ScheduleForm request={r()} onDone={done} />
                    </Match>
                    <Match when={action() === 'connected'}>
                      <ConnectForm request={r()} onDone={done} />
                    </Match>
                    <Match when={action() === 'rejected'}>
                      <RejectForm request={r()} onDone={done} />
                    </Match>
                  </Switch>
                </Show>
              </Show>

              <h3>{t('req.comments')}</h3>
              <Show when={r().comments.length > 0} fallback={<p class="hint">{t('req.no_comments')}</p>}>
                <ul class="req-comments" data-testid="panel-comments">
                  <For each={r().comments}>
                    {(c) => (
                      <li>
                        <small>
                          {dateTime(c.at)} · {byName(props.staff, c.by)}
                        </small>
                        <p>{c.text}</p>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
              <Show when={writable()}>
                <CommentForm request={r()} onDone={props.board.put} />
              </Show>

              <h3>{t('req.history')}</h3>
              <ul class="req-history" data-testid="panel-history">
                <For each={[...r().history].reverse()}>
                  {(h) => (
                    <li>
                      <small>
                        {dateTime(h.at)} · {h.by.type === 'staff' ? props.staff.name(h.by.id) : h.by.id}
                      </small>{' '}
                      {t(`req.h.${h.what}`, { detail: historyDetail(props.staff, h) })}
                    </li>
                  )}
                </For>
              </ul>
            </>
          )}
        </Show>
      </div>
    </Dialog>
  );
}

/** A comment's author as the actor writes it (`staff:<id>`), by name when known. */
function byName(staff: Staff, by: string): string {
  return by.startsWith('staff:') ? staff.name(by.slice(6)) : by;
}

/** What a history line says: names for staff ids, the visit in local time (the actor writes ISO + note). */
function historyDetail(staff: Staff, h: RequestView['history'][number]): string {
  const detail = h.detail ?? '';
  switch (h.what) {
    case 'assigned':
      return staff.name(detail || null);
    case 'submitted':
      return t(`req.source.${(detail || 'form') as RequestView['source']}`);
    case 'scheduled': {
      const space = detail.indexOf(' ');
      const iso = space < 0 ? detail : detail.slice(0, space);
      const ms = Date.parse(iso);
      return Number.isNaN(ms) ? detail : `${dateTime(ms)}${space < 0 ? '' : detail.slice(space)}`;
    }
    default:
      return detail;
  }
}

function stepLabel(step: Action): string {
  return step === 'assigned'
    ? t('req.assign')
    : step === 'scheduled'
      ? t('req.schedule')
      : step === 'connected'
        ? t('req.connect')
        : t('req.reject');
}

/** Posts a step and hands the request as it is now back; errors stay in the form. */
function useSubmit(path: string, onDone: (r: RequestView) => void) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const submit = async (body: unknown) => {
    setBusy(true);
    setError(undefined);
    try {
      onDone(await post<RequestView>(path, body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

const pathOf = (r: RequestView, step: string) => `/api/v1/requests/${encodeURIComponent(r.id)}/${step}`;

function AssignForm(props: {
  request: RequestView;
  staff: Staff;
  onDone: (r: RequestView) => void;
}): JSX.Element {
  const [who, setWho] = createSignal(props.request.assignee ?? user()?.id ?? '');
  const s = useSubmit(pathOf(props.request, 'assign'), props.onDone);
  return (
    <form
      class="req-form"
      data-testid="assign-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (who()) void s.submit({ assignee: who() });
      }}
    >
      <SelectField
        label={t('req.assign_to')}
        autofocus
        value={who()}
        onChange={(e) => setWho(e.currentTarget.value)}
      >
        <For each={props.staff.people()}>
          {(p) => (
            <option value={p.id}>
              {p.id === user()?.id ? `${p.username} (${t('req.assign_me')})` : p.username}
            </option>
          )}
        </For>
      </SelectField>
      <FormMessage error={s.error()} />
      <button type="submit" class="btn btn-primary" disabled={s.busy()} data-testid="assign-submit">
        {t('req.assign')}
      </button>
    </form>
  );
}

/** `YYYY-MM-DDTHH:mm` in local time, as a datetime-local input wants it. */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function ScheduleForm(props: { request: RequestView; onDone: (r: RequestView) => void }): JSX.Element {
  const tomorrow = Math.ceil((Date.now() + 86_400_000) / 3_600_000) * 3_600_000;
  const [at, setAt] = createSignal(localInput(props.request.scheduledAt ?? tomorrow));
  const [note, setNote] = createSignal('');
  const [touched, setTouched] = createSignal(false);
  const ms = () => (at() ? new Date(at()).getTime() : Number.NaN);
  const s = useSubmit(pathOf(props.request, 'schedule'), props.onDone);
  return (
    <form
      class="req-form"
      data-testid="schedule-form"
      novalidate
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (Number.isNaN(ms())) return;
        void s.submit({ at: ms(), ...(note().trim() ? { note: note().trim() } : {}) });
      }}
    >
      <Field
        label={t('req.schedule_at')}
        type="datetime-local"
        autofocus
        required
        data-testid="schedule-at"
        error={touched() && Number.isNaN(ms()) ? t('form.required') : undefined}
        value={at()}
        onInput={(e) => setAt(e.currentTarget.value)}
      />
      <Field
        label={t('req.schedule_note')}
        maxLength={500}
        value={note()}
        onInput={(e) => setNote(e.currentTarget.value)}
      />
      <FormMessage error={s.error()} />
      <button type="submit" class="btn btn-primary" disabled={s.busy()} data-testid="schedule-submit">
        {t('req.schedule')}
      </button>
    </form>
  );
}

function ConnectForm(props: { request: RequestView; onDone: (r: RequestView) => void }): JSX.Element {
  // Routers are listed to those who may read them; others type the router's id.
  const [devices] = createResource(
    () => can('devices.read'),
    () =>
      get<{ items: DeviceView[] }>('/api/v1/devices')
        .then((r) => r.items)
        .catch(() => null),
  );
  const [deviceId, setDeviceId] = createSignal('');
  const [ip, setIp] = createSignal('');
  const [tariffId, setTariffId] = createSignal(props.request.tariffId ?? '');
  const [touched, setTouched] = createSignal(false);
  const s = useSubmit(pathOf(props.request, 'connect'), props.onDone);
  const device = () => deviceId() || devices()?.[0]?.id || '';
  return (
    <form
      class="req-form"
      data-testid="connect-form"
      novalidate
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (!device() || !IPV4.test(ip())) return;
        void s.submit({ deviceId: device(), ip: ip(), ...(tariffId() ? { tariffId: tariffId() } : {}) });
      }}
    >
      <p class="hint">{t('req.connect_hint')}</p>
      <Show
        when={devices() && devices()!.length > 0}
        fallback={
          <Field
            label={t('req.device_id')}
            required
            autofocus
            data-testid="connect-device"
            error={touched() && !device() ? t('form.required') : undefined}
            value={deviceId()}
            onInput={(e) => setDeviceId(e.currentTarget.value.trim())}
          />
        }
      >
        <SelectField
          label={t('req.device')}
          autofocus
          data-testid="connect-device"
          value={device()}
          onChange={(e) => setDeviceId(e.currentTarget.value)}
        >
          <For each={devices()}>
            {(d) => (
              <option value={d.id}>
                {d.name} ({d.id})
              </option>
            )}
          </For>
        </SelectField>
      </Show>
      <Field
        label={t('req.ip')}
        required
        inputmode="decimal"
        data-testid="connect-ip"
        error={touched() && !IPV4.test(ip()) ? t('req.ip_invalid') : undefined}
        value={ip()}
        onInput={(e) => setIp(e.currentTarget.value.trim())}
      />
      <SelectField
        label={t('req.filter_tariff')}
        value={tariffId()}
        onChange={(e) => setTariffId(e.currentTarget.value)}
      >
        <option value="">{t('req.no_tariff')}</option>
        <For each={(tariffs() ?? []).filter((x) => x.status === 'active' || x.id === tariffId())}>
          {(x) => <option value={x.id}>{x.name}</option>}
        </For>
      </SelectField>
      <FormMessage error={s.error()} />
      <button type="submit" class="btn btn-primary" disabled={s.busy()} data-testid="connect-submit">
        {t('req.connect')}
      </button>
    </form>
  );
}

function TextArea(props: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  error?: string | undefined;
  testId: string;
  autofocus?: boolean;
  maxLength: number;
}): JSX.Element {
  const id = createUniqueId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        rows={3}
        maxLength={props.maxLength}
        autofocus={props.autofocus}
        data-testid={props.testId}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <Show when={props.error}>
        <small id={`${id}-error`} class="field-error">
          {props.error}
        </small>
      </Show>
    </div>
  );
}

function RejectForm(props: { request: RequestView; onDone: (r: RequestView) => void }): JSX.Element {
  const [reason, setReason] = createSignal('');
  const [touched, setTouched] = createSignal(false);
  const s = useSubmit(pathOf(props.request, 'reject'), props.onDone);
  return (
    <form
      class="req-form"
      data-testid="reject-form"
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (reason().trim()) void s.submit({ reason: reason().trim() });
      }}
    >
      <TextArea
        label={t('req.reject_reason')}
        autofocus
        maxLength={500}
        testId="reject-reason"
        error={touched() && !reason().trim() ? t('form.required') : undefined}
        value={reason()}
        onInput={setReason}
      />
      <FormMessage error={s.error()} />
      <button type="submit" class="btn btn-danger" disabled={s.busy()} data-testid="reject-submit">
        {t('req.reject')}
      </button>
    </form>
  );
}

function CommentForm(props: { request: RequestView; onDone: (r: RequestView) => void }): JSX.Element {
  const [text, setText] = createSignal('');
  const s = useSubmit(pathOf(props.request, 'comments'), (r) => {
    setText('');
    props.onDone(r);
  });
  return (
    <form
      class="req-form"
      data-testid="comment-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (text().trim()) void s.submit({ text: text().trim() });
      }}
    >
      <TextArea
        label={t('req.comment_text')}
        maxLength={2000}
        testId="comment-text"
        value={text()}
        onInput={setText}
      />
      <FormMessage error={s.error()} />
      <button
        type="submit"
        class="btn btn-small"
        disabled={s.busy() || !text().trim()}
        data-testid="comment-submit"
      >
        {t('req.add_comment')}
      </button>
    </form>
  );
}
