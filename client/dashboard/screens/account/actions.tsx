import { createSignal, type JSX, Show } from 'solid-js';
import type { AccountView, AdjustmentReply, TopUpReply, TopUpSource } from '../../../../protocol/money.ts';
import { ActionKey, ApiFailure, post } from '../../api/http.ts';
import { money, parseMoney, t } from '../../i18n/i18n.ts';
import { Dialog, DialogActions } from '../../ui/dialog.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { FormMessage } from '../../ui/states.tsx';

// What staff do to an account: top up, adjust, block, unblock. Each money action sends an
// Idempotency-Key made for that one action: a retry after a lost answer sends the same key
// and the server answers the first result instead of crediting twice.

/** Runs a submit: busy state, errors, and whether the same key should be offered for a retry. */
function useSubmit() {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const key = new ActionKey();
  const run = async <T,>(
    body: unknown,
    send: (idempotencyKey: string) => Promise<T>,
  ): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      const reply = await send(key.for(body));
      key.settle();
      return reply;
    } catch (err) {
      // A refusal is an answer: the next try is a new action. A lost answer is not.
      if (!(err instanceof ApiFailure && err.retryable)) key.settle();
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const retrying = () => {
    const e = error();
    return e instanceof ApiFailure && e.retryable;
  };
  return { busy, error, run, retrying, reset: () => setError(undefined) };
}

const SOURCES: TopUpSource[] = ['cash', 'bank'];

export function TopUpDialog(props: {
  account: AccountView;
  open: boolean;
  onClose: () => void;
  onDone: (reply: TopUpReply, amount: number) => void;
}): JSX.Element {
  const [amount, setAmount] = createSignal('');
  const [source, setSource] = createSignal<TopUpSource>('cash');
  const [reference, setReference] = createSignal('');
  const [touched, setTouched] = createSignal(false);
  const submit = useSubmit();
  const kopecks = () => parseMoney(amount());
  const amountError = () => {
    if (!touched()) return undefined;
    const k = kopecks();
    if (k === null || k < 0) return t('form.amount_invalid');
    if (k === 0) return t('form.amount_nonzero');
    return undefined;
  };
  const close = () => {
    submit.reset();
    props.onClose();
  };
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    const k = kopecks();
    if (k === null || k <= 0 || reference().trim() === '') return;
    const body = { amount: k, source: source(), reference: reference().trim() };
    const reply = await submit.run(body, (idempotencyKey) =>
      post<TopUpReply>(`/api/v1/accounts/${encodeURIComponent(props.account.id)}/top-ups`, body, {
        idempotencyKey,
      }),
    );
    if (reply) {
      setAmount('');
      setReference('');
      setTouched(false);
      props.onDone(reply, k);
    }
  };
  return (
    <Dialog
      open={props.open}
      title={t('topup.title', { id: props.account.id })}
      onClose={close}
      testId="top-up-dialog"
    >
      <form class="dialog-body" onSubmit={onSubmit} novalidate>
        <Field
          label={t('topup.amount')}
          inputmode="decimal"
          autocomplete="off"
          required
          autofocus
          data-testid="top-up-amount"
          error={amountError()}
          value={amount()}
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
        <SelectField
          label={t('topup.source')}
          data-testid="top-up-source"
          value={source()}
          onChange={(e) => setSource(e.currentTarget.value as TopUpSource)}
        >
          {SOURCES.map((s) => (
            <option value={s}>{t(`source.${s}`)}</option>
          ))}
        </SelectField>
        <Field
          label={t('topup.reference')}
          required
          maxLength={200}
          data-testid="top-up-reference"
          error={touched() && reference().trim() === '' ? t('form.required') : undefined}
          value={reference()}
          onInput={(e) => setReference(e.currentTarget.value)}
        />
        <FormMessage error={submit.error()} />
        <Show when={submit.retrying()}>
          <p class="hint">{t('form.retrying')}</p>
        </Show>
        <DialogActions
          onCancel={close}
          label={
            kopecks() && kopecks()! > 0 ? `${t('topup.submit')} ${money(kopecks()!)}` : t('topup.submit')
          }
          testId="top-up-submit"
          busy={submit.busy()}
        />
      </form>
    </Dialog>
  );
}

export function AdjustDialog(props: {
  account: AccountView;
  open: boolean;
  onClose: () => void;
  onDone: (reply: AdjustmentReply) => void;
}): JSX.Element {
  const [amount, setAmount] = createSignal('');
  const [reason, setReason] = createSignal('');
  const [touched, setTouched] = createSignal(false);
  const submit = useSubmit();
  const kopecks = () => parseMoney(amount());
  const amountError = () => {
    if (!touched()) return undefined;
    const k = kopecks();
    if (k === null) return t('form.amount_invalid');
    if (k === 0) return t('form.amount_nonzero');
    return undefined;
  };
  const close = () => {
    submit.reset();
    props.onClose();
  };
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    const k = kopecks();
    if (k === null || k === 0 || reason().trim() === '') return;
    const body = { amount: k, reason: reason().trim() };
    const reply = await submit.run(body, (idempotencyKey) =>
      post<AdjustmentReply>(`/api/v1/accounts/${encodeURIComponent(props.account.id)}/adjustments`, body, {
        idempotencyKey,
      }),
    );
    if (reply) {
      setAmount('');
      setReason('');
      setTouched(false);
      props.onDone(reply);
    }
  };
  return (
    <Dialog open={props.open} title={t('adjust.title')} onClose={close} testId="adjust-dialog">
      <form class="dialog-body" onSubmit={onSubmit} novalidate>
        <Field
          label={t('adjust.amount')}
          inputmode="decimal"
          autocomplete="off"
          required
          autofocus
          data-testid="adjust-amount"
          error={amountError()}
          value={amount()}
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
        <Field
          label={t('adjust.reason')}
          required
          maxLength={500}
          data-testid="adjust-reason"
          error={touched() && reason().trim() === '' ? t('form.required') : undefined}
          value={reason()}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <FormMessage error={submit.error()} />
        <Show when={submit.retrying()}>
          <p class="hint">{t('form.retrying')}</p>
        </Show>
        <DialogActions
          onCancel={close}
          label={t('adjust.submit')}
          testId="adjust-submit"
          busy={submit.busy()}
        />
      </form>
    </Dialog>
  );
}

export function BlockDialog(props: {
  account: AccountView;
  open: boolean;
  onClose: () => void;
  onDone: (view: AccountView) => void;
}): JSX.Element {
  const [reason, setReason] = createSignal('');
  const [touched, setTouched] = createSignal(false);
  const submit = useSubmit();
  const close = () => {
    submit.reset();
    props.onClose();
  };
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (reason().trim() === '') return;
    const body = { reason: reason().trim() };
    const view = await submit.run(body, (idempotencyKey) =>
      post<AccountView>(`/api/v1/accounts/${encodeURIComponent(props.account.id)}/block`, body, {
        idempotencyKey,
      }),
    );
    if (view) {
      setReason('');
      setTouched(false);
      props.onDone(view);
    }
  };
  return (
    <Dialog open={props.open} title={t('block.title')} onClose={close} testId="block-dialog">
      <form class="dialog-body" onSubmit={onSubmit} novalidate>
        <Field
          label={t('block.reason')}
          required
          autofocus
          maxLength={500}
          data-testid="block-reason"
          error={touched() && reason().trim() === '' ? t('form.required') : undefined}
          value={reason()}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <FormMessage error={submit.error()} />
        <DialogActions
          onCancel={close}
          label={t('block.submit')}
          testId="block-submit"
          busy={submit.busy()}
          danger
        />
      </form>
    </Dialog>
  );
}

export async function unblock(account: AccountView, idempotencyKey: string): Promise<AccountView> {
  return post<AccountView>(`/api/v1/accounts/${encodeURIComponent(account.id)}/unblock`, undefined, {
    idempotencyKey,
  });
}
