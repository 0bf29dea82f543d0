import { createSignal } from 'solid-js';

/** A list screen's one form for adding a row or changing one: open for a new row, for a row, or shut. */
export function useRowForm<Row>() {
  const [open, setOpen] = createSignal<{ row: Row | null } | null>(null);
  return {
    open,
    add: () => setOpen({ row: null }),
    change: (row: Row) => setOpen({ row }),
    close: () => setOpen(null),
  };
}
