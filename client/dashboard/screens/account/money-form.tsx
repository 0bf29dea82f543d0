import { createSignal, type JSX } from 'solid-js';
import type { AccountView } from '../../../../protocol/money.ts';
import { post } from '../../api/http.ts';
import { parseMoney, t } from '../../i18n/i18n.ts';
import { Field } from '../../ui/field.tsx';
import { useSubmitOnce } from '../../ui/submit.ts';

// What the account card's forms share: problems are shown only after the first submit, each
// action is sent once (Idempotency-Key), a closed form forgets its refusal, and a form that
// went through is empty again for the next payment.

type AccountAction = 'top-ups' | 'adjustments' | 'block' | 'unblock';

export function sendToAccount<T>(
  account: AccountView,
  action: AccountAction,
  body: unknown,
  idempotencyKey: string,
): Promise<T> {
  return post<T>(`/api/v1/accounts/${encodeURIComponent(account.id)}/${action}`, body, { idempotencyKey });
}

export function useAccountForm<Body, Reply>(
  props: { account: AccountView; onClose: () => void },
  action: AccountAction,
  form: {
    /** The body to send, or undefined while a field has a problem. */
    body: () => Body | undefined;
    /** Empties the fields once the account has taken the action. */
    clear: () => void;
    done: (reply: Reply, body: Body) => void;
  },
) {
  const [touched, setTouched] = createSignal(false);
  const submit = useSubmitOnce();
  const close = () => {
    submit.reset();
    props.onClose();
  };
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    const body = form.body();
    if (body === undefined) return;
    const reply = await submit.run(body, (key) => sendToAccount<Reply>(props.account, action, body, key));
    if (reply) {
      form.clear();
      setTouched(false);
      form.done(reply, body);
    }
  };
  /** A required text's problem, once a submit was tried. */
  const required = (text: string) => (touched() && text.trim() === '' ? t('form.required') : undefined);
  return { touched, submit, close, onSubmit, required };
}

/**
 * An amount as typed in roubles, and what is wrong with it. A top-up only adds money; an
 * adjustment may take it away (`signed`). Zero is never an action.
 */
export function useAmount(signed: boolean) {
  const [text, setText] = createSignal('');
  const kopecks = () => parseMoney(text());
  const problem = () => {
    const k = kopecks();
    if (k === null || (!signed && k < 0)) return t('form.amount_invalid');
    if (k === 0) return t('form.amount_nonzero');
    return undefined;
  };
  return { text, setText, kopecks, problem };
}

export function AmountField(props: {
  label: string;
  testId: string;
  amount: ReturnType<typeof useAmount>;
  /** A submit was tried: problems are shown from then on. */
  touched: boolean;
}): JSX.Element {
  return (
    <Field
      label={props.label}
      inputmode="decimal"
      autocomplete="off"
      required
      autofocus
      data-testid={props.testId}
      error={props.touched ? props.amount.problem() : undefined}
      value={props.amount.text()}
      onInput={(e) => props.amount.setText(e.currentTarget.value)}
    />
  );
}
