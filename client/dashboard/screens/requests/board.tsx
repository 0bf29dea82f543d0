import { createMemo, createSignal, For, type JSX, onCleanup, Show } from 'solid-js';
import type { RequestStatus } from '../../../../protocol/network.ts';
import { count, t } from '../../i18n/i18n.ts';
import { can } from '../../session.ts';
import { tariffName, tariffs } from '../../tariffs.ts';
import { Field, SelectField } from '../../ui/field.tsx';
import { ScreenHead } from '../../ui/screen-head.tsx';
import { Empty, ErrorState, Loading } from '../../ui/states.tsx';
import { MOVES, STATUSES, useBoard, useStaffNames } from './data.ts';
import { age, matches } from './filters.ts';
import { type Action, RequestPanel } from './panel.tsx';
import './requests.css';

// The CRM board: one column per status, a card per request, live. A card moves with its own
// buttons (one per status it may go to), which open the request's panel at that step, since
// each step asks for something (who, when, which router, why); no drag and drop is needed,
// so a keyboard does everything a mouse does. `#/requests?open=R5` opens R5 (the map links so).

/** Cards of a closed column (connected, rejected) shown at first and added per "more". */
const CLOSED_PAGE = 30;

export function RequestsScreen(): JSX.Element {
  const board = useBoard();
  const staff = useStaffNames();
  const [q, setQ] = createSignal('');
  const [status, setStatus] = createSignal<RequestStatus | ''>('');
  const [assignee, setAssignee] = createSignal('');
  const [tariff, setTariff] = createSignal('');
  const [open, setOpen] = createSignal<{ id: string; action: Action | null } | null>(null);
  const [now, setNow] = createSignal(Date.now());
  const tick = setInterval(() => setNow(Date.now()), 30_000);
  onCleanup(() => clearInterval(tick));
  const writable = () => can('requests.write');

  const wanted = new URLSearchParams(location.hash.split('?')[1] ?? '').get('open');
  if (wanted) setOpen({ id: wanted, action: null });

  const shown = createMemo(() => {
    const needle = q();
    return board
      .list()
      .filter(
        (r) =>
          (status() === '' || r.status === status()) &&
          (assignee() === '' || (assignee() === '-' ? r.assignee === null : r.assignee === assignee())) &&
          (tariff() === '' || (tariff() === '-' ? !r.tariffId : r.tariffId === tariff())) &&
          matches(r, needle),
      );
  });
  const columns = () => (status() === '' ? STATUSES : [status() as RequestStatus]);
  const inColumn = (s: RequestStatus) => shown().filter((r) => r.status === s);
  // Closed requests pile up for years: their columns show the newest few, more on request.
  const [closedShown, setClosedShown] = createSignal(CLOSED_PAGE);
  const visible = (s: RequestStatus) => {
    const all = inColumn(s);
    return s === 'connected' || s === 'rejected' ? all.slice(0, closedShown()) : all;
  };

  return (
    <div class="screen requests">
      <ScreenHead title={t('req.title')} />
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Field
          label={t('app.search')}
          type="search"
          class="search"
          placeholder={t('req.search')}
          data-testid="requests-search"
          value={q()}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <SelectField
          label={t('req.filter_status')}
          data-testid="requests-status"
          value={status()}
          onChange={(e) => setStatus(e.currentTarget.value as RequestStatus | '')}
        >
          <option value="">{t('app.all')}</option>
          <For each={STATUSES}>{(s) => <option value={s}>{t(`req.status.${s}`)}</option>}</For>
        </SelectField>
        <SelectField
          label={t('req.filter_assignee')}
          data-testid="requests-assignee"
          value={assignee()}
          onChange={(e) => setAssignee(e.currentTarget.value)}
        >
          <option value="">{t('app.all')}</option>
          <option value="-">{t('req.unassigned')}</option>
          <For each={staff.people()}>{(p) => <option value={p.id}>{p.username}</option>}</For>
        </SelectField>
        <SelectField
          label={t('req.filter_tariff')}
          data-testid="requests-tariff"
          value={tariff()}
          onChange={(e) => setTariff(e.currentTarget.value)}
        >
          <option value="">{t('app.all')}</option>
          <option value="-">{t('req.no_tariff')}</option>
          <For each={tariffs() ?? []}>{(x) => <option value={x.id}>{x.name}</option>}</For>
        </SelectField>
      </form>

      <Show when={board.error() && !board.loaded()}>
        <ErrorState error={board.error()} title={t('req.error')} onRetry={() => void board.load()} />
      </Show>
      <Show when={!board.error() && !board.loaded()}>
        <Loading />
      </Show>
      <Show when={board.loaded()}>
        <Show when={board.list().length > 0} fallback={<Empty>{t('req.empty')}</Empty>}>
          <Show when={shown().length === 0}>
            <Empty>{t('req.none_found')}</Empty>
          </Show>
          <div class="kanban" data-testid="requests-board">
            <For each={columns()}>
              {(s) => (
                <section class="kanban-col" aria-labelledby={`col-${s}`} data-testid={`column-${s}`}>
                  <h2 id={`col-${s}`}>
                    {t(`req.status.${s}`)}{' '}
                    <span class="kanban-count">{t('req.count', { count: count(inColumn(s).length) })}</span>
                  </h2>
                  <Show
                    when={inColumn(s).length > 0}
                    fallback={<p class="kanban-empty">{t('req.column_empty')}</p>}
                  >
                    <ul class="kanban-cards">
                      <For each={visible(s)}>
                        {(r) => (
                          <li class="req-card" data-testid={`request-${r.id}`} data-status={r.status}>
                            <button
                              type="button"
                              class="req-card-open"
                              aria-label={t('req.open', { id: r.id })}
                              onClick={() => setOpen({ id: r.id, action: null })}
                            >
                              <span class="req-card-name">{r.name}</span>
                              <span class="req-card-id">{r.id}</span>
                            </button>
                            <dl class="req-card-facts">
                              <dt class="sr-only">{t('req.phone')}</dt>
                              <dd>{r.phone}</dd>
                              <dt class="sr-only">{t('req.address')}</dt>
                              <dd>{r.address}</dd>
                              <dt class="sr-only">{t('req.tariff')}</dt>
                              <dd>{r.tariffId ? tariffName(r.tariffId) : t('req.no_tariff')}</dd>
                              <dt class="sr-only">{t('req.assignee')}</dt>
                              <dd data-testid="card-assignee">{staff.name(r.assignee)}</dd>
                              <dt class="sr-only">{t('req.created')}</dt>
                              <dd class="req-card-age">{age(r.createdAt, now())}</dd>
                            </dl>
                            <Show when={writable() && MOVES[r.status].length > 0}>
                              <fieldset class="req-card-moves">
                                <legend class="sr-only">{t('req.move_to', { id: r.id })}</legend>
                                <For each={MOVES[r.status]}>
                                  {(to) => (
                                    <button
                                      type="button"
                                      class="btn btn-small"
                                      classList={{ 'btn-danger-outline': to === 'rejected' }}
                                      data-testid={`move-${to}`}
                                      onClick={() => setOpen({ id: r.id, action: to as Action })}
                                    >
                                      → {t(`req.status.${to}`)}
                                      <span class="sr-only"> {r.id}</span>
                                    </button>
                                  )}
                                </For>
                              </fieldset>
                            </Show>
                          </li>
                        )}
                      </For>
                    </ul>
                    <Show when={visible(s).length < inColumn(s).length}>
                      <button
                        type="button"
                        class="btn btn-small kanban-more"
                        data-testid={`more-${s}`}
                        onClick={() => setClosedShown((n) => n + CLOSED_PAGE)}
                      >
                        {t('app.more')}
                      </button>
                    </Show>
                  </Show>
                </section>
              )}
            </For>
          </div>
        </Show>
      </Show>
      <Show when={open()} keyed>
        {(o) => (
          <RequestPanel
            board={board}
            staff={staff}
            id={o.id}
            action={o.action}
            onClose={() => {
              setOpen(null);
              // The card may have moved to another column (a new element): focus goes back to it there.
              requestAnimationFrame(() =>
                document
                  .querySelector<HTMLElement>(`[data-testid="request-${o.id}"] .req-card-open`)
                  ?.focus(),
              );
            }}
          />
        )}
      </Show>
    </div>
  );
}
