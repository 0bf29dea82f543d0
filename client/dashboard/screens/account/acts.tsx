import { createSignal, For, type JSX, onMount, Show } from 'solid-js';
import type { Act } from '../../../../protocol/money.ts';
import { get } from '../../api/http.ts';
import { count, money, t } from '../../i18n/i18n.ts';
import { Empty, ErrorState, FormMessage, Loading } from '../../ui/states.tsx';

// The monthly act of services rendered, and its CSV for the accountant.

function thisMonth(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

export function Acts(props: { accountId: string }): JSX.Element {
  const [month, setMonth] = createSignal(thisMonth());
  const [act, setAct] = createSignal<Act | null>(null);
  const [error, setError] = createSignal<unknown>();
  const [loading, setLoading] = createSignal(false);
  const [csvError, setCsvError] = createSignal<unknown>();
  const path = () => `/api/v1/accounts/${encodeURIComponent(props.accountId)}/acts/${month()}`;

  const load = async () => {
    setLoading(true);
    try {
      setAct(await get<Act>(path()));
      setError(undefined);
    } catch (err) {
      setError(err);
      setAct(null);
    } finally {
      setLoading(false);
    }
  };
  onMount(() => void load());

  const downloadCsv = async () => {
    setCsvError(undefined);
    try {
      const text = await get<string>(path(), { accept: 'text/csv' });
      const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `act-${props.accountId}-${month()}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setCsvError(err);
    }
  };

  return (
    <section class="panel" aria-labelledby="acts-title">
      <h2 id="acts-title">{t('acts.title')}</h2>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <div class="field">
          <label for="act-month">{t('acts.month')}</label>
          <input
            id="act-month"
            type="month"
            required
            value={month()}
            onInput={(e) => setMonth(e.currentTarget.value)}
          />
        </div>
        <button type="submit" class="btn">
          {t('acts.show')}
        </button>
        <button type="button" class="btn" onClick={downloadCsv} disabled={!act()}>
          {t('app.download_csv')}
        </button>
      </form>
      <FormMessage error={csvError()} />
      <Show when={loading() && !act()}>
        <Loading />
      </Show>
      <Show when={error()}>
        <ErrorState error={error()} onRetry={load} />
      </Show>
      <Show when={act()}>
        {(a) => (
          <Show when={a().lines.length > 0} fallback={<Empty>{t('acts.empty')}</Empty>}>
            <div class="table-wrap">
              <table class="table" data-testid="act">
                <thead>
                  <tr>
                    <th scope="col">{t('acts.product')}</th>
                    <th scope="col" class="num">
                      {t('acts.count')}
                    </th>
                    <th scope="col" class="num">
                      {t('acts.charged')}
                    </th>
                    <th scope="col" class="num">
                      {t('acts.refunded')}
                    </th>
                    <th scope="col" class="num">
                      {t('acts.amount')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  <For each={a().lines}>
                    {(line) => (
                      <tr>
                        <td>{line.product}</td>
                        <td class="num">{count(line.count)}</td>
                        <td class="num">{money(line.charged)}</td>
                        <td class="num">{money(line.refunded)}</td>
                        <td class="num">{money(line.amount)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row">{t('acts.total')}</th>
                    <td />
                    <td class="num">{money(a().charged)}</td>
                    <td class="num">{money(a().refunded)}</td>
                    <td class="num">
                      <strong>{money(a().total)}</strong>
                    </td>
                  </tr>
                </tfoot>
              </table>
            </div>
          </Show>
        )}
      </Show>
    </section>
  );
}
