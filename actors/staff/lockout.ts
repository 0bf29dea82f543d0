// How repeated login failures slow a user down and then lock it: pure, from the number of
// recent failures and the time of the last one, so the actor's state (and a ManualClock in
// tests) decides everything.
//
//   failures 1–3   no wait
//   failures 4–9   the next attempt waits 1, 2, 4, 8, 16, 30 s (answered 423 account_locked)
//   failure 10+    locked for 15 minutes, again after every further failure
//
// A failure counts as recent for an hour; a successful login clears the count.

export const FREE_FAILURES = 3;
export const LOCK_AFTER_FAILURES = 10;
export const LOCK_MS = 15 * 60_000;
export const MAX_BACKOFF_MS = 30_000;
/** Failures older than this are forgotten when the next one is counted. */
export const FAILURE_MEMORY_MS = 60 * 60_000;

/** Until when the user must wait after its `failures`-th failure at `at` (0: no wait). */
export function lockedUntilAfter(failures: number, at: number): number {
  if (failures <= FREE_FAILURES) return 0;
  if (failures >= LOCK_AFTER_FAILURES) return at + LOCK_MS;
  return at + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - FREE_FAILURES - 1));
}

/** The failure count after one more failure at `now`. */
export function nextFailureCount(failures: number, lastFailureAt: number, now: number): number {
  return (now - lastFailureAt > FAILURE_MEMORY_MS ? 0 : failures) + 1;
}

/** Whole seconds until `until` (at least 1), for Retry-After. */
export function retryAfterSeconds(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}
