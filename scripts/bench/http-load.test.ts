import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runLoad } from './http-load.ts';

// The load generator decides what the charges-http benchmark counts as acknowledged: every
// response must be read whole and counted by its status, and a lost request is an error.

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const post = (i: number, body = `{"n":${i}}`) =>
  `POST /r/${i} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

test('counts every response by status, reads bodies whole, one request in flight per connection', async () => {
  let inFlight = 0;
  let most = 0;
  const { server, port } = await serve((req, res) => {
    inFlight++;
    most = Math.max(most, inFlight);
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const n = Number(req.url!.slice(3));
      // A body long enough to arrive in pieces now and then.
      const reply = JSON.stringify({ n, echo: body, pad: 'x'.repeat(n % 7 === 0 ? 70_000 : 10) });
      setTimeout(() => {
        inFlight--;
        res.writeHead(n % 5 === 0 ? 409 : 201, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(reply),
        });
        res.end(reply);
      }, 1);
    });
  });
  try {
    const seen = new Map<number, number>();
    const result = await runLoad({
      host: '127.0.0.1',
      port,
      connections: 4,
      seconds: 0.5,
      request: post,
      onResponse: (i, status) => seen.set(i, status),
    });
    assert.ok(result.requests > 20, `${result.requests} requests`);
    assert.is(seen.size, result.requests, 'every request answered once');
    for (const [i, status] of seen) assert.is(status, i % 5 === 0 ? 409 : 201);
    assert.is(result.statuses[201]! + result.statuses[409]!, result.requests);
    assert.is(result.ok, result.statuses[201]);
    assert.is(result.errors, 0);
    assert.ok(most <= 4, `at most one request per connection in flight, saw ${most}`);
    assert.ok(result.latency.p50 > 0 && result.latency.p99 >= result.latency.p50);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('a connection closed under a request is an error, and the run goes on over a new one', async () => {
  let n = 0;
  const { server, port } = await serve((req, res) => {
    req.resume();
    req.on('end', () => {
      if (++n % 3 === 0) req.socket.destroy();
      else res.writeHead(200, { 'Content-Length': 2 }).end('ok');
    });
  });
  try {
    const result = await runLoad({ host: '127.0.0.1', port, connections: 2, seconds: 0.3, request: post });
    assert.ok(result.errors > 0);
    assert.is(result.ok + result.errors, result.requests);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('a response it cannot read (chunked) is an error, never a success', async () => {
  const { server, port } = await serve((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201).end('{"chunked":true}'));
  });
  try {
    const result = await runLoad({ host: '127.0.0.1', port, connections: 2, seconds: 0.2, request: post });
    assert.ok(result.requests > 0);
    assert.is(result.ok, 0);
    assert.is(result.errors, result.requests);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test.run();
