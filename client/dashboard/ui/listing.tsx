import { type Accessor, type JSX, Show } from 'solid-js';
import { Empty, ErrorState, Loading } from './states.tsx';

// A list screen before its first answer, when that failed, when the list is empty, and once
// it has rows. A list that was shown stays shown when a later refresh fails: the live feed
// or the next poll brings it up to date, and a stale list beats an error in its place.

export function Listing<Item>(props: {
  /** Undefined until the first answer, and whenever the screen has no list to show. */
  items: Item[] | undefined;
  error: unknown;
  errorTitle: string;
  onRetry: () => void;
  /** The spinner; by default while there is neither a list nor an error. */
  loading?: boolean;
  empty: JSX.Element;
  children: (items: Accessor<Item[]>) => JSX.Element;
}): JSX.Element {
  return (
    <>
      <Show when={props.error && !props.items}>
        <ErrorState error={props.error} title={props.errorTitle} onRetry={props.onRetry} />
      </Show>
      <Show when={!props.items && (props.loading ?? !props.error)}>
        <Loading />
      </Show>
      <Show when={props.items}>
        {(items) => (
          <Show when={items().length > 0} fallback={<Empty>{props.empty}</Empty>}>
            {props.children(items)}
          </Show>
        )}
      </Show>
    </>
  );
}
