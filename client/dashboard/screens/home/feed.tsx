import { createMemo, createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import type { LiveEvent } from '../../../live/types.ts';
import { get } from '../../api/http.ts';
import { causeLabel, describe, kindLabel, toneOf } from '../../events.ts';
import { count, t, time } from '../../i18n/i18n.ts';
import { live, useEvents, useRoom } from '../../live.ts';
import { href } from '../../router.ts';
import { Empty, ErrorState, Loading } from '../../ui/states.tsx';
import { mergeFeed } from './feed-lines.ts';

// The live event feed: the newest events on top, a bounded window of them. At a thousand
// events a second people read the rate, not each line: the updates of a frame land together,
// and lines below the fold are not laid out or painted (content-visibility). The window keeps
// at least every line of the last update (feed-lines.ts), so every event is in the list. It
// is not an aria-live region on purpose: a screen reader cannot speak that fast, and the
// tiles above carry the figures.

const HISTORY = 50;
/**
 * An update with more new lines than this is a feed nobody reads line by line. While such
 * updates come, and for CALM_MS after, the list is `busy`: the lines below the first
 * BUSY_LINES are in the DOM but not rendered until the list is scrolled or takes focus
 * (style.css). Rendering a hundred new lines ten times a second made each update a
 * 15–25 ms task, most of it for lines below the fold; at an ordinary pace nothing changes.
 */
const BUSY_LINES = 30;
const CALM_MS = 2_000;

export function Feed(): JSX.Element {
  const [items, setItems] = createSignal<LiveEvent[]>([]);
  const [state, setState] = createSignal<'loading' | 'ready' | { error: unknown }>('loading');
  const [gap, setGap] = createSignal<number | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [scrolled, setScrolled] = createSignal(false);
  let calm: ReturnType<typeof setTimeout> | undefined;

  const merge = (incoming: LiveEvent[]) => {
    if (incoming.length > 0) setItems(mergeFeed(items(), incoming));
  };

  const joined = useRoom('feed');
  useEvents((events) => {
    if (events.length > BUSY_LINES) {
      setBusy(true);
      clearTimeout(calm);
      calm = setTimeout(() => setBusy(false), CALM_MS);
    }
    merge(events);
  });
  onCleanup(live.onGap(setGap));
  onCleanup(() => clearTimeout(calm));

  const load = async () => {
    setState('loading');
    try {
      const { items: history } = await get<{ items: LiveEvent[] }>('/api/v1/feed', {
        query: { limit: HISTORY },
      });
      merge(live.remember(history).sort((a, b) => a.position - b.position));
      setState('ready');
    } catch (error) {
      setState({ error });
    }
  };
  onMount(() => void joined.then(load));

  return (
    <section class="panel feed-panel" aria-labelledby="feed-title">
      <h2 id="feed-title">{t('feed.title')}</h2>
      <Show when={gap()}>
        {(position) => (
          <p class="notice" role="status">
            {t('live.gap', { position: count(position()) })}
          </p>
        )}
      </Show>
      <Show when={typeof state() === 'object' && items().length === 0}>
        <ErrorState error={(state() as { error: unknown }).error} title={t('feed.error')} onRetry={load} />
      </Show>
      <Show when={state() === 'loading' && items().length === 0}>
        <Loading />
      </Show>
      <Show when={state() === 'ready' && items().length === 0}>
        <Empty>{t('feed.empty')}</Empty>
      </Show>
      <ol
        class="feed"
        classList={{ busy: busy(), scrolled: scrolled() }}
        data-testid="feed"
        aria-labelledby="feed-title"
        onScroll={(e) => setScrolled(e.currentTarget.scrollTop > 0)}
      >
        <For each={items()}>{(event) => <FeedItem event={event} />}</For>
      </ol>
    </section>
  );
}

/**
 * One line. An event never changes, so only the words follow the language (one memo); the
 * rest is written once. At a thousand lines a second, fewer reactive parts per line count.
 */
function FeedItem(props: { event: LiveEvent }): JSX.Element {
  const event = props.event;
  const position = event.position;
  const tone = toneOf(event.event.type);
  const datetime = new Date(event.at).toISOString();
  const words = createMemo(() => ({
    line: describe(event),
    time: time(event.at),
    cause: causeLabel(event.cause),
    object: kindLabel(event.kind),
  }));
  return (
    <li class={`feed-item tone-${tone}`} data-position={position}>
      <time class="feed-time" datetime={datetime}>
        {words().time}
      </time>
      <span class="feed-text">{words().line.text}</span>
      <span class="feed-object">
        <Show when={words().line.accountId} fallback={`${words().object} ${event.id}`}>
          {(id) => <a href={href.account(id())}>{`${kindLabel('account')} ${id()}`}</a>}
        </Show>
      </span>
      <span class="feed-cause">{words().cause}</span>
    </li>
  );
}
