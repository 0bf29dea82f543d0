import type { Journal, StoredEvent } from '../journal/types.ts';
import type { LiveEvent } from './bus.ts';
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { causedBy, decidedAt, type Envelope } from './envelope.ts';
import type { ActorSystem } from './system.ts';

// Read models (lists, search, KPIs, the audit log, the billing index) are projections: built
// from the journal at start, then kept current from every commit this process makes
// (ActorSystem.onPersisted). Commits that land while the journal is being read are held back
// and applied after it, those already read skipped, so none is missed or applied twice.
//
// With a checkpoint name, the followers' states are saved now and then and on stop as of
// the last position they have seen (checkpoint.ts), and the next start restores them and
// reads only the journal after it. Commits reach the followers in position order (one
// process writes the journal; its commits resolve in the order they were written), so what
// they have seen is always every event up to that position.

export interface JournalFollower {
  /** One journaled event, during the build at start, in position order. */
  stored(event: StoredEvent<Envelope>): void;
  /** One commit of this process after the build: its events and the actor's state after them. */
  live(events: LiveEvent[], state: unknown): void;
  /** Called once the build is done, before the first live commit. */
  built?(lastPosition: number): void;
}

/** A follower whose state can be saved and restored as plain JSON data. */
export interface CheckpointedFollower extends JournalFollower {
  /**
   * Bumped whenever what save() writes, or how stored() folds events on top of a restored
   * state, changes: a checkpoint saved by another version is not used.
   */
  readonly checkpointVersion: number;
  /**
   * The state as plain JSON data, made of copies or of values never changed in place: it is
   * serialized over several turns of the event loop while commits go on changing the follower.
   */
  save(): unknown;
  /** Whether saved data still fits this follower's settings (say, the time zone it sums by). */
  fits?(data: unknown): boolean;
  /** Called on a fresh follower, before any event, with data it saved and that fits. */
  restore(data: unknown): void;
  /** Back to empty, as constructed: after a restore that threw, the build reads the whole journal. */
  reset(): void;
}

export interface FollowOptions {
  /** Saves and restores the followers' states under this name; every follower must support it. */
  checkpoint?: {
    name: string;
    /** How often a checkpoint is saved while running, when events came since the last one. */
    everyMs: number;
    /** Time of a save, for the snapshot row. */
    now(): number;
    onSaved?(position: number, ms: number): void;
    onSaveFailed?(error: unknown): void;
    /** A checkpoint that fitted but could not be restored (a bug): the build reads the whole journal instead. */
    onRestoreFailed?(error: unknown): void;
  };
  /** Events per journal read (default 20,000). */
  pageSize?: number;
  /** Lets requests in between pages: for a build that runs while the server answers. */
  yieldBetweenPages?: boolean;
  /** Checked between pages: true gives up the build (shutdown during start). */
  cancelled?(): boolean;
}

export interface Following {
  /** The last position read during the build. */
  readonly builtUpTo: number;
  /** The position of the checkpoint the build began from, or null when it read the whole journal. */
  readonly restoredFrom: number | null;
  /** Journal events read by the build. */
  readonly eventsRead: number;
  /** How long the build took, checkpoint included. */
  readonly buildMs: number;
  /** Saves a checkpoint now (when one is configured and events came since the last). */
  checkpoint(): Promise<void>;
  /** Saves a last checkpoint (when configured), then stops following. */
  stop(): Promise<void>;
}

const PAGE = 20_000;

/** The key `<kind>:<id>` of a stored event, split. */
export function splitKey(key: string): { kind: string; id: string } {
  const i = key.indexOf(':');
  return i < 0 ? { kind: key, id: '' } : { kind: key.slice(0, i), id: key.slice(i + 1) };
}

/** A stored event as the live bus carries it, for followers that handle both alike. */
export function toLiveEvent(stored: StoredEvent<Envelope>): LiveEvent {
  const { kind, id } = splitKey(stored.key);
  return {
    position: stored.position,
    kind,
    id,
    sequenceNumber: stored.sequenceNumber,
    event: stored.data.event,
    cause: causedBy(stored.data),
    at: decidedAt(stored.data),
  };
}

interface Saved {
  versions: number[];
  states: unknown[];
}

/** Reads the journal (after a checkpoint, when there is one) into every follower, then feeds them this process's commits. */
export async function followJournal(
  journal: Journal,
  system: ActorSystem,
  followers: readonly JournalFollower[],
  options: FollowOptions = {},
): Promise<Following> {
  const buildStarted = performance.now();
  const checkpointing = options.checkpoint;
  const checkpointed = checkpointing ? asCheckpointed(followers, checkpointing.name) : [];
  let held: { events: LiveEvent[]; state: unknown }[] | undefined = [];
  /** Every event up to here has reached the followers. */
  let seen = 0;
  const deliver = (events: LiveEvent[], state: unknown) => {
    for (const f of followers) f.live(events, state);
    seen = events[events.length - 1]!.position;
  };
  const off = system.onPersisted((events, state) => {
    if (held) held.push({ events, state });
    else deliver(events, state);
  });
  let after = 0;
  let restoredFrom: number | null = null;
  let eventsRead = 0;
  try {
    if (checkpointing) {
      const found = await loadCheckpoint(journal, checkpointing.name);
      if (found && usable(found, checkpointed) && found.position <= (await journal.lastPosition())) {
        const { states } = found.data as Saved;
        try {
          for (let i = 0; i < checkpointed.length; i++) checkpointed[i]!.restore(states[i]);
          after = restoredFrom = found.position;
        } catch (error) {
          // Only a cache: a start must not fail on it.
          for (const f of checkpointed) f.reset();
          checkpointing.onRestoreFailed?.(error);
        }
      }
    }
    const pageSize = options.pageSize ?? PAGE;
    for (;;) {
      const page = await journal.readAll<Envelope>(after, pageSize);
      if (page.length === 0) break;
      for (const stored of page) for (const f of followers) f.stored(stored);
      eventsRead += page.length;
      after = page[page.length - 1]!.position;
      if (options.yieldBetweenPages) await new Promise((resolve) => setImmediate(resolve));
      if (options.cancelled?.()) throw new Error('projection build cancelled');
    }
    seen = after;
    for (const f of followers) f.built?.(after);
    const pending = held;
    held = undefined;
    for (const { events, state } of pending) {
      if (events[events.length - 1]!.position > after) deliver(events, state);
    }
  } catch (error) {
    off();
    throw error;
  }

  const buildMs = performance.now() - buildStarted;
  let savedAt = restoredFrom ?? -1;
  /** One save at a time: two would write chunks under the same keys. */
  let saving: Promise<void> | undefined;
  const save = async (position: number): Promise<void> => {
    if (!checkpointing) return;
    const started = performance.now();
    try {
      // Taken in this very turn of the event loop: the states are those of `position`.
      const data: Saved = {
        versions: checkpointed.map((f) => f.checkpointVersion),
        states: checkpointed.map((f) => f.save()),
      };
      await saveCheckpoint(journal, checkpointing.name, { position, data }, checkpointing.now());
      savedAt = position;
      checkpointing.onSaved?.(position, performance.now() - started);
    } catch (error) {
      checkpointing.onSaveFailed?.(error);
    }
  };
  const checkpoint = async (): Promise<void> => {
    while (saving) await saving;
    if (!checkpointing || seen === savedAt) return;
    const current = save(seen).finally(() => {
      saving = undefined;
    });
    saving = current;
    await current;
  };
  const timer = checkpointing ? setInterval(() => void checkpoint(), checkpointing.everyMs) : undefined;
  timer?.unref();
  return {
    builtUpTo: after,
    restoredFrom,
    eventsRead,
    buildMs,
    checkpoint,
    stop: async () => {
      clearInterval(timer);
      off();
      await checkpoint();
    },
  };
}

function asCheckpointed(followers: readonly JournalFollower[], name: string): CheckpointedFollower[] {
  return followers.map((f) => {
    if (!('checkpointVersion' in f)) throw new TypeError(`checkpoint ${name}: a follower cannot be saved`);
    return f as CheckpointedFollower;
  });
}

function usable(found: Checkpoint, followers: readonly CheckpointedFollower[]): boolean {
  const data = found.data as Partial<Saved> | null;
  return (
    Array.isArray(data?.versions) &&
    Array.isArray(data.states) &&
    data.versions.length === followers.length &&
    data.states.length === followers.length &&
    followers.every(
      (f, i) => data.versions![i] === f.checkpointVersion && (f.fits?.(data.states![i]) ?? true),
    )
  );
}
