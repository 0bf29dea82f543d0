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

/**
 * Array elements serialized per turn of the event loop: a slice of a column (or of 5,000
 * audit entries, subscribers' phones…) holds requests for a millisecond or so, where a
 * million-account directory written in one go held them for seconds.
 */
const SLICE = 5_000;

/**
 * Writes the chunks, then the manifest that makes them the checkpoint. `data` is serialized
 * over many turns of the event loop, so it must not change meanwhile (followers save copies).
 */
export async function saveCheckpoint(
  journal: Store,
  name: string,
  checkpoint: Checkpoint,
  at: number,
  chunkChars = CHECKPOINT_CHUNK_CHARS,
): Promise<void> {
  const save = randomUUID();
  const written: Promise<void>[] = [];
  const chunks = new Chunks(chunkChars, (text, i) => {
    const chunk: Chunk = { save, text };
    const write = journal.takeSnapshot({
      key: chunkKey(name, i),
      sequenceNumber: checkpoint.position,
      data: chunk,
      createdAt: at,
    });
    // Awaited below, after the rest is serialized; meanwhile a failure must not go unhandled.
    write.catch(() => {});
    written.push(write);
  });
  await writeJson(checkpoint.data, (piece) => chunks.add(piece));
  chunks.end();
  await Promise.all(written);
  const manifest: Manifest = { save, chunks: chunks.count };
  await journal.takeSnapshot({
    key: manifestKey(name),
    sequenceNumber: checkpoint.position,
    data: manifest,
    createdAt: at,
  });
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The text JSON.stringify would give, in pieces: objects and arrays near the top are walked,
 * and long arrays among them stringified a slice at a time, with a turn of the event loop
 * between slices.
 */
export async function writeJson(value: unknown, out: (piece: string) => void, depth = 0): Promise<void> {
  if (
    depth >= 6 ||
    value === null ||
    typeof value !== 'object' ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    out(JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    out('[');
    if (value.length > SLICE) {
      for (let i = 0; i < value.length; i += SLICE) {
        const text = JSON.stringify(value.slice(i, i + SLICE));
        out(i === 0 ? text.slice(1, -1) : `,${text.slice(1, -1)}`);
        await nextTurn();
      }
    } else {
      for (let i = 0; i < value.length; i++) {
        if (i > 0) out(',');
        await writeJson(value[i], out, depth + 1);
      }
    }
    out(']');
    return;
  }
  out('{');
  let first = true;
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    await writeJson(v, out, depth + 1);
  }
  out('}');
}

/** Cuts a stream of text pieces into chunks of exactly `size` characters (the last one shorter). */
class Chunks {
  count = 0;
  private parts: string[] = [];
  private length = 0;

  constructor(
    private readonly size: number,
    private readonly onChunk: (text: string, index: number) => void,
  ) {}

  add(piece: string): void {
    let rest = piece;
    while (this.length + rest.length >= this.size) {
      const room = this.size - this.length;
      this.parts.push(rest.slice(0, room));
      rest = rest.slice(room);
      this.flush();
    }
    if (rest.length > 0) {
      this.parts.push(rest);
      this.length += rest.length;
    }
  }

  end(): void {
    if (this.length > 0 || this.count === 0) this.flush();
  }

  private flush(): void {
    this.onChunk(this.parts.join(''), this.count++);
    this.parts = [];
    this.length = 0;
  }
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
