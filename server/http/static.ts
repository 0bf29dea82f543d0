import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { HttpReply, Route } from './route.ts';

// The Vite build of client/ (dist/client), read into memory once at start: a handful of
// small files, served without touching the disk again.

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
};

// Vite puts content hashes in every file name under assets/, so those never change.
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

const MISSING_BUILD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Abonent</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>Abonent</h1>
<p>The server is running, but the web client has not been built.</p>
<p>Run <code>npm run build:client</code> (or start with <code>npm start</code>, which builds it first), then reload.</p>
<p>API: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> · <a href="/readyz">/readyz</a></p>
</body></html>
`;

/** GET routes for every file of the build, `/` being index.html; hidden from OpenAPI. */
export function staticRoutes(dir: string): Route[] {
  if (!existsSync(join(dir, 'index.html'))) {
    return [
      fileRoute('/', {
        status: 200,
        body: MISSING_BUILD,
        contentType: CONTENT_TYPES['.html']!,
        headers: { 'Cache-Control': REVALIDATE },
      }),
    ];
  }
  const routes: Route[] = [];
  for (const file of walk(dir)) {
    const urlPath = '/' + relative(dir, file).split(sep).join('/');
    if (/[:%*?#\s]/.test(urlPath)) continue; // not a name a router path can carry
    const reply: HttpReply = {
      status: 200,
      body: readFileSync(file),
      contentType: CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      headers: { 'Cache-Control': urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE },
    };
    routes.push(fileRoute(urlPath, reply));
    if (urlPath === '/index.html') routes.push(fileRoute('/', reply));
  }
  return routes;
}

function fileRoute(path: string, reply: HttpReply): Route {
  return {
    method: 'GET',
    path,
    summary: `static ${path}`,
    auth: 'public',
    hidden: true,
    responses: {},
    handler: () => reply,
  };
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else yield full;
  }
}
