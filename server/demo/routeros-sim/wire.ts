// The RouterOS API wire format, written from MikroTik's protocol description rather than
// shared with the client, so that a mistake on one side is caught by the other.
//
// A word is a length prefix (1–5 bytes, big-endian) followed by that many bytes; a
// sentence is words ending in a zero-length word. The router keeps bytes as they come,
// so words are latin1 strings here: every byte maps to one char and back unchanged.

export function encodeLength(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new RangeError(`word length out of range: ${length}`);
  }
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x4000) return Buffer.from([0x80 | (length >>> 8), length & 0xff]);
  if (length < 0x200000) {
    return Buffer.from([0xc0 | (length >>> 16), (length >>> 8) & 0xff, length & 0xff]);
  }
  if (length < 0x10000000) {
    return Buffer.from([
      0xe0 | (length >>> 24),
      (length >>> 16) & 0xff,
      (length >>> 8) & 0xff,
      length & 0xff,
    ]);
  }
  return Buffer.from([0xf0, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]);
}

/**
 * Reads a length prefix at `offset`. Returns null while the prefix is still incomplete;
 * throws on a control byte (0xF8 and up), which the protocol reserves.
 */
export function decodeLength(buf: Buffer, offset: number): { length: number; size: number } | null {
  if (offset >= buf.length) return null;
  const b = buf[offset]!;
  let size: number;
  let length: number;
  if ((b & 0x80) === 0) return { length: b, size: 1 };
  if ((b & 0xc0) === 0x80) {
    size = 2;
    length = b & 0x3f;
  } else if ((b & 0xe0) === 0xc0) {
    size = 3;
    length = b & 0x1f;
  } else if ((b & 0xf0) === 0xe0) {
    size = 4;
    length = b & 0x0f;
  } else if (b === 0xf0) {
    size = 5;
    length = 0;
  } else {
    throw new Error(`reserved control byte 0x${b.toString(16)} in a length prefix`);
  }
  if (offset + size > buf.length) return null;
  for (let i = 1; i < size; i++) length = length * 256 + buf[offset + i]!;
  return { length, size };
}

export function encodeWord(word: string): Buffer {
  const body = Buffer.from(word, 'latin1');
  return Buffer.concat([encodeLength(body.length), body]);
}

const END = Buffer.from([0]);

export function encodeSentence(words: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const w of words) parts.push(encodeWord(w));
  parts.push(END);
  return Buffer.concat(parts);
}

/**
 * Splits a byte stream into sentences, whatever the TCP chunking. Chunks of a long word
 * are only joined once the whole word is there, so a stream costs linear time.
 */
export class SentenceReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before parsing can make progress again. */
  private needed = 0;
  private words: string[] = [];

  /** Returns the sentences completed by this chunk, in order. Empty sentences are dropped. */
  push(chunk: Buffer): string[][] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return [];
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out: string[][] = [];
    let offset = 0;
    this.needed = 0;
    for (;;) {
      const prefix = decodeLength(buf, offset);
      if (!prefix) {
        this.needed = buf.length - offset + 1;
        break;
      }
      const end = offset + prefix.size + prefix.length;
      if (end > buf.length) {
        this.needed = end - offset;
        break;
      }
      if (prefix.length === 0) {
        if (this.words.length > 0) out.push(this.words);
        this.words = [];
      } else {
        this.words.push(buf.toString('latin1', offset + prefix.size, end));
      }
      offset = end;
    }
    const rest = buf.subarray(offset);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
