import { Show } from 'solid-js';

/** The action a screen offers beside its title (create, add), shown only when allowed. */
export interface HeadAction {
  label: string;
  testId: string;
  allowed: boolean;
  onClick: () => void;
}

/** A screen's title (focus lands on it after navigation) and its one primary action. */
export function ScreenHead(props: { title: string; action?: HeadAction }) {
  return (
    <div class="screen-head">
      <h1 tabindex="-1">{props.title}</h1>
      <Show when={props.action?.allowed && props.action}>
        {(action) => (
          <button
            type="button"
            class="btn btn-primary"
            data-testid={action().testId}
            onClick={() => action().onClick()}
          >
            {action().label}
          </button>
        )}
      </Show>
    </div>
  );
}
