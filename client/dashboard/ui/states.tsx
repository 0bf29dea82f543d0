import { type JSX, Show } from 'solid-js';
import { t } from '../i18n/i18n.ts';
import { errorText } from './errors.ts';

// Loading, error and empty states look and sound the same on every screen.

export function Loading(props: { label?: string }): JSX.Element {
  return (
    <p class="state state-loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {props.label ?? t('app.loading')}
    </p>
  );
}

export function ErrorState(props: { error: unknown; title?: string; onRetry?: () => void }): JSX.Element {
  return (
    <div class="state state-error" role="alert">
      <Show when={props.title}>
        <strong>{props.title}</strong>{' '}
      </Show>
      <span>{errorText(props.error)}</span>
      <Show when={props.onRetry}>
        {(retry) => (
          <button type="button" class="btn btn-small" onClick={() => retry()()}>
            {t('app.retry')}
          </button>
        )}
      </Show>
    </div>
  );
}

export function Empty(props: { children: JSX.Element }): JSX.Element {
  return <p class="state state-empty">{props.children}</p>;
}

/**
 * An inline message under a form: errors are announced, successes are polite. `retrying` says
 * the answer was lost, so that the same submit is known to be safe (useSubmitOnce).
 */
export function FormMessage(props: { error?: unknown; ok?: string; retrying?: boolean }): JSX.Element {
  return (
    <>
      <Show when={props.error}>
        <p class="form-error" role="alert">
          {errorText(props.error)}
        </p>
      </Show>
      <Show when={!props.error && props.ok}>
        <p class="form-ok" role="status">
          {props.ok}
        </p>
      </Show>
      <Show when={props.retrying}>
        <p class="hint">{t('form.retrying')}</p>
      </Show>
    </>
  );
}
