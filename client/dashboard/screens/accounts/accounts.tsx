import { createVirtualizer } from '@tanstack/solid-virtual';
import { createEffect, createMemo, createSignal, For, type JSX, onCleanup, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import type { Key } from '../../i18n/dict.ts';
import { count, money, parseMoney, t } from '../../i18n/i18n.ts';
import { href, navigate } from '../../router.ts';
import { tariffName, tariffs } from '../../tariffs.ts';
import { StatusBadge } from '../../ui/badge.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Empty, ErrorState, Loading } from '../../ui/states.tsx';
import { createDirectory, type DirectoryQuery, type SortKey } from './directory.ts';

// Subscribers and accounts: one virtualized grid over the whole directory (100,000 rows stay
// smooth: only the rows on screen exist in the DOM), search, filters and sort done by the
// server. Rows are keyboard-navigable (arrows, Page Up/Down, Home/End, Enter opens the card).

const ROW_HEIGHT = 40;

interface Column {
  key: string;
  label: Key;
  sort?: SortKey;
  numeric?: boolean;
}

const COLUMNS: Column[] = [
  { key: 'account', label: 'col.account', sort: 'id' },
  { key: 'name', label: 'col.name', sort: 'name' },
  { key: 'phone', label: 'col.phone' },
  { key: 'address', label: 'col.address' },
  { key: 'status', label: 'col.status', sort: 'status' },
  { key: 'tariff', label: 'col.tariff' },
  { key: 'balance', label: 'col.balance', sort: 'balance', numeric: true },
  { key: 'available', label: 'col.available', numeric: true },
];

// Kept between visits, so going back from an account card finds the list as it was left.
const [filters, setFilters] = createStore<DirectoryQuery & { balanceText: string; scroll: number }>({
  q: '',
  status: '',
  tariffId: '',
  balanceBelow: null,
  balanceText: '',
  sort: 'id',
  order: 'asc',
  scroll: 0,
});
const [focusedIndex, setFocusedIndex] = createSignal(0);

export function AccountsScreen(): JSX.Element {
  // The search waits for a pause in typing; the other filters apply at once.
  const [q, setQ] = createSignal(filters.q);
  let typing: ReturnType<typeof setTimeout> | undefined;
  const onSearch = (value: string) => {
    setFilters('q', value);
    clearTimeout(typing);
    typing = setTimeout(() => setQ(value), 250);
  };
  onCleanup(() => clearTimeout(typing));
  const query = createMemo(
    (): DirectoryQuery => ({
      q: q(),
      status: filters.status,
      tariffId: filters.tariffId,
      balanceBelow: filters.balanceBelow,
      sort: filters.sort,
      order: filters.order,
    }),
    undefined,
    { equals: (a: DirectoryQuery | undefined, b: DirectoryQuery) => JSON.stringify(a) === JSON.stringify(b) },
  );
  const directory = createDirectory(query);
  const balanceError = () => filters.balanceText.trim() !== '' && parseMoney(filters.balanceText) === null;

  return (
    <div class="screen accounts">
      <h1 tabindex="-1">{t('accounts.title')}</h1>
      <search>
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <Field
            label={t('app.search')}
            type="search"
            class="search"
            placeholder={t('accounts.search')}
            data-testid="accounts-search"
            value={filters.q}
            onInput={(e) => onSearch(e.currentTarget.value)}
          />
          <SelectField
            label={t('accounts.status')}
            data-testid="accounts-status"
            value={filters.status}
            onChange={(e) => setFilters('status', e.currentTarget.value as DirectoryQuery['status'])}
          >
            <option value="">{t('app.all')}</option>
            <option value="active">{t('status.active')}</option>
            <option value="blocked">{t('status.blocked')}</option>
            <option value="closed">{t('status.closed')}</option>
          </SelectField>
          <SelectField
            label={t('accounts.tariff')}
            data-testid="accounts-tariff"
            value={filters.tariffId}
            onChange={(e) => setFilters('tariffId', e.currentTarget.value)}
          >
            <option value="">{t('app.all')}</option>
            <For each={tariffs() ?? []}>{(tariff) => <option value={tariff.id}>{tariff.name}</option>}</For>
          </SelectField>
          <Field
            label={t('accounts.balance_below')}
            inputmode="decimal"
            class="narrow"
            data-testid="accounts-balance-below"
            error={balanceError() && t('form.amount_invalid')}
            value={filters.balanceText}
            onInput={(e) => {
              const text = e.currentTarget.value;
              setFilters('balanceText', text);
              const parsed = text.trim() === '' ? null : parseMoney(text);
              if (text.trim() === '' || parsed !== null) setFilters('balanceBelow', parsed);
            }}
          />
          <button
            type="button"
            class="btn"
            onClick={() => {
              setFilters({ q: '', status: '', tariffId: '', balanceBelow: null, balanceText: '' });
              setQ('');
            }}
          >
            {t('accounts.reset')}
          </button>
        </form>
      </search>
      <p class="found" role="status" aria-live="polite">
        <Show when={directory.total() !== null}>
          {t('accounts.found', { count: count(directory.total()!) })}
        </Show>
      </p>
      <Show when={directory.error()}>
        <ErrorState error={directory.error()} title={t('accounts.error')} onRetry={directory.retry} />
      </Show>
      <Show when={directory.total() === null && !directory.error()}>
        <Loading />
      </Show>
      <Show when={directory.total() === 0}>
        <Empty>{t('accounts.empty')}</Empty>
      </Show>
      <Show when={(directory.total() ?? 0) > 0}>
        <Grid directory={directory} />
      </Show>
    </div>
  );
}

function Grid(props: { directory: ReturnType<typeof createDirectory> }): JSX.Element {
  const d = props.directory;
  let scroller!: HTMLTableSectionElement;
  const virtualizer = createVirtualizer({
    get count() {
      return d.total() ?? 0;
    },
    getScrollElement: () => scroller,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    initialOffset: filters.scroll,
  });

  // Fetch what scrolled into view, once the scrolling pauses for a moment.
  let pending: ReturnType<typeof setTimeout> | undefined;
  createEffect(() => {
    const items = virtualizer.getVirtualItems();
    const first = items[0]?.index ?? 0;
    const last = items[items.length - 1]?.index ?? 0;
    clearTimeout(pending);
    pending = setTimeout(() => d.showRange(first, last), 60);
  });
  onCleanup(() => {
    clearTimeout(pending);
    setFilters('scroll', scroller?.scrollTop ?? 0);
  });

  // The row that takes Tab stays among the rendered ones, or the table could not be tabbed into.
  createEffect(() => {
    const items = virtualizer.getVirtualItems();
    const i = focusedIndex();
    if (
      items.length > 0 &&
      !items.some((it) => it.index === i) &&
      !scroller.contains(document.activeElement)
    ) {
      setFocusedIndex(items[Math.min(items.length - 1, 8)]!.index);
    }
  });

  const move = (to: number) => {
    const total = d.total() ?? 0;
    const i = Math.max(0, Math.min(total - 1, to));
    setFocusedIndex(i);
    virtualizer.scrollToIndex(i, { align: 'auto' });
    // The row is usually rendered already (overscan); a far jump renders it in the next frame.
    const row = () => scroller.querySelector<HTMLElement>(`[data-index="${i}"]`);
    const now = row();
    if (now) now.focus({ preventScroll: true });
    else requestAnimationFrame(() => row()?.focus({ preventScroll: true }));
  };
  const pageRows = () => Math.max(1, Math.floor(scroller.clientHeight / ROW_HEIGHT) - 1);
  const onKeyDown = (e: KeyboardEvent, i: number) => {
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(i + 1),
      ArrowUp: () => move(i - 1),
      PageDown: () => move(i + pageRows()),
      PageUp: () => move(i - pageRows()),
      Home: () => move(0),
      End: () => move((d.total() ?? 1) - 1),
      Enter: () => {
        const id = d.idAt(i);
        if (id) navigate(href.account(id));
      },
    };
    const action = keys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };

  const sortBy = (key: SortKey) => {
    if (filters.sort === key) setFilters('order', filters.order === 'asc' ? 'desc' : 'asc');
    else setFilters({ sort: key, order: 'asc' });
  };

  return (
    <table
      class="grid"
      aria-label={t('accounts.table')}
      aria-rowcount={(d.total() ?? 0) + 1}
      aria-colcount={COLUMNS.length}
      data-testid="accounts-grid"
    >
      <thead class="grid-head">
        <tr aria-rowindex={1} class="grid-row grid-header-row">
          <For each={COLUMNS}>
            {(col) => (
              <th
                scope="col"
                class={`cell cell-${col.key}${col.numeric ? ' num' : ''}`}
                aria-sort={
                  col.sort && filters.sort === col.sort
                    ? filters.order === 'asc'
                      ? 'ascending'
                      : 'descending'
                    : undefined
                }
              >
                <Show when={col.sort} fallback={t(col.label)}>
                  {(key) => (
                    <button
                      type="button"
                      class="sort"
                      title={t('sort.by', { column: t(col.label) })}
                      onClick={() => sortBy(key())}
                    >
                      {t(col.label)}
                      <span aria-hidden="true" class="sort-mark">
                        {filters.sort === key() ? (filters.order === 'asc' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  )}
                </Show>
              </th>
            )}
          </For>
        </tr>
      </thead>
      <tbody ref={scroller} class="grid-body" style={{ '--total-height': `${virtualizer.getTotalSize()}px` }}>
        <For each={virtualizer.getVirtualItems()}>
          {(item) => (
            <GridRow
              index={item.index}
              start={item.start}
              id={d.idAt(item.index)}
              directory={d}
              focused={focusedIndex() === item.index}
              onFocus={() => setFocusedIndex(item.index)}
              onKeyDown={(e) => onKeyDown(e, item.index)}
            />
          )}
        </For>
      </tbody>
    </table>
  );
}

function GridRow(props: {
  index: number;
  start: number;
  id: string | undefined;
  directory: ReturnType<typeof createDirectory>;
  focused: boolean;
  onFocus: () => void;
  onKeyDown: (e: KeyboardEvent) => void;
}): JSX.Element {
  const row = () => (props.id === undefined ? undefined : props.directory.rows[props.id]);
  return (
    <tr
      class="grid-row"
      classList={{ placeholder: !row() }}
      aria-rowindex={props.index + 2}
      data-index={props.index}
      data-account={props.id}
      data-position={row()?.position}
      tabindex={props.focused ? 0 : -1}
      style={{ transform: `translateY(${props.start}px)` }}
      onFocus={() => props.onFocus()}
      onKeyDown={(e) => props.onKeyDown(e)}
      onClick={() => props.id && navigate(href.account(props.id))}
    >
      <Show
        when={row()}
        fallback={
          <td class="cell cell-wide" colSpan={COLUMNS.length} aria-busy="true">
            <span class="skeleton" />
          </td>
        }
      >
        {(r) => (
          <>
            <td class="cell cell-account">
              <a href={href.account(r().accountId)} tabindex="-1">
                {r().accountId}
              </a>
            </td>
            <td class="cell cell-name">{r().name ?? ''}</td>
            <td class="cell cell-phone">{r().phone ?? ''}</td>
            <td class="cell cell-address">{r().address ?? ''}</td>
            <td class="cell cell-status">
              <StatusBadge status={r().status} />
            </td>
            <td class="cell cell-tariff">{tariffName(r().tariffId)}</td>
            <td class={`cell cell-balance num${r().balance < 0 ? ' negative' : ''}`}>{money(r().balance)}</td>
            <td class="cell cell-available num">{money(r().available)}</td>
          </>
        )}
      </Show>
    </tr>
  );
}
