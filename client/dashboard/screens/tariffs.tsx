import { createSignal, type JSX, Show } from 'solid-js';
import type { BillingKind, CreateTariffBody, TariffView, UpdateTariffBody } from '../../../protocol/money.ts';
import { post, put } from '../api/http.ts';
import { count, money, moneyInput, parseMoney, t } from '../i18n/i18n.ts';
import { useRoom } from '../live.ts';
import { can } from '../session.ts';
import { loadTariffs, tariffs, tariffsError } from '../tariffs.ts';
import { Dialog, DialogActions } from '../ui/dialog.tsx';
import { Field, SelectField } from '../ui/field.tsx';
import { Listing } from '../ui/listing.tsx';
import { usePoll } from '../ui/poll.ts';
import { useRowForm } from '../ui/row-form.ts';
import { ScreenHead } from '../ui/screen-head.tsx';
import { FormMessage } from '../ui/states.tsx';
import { useSubmit, useSubmitOnce } from '../ui/submit.ts';
import { RowButton, Table } from '../ui/table.tsx';

// Tariffs: the catalog, a form to create or change one, and archiving. The list follows
// the catalog live (data/tariffs.ts refetches on its events).

const BILLING: BillingKind[] = ['monthly', 'daily', 'hourly'];

export function TariffsScreen(): JSX.Element {
  const [showArchived, setShowArchived] = createSignal(false);
  const form = useRowForm<TariffView>();
  const rowAction = useSubmit();
  const writable = () => can('tariffs.write');
  const shown = () => (tariffs() ?? []).filter((x) => showArchived() || x.status === 'active');
  // The catalog's changes come with the feed; a role that may not follow it polls instead.
  if (can('feed.read')) useRoom('feed');
  else usePoll(() => void loadTariffs(), 30_000);

  const setArchived = (tariff: TariffView, archived: boolean) =>
    rowAction.run(async () => {
      await put(`/api/v1/tariffs/${encodeURIComponent(tariff.id)}`, { archived });
      await loadTariffs();
    });

  return (
    <div class="screen tariffs">
      <ScreenHead
        title={t('tariffs.title')}
        action={{
          label: t('tariffs.create'),
          testId: 'tariff-create',
          allowed: writable(),
          onClick: form.add,
        }}
      />
      <label class="check">
        <input
          type="checkbox"
          checked={showArchived()}
          onChange={(e) => setShowArchived(e.currentTarget.checked)}
        />
        {t('tariffs.show_archived')}
      </label>
      <FormMessage error={rowAction.error()} />
      <Listing
        items={tariffs() ? shown() : undefined}
        error={tariffsError()}
        errorTitle={t('tariffs.error')}
        onRetry={loadTariffs}
        empty={t('tariffs.empty')}
      >
        {(items) => (
          <Table
            testId="tariffs"
            columns={[
              { label: t('tariffs.name') },
              { label: t('tariffs.group') },
              { label: t('tariffs.billing') },
              { label: t('tariffs.price'), num: true },
              { label: t('tariffs.speed') },
              { label: t('tariffs.accounts'), num: true },
              { label: t('tariffs.status') },
              ...(writable() ? [{ label: t('app.edit'), unseen: true }] : []),
            ]}
            rows={items()}
          >
            {(tariff) => (
              <tr classList={{ muted: tariff.status === 'archived' }}>
                <th scope="row">{tariff.name}</th>
                <td>{tariff.group}</td>
                <td>{t(`billing.${tariff.billing}`)}</td>
                <td class="num">{money(tariff.pricePerMonth)}</td>
                <td>
                  {tariff.speed
                    ? `${Math.round(tariff.speed.downKbps / 1000)} / ${Math.round(tariff.speed.upKbps / 1000)}`
                    : t('app.none')}
                </td>
                <td class="num">{count(tariff.accounts)}</td>
                <td>{tariff.status === 'active' ? t('tariffs.active') : t('tariffs.archived')}</td>
                <Show when={writable()}>
                  <td class="row-actions">
                    <RowButton label={t('app.edit')} row={tariff.name} onClick={() => form.change(tariff)} />
                    <RowButton
                      label={tariff.status === 'active' ? t('tariffs.archive') : t('tariffs.unarchive')}
                      row={tariff.name}
                      onClick={() => void setArchived(tariff, tariff.status === 'active')}
                    />
                  </td>
                </Show>
              </tr>
            )}
          </Table>
        )}
      </Listing>
      <Show when={form.open()}>{(open) => <TariffDialog tariff={open().row} onClose={form.close} />}</Show>
    </div>
  );
}

function TariffDialog(props: { tariff: TariffView | null; onClose: () => void }): JSX.Element {
  const x = props.tariff;
  const [name, setName] = createSignal(x?.name ?? '');
  const [group, setGroup] = createSignal(x?.group ?? 'internet');
  const [billing, setBilling] = createSignal<BillingKind>(x?.billing ?? 'monthly');
  const [price, setPrice] = createSignal(x ? moneyInput(x.pricePerMonth) : '');
  const [down, setDown] = createSignal(x?.speed ? String(x.speed.downKbps) : '');
  const [up, setUp] = createSignal(x?.speed ? String(x.speed.upKbps) : '');
  const [touched, setTouched] = createSignal(false);
  const submit = useSubmitOnce();
  const inUse = () => (x?.accounts ?? 0) > 0;
  const kopecks = () => parseMoney(price());
  const speedOk = () =>
    (down() === '' && up() === '') ||
    (/^\d+$/.test(down()) && /^\d+$/.test(up()) && +down() > 0 && +up() > 0);

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    const k = kopecks();
    if (name().trim() === '' || group().trim() === '' || k === null || k < 0 || !speedOk()) return;
    const speed = down() === '' ? undefined : { downKbps: Number(down()), upKbps: Number(up()) };
    let body: UpdateTariffBody | CreateTariffBody;
    if (x) {
      const update: UpdateTariffBody = { name: name().trim(), group: group().trim(), speed: speed ?? null };
      if (!inUse()) {
        update.billing = billing();
        update.pricePerMonth = k;
      }
      body = update;
    } else {
      const create: CreateTariffBody = {
        name: name().trim(),
        group: group().trim(),
        billing: billing(),
        pricePerMonth: k,
      };
      if (speed) create.speed = speed;
      body = create;
    }
    await submit.run(body, async (idempotencyKey) => {
      if (x) await put(`/api/v1/tariffs/${encodeURIComponent(x.id)}`, body, { idempotencyKey });
      else await post('/api/v1/tariffs', body, { idempotencyKey });
      await loadTariffs();
      props.onClose();
    });
  };

  return (
    <Dialog
      open
      title={x ? t('tariffs.edit') : t('tariffs.create')}
      onClose={props.onClose}
      testId="tariff-dialog"
    >
      <form class="dialog-body" onSubmit={onSubmit} novalidate>
        <Field
          label={t('tariffs.name')}
          required
          maxLength={100}
          autofocus
          data-testid="tariff-name"
          error={touched() && name().trim() === '' ? t('form.required') : undefined}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <Field
          label={t('tariffs.group')}
          required
          maxLength={100}
          error={touched() && group().trim() === '' ? t('form.required') : undefined}
          value={group()}
          onInput={(e) => setGroup(e.currentTarget.value)}
        />
        <SelectField
          label={t('tariffs.billing')}
          disabled={inUse()}
          value={billing()}
          onChange={(e) => setBilling(e.currentTarget.value as BillingKind)}
        >
          {BILLING.map((b) => (
            <option value={b}>{t(`billing.${b}`)}</option>
          ))}
        </SelectField>
        <Field
          label={t('tariffs.price')}
          inputmode="decimal"
          required
          disabled={inUse()}
          hint={inUse() ? t('tariffs.in_use_hint') : undefined}
          data-testid="tariff-price"
          error={touched() && (kopecks() === null || kopecks()! < 0) ? t('form.amount_invalid') : undefined}
          value={price()}
          onInput={(e) => setPrice(e.currentTarget.value)}
        />
        <div class="field-row">
          <Field
            label={t('tariffs.down')}
            inputmode="numeric"
            error={touched() && !speedOk() ? t('form.required') : undefined}
            value={down()}
            onInput={(e) => setDown(e.currentTarget.value.trim())}
          />
          <Field
            label={t('tariffs.up')}
            inputmode="numeric"
            value={up()}
            onInput={(e) => setUp(e.currentTarget.value.trim())}
          />
        </div>
        <FormMessage error={submit.error()} />
        <DialogActions
          onCancel={props.onClose}
          label={x ? t('app.save') : t('app.create')}
          testId="tariff-save"
          busy={submit.busy()}
        />
      </form>
    </Dialog>
  );
}
