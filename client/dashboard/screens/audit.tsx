import { createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import { get } from '../api/http.ts';
import { type AuditEntry, type AuditPage, instantMs } from '../api/types.ts';
import { dateTime, t } from '../i18n/i18n.ts';
import { useEvents, useRoom } from '../live.ts';
import { Field } from '../ui/field.tsx';
import { usePoll } from '../ui/poll.ts';
import { Empty, ErrorState, FormMessage, Loading } from '../ui/states.tsx';

// The audit log: who did what, when, from where. Filters, paging by cursor, CSV export. While
// the newest page is on screen it follows the journal: new entries appear without a reload.

const LIMIT = 50;
const LIVE_REFRESH_MS = 3_000;

interface Filters {
  user: string;
  action: string;
  object: string;
  from: string;
  to: string;
}

const toQuery = (f: Filters) => ({
  user: f.user.trim() || undefined,
  action: f.action.trim() || undefined,
  object: f.object.trim() || undefined,
  // Whole days in the user's zone: "to" includes the day it names.
  from: f.from ? new Date(`${f.from}T00:00:00`).getTime() : undefined,
  to: f.to ? new Date(`${f.to}T00:00:00`).getTime() + 86_400_000 : undefined,
});

export function AuditScreen(): JSX.Element {
  const [draft, setDraft] = createSignal<Filters>({ user: '', action: '', object: '', from: '', to: '' });
  const [applied, setApplied] = createSignal<Filters>(draft());
  const [items, setItems] = createSignal<AuditEntry[] | null>(null);
  const [next, setNext] = createSignal<string | undefined>();
  const [error, setError] = createSignal<unknown>();
  const [busy, setBusy] = createSignal(false);
  const [csvError, setCsvError] = createSignal<unknown>();
  let liveTimer: ReturnType<typeof setTimeout> | undefined;

  const load = async (cursor?: string) => {
    setBusy(true);
    try {
      const page = await get<AuditPage>('/api/v1/audit', {
        query: { ...toQuery(applied()), limit: LIMIT, cursor },
      });
      setItems(cursor ? [...(items() ?? []), ...page.items] : page.items);
      setNext(page.nextCursor);
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  onMount(() => void load());

  /** The newest entries, merged on top of what is shown (the reader may have paged further down). */
  const refreshTop = async () => {
    try {
      const page = await get<AuditPage>('/api/v1/audit', { query: { ...toQuery(applied()), limit: LIMIT } });
      const known = new Set((items() ?? []).map((i) => i.position));
      const fresh = page.items.filter((i) => !known.has(i.position));
      if (fresh.length > 0) setItems([...fresh, ...(items() ?? [])]);
    } catch {
      // The next event tries again; the list on screen stays as it was.
    }
  };
  useRoom('feed');
  useEvents(() => {
    if (liveTimer !== undefined || items() === null) return;
    liveTimer = setTimeout(() => {
      liveTimer = undefined;
      void refreshTop();
    }, LIVE_REFRESH_MS);
  });
  onCleanup(() => clearTimeout(liveTimer));
  // Sign-ins and staff changes are audited but not in the feed.
  usePoll(() => {
    if (items() !== null) void refreshTop();
  }, 15_000);

  const update = (field: keyof Filters) => (e: { currentTarget: HTMLInputElement }) =>
    setDraft({ ...draft(), [field]: e.currentTarget.value });

  const exportCsv = async () => {
    setCsvError(undefined);
    try {
      const text = await get<string>('/api/v1/audit', {
        query: { ...toQuery(applied()), limit: 10_000 },
        accept: 'text/csv',
      });
      const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `audit-${new Date().toISOString().slice(0, 10)}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setCsvError(err);
    }
  };

  return (
    <div class="screen audit">
      <h1 tabindex="-1">{t('audit.title')}</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(draft());
          setItems(null);
          void load();
        }}
      >
        <Field
          label={t('audit.user')}
          value={draft().user}
          onInput={update('user')}
          data-testid="audit-user"
        />
        <Field label={t('audit.action')} value={draft().action} onInput={update('action')} />
        <Field label={t('audit.object')} value={draft().object} onInput={update('object')} />
        <Field label={t('audit.from')} type="date" value={draft().from} onInput={update('from')} />
        <Field label={t('audit.to')} type="date" value={draft().to} onInput={update('to')} />
        <button type="submit" class="btn btn-primary">
          {t('audit.apply')}
        </button>
        <button type="button" class="btn" onClick={exportCsv}>
          {t('app.download_csv')}
        </button>
      </form>
      <FormMessage error={csvError()} />
      <Show when={error()}>
        <ErrorState error={error()} title={t('audit.error')} onRetry={() => load()} />
      </Show>
      <Show when={items() === null && !error()}>
        <Loading />
      </Show>
      <Show when={items()}>
        {(list) => (
          <Show when={list().length > 0} fallback={<Empty>{t('audit.empty')}</Empty>}>
            <div class="table-wrap">
              <table class="table" data-testid="audit">
                <thead>
                  <tr>
                    <th scope="col">{t('audit.when')}</th>
                    <th scope="col">{t('audit.user')}</th>
                    <th scope="col">{t('audit.ip')}</th>
                    <th scope="col">{t('audit.action')}</th>
                    <th scope="col">{t('audit.object')}</th>
                    <th scope="col">{t('audit.details')}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={list()}>
                    {(entry) => (
                      <tr data-position={entry.position}>
                        <td>{dateTime(instantMs(entry.at))}</td>
                        <td>{entry.user ?? t('app.none')}</td>
                        <td>{entry.ip ?? t('app.none')}</td>
                        <td>
                          <code>{entry.action}</code>
                        </td>
                        <td>{entry.object ?? t('app.none')}</td>
                        <td class="details">{details(entry.details)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <Show when={next()}>
              <button type="button" class="btn" disabled={busy()} onClick={() => load(next())}>
                {t('app.more')}
              </button>
            </Show>
          </Show>
        )}
      </Show>
    </div>
  );
}

function details(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}
