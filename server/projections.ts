import type { Following, FollowOptions } from '../actors/runtime/projection.ts';
import type { AbonentServices } from './app.ts';

// How the server's read models checkpoint (CHECKPOINT_INTERVAL_MS, and on shutdown) and what
// their build at start tells the log: a start that read the whole journal again although a
// checkpoint was expected is worth seeing.

export function checkpointOptions(
  name: string,
  services: Pick<AbonentServices, 'config' | 'clock' | 'log'>,
): NonNullable<FollowOptions['checkpoint']> {
  const log = services.log.child({ component: 'projections', projection: name });
  return {
    name,
    everyMs: services.config.checkpointIntervalMs,
    now: () => services.clock.now(),
    onSaved: (position, ms) => log.info({ position, ms: Math.round(ms) }, 'checkpoint saved'),
    onSaveFailed: (err) =>
      log.warn({ err }, 'checkpoint could not be saved: the next start reads more of the journal'),
    onRestoreFailed: (err) =>
      log.error({ err }, 'checkpoint could not be restored: reading the whole journal instead'),
  };
}

export function logBuild(
  services: Pick<AbonentServices, 'log'>,
  name: string,
  following: Following,
  /** What the read models hold, for the log line. */
  size: Record<string, number> = {},
): void {
  services.log.info(
    {
      ...size,
      component: 'projections',
      projection: name,
      restoredFrom: following.restoredFrom,
      eventsRead: following.eventsRead,
      upTo: following.builtUpTo,
      ms: Math.round(following.buildMs),
    },
    following.restoredFrom === null
      ? `${name} read models built from the whole journal`
      : `${name} read models restored from their checkpoint and the journal after it`,
  );
}
