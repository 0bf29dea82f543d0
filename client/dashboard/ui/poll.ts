import { onCleanup } from 'solid-js';

// For the few lists whose changes do not come through the feed (staff users, the audit of
// logins): fetched again now and then while the tab is visible, so they never need a reload.

export function usePoll(fn: () => void, everyMs: number): void {
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') fn();
  }, everyMs);
  const onVisible = () => {
    if (document.visibilityState === 'visible') fn();
  };
  document.addEventListener('visibilitychange', onVisible);
  onCleanup(() => {
    clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisible);
  });
}
