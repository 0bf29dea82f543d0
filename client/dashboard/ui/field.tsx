import { createUniqueId, type JSX, Show, splitProps } from 'solid-js';

// A labelled input with its hint and error wired for screen readers (aria-describedby,
// aria-invalid), so no form in the dashboard has an unlabeled field.

type InputProps = JSX.InputHTMLAttributes<HTMLInputElement>;

export function Field(
  props: InputProps & { label: string; hint?: string; error?: string | false | null | undefined },
): JSX.Element {
  const [own, input] = splitProps(props, ['label', 'hint', 'error', 'id']);
  const id = own.id ?? createUniqueId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = () =>
    [own.hint ? hintId : '', own.error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{own.label}</label>
      <input
        id={id}
        aria-describedby={describedBy()}
        aria-invalid={own.error ? 'true' : undefined}
        {...input}
      />
      <Show when={own.hint}>
        <small id={hintId} class="hint">
          {own.hint}
        </small>
      </Show>
      <Show when={own.error}>
        <small id={errorId} class="field-error">
          {own.error}
        </small>
      </Show>
    </div>
  );
}

export function SelectField(
  props: JSX.SelectHTMLAttributes<HTMLSelectElement> & { label: string; children: JSX.Element },
): JSX.Element {
  const [own, select] = splitProps(props, ['label', 'children', 'id']);
  const id = own.id ?? createUniqueId();
  return (
    <div class="field">
      <label for={id}>{own.label}</label>
      <select id={id} {...select}>
        {own.children}
      </select>
    </div>
  );
}
