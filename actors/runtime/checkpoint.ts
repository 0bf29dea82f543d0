import { randomUUID } from 'node:crypto';
import type { Journal } from '../journal/types.ts';

// A projection checkpoint: a read model's state as of a journal position, so that a start
// reads only the journal after it instead of the whole journal (hourly tariffs write 24
// events a day per account: a year of a few thousand accounts is tens of millions of events).
//
// Checkpoints live in the journal's own snapshot store, under keys no actor uses: a backup of
// the journal carries its checkpoints, and a journal restored from an older backup comes
// with its own older ones. A checkpoint is only a cache: one that is missing, torn (a crash
// between its chunks), of another version, or past the end of the journal is not used, and
// the start reads the journal from the beginning as it would without one.

const PREFIX = 'projection:';
/**
 * MongoDB refuses a document over 16 MB: a chunk of 4M UTF-16 code units is at most 12 MB of
 * UTF-8, also once the engine has JSON-encoded it again (an escaped quote is two bytes, a
 * Cyrillic letter two, any other unit at most three). A directory of a million accounts is
 * ~140 MB of JSON.
 */
export const CHECKPOINT_CHUNK_CHARS = 4_000_000;

interface Manifest {
  /** The same in the manifest and in every chunk of one save, so chunks of two saves never mix. */
  save: string;
  chunks: number;
}

interface Chunk {
  save: string;
  text: string;
}

export interface Checkpoint {
  /** Every journal event up to this position, and none after it, is folded into `data`. */
  position: number;
  data: unknown;
}

const manifestKey = (name: string) => `${PREFIX}${name}`;
const chunkKey = (name: string, i: number) => `${PREFIX}${name}#${i}`;

type Store = Pick<Journal, 'takeSnapshot' | 'latestSnapshot'>;

/** Writes the chunks, then the manifest that makes them the checkpoint. */
export async function saveCheckpoint(
  journal: Store,
  name: string,
  checkpoint: Checkpoint,
  at: number,
  chunkChars = CHECKPOINT_CHUNK_CHARS,
): Promise<void> {
  const text = JSON.stringify(checkpoint.data) ?? 'null';
  const save = randomUUID();
  const chunks = Math.max(1, Math.ceil(text.length / chunkChars));
  for (let i = 0; i < chunks; i++) {
    const chunk: Chunk = { save, text: text.slice(i * chunkChars, (i + 1) * chunkChars) };
    await journal.takeSnapshot({
      key: chunkKey(name, i),
      sequenceNumber: checkpoint.position,
      data: chunk,
      createdAt: at,
    });
  }
  const manifest: Manifest = { save, chunks };
  await journal.takeSnapshot({
    key: manifestKey(name),
    sequenceNumber: checkpoint.position,
    data: manifest,
    createdAt: at,
  });
}

/** The last whole checkpoint saved under this name, or undefined (none, or torn). */
export async function loadCheckpoint(journal: Store, name: string): Promise<Checkpoint | undefined> {
  const manifest = await journal.latestSnapshot<Manifest>(manifestKey(name));
  if (!manifest || typeof manifest.data?.save !== 'string' || !(manifest.data.chunks >= 1)) return undefined;
  const texts: string[] = [];
  for (let i = 0; i < manifest.data.chunks; i++) {
    const chunk = await journal.latestSnapshot<Chunk>(chunkKey(name, i));
    if (
      !chunk ||
      chunk.sequenceNumber !== manifest.sequenceNumber ||
      chunk.data?.save !== manifest.data.save ||
      typeof chunk.data.text !== 'string'
    ) {
      return undefined;
    }
    texts.push(chunk.data.text);
  }
  try {
    return { position: manifest.sequenceNumber, data: JSON.parse(texts.join('')) };
  } catch {
    return undefined;
  }
}
