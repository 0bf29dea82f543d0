import { createSignal, For, type JSX, Show } from 'solid-js';
import type { BillingKind, CreateTariffBody, TariffView, UpdateTariffBody } from '../../../protocol/money.ts';
import { ActionKey, ApiFailure, post, put } from '../api/http.ts';
import { count, money, moneyInput, parseMoney, t } from '../i18n/i18n.ts';
import { useRoom } from '../live.ts';
import { can } from '../session.ts';
import { loadTariffs, tariffs, tariffsError } from '../tariffs.ts';
import { Dialog, DialogActions } from '../ui/dialog.tsx';
import { Field, SelectField } from '../ui/field.tsx';
import { usePoll } from '../ui/poll.ts';
import { ScreenHead } from '../ui/screen-head.tsx';
import { Empty, ErrorState, FormMessage, Loading } from '../ui/states.tsx';

// Tariffs: the catalog, a form to create or change one, and archiving. The list follows
// the catalog live (data/tariffs.ts refetches on its events).

const BILLING: BillingKind[] = ['monthly', 'daily', 'hourly'];

export function TariffsScreen(): JSX.Element {
  const [showArchived, setShowArchived] = createSignal(false);
  const [editing, setEditing] = createSignal<TariffView | 'new' | null>(null);
  const [rowError, setRowError] = createSignal<unknown>();
  const writable = () => can('tariffs.write');
  const shown = () => (tariffs() ?? []).filter((x) => showArchived() || x.status === 'active');
  // The catalog's changes come with the feed; a role that may not follow it polls instead.
  if (can('feed.read')) useRoom('feed');
  else usePoll(() => void loadTariffs(), 30_000);

  const setArchived = async (tariff: TariffView, archived: boolean) => {
    setRowError(undefined);
    try {
      await put(`/api/v1/tariffs/${encodeURIComponent(tariff.id)}`, { archived });
      await loadTariffs();
    } catch (err) {
      setRowError(err);
    }
  };

  return (
    <div class="screen tariffs">
      <ScreenHead
        title={t('tariffs.title')}
        action={{
          label: t('tariffs.create'),
          testId: 'tariff-create',
          allowed: writable(),
          onClick: () => setEditing('new'),
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
      <FormMessage error={rowError()} />
      <Show when={tariffsError() && !tariffs()}>
        <ErrorState error={tariffsError()} title={t('tariffs.error')} onRetry={loadTariffs} />
      </Show>
      <Show when={!tariffsError() && !tariffs()}>
        <Loading />
      </Show>
      <Show when={tariffs()}>
        <Show when={shown().length > 0} fallback={<Empty>{t('tariffs.empty')}</Empty>}>
          <div class="table-wrap">
            <table class="table" data-testid="tariffs">
              <thead>
                <tr>
                  <th scope="col">{t('tariffs.name')}</th>
                  <th scope="col">{t('tariffs.group')}</th>
                  <th scope="col">{t('tariffs.billing')}</th>
                  <th scope="col" class="num">
                    {t('tariffs.price')}
                  </th>
                  <th scope="col">{t('tariffs.speed')}</th>
                  <th scope="col" class="num">
                    {t('tariffs.accounts')}
                  </th>
                  <th scope="col">{t('tariffs.status')}</th>
                  <Show when={writable()}>
                    <th scope="col">
                      <span class="sr-only">{t('app.edit')}</span>
                    </th>
                  </Show>
                </tr>
              </thead>
              <tbody>
                <For each={shown()}>
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
                          <button type="button" class="btn btn-small" onClick={() => setEditing(tariff)}>
                            {t('app.edit')}
                            <span class="sr-only"> {tariff.name}</span>
                          </button>
                          <button
                            type="button"
                            class="btn btn-small"
                            onClick={() => setArchived(tariff, tariff.status === 'active')}
                          >
                            {tariff.status === 'active' ? t('tariffs.archive') : t('tariffs.unarchive')}
                            <span class="sr-only"> {tariff.name}</span>
                          </button>
                        </td>
                      </Show>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </Show>
      <Show when={editing()}>
        {(what) => (
          <TariffDialog
            tariff={what() === 'new' ? null : (what() as TariffView)}
            onClose={() => setEditing(null)}
          />
        )}
      </Show>
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
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const key = new ActionKey();
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
    setBusy(true);
    setError(undefined);
    try {
      if (x) {
        const body: UpdateTariffBody = { name: name().trim(), group: group().trim(), speed: speed ?? null };
        if (!inUse()) {
          body.billing = billing();
          body.pricePerMonth = k;
        }
        await put(`/api/v1/tariffs/${encodeURIComponent(x.id)}`, body, { idempotencyKey: key.for(body) });
      } else {
        const body: CreateTariffBody = {
          name: name().trim(),
          group: group().trim(),
          billing: billing(),
          pricePerMonth: k,
        };
        if (speed) body.speed = speed;
        await post('/api/v1/tariffs', body, { idempotencyKey: key.for(body) });
      }
      key.settle();
      await loadTariffs();
      props.onClose();
    } catch (err) {
      if (!(err instanceof ApiFailure && err.retryable)) key.settle();
      setError(err);
    } finally {
      setBusy(false);
    }
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
        <FormMessage error={error()} />
        <DialogActions
          onCancel={props.onClose}
          label={x ? t('app.save') : t('app.create')}
          testId="tariff-save"
          busy={busy()}
        />
      </form>
    </Dialog>
  );
}
