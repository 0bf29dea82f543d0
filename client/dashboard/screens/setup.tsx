import { createSignal, type JSX } from 'solid-js';
import { post } from '../api/http.ts';
import { MIN_PASSWORD_LENGTH as MIN_PASSWORD } from '../api/types.ts';
import { t } from '../i18n/i18n.ts';
import { Field } from '../ui/field.tsx';
import { FormMessage } from '../ui/states.tsx';
import { AuthFrame } from './auth-frame.tsx';

// The very first visit: no administrator exists yet, so the first one is created here.

export function SetupScreen(props: { onDone: () => void }): JSX.Element {
  const [username, setUsername] = createSignal('admin');
  const [password, setPassword] = createSignal('');
  const [confirm, setConfirm] = createSignal('');
  const [touched, setTouched] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const tooShort = () => touched() && password().length < MIN_PASSWORD;
  const mismatch = () => touched() && confirm() !== password();
  const submit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (password().length < MIN_PASSWORD || confirm() !== password()) return;
    setBusy(true);
    setError(undefined);
    try {
      await post('/api/v1/setup', { username: username().trim(), password: password() });
      props.onDone();
    } catch (err) {
      setError(err);
      // Someone else finished the setup meanwhile: the login screen is what is left to do.
      if (err instanceof Error && 'code' in err && err.code === 'setup_done') props.onDone();
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame>
      <form class="auth-form" onSubmit={submit} aria-labelledby="setup-title" novalidate>
        <h1 id="setup-title" tabindex="-1">
          {t('setup.title')}
        </h1>
        <p>{t('setup.hint')}</p>
        <Field
          label={t('setup.username')}
          autocomplete="username"
          required
          data-testid="setup-username"
          value={username()}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <Field
          label={t('setup.password')}
          type="password"
          autocomplete="new-password"
          required
          minLength={MIN_PASSWORD}
          data-testid="setup-password"
          error={tooShort() && t('setup.too_short')}
          value={password()}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <Field
          label={t('setup.confirm')}
          type="password"
          autocomplete="new-password"
          required
          data-testid="setup-confirm"
          error={!tooShort() && mismatch() && t('setup.mismatch')}
          value={confirm()}
          onInput={(e) => setConfirm(e.currentTarget.value)}
        />
        <FormMessage error={error()} />
        <button type="submit" class="btn btn-primary btn-block" disabled={busy()} data-testid="setup-submit">
          {t('setup.submit')}
        </button>
      </form>
    </AuthFrame>
  );
}
