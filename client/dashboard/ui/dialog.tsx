import { createEffect, createUniqueId, type JSX, onCleanup } from 'solid-js';
import { t } from '../i18n/i18n.ts';

// A modal on the native <dialog>: the browser traps focus, Esc closes, and focus returns to
// the button that opened it.

export function Dialog(props: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: JSX.Element;
  testId?: string;
}): JSX.Element {
  let el!: HTMLDialogElement;
  const titleId = createUniqueId();
  let opener: Element | null = null;
  createEffect(() => {
    if (props.open && !el.open) {
      opener = document.activeElement;
      el.showModal();
    } else if (!props.open && el.open) {
      el.close();
    }
  });
  const restoreFocus = () => {
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  };
  onCleanup(() => {
    if (el.open) el.close();
  });
  return (
    <dialog
      ref={el}
      class="dialog"
      aria-labelledby={titleId}
      data-testid={props.testId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      onClose={restoreFocus}
    >
      <header class="dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="btn-icon" aria-label={t('app.close')} onClick={() => props.onClose()}>
          ×
        </button>
      </header>
      {props.children}
    </dialog>
  );
}

/** A form dialog's footer: cancel, then the submit button, disabled while the form is sent. */
export function DialogActions(props: {
  onCancel: () => void;
  label: string;
  testId: string;
  busy: boolean;
  danger?: boolean;
}): JSX.Element {
  return (
    <div class="dialog-actions">
      <button type="button" class="btn" onClick={() => props.onCancel()}>
        {t('app.cancel')}
      </button>
      <button
        type="submit"
        class={props.danger ? 'btn btn-danger' : 'btn btn-primary'}
        disabled={props.busy}
        data-testid={props.testId}
      >
        {props.label}
      </button>
    </div>
  );
}
