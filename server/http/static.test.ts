import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../log.ts';
import { buildOpenApi } from './openapi.ts';
import { startHttpServer } from './server.ts';
import { staticRoutes } from './static.ts';

async function serve(dir: string) {
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    log: createLogger('silent'),
    bodyLimit: 1024,
    isReady: () => true,
    authenticators: [],
    routes: staticRoutes(dir),
  });
  return { server, base: `http://127.0.0.1:${server.port}` };
}

test('serves the build: index.html at /, hashed assets cached for good', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'abonent-static-'));
  try {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Abonent</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(dir, 'robots.txt'), 'User-agent: *');
    const { server, base } = await serve(dir);
    try {
      const root = await fetch(`${base}/`);
      assert.is(root.status, 200);
      assert.is(root.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.is(root.headers.get('cache-control'), 'no-cache');
      assert.match(await root.text(), /<title>Abonent<\/title>/);
      assert.is((await fetch(`${base}/index.html`)).status, 200);

      const js = await fetch(`${base}/assets/index-abc123.js`);
      assert.is(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.match(js.headers.get('cache-control') ?? '', /immutable/);
      assert.is(await js.text(), 'console.log(1)');
      const css = await fetch(`${base}/assets/index-abc123.css`);
      assert.is(css.headers.get('content-type'), 'text/css; charset=utf-8');
      const txt = await fetch(`${base}/robots.txt`);
      assert.is(txt.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.is(txt.headers.get('cache-control'), 'no-cache');

      const missing = await fetch(`${base}/assets/nope.js`);
      assert.is(missing.status, 404);
      assert.is(((await missing.json()) as { code: string }).code, 'not_found');
    } finally {
      await server.close(0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a build, / says how to make one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'abonent-static-'));
  try {
    const { server, base } = await serve(dir);
    try {
      const res = await fetch(`${base}/`);
      assert.is(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await res.text(), /npm run build:client/);
    } finally {
      await server.close(0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('static files stay out of the OpenAPI document', () => {
  const dir = mkdtempSync(join(tmpdir(), 'abonent-static-'));
  try {
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    const doc = buildOpenApi(staticRoutes(dir), { title: 't', version: '0' }) as { paths: object };
    assert.equal(doc.paths, {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
