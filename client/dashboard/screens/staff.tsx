import { createResource, createSignal, For, type JSX, Show } from 'solid-js';
import { get, post, put } from '../api/http.ts';
import { instantMs, ROLES, type Role, type StaffMember } from '../api/types.ts';
import { date, t } from '../i18n/i18n.ts';
import { can, user } from '../session.ts';
import { Dialog, DialogActions } from '../ui/dialog.tsx';
import { Field } from '../ui/field.tsx';
import { usePoll } from '../ui/poll.ts';
import { ScreenHead } from '../ui/screen-head.tsx';
import { Empty, ErrorState, FormMessage, Loading } from '../ui/states.tsx';

const POLL_MS = 15_000;

// Staff: who can sign in, with which roles, whether 2FA is on; create, change roles, reset a
// password, disable. And which roles must use 2FA.

export function StaffScreen(): JSX.Element {
  const [list, { refetch }] = createResource(() => get<{ items: StaffMember[] }>('/api/v1/staff'));
  const [editing, setEditing] = createSignal<StaffMember | 'new' | null>(null);
  const [rowError, setRowError] = createSignal<unknown>();
  // Staff users are not in the feed (their events carry secrets); another admin's edit shows up by polling.
  usePoll(() => void refetch(), POLL_MS);

  const setDisabled = async (member: StaffMember, disabled: boolean) => {
    setRowError(undefined);
    try {
      await put(`/api/v1/staff/${encodeURIComponent(member.id)}`, { disabled });
      await refetch();
    } catch (err) {
      setRowError(err);
    }
  };

  return (
    <div class="screen staff">
      <ScreenHead
        title={t('staff.title')}
        action={{
          label: t('staff.create'),
          testId: 'staff-create',
          allowed: can('staff.write'),
          onClick: () => setEditing('new'),
        }}
      />
      <FormMessage error={rowError()} />
      <Show when={list.error}>
        <ErrorState error={list.error} title={t('staff.error')} onRetry={refetch} />
      </Show>
      <Show when={list.loading && !list.latest}>
        <Loading />
      </Show>
      <Show when={!list.error && list.latest}>
        {(l) => (
          <Show when={l().items.length > 0} fallback={<Empty>{t('staff.empty')}</Empty>}>
            <div class="table-wrap">
              <table class="table" data-testid="staff">
                <thead>
                  <tr>
                    <th scope="col">{t('staff.username')}</th>
                    <th scope="col">{t('staff.roles')}</th>
                    <th scope="col">{t('staff.mfa')}</th>
                    <th scope="col">{t('staff.state')}</th>
                    <th scope="col">{t('staff.created')}</th>
                    <th scope="col">
                      <span class="sr-only">{t('app.edit')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  <For each={l().items}>
                    {(m) => (
                      <tr classList={{ muted: m.disabled }}>
                        <th scope="row">{m.username}</th>
                        <td>{m.roles.map((r) => t(`role.${r}`)).join(', ')}</td>
                        <td>
                          <span class={`badge ${m.mfaEnabled ? 'badge-active' : 'badge-closed'}`}>
                            {m.mfaEnabled ? t('staff.mfa_on') : t('staff.mfa_off')}
                          </span>
                        </td>
                        <td>{m.disabled ? t('staff.disabled') : t('staff.enabled')}</td>
                        <td>{date(instantMs(m.createdAt))}</td>
                        <td class="row-actions">
                          <Show when={can('staff.write')}>
                            <button type="button" class="btn btn-small" onClick={() => setEditing(m)}>
                              {t('app.edit')}
                              <span class="sr-only"> {m.username}</span>
                            </button>
                            <Show when={m.id !== user()?.id}>
                              <button
                                type="button"
                                class={`btn btn-small ${m.disabled ? '' : 'btn-danger-outline'}`}
                                onClick={() => setDisabled(m, !m.disabled)}
                              >
                                {m.disabled ? t('staff.enable') : t('staff.disable')}
                                <span class="sr-only"> {m.username}</span>
                              </button>
                            </Show>
                          </Show>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        )}
      </Show>
      <Show when={can('security.manage')}>
        <MfaPolicy />
      </Show>
      <Show when={editing()}>
        {(what) => (
          <StaffDialog
            member={what() === 'new' ? null : (what() as StaffMember)}
            onClose={() => setEditing(null)}
            onSaved={() => {
              setEditing(null);
              void refetch();
            }}
          />
        )}
      </Show>
    </div>
  );
}

function RolePicker(props: {
  name: string;
  value: Role[];
  onChange: (roles: Role[]) => void;
  error?: string;
}): JSX.Element {
  return (
    <fieldset class="roles" aria-describedby={props.error ? `${props.name}-error` : undefined}>
      <legend>{t('staff.roles')}</legend>
      <For each={ROLES}>
        {(role) => (
          <label class="check">
            <input
              type="checkbox"
              value={role}
              data-testid={`${props.name}-${role}`}
              checked={props.value.includes(role)}
              onChange={(e) =>
                props.onChange(
                  e.currentTarget.checked ? [...props.value, role] : props.value.filter((r) => r !== role),
                )
              }
            />
            {t(`role.${role}`)}
          </label>
        )}
      </For>
      <Show when={props.error}>
        <small id={`${props.name}-error`} class="field-error">
          {props.error}
        </small>
      </Show>
    </fieldset>
  );
}

function StaffDialog(props: {
  member: StaffMember | null;
  onClose: () => void;
  onSaved: () => void;
}): JSX.Element {
  const m = props.member;
  const [username, setUsername] = createSignal(m?.username ?? '');
  const [password, setPassword] = createSignal('');
  const [roles, setRoles] = createSignal<Role[]>(m?.roles ?? []);
  const [touched, setTouched] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (roles().length === 0 || (!m && (username().trim() === '' || password() === ''))) return;
    setBusy(true);
    setError(undefined);
    try {
      if (m) {
        const body: { roles: Role[]; password?: string } = { roles: roles() };
        if (password() !== '') body.password = password();
        await put(`/api/v1/staff/${encodeURIComponent(m.id)}`, body);
      } else {
        await post('/api/v1/staff', { username: username().trim(), password: password(), roles: roles() });
      }
      props.onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      title={m ? t('staff.edit', { name: m.username }) : t('staff.create')}
      onClose={props.onClose}
      testId="staff-dialog"
    >
      <form class="dialog-body" onSubmit={onSubmit} novalidate>
        <Show when={!m}>
          <Field
            label={t('staff.username')}
            required
            autofocus
            autocomplete="off"
            data-testid="staff-username"
            error={touched() && username().trim() === '' ? t('form.required') : undefined}
            value={username()}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </Show>
        <Field
          label={m ? t('staff.new_password') : t('staff.password')}
          type="password"
          autocomplete="new-password"
          required={!m}
          data-testid="staff-password"
          error={touched() && !m && password() === '' ? t('form.required') : undefined}
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <RolePicker
          name="role"
          value={roles()}
          onChange={setRoles}
          error={touched() && roles().length === 0 ? t('staff.roles_required') : undefined}
        />
        <FormMessage error={error()} />
        <DialogActions
          onCancel={props.onClose}
          label={m ? t('app.save') : t('app.create')}
          testId="staff-save"
          busy={busy()}
        />
      </form>
    </Dialog>
  );
}

function MfaPolicy(): JSX.Element {
  const [policy, { mutate }] = createResource(() =>
    get<{ requiredRoles: Role[] }>('/api/v1/security/mfa-policy'),
  );
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [saved, setSaved] = createSignal(false);
  const save = async (e: Event) => {
    e.preventDefault();
    const p = policy();
    if (!p) return;
    setBusy(true);
    setError(undefined);
    setSaved(false);
    try {
      mutate(
        await put<{ requiredRoles: Role[] }>('/api/v1/security/mfa-policy', {
          requiredRoles: p.requiredRoles,
        }),
      );
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="panel" aria-labelledby="policy-title">
      <h2 id="policy-title">{t('staff.policy')}</h2>
      <p class="hint">{t('staff.policy_hint')}</p>
      <Show when={policy.error}>
        <ErrorState error={policy.error} />
      </Show>
      <Show when={policy.latest}>
        {(p) => (
          <form onSubmit={save}>
            <RolePicker
              name="mfa-role"
              value={p().requiredRoles}
              onChange={(requiredRoles) => {
                setSaved(false);
                mutate({ requiredRoles });
              }}
            />
            <FormMessage error={error()} ok={saved() ? t('app.saved') : undefined} />
            <button type="submit" class="btn" disabled={busy()}>
              {t('app.save')}
            </button>
          </form>
        )}
      </Show>
    </section>
  );
}
