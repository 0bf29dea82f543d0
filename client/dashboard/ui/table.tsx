import { For, type JSX } from 'solid-js';

// The tables of the list screens: the same wrapper (it scrolls sideways on a narrow screen),
// column heads for screen readers, and buttons that say which row they act on.

export interface Column {
  label: string;
  /** Numbers are right-aligned, head and cells alike. */
  num?: boolean;
  /** A column of buttons: its head is read out but not shown. */
  unseen?: boolean;
}

export function Table<Row>(props: {
  testId: string;
  columns: Column[];
  rows: Row[];
  children: (row: Row) => JSX.Element;
}): JSX.Element {
  return (
    <div class="table-wrap">
      <table class="table" data-testid={props.testId}>
        <thead>
          <tr>
            <For each={props.columns}>
              {(column) => (
                <th scope="col" class={column.num ? 'num' : undefined}>
                  {column.unseen ? <span class="sr-only">{column.label}</span> : column.label}
                </th>
              )}
            </For>
          </tr>
        </thead>
        <tbody>
          <For each={props.rows}>{(row) => props.children(row)}</For>
        </tbody>
      </table>
    </div>
  );
}

/** One of the buttons every row has: its name says which row ("Edit kassa") to a screen reader. */
export function RowButton(props: {
  label: string;
  row: string;
  onClick: () => void;
  class?: string;
  testId?: string;
  disabled?: boolean;
}): JSX.Element {
  return (
    <button
      type="button"
      class={props.class ?? 'btn btn-small'}
      disabled={props.disabled}
      data-testid={props.testId}
      onClick={() => props.onClick()}
    >
      {props.label}
      <span class="sr-only"> {props.row}</span>
    </button>
  );
}
