import { createSignal, type JSX } from 'solid-js';
import type { AccountView, AdjustmentReply, TopUpReply, TopUpSource } from '../../../../protocol/money.ts';
import { money, t } from '../../i18n/i18n.ts';
import { Dialog, DialogActions } from '../../ui/dialog.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { FormMessage } from '../../ui/states.tsx';
import { AmountField, sendToAccount, useAccountForm, useAmount } from './money-form.tsx';

// What staff do to an account: top up, adjust, block, unblock. Each is sent with an
// Idempotency-Key made for that one action: a retry after a lost answer sends the same key
// and the server answers the first result instead of crediting twice.

const SOURCES: TopUpSource[] = ['cash', 'bank'];

export function TopUpDialog(props: {
  account: AccountView;
  open: boolean;
  onClose: () => void;
  onDone: (reply: TopUpReply, amount: number) => void;
}): JSX.Element {
  const amount = useAmount(false);
  const [source, setSource] = createSignal<TopUpSource>('cash');
  const [reference, setReference] = createSignal('');
  const form = useAccountForm(props, 'top-ups', {
    body: () =>
      amount.problem() || reference().trim() === ''
        ? undefined
        : { amount: amount.kopecks()!, source: source(), reference: reference().trim() },
    clear: () => {
      amount.setText('');
      setReference('');
    },
    done: (reply: TopUpReply, body) => props.onDone(reply, body.amount),
  });
  const positive = () => amount.kopecks() && amount.kopecks()! > 0;
  return (
    <Dialog
      open={props.open}
      title={t('topup.title', { id: props.account.id })}
      onClose={form.close}
      testId="top-up-dialog"
    >
      <form class="dialog-body" onSubmit={form.onSubmit} novalidate>
        <AmountField
          label={t('topup.amount')}
          testId="top-up-amount"
          amount={amount}
          touched={form.touched()}
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
          error={form.required(reference())}
          value={reference()}
          onInput={(e) => setReference(e.currentTarget.value)}
        />
        <FormMessage error={form.submit.error()} retrying={form.submit.retrying()} />
        <DialogActions
          onCancel={form.close}
          label={positive() ? `${t('topup.submit')} ${money(amount.kopecks()!)}` : t('topup.submit')}
          testId="top-up-submit"
          busy={form.submit.busy()}
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
  const amount = useAmount(true);
  const [reason, setReason] = createSignal('');
  const form = useAccountForm(props, 'adjustments', {
    body: () =>
      amount.problem() || reason().trim() === ''
        ? undefined
        : { amount: amount.kopecks()!, reason: reason().trim() },
    clear: () => {
      amount.setText('');
      setReason('');
    },
    done: (reply: AdjustmentReply) => props.onDone(reply),
  });
  return (
    <Dialog open={props.open} title={t('adjust.title')} onClose={form.close} testId="adjust-dialog">
      <form class="dialog-body" onSubmit={form.onSubmit} novalidate>
        <AmountField
          label={t('adjust.amount')}
          testId="adjust-amount"
          amount={amount}
          touched={form.touched()}
        />
        <Field
          label={t('adjust.reason')}
          required
          maxLength={500}
          data-testid="adjust-reason"
          error={form.required(reason())}
          value={reason()}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <FormMessage error={form.submit.error()} retrying={form.submit.retrying()} />
        <DialogActions
          onCancel={form.close}
          label={t('adjust.submit')}
          testId="adjust-submit"
          busy={form.submit.busy()}
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
  const form = useAccountForm(props, 'block', {
    body: () => (reason().trim() === '' ? undefined : { reason: reason().trim() }),
    clear: () => setReason(''),
    done: (view: AccountView) => props.onDone(view),
  });
  return (
    <Dialog open={props.open} title={t('block.title')} onClose={form.close} testId="block-dialog">
      <form class="dialog-body" onSubmit={form.onSubmit} novalidate>
        <Field
          label={t('block.reason')}
          required
          autofocus
          maxLength={500}
          data-testid="block-reason"
          error={form.required(reason())}
          value={reason()}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <FormMessage error={form.submit.error()} />
        <DialogActions
          onCancel={form.close}
          label={t('block.submit')}
          testId="block-submit"
          busy={form.submit.busy()}
          danger
        />
      </form>
    </Dialog>
  );
}

export function unblock(account: AccountView, idempotencyKey: string): Promise<AccountView> {
  return sendToAccount<AccountView>(account, 'unblock', undefined, idempotencyKey);
}
