/*
 * Replaces node-routeros's connector/Receiver.js (node-routeros 1.6.9,
 * https://github.com/aluisiora/node-routeros), keeping its interface (read, stop,
 * processRawData) so the library's Connector and Channel work on top of it unchanged.
 *
 * MIT License — Copyright (c) 2017 Aluísio Rodrigues Amaral
 * Permission is hereby granted, free of charge, to any person obtaining a copy of this
 * software and associated documentation files (the "Software"), to deal in the Software
 * without restriction, including without limitation the rights to use, copy, modify,
 * merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
 * permit persons to whom the Software is furnished to do so, subject to the following
 * conditions: The above copyright notice and this permission notice shall be included in
 * all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
 * WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
 * WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN
 * NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR
 * OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
 * OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 *
 * Why it is replaced rather than wrapped: the original runs inside the socket's 'data'
 * handler, so anything it throws kills the process. It throws on a sentence for a tag it
 * no longer reads (UNREGISTEREDTAG) and hands RouterOS 7.18's `!empty` to Channel, which
 * throws UNKNOWNREPLY. It also guesses sentence ends from TCP chunk boundaries, and a
 * `!fatal` leaves it stuck. This one frames sentences by the empty word as the protocol
 * says, drops `!empty` (its `!done` follows), turns `!fatal` into a closed connection
 * with the router's reason, and never lets an exception out of the data handler.
 */

/** Where a reply goes: Channel's packet handler, registered by tag. */
type PacketHandler = (packet: string[]) => void;

export interface ReceiverHooks {
  /** The router sent `!fatal` (it closes the connection next). */
  fatal(message: string): void;
  /** The stream cannot be trusted any more; the connection must be dropped. */
  broken(reason: string, err?: unknown): void;
}

// Words come in Windows-1252, as node-routeros's Transmitter writes them. Node's
// TextDecoder treats that label as latin1, so the 0x80–0x9F block is mapped here.
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

export function decodeCp1252(buf: Buffer, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', start, end);
  let out = '';
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    out += b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80] : String.fromCharCode(b);
  }
  return out;
}

/** Length prefix at `offset`: null while incomplete; throws on the reserved control bytes. */
export function readLength(buf: Buffer, offset: number): { length: number; size: number } | null {
  if (offset >= buf.length) return null;
  const b = buf[offset]!;
  if (b < 0x80) return { length: b, size: 1 };
  const size = b < 0xc0 ? 2 : b < 0xe0 ? 3 : b < 0xf0 ? 4 : b === 0xf0 ? 5 : 0;
  if (size === 0) throw new Error(`reserved control byte 0x${b.toString(16)}`);
  if (offset + size > buf.length) return null;
  let length = size === 5 ? 0 : b & (0xff >> size);
  for (let i = 1; i < size; i++) length = length * 256 + buf[offset + i]!;
  return { length, size };
}

const REPLIES = new Set(['!re', '!done', '!trap']);

export class SentenceReceiver {
  private readonly tags = new Map<string, PacketHandler>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private needed = 0;
  private words: string[] = [];
  private dead = false;

  constructor(private readonly hooks: ReceiverHooks) {}

  read(tag: string, callback: PacketHandler): void {
    this.tags.set(tag, callback);
  }

  stop(tag: string): void {
    this.tags.delete(tag);
  }

  processRawData(chunk: Buffer): void {
    if (this.dead) return;
    try {
      this.consume(chunk);
    } catch (err) {
      this.dead = true;
      this.hooks.broken('protocol error', err);
    }
  }

  private consume(chunk: Buffer): void {
    // Chunks of a long word are joined only once the word is complete: linear in the stream.
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    let offset = 0;
    this.needed = 0;
    for (;;) {
      const prefix = readLength(buf, offset);
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
        const sentence = this.words;
        this.words = [];
        if (sentence.length > 0) this.dispatch(sentence);
        if (this.dead) return;
      } else {
        this.words.push(decodeCp1252(buf, offset + prefix.size, end));
      }
      offset = end;
    }
    const rest = buf.subarray(offset);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  private dispatch(sentence: string[]): void {
    const [reply = '', ...rest] = sentence;
    if (reply === '!fatal') {
      // RouterOS sends the reason as a bare word; accept `=message=` too.
      const word = rest.find((w) => !w.startsWith('.tag=')) ?? '';
      this.dead = true;
      this.hooks.fatal(word.startsWith('=message=') ? word.slice(9) : word);
      return;
    }
    // `!empty` only announces that no `!re` will come; Channel would throw on it.
    if (!REPLIES.has(reply)) return;
    let tag: string | undefined;
    const packet = [reply];
    for (const w of rest) {
      if (w.startsWith('.tag=')) tag = w.slice(5);
      else packet.push(w);
    }
    const handler = tag === undefined ? undefined : this.tags.get(tag);
    // A late reply to a channel that already gave up has nobody to go to.
    if (!handler) return;
    try {
      handler(packet);
    } catch (err) {
      this.dead = true;
      this.hooks.broken('reply handler failed', err);
    }
  }
}
