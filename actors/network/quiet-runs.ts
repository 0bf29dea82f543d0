// Journal positions this process committed and saw (ActorSystem.onPersisted) that carry no
// news for any router, kept as merged runs [first, last]. The hand-off steps over a run that
// starts right after its position instead of reading those events back from the journal and
// parsing them (~4 µs each, every event of a charge storm, in pages that stall the event loop).
// A position it has not seen (another writer's, or one read before it was seen) is never
// skipped: the gap stops the step and the journal is read from there, as before.

/** Runs kept at most; past that they are forgotten and the journal is read instead. */
const MAX_RUNS = 10_000;

export class QuietRuns {
  /** Disjoint, ascending, not adjacent (adjacent runs are merged). */
  private firsts: number[] = [];
  private lasts: number[] = [];

  get size(): number {
    return this.firsts.length;
  }

  /** Positions first..last (one commit of one actor: consecutive) are known to be quiet. */
  add(first: number, last: number): void {
    const { firsts, lasts } = this;
    const n = firsts.length;
    // Commits are mostly seen in position order: join or follow the last run.
    if (n === 0 || first > lasts[n - 1]! + 1) {
      if (n >= MAX_RUNS) this.clear();
      this.firsts.push(first);
      this.lasts.push(last);
      return;
    }
    if (first >= firsts[n - 1]!) {
      lasts[n - 1] = Math.max(lasts[n - 1]!, last);
      return;
    }
    // Out of order: insert and merge with whatever it touches.
    let i = 0;
    while (i < n && lasts[i]! + 1 < first) i++;
    let j = i;
    let from = first;
    let to = last;
    while (j < n && firsts[j]! <= last + 1) {
      from = Math.min(from, firsts[j]!);
      to = Math.max(to, lasts[j]!);
      j++;
    }
    firsts.splice(i, j - i, from);
    lasts.splice(i, j - i, to);
  }

  /**
   * The position reached from `position` by stepping over the quiet runs that follow it
   * without a gap; runs at or below the result are forgotten.
   */
  skip(position: number): number {
    const { firsts, lasts } = this;
    let at = position;
    let drop = 0;
    while (drop < firsts.length && firsts[drop]! <= at + 1) {
      at = Math.max(at, lasts[drop]!);
      drop++;
    }
    if (drop > 0) {
      firsts.splice(0, drop);
      lasts.splice(0, drop);
    }
    return at;
  }

  clear(): void {
    this.firsts = [];
    this.lasts = [];
  }
}
