import { createResource, createSignal, For, type JSX, Show } from 'solid-js';
import { get, post, put } from '../api/http.ts';
import { instantMs, ROLES, type Role, type StaffMember } from '../api/types.ts';
import { date, t } from '../i18n/i18n.ts';
import { can, user } from '../session.ts';
import { Dialog, DialogActions } from '../ui/dialog.tsx';
import { Field } from '../ui/field.tsx';
import { Listing } from '../ui/listing.tsx';
import { usePoll } from '../ui/poll.ts';
import { useRowForm } from '../ui/row-form.ts';
import { ScreenHead } from '../ui/screen-head.tsx';
import { ErrorState, FormMessage } from '../ui/states.tsx';
import { useSubmit } from '../ui/submit.ts';
import { RowButton, Table } from '../ui/table.tsx';

const POLL_MS = 15_000;

// Staff: who can sign in, with which roles, whether 2FA is on; create, change roles, reset a
// password, disable. And which roles must use 2FA.

export function StaffScreen(): JSX.Element {
  const [list, { refetch }] = createResource(() => get<{ items: StaffMember[] }>('/api/v1/staff'));
  const form = useRowForm<StaffMember>();
  const rowAction = useSubmit();
  // Staff users are not in the feed (their events carry secrets); another admin's edit shows up by polling.
  usePoll(() => void refetch(), POLL_MS);

  const setDisabled = (member: StaffMember, disabled: boolean) =>
    rowAction.run(async () => {
      await put(`/api/v1/staff/${encodeURIComponent(member.id)}`, { disabled });
      await refetch();
    });

  return (
    <div class="screen staff">
      <ScreenHead
        title={t('staff.title')}
        action={{
          label: t('staff.create'),
          testId: 'staff-create',
          allowed: can('staff.write'),
          onClick: form.add,
        }}
      />
      <FormMessage error={rowAction.error()} />
      <Listing
        // A failed refresh hides the list: a resource in error has no latest value to show.
        items={list.error ? undefined : list.latest?.items}
        error={list.error}
        loading={list.loading}
        errorTitle={t('staff.error')}
        onRetry={refetch}
        empty={t('staff.empty')}
      >
        {(items) => (
          <Table
            testId="staff"
            columns={[
              { label: t('staff.username') },
              { label: t('staff.roles') },
              { label: t('staff.mfa') },
              { label: t('staff.state') },
              { label: t('staff.created') },
              { label: t('app.edit'), unseen: true },
            ]}
            rows={items()}
          >
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
                    <RowButton label={t('app.edit')} row={m.username} onClick={() => form.change(m)} />
                    <Show when={m.id !== user()?.id}>
                      <RowButton
                        label={m.disabled ? t('staff.enable') : t('staff.disable')}
                        row={m.username}
                        class={`btn btn-small ${m.disabled ? '' : 'btn-danger-outline'}`}
                        onClick={() => void setDisabled(m, !m.disabled)}
                      />
                    </Show>
                  </Show>
                </td>
              </tr>
            )}
          </Table>
        )}
      </Listing>
      <Show when={can('security.manage')}>
        <MfaPolicy />
      </Show>
      <Show when={form.open()}>
        {(open) => (
          <StaffDialog
            member={open().row}
            onClose={form.close}
            onSaved={() => {
              form.close();
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
  const submit = useSubmit();
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (roles().length === 0 || (!m && (username().trim() === '' || password() === ''))) return;
    await submit.run(async () => {
      if (m) {
        const body: { roles: Role[]; password?: string } = { roles: roles() };
        if (password() !== '') body.password = password();
        await put(`/api/v1/staff/${encodeURIComponent(m.id)}`, body);
      } else {
        await post('/api/v1/staff', { username: username().trim(), password: password(), roles: roles() });
      }
      props.onSaved();
    });
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
        <FormMessage error={submit.error()} />
        <DialogActions
          onCancel={props.onClose}
          label={m ? t('app.save') : t('app.create')}
          testId="staff-save"
          busy={submit.busy()}
        />
      </form>
    </Dialog>
  );
}

function MfaPolicy(): JSX.Element {
  const [policy, { mutate }] = createResource(() =>
    get<{ requiredRoles: Role[] }>('/api/v1/security/mfa-policy'),
  );
  const submit = useSubmit();
  const [saved, setSaved] = createSignal(false);
  const save = async (e: Event) => {
    e.preventDefault();
    const p = policy();
    if (!p) return;
    setSaved(false);
    await submit.run(async () => {
      mutate(
        await put<{ requiredRoles: Role[] }>('/api/v1/security/mfa-policy', {
          requiredRoles: p.requiredRoles,
        }),
      );
      setSaved(true);
    });
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
            <FormMessage error={submit.error()} ok={saved() ? t('app.saved') : undefined} />
            <button type="submit" class="btn" disabled={submit.busy()}>
              {t('app.save')}
            </button>
          </form>
        )}
      </Show>
    </section>
  );
}
