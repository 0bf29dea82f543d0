import type { Journal, StoredEvent } from '../journal/types.ts';
import type { LiveEvent } from './bus.ts';
import { causedBy, decidedAt, type Envelope } from './envelope.ts';
import type { ActorSystem } from './system.ts';

// Read models (lists, search, KPIs, the audit log) are projections: built from the whole
// journal at start, then kept current from every commit this process makes
// (ActorSystem.onPersisted). Commits that land while the journal is being read are held back
// and applied after it, those already read skipped, so none is missed or applied twice.

export interface JournalFollower {
  /** One journaled event, during the build at start, in position order. */
  stored(event: StoredEvent<Envelope>): void;
  /** One commit of this process after the build: its events and the actor's state after them. */
  live(events: LiveEvent[], state: unknown): void;
  /** Called once the build is done, before the first live commit. */
  built?(lastPosition: number): void;
}

export interface Following {
  /** The last position read during the build. */
  readonly builtUpTo: number;
  close(): void;
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

/** Reads the journal once into every follower, then feeds them this process's commits. */
export async function followJournal(
  journal: Journal,
  system: ActorSystem,
  followers: readonly JournalFollower[],
): Promise<Following> {
  let held: { events: LiveEvent[]; state: unknown }[] | undefined = [];
  const deliver = (events: LiveEvent[], state: unknown) => {
    for (const f of followers) f.live(events, state);
  };
  const off = system.onPersisted((events, state) => {
    if (held) held.push({ events, state });
    else deliver(events, state);
  });
  let after = 0;
  try {
    for (;;) {
      const page = await journal.readAll<Envelope>(after, PAGE);
      if (page.length === 0) break;
      for (const stored of page) for (const f of followers) f.stored(stored);
      after = page[page.length - 1]!.position;
    }
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
  return { builtUpTo: after, close: off };
}
