import { createEffect, createSignal, For, type JSX, on, onCleanup, onMount, Show } from 'solid-js';
import type { OperationsPage, OperationView } from '../../../../protocol/money.ts';
import type { LiveEvent } from '../../../live/types.ts';
import { get } from '../../api/http.ts';
import { causeLabel } from '../../events.ts';
import { dateTime, money, signedMoney, t } from '../../i18n/i18n.ts';
import { Empty, ErrorState, Loading } from '../../ui/states.tsx';

// The operations of an account, newest first, a page at a time. The first page follows the
// account live; older pages stay put while someone reads them.

const LIMIT = 20;
const LIVE_REFRESH_MS = 300;

export function Operations(props: { accountId: string; lastEvent: LiveEvent | null }): JSX.Element {
  // Cursors of the pages before the current one, for "Newer".
  const [trail, setTrail] = createSignal<(string | undefined)[]>([]);
  const [cursor, setCursor] = createSignal<string | undefined>(undefined);
  const [page, setPage] = createSignal<OperationsPage | null>(null);
  const [error, setError] = createSignal<unknown>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const load = async () => {
    const at = cursor();
    try {
      const reply = await get<OperationsPage>(
        `/api/v1/accounts/${encodeURIComponent(props.accountId)}/operations`,
        {
          query: { limit: LIMIT, cursor: at },
        },
      );
      if (at !== cursor()) return;
      setPage(reply);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  onMount(() => void load());
  createEffect(
    on(
      () => props.lastEvent,
      (event) => {
        if (!event || cursor() !== undefined || timer !== undefined) return;
        timer = setTimeout(() => {
          timer = undefined;
          void load();
        }, LIVE_REFRESH_MS);
      },
      { defer: true },
    ),
  );
  onCleanup(() => clearTimeout(timer));

  const older = () => {
    const next = page()?.nextCursor;
    if (!next) return;
    setTrail([...trail(), cursor()]);
    setCursor(next);
    setPage(null);
    void load();
  };
  const newer = () => {
    const t2 = trail();
    if (t2.length === 0) return;
    setCursor(t2[t2.length - 1]);
    setTrail(t2.slice(0, -1));
    setPage(null);
    void load();
  };

  return (
    <section class="panel" aria-labelledby="ops-title">
      <h2 id="ops-title">{t('ops.title')}</h2>
      <Show when={error()}>
        <ErrorState error={error()} onRetry={load} />
      </Show>
      <Show when={!page() && !error()}>
        <Loading />
      </Show>
      <Show when={page()}>
        {(p) => (
          <Show when={p().items.length > 0} fallback={<Empty>{t('ops.empty')}</Empty>}>
            <div class="table-wrap">
              <table class="table" data-testid="operations">
                <thead>
                  <tr>
                    <th scope="col">{t('ops.when')}</th>
                    <th scope="col">{t('ops.kind')}</th>
                    <th scope="col" class="num">
                      {t('ops.amount')}
                    </th>
                    <th scope="col" class="num">
                      {t('ops.balance_after')}
                    </th>
                    <th scope="col">{t('ops.by')}</th>
                    <th scope="col">{t('ops.details')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={p().items}>{(op) => <OperationRow op={op} />}</For>
                </tbody>
              </table>
            </div>
          </Show>
        )}
      </Show>
      <nav class="pager" aria-label={t('ops.title')}>
        <button type="button" class="btn btn-small" disabled={trail().length === 0} onClick={newer}>
          ← {t('app.newer')}
        </button>
        <button type="button" class="btn btn-small" disabled={!page()?.nextCursor} onClick={older}>
          {t('app.older')} →
        </button>
      </nav>
    </section>
  );
}

function OperationRow(props: { op: OperationView }): JSX.Element {
  const op = props.op;
  const shown = op.amount !== 0 ? op.amount : -op.held;
  const details = [
    op.product,
    op.description,
    op.source ? t(`source.${op.source}`) : undefined,
    op.reference,
    op.reason,
    op.period,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <tr>
      <td>{dateTime(op.at)}</td>
      <td>{t(`op.${op.kind}`)}</td>
      <td class={`num ${shown > 0 ? 'amount-in' : shown < 0 ? 'amount-out' : ''}`}>{signedMoney(shown)}</td>
      <td class="num">{money(op.balance)}</td>
      <td>{causeLabel(op.by)}</td>
      <td>{details}</td>
    </tr>
  );
}
