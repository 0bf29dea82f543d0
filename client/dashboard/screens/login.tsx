import { createSignal, type JSX, Show } from 'solid-js';
import { ApiFailure } from '../api/http.ts';
import { t } from '../i18n/i18n.ts';
import { completeMfa, endedBecause, type LoginOutcome, login } from '../session.ts';
import { Field } from '../ui/field.tsx';
import { FormMessage } from '../ui/states.tsx';
import { AuthFrame } from './auth-frame.tsx';

// Sign-in: password, then the 2FA code (or, for a role that requires 2FA and has none yet,
// enrolment right here, since such a user cannot get in any other way).

type MfaOutcome = Exclude<LoginOutcome, { done: true }>;
type Step = { at: 'password' } | MfaOutcome;

const mfaStep = (s: Step): MfaOutcome | null => ('mfa' in s ? s : null);

export function LoginScreen(props: { notice?: string }): JSX.Element {
  const [step, setStep] = createSignal<Step>({ at: 'password' });
  return (
    <AuthFrame>
      <Show when={mfaStep(step())} fallback={<PasswordStep notice={props.notice} onMfa={setStep} />} keyed>
        {(s) => <MfaStep step={s} onBack={() => setStep({ at: 'password' })} />}
      </Show>
    </AuthFrame>
  );
}

function PasswordStep(props: { notice?: string; onMfa: (s: Step) => void }): JSX.Element {
  const [username, setUsername] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const lockedFor = () => {
    const e = error();
    return e instanceof ApiFailure && e.code === 'account_locked' ? (e.retryAfter ?? 60) : null;
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const outcome = await login(username().trim(), password());
      if (!('done' in outcome)) props.onMfa(outcome);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="auth-form" onSubmit={submit} aria-labelledby="login-title">
      <h1 id="login-title" tabindex="-1">
        {t('login.title')}
      </h1>
      <Show when={props.notice ?? (endedBecause() === 'expired' ? t('login.expired') : undefined)}>
        {(notice) => (
          <p class="notice" role="status">
            {notice()}
          </p>
        )}
      </Show>
      <Field
        label={t('login.username')}
        name="username"
        autocomplete="username"
        required
        autofocus
        data-testid="login-username"
        value={username()}
        onInput={(e) => setUsername(e.currentTarget.value)}
      />
      <Field
        label={t('login.password')}
        name="password"
        type="password"
        autocomplete="current-password"
        required
        data-testid="login-password"
        value={password()}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      <Show when={lockedFor()} fallback={<FormMessage error={error()} />}>
        {(seconds) => (
          <p class="form-error" role="alert">
            {t('login.locked', { seconds: seconds() })}
          </p>
        )}
      </Show>
      <button type="submit" class="btn btn-primary btn-block" disabled={busy()} data-testid="login-submit">
        {t('login.submit')}
      </button>
    </form>
  );
}

function MfaStep(props: { step: MfaOutcome; onBack: () => void }): JSX.Element {
  const [code, setCode] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const enrol = () => (props.step.mfa === 'enrol' ? props.step : null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await completeMfa(props.step.mfaToken, code().replace(/\s/g, ''));
    } catch (err) {
      setError(err);
      setCode('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="auth-form" onSubmit={submit} aria-labelledby="mfa-title">
      <h1 id="mfa-title" tabindex="-1">
        {enrol() ? t('login.enrol_title') : t('login.mfa_title')}
      </h1>
      <Show when={enrol()} fallback={<p>{t('login.mfa_hint')}</p>}>
        {(s) => <Enrolment otpauthUrl={s().otpauthUrl} qrSvg={s().qrSvg} hint={t('login.enrol_hint')} />}
      </Show>
      <CodeField value={code()} onInput={setCode} />
      <FormMessage error={error()} />
      <button type="submit" class="btn btn-primary btn-block" disabled={busy()} data-testid="mfa-submit">
        {t('login.mfa_submit')}
      </button>
      <button type="button" class="btn btn-link" onClick={() => props.onBack()}>
        {t('login.mfa_back')}
      </button>
    </form>
  );
}

export function CodeField(props: { value: string; onInput: (v: string) => void }): JSX.Element {
  return (
    <Field
      label={t('login.mfa_code')}
      name="code"
      inputmode="numeric"
      autocomplete="one-time-code"
      pattern="[0-9 ]{6,7}"
      maxLength={7}
      required
      autofocus
      class="code-input"
      data-testid="mfa-code"
      value={props.value}
      onInput={(e) => props.onInput(e.currentTarget.value)}
    />
  );
}

/** The QR code (an SVG our own server drew) and the key for typing in by hand. */
export function Enrolment(props: {
  otpauthUrl: string;
  qrSvg: string;
  hint: string;
  secret?: string | undefined;
}): JSX.Element {
  const secret = () => {
    if (props.secret) return props.secret;
    try {
      return new URL(props.otpauthUrl).searchParams.get('secret') ?? '';
    } catch {
      return '';
    }
  };
  return (
    <div class="enrol">
      <p>{props.hint}</p>
      <div class="qr" role="img" aria-label="QR" innerHTML={props.qrSvg} data-testid="mfa-qr" />
      <p class="hint">
        {t('login.enrol_secret')}{' '}
        <code class="secret" data-testid="mfa-secret">
          {secret()
            .replace(/(.{4})/g, '$1 ')
            .trim()}
        </code>
      </p>
    </div>
  );
}
