import type net from 'node:net';
import { Transmitter } from 'node-routeros';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCp1252, readLength, SentenceReceiver } from './receiver.ts';

// The reply parser that replaces node-routeros's, fed with bytes from node-routeros's own
// encoder (the same length format both ways) in every chunking.

const tx = new Transmitter({} as net.Socket) as unknown as {
  encodeString(s: string | null): Buffer | string;
};
const sentence = (...words: string[]) =>
  Buffer.concat([...words.map((w) => tx.encodeString(w) as Buffer), Buffer.from([0])]);

function receiver() {
  const events: string[] = [];
  const packets: string[][] = [];
  const r = new SentenceReceiver({
    fatal: (m) => events.push(`fatal:${m}`),
    broken: (reason) => events.push(`broken:${reason}`),
  });
  r.read('t1', (p) => packets.push(p));
  return { r, events, packets };
}

const test = suite('routeros receiver');

test('frames sentences by the empty word in any chunking, and strips the tag', () => {
  const bytes = Buffer.concat([
    sentence('!re', '=.id=*1', `=comment=${'x'.repeat(0x4000)}`, '.tag=t1'),
    sentence('!done', '.tag=t1'),
  ]);
  for (const step of [1, 2, 5, 1000, bytes.length]) {
    const { r, packets, events } = receiver();
    for (let i = 0; i < bytes.length; i += step) r.processRawData(bytes.subarray(i, i + step));
    assert.equal(
      packets.map((p) => p.map((w) => w.slice(0, 12))),
      [['!re', '=.id=*1', '=comment=xxx'], ['!done']],
      `step ${step}`,
    );
    assert.equal(events, []);
  }
});

test('!empty is dropped, the !done after it still arrives', () => {
  const { r, packets } = receiver();
  r.processRawData(Buffer.concat([sentence('!empty', '.tag=t1'), sentence('!done', '.tag=t1')]));
  assert.equal(packets, [['!done']]);
});

test('a reply for a tag nobody reads, or an unknown reply word, is dropped quietly', () => {
  const { r, packets, events } = receiver();
  r.processRawData(
    Buffer.concat([sentence('!done', '.tag=gone'), sentence('!weird', '.tag=t1'), sentence('!done')]),
  );
  assert.equal(packets, []);
  assert.equal(events, []);
});

test('!fatal reports the router reason and stops parsing', () => {
  const { r, packets, events } = receiver();
  r.processRawData(
    Buffer.concat([sentence('!fatal', 'session terminated on request'), sentence('!done', '.tag=t1')]),
  );
  assert.equal(events, ['fatal:session terminated on request']);
  assert.equal(packets, []);
});

test('a throwing reply handler or a reserved control byte breaks the connection, never the process', () => {
  const { r, events } = receiver();
  r.read('t2', () => {
    throw new Error('boom');
  });
  r.processRawData(sentence('!done', '.tag=t2'));
  assert.equal(events, ['broken:reply handler failed']);
  const second = receiver();
  second.r.processRawData(Buffer.from([0xf8, 1, 2]));
  assert.equal(second.events, ['broken:protocol error']);
});

test('length prefixes: all forms, and incomplete ones wait', () => {
  assert.equal(readLength(Buffer.from([0x7f]), 0), { length: 0x7f, size: 1 });
  assert.equal(readLength(Buffer.from([0xbf, 0xff]), 0), { length: 0x3fff, size: 2 });
  assert.equal(readLength(Buffer.from([0xdf, 0xff, 0xff]), 0), { length: 0x1fffff, size: 3 });
  assert.equal(readLength(Buffer.from([0xef, 0xff, 0xff, 0xff]), 0), { length: 0xfffffff, size: 4 });
  assert.equal(readLength(Buffer.from([0xf0, 0x10, 0, 0, 0]), 0), { length: 0x10000000, size: 5 });
  assert.is(readLength(Buffer.from([0xc0, 0x40]), 0), null);
});

test('words decode as Windows-1252, as node-routeros encodes them', () => {
  const bytes = tx.encodeString('€ café') as Buffer;
  assert.is(decodeCp1252(bytes, 1, bytes.length), '€ café');
});

test.run();
