import net from 'node:net';
import { Transmitter } from 'node-routeros';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { matches } from './routeros-sim/menus.ts';
import { decodeLength, encodeLength, encodeSentence, SentenceReader } from './routeros-sim/wire.ts';
import { startRouterOsSim } from './routeros-sim.ts';

// The simulator's own wire format, checked against MikroTik's length table and against the
// encoder of the real client library, so that the sim is not merely consistent with itself.

const wire = suite('routeros sim: wire');

wire('length prefixes use the 1–5 byte forms at the documented boundaries', () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [0x7f, [0x7f]],
    [0x80, [0x80, 0x80]],
    [0x3fff, [0xbf, 0xff]],
    [0x4000, [0xc0, 0x40, 0x00]],
    [0x1fffff, [0xdf, 0xff, 0xff]],
    [0x200000, [0xe0, 0x20, 0x00, 0x00]],
    [0xfffffff, [0xef, 0xff, 0xff, 0xff]],
    [0x10000000, [0xf0, 0x10, 0x00, 0x00, 0x00]],
    [0xffffffff, [0xf0, 0xff, 0xff, 0xff, 0xff]],
  ];
  for (const [length, bytes] of cases) {
    assert.equal([...encodeLength(length)], bytes, `encode ${length}`);
    assert.equal(decodeLength(Buffer.from(bytes), 0), { length, size: bytes.length }, `decode ${length}`);
    assert.is(decodeLength(Buffer.from(bytes.slice(0, -1)), 0), null, `incomplete ${length}`);
  }
  assert.throws(() => decodeLength(Buffer.from([0xf8]), 0), /control byte/);
});

wire('decodes what node-routeros encodes, whatever the chunking', () => {
  // node-routeros's encoder is private in its typings; it is the reference here.
  const tx = new Transmitter({} as net.Socket) as unknown as {
    encodeString(s: string | null): Buffer | string;
  };
  const encode = (words: string[]) =>
    Buffer.concat([
      ...words.map((w) => tx.encodeString(w) as Buffer),
      Buffer.from(tx.encodeString(null) as string, 'latin1'),
    ]);
  const small = ['/ip/firewall/address-list/add', 'a'.repeat(0x80), 'b'.repeat(0x4000), '.tag=7'];
  const large = ['/x', 'c'.repeat(0x200000)];
  const cases: [string[][], number[]][] = [
    [
      [small, small],
      [1, 3],
    ],
    [
      [large, small],
      [7, 4096, Number.MAX_SAFE_INTEGER],
    ],
  ];
  for (const [sentences, steps] of cases) {
    const bytes = Buffer.concat(sentences.map(encode));
    for (const step of steps) {
      const reader = new SentenceReader();
      const got: string[][] = [];
      for (let i = 0; i < bytes.length; i += step) got.push(...reader.push(bytes.subarray(i, i + step)));
      assert.equal(got, sentences, `chunks of ${step}`);
    }
  }
});

wire('a sentence encodes to words ending in the empty word', () => {
  assert.equal(
    [...encodeSentence(['!done', '.tag=1'])],
    [5, ...Buffer.from('!done'), 6, ...Buffer.from('.tag=1'), 0],
  );
});

wire('print queries follow the RouterOS stack semantics', () => {
  const row = { list: 'blocked', address: '10.0.0.1', comment: 'abonent:a1' };
  assert.ok(matches(['?list=blocked'], row));
  assert.not.ok(matches(['?list=blocked', '?address=10.0.0.2'], row));
  assert.ok(matches(['?address=10.0.0.2', '?address=10.0.0.1', '?#|'], row));
  assert.ok(matches(['?comment'], row));
  assert.ok(matches(['?-timeout'], row));
  assert.ok(matches(['?list=other', '?#!'], row));
});

const server = suite('routeros sim: server');

/** A bare client: sends sentences, collects reply sentences. */
async function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const reader = new SentenceReader();
  const replies: string[][] = [];
  socket.on('data', (chunk) => replies.push(...reader.push(chunk)));
  return {
    replies,
    socket,
    async send(words: string[], count: number) {
      const before = replies.length;
      socket.write(encodeSentence(words));
      for (let i = 0; i < 100 && replies.length < before + count; i++)
        await new Promise((r) => setTimeout(r, 5));
      return replies.slice(before);
    },
  };
}

server('login, tag echo, !empty on 7.18, plain !done on 7.17', async () => {
  const sim = await startRouterOsSim({ password: 'pw' });
  const c = await rawClient(sim.port);
  assert.equal(await c.send(['/login', '=name=admin', '=password=pw', '.tag=a'], 1), [['!done', '.tag=a']]);
  assert.equal(await c.send(['/ip/firewall/address-list/print', '?list=x', '.tag=b'], 2), [
    ['!empty', '.tag=b'],
    ['!done', '.tag=b'],
  ]);
  sim.setVersion('7.17.2');
  assert.equal(await c.send(['/ip/firewall/address-list/print', '.tag=c'], 1), [['!done', '.tag=c']]);
  const [added] = await c.send(
    ['/ip/firewall/address-list/add', '=list=x', '=address=10.0.0.9/32', '.tag=d'],
    1,
  );
  assert.equal(added, ['!done', '=ret=*1', '.tag=d']);
  assert.equal(await c.send(['/ip/firewall/address-list/add', '=list=x', '=address=10.0.0.9', '.tag=e'], 2), [
    ['!trap', '=message=failure: already have such entry', '.tag=e'],
    ['!done', '.tag=e'],
  ]);
  const [row] = await c.send(['/ip/firewall/address-list/print', '=.proplist=.id,address', '.tag=f'], 2);
  assert.equal(row, ['!re', '=.id=*1', '=address=10.0.0.9', '.tag=f']);
  assert.equal((await c.send(['/nope/print', '.tag=g'], 2))[0], [
    '!trap',
    '=message=no such command prefix',
    '.tag=g',
  ]);
  assert.equal(sim.counters.commands['/ip/firewall/address-list/add'], 2);
  c.socket.destroy();
  await sim.close();
});

server('a refused login is a trap, then the router hangs up', async () => {
  const sim = await startRouterOsSim();
  sim.refuseLogins(true);
  const c = await rawClient(sim.port);
  const closed = new Promise((resolve) => c.socket.once('close', resolve));
  assert.equal(await c.send(['/login', '=name=admin', '=password=', '.tag=1'], 2), [
    ['!trap', '=message=invalid user name or password (6)', '.tag=1'],
    ['!done', '.tag=1'],
  ]);
  await closed;
  assert.is(sim.counters.failedLogins, 1);
  await sim.close();
});

server('offline refuses connections; online again on the same port', async () => {
  const sim = await startRouterOsSim();
  const port = sim.port;
  await sim.setOnline(false);
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
  });
  assert.is(refused, 'ECONNREFUSED');
  await sim.setOnline(true);
  assert.is(sim.port, port);
  const c = await rawClient(port);
  assert.equal(await c.send(['/login', '=name=admin', '=password=', '.tag=1'], 1), [['!done', '.tag=1']]);
  c.socket.destroy();
  await sim.close();
});

wire.run();
server.run();
