import { createSignal, type JSX, Show } from 'solid-js';
import { post } from '../api/http.ts';
import type { MfaEnrolment } from '../api/types.ts';
import { t } from '../i18n/i18n.ts';
import { reloadMe, user } from '../session.ts';
import { FormMessage } from '../ui/states.tsx';
import { CodeField, Enrolment } from './login.tsx';

// The signed-in user's own page: roles, and turning on 2FA for themselves.

export function ProfileScreen(): JSX.Element {
  const [enrolment, setEnrolment] = createSignal<MfaEnrolment | null>(null);
  const [code, setCode] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [done, setDone] = createSignal(false);

  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setEnrolment(await post<MfaEnrolment>('/api/v1/me/mfa/enrol'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const confirm = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await post('/api/v1/me/mfa/confirm', { code: code().replace(/\s/g, '') });
      // The server's view of the user first, so the page never says "on" next to "off".
      await reloadMe().catch(() => {});
      setEnrolment(null);
      setDone(true);
    } catch (err) {
      setError(err);
      setCode('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="screen profile">
      <h1 tabindex="-1">{t('profile.title')}</h1>
      <Show when={user()}>
        {(u) => (
          <dl class="figures">
            <div class="figure">
              <dt>{t('login.username')}</dt>
              <dd>{u().username}</dd>
            </div>
            <div class="figure">
              <dt>{t('profile.roles')}</dt>
              <dd>
                {u()
                  .roles.map((r) => t(`role.${r}`))
                  .join(', ')}
              </dd>
            </div>
            <div class="figure">
              <dt>{t('profile.mfa')}</dt>
              <dd data-testid="profile-mfa">{u().mfaEnabled ? t('profile.mfa_on') : t('profile.mfa_off')}</dd>
            </div>
          </dl>
        )}
      </Show>
      <FormMessage
        error={enrolment() ? undefined : error()}
        ok={done() ? t('profile.mfa_done') : undefined}
      />
      <Show when={!user()?.mfaEnabled && !enrolment()}>
        <button
          type="button"
          class="btn btn-primary"
          disabled={busy()}
          onClick={start}
          data-testid="mfa-enable"
        >
          {t('profile.mfa_enable')}
        </button>
      </Show>
      <Show when={enrolment()}>
        {(en) => (
          <form class="panel enrol-form" onSubmit={confirm}>
            <Enrolment
              otpauthUrl={en().otpauthUrl}
              qrSvg={en().qrSvg}
              hint={t('profile.enrol_hint')}
              secret={en().secretPending}
            />
            <CodeField value={code()} onInput={setCode} />
            <FormMessage error={error()} />
            <button type="submit" class="btn btn-primary" disabled={busy()} data-testid="mfa-confirm">
              {t('profile.mfa_confirm')}
            </button>
          </form>
        )}
      </Show>
    </div>
  );
}
