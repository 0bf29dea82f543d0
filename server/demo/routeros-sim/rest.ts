import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Menu, type Row, Trap } from './menus.ts';

// The RouterOS 7 REST API (`/rest`, HTTP Basic, JSON) over the same menus as the API port:
// GET lists (query parameters filter by equality, `.proplist` picks properties) or reads one
// item, PUT adds, PATCH sets, DELETE removes. Every value is a string, as on the router.
// Errors are `{"error": <status>, "message": <reason>, "detail": <router text>}`.

export interface RestRouter {
  credentials(): { username: string; password: string; refusing: boolean };
  menus: Map<string, Menu>;
  identity(): Row;
  resource(): Row;
  count(command: string): void;
}

const REASON: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found' };

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
}

function fail(res: ServerResponse, status: number, detail?: string): void {
  send(res, status, { error: status, message: REASON[status] ?? 'Error', ...(detail ? { detail } : {}) });
}

function authorized(req: IncomingMessage, router: RestRouter): boolean {
  const { username, password, refusing } = router.credentials();
  const header = req.headers.authorization ?? '';
  if (refusing || !header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return decoded.slice(0, colon) === username && decoded.slice(colon + 1) === password;
}

async function body(req: IncomingMessage): Promise<Row> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return {};
  const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}

/** Splits `/rest/ip/firewall/address-list/*1A` into a known menu and an optional item. */
function locate(router: RestRouter, path: string): { menu: Menu; item?: string } | undefined {
  const exact = router.menus.get(path);
  if (exact) return { menu: exact };
  const slash = path.lastIndexOf('/');
  const menu = router.menus.get(path.slice(0, slash));
  return menu ? { menu, item: path.slice(slash + 1) } : undefined;
}

export async function handleRest(
  req: IncomingMessage,
  res: ServerResponse,
  router: RestRouter,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://router');
  if (!url.pathname.startsWith('/rest/')) return fail(res, 404);
  if (!authorized(req, router)) {
    res.setHeader('www-authenticate', 'Basic realm="RouterOS"');
    return fail(res, 401);
  }
  const path = decodeURIComponent(url.pathname.slice(5));
  const method = req.method ?? 'GET';
  router.count(`${method} ${path}`);
  try {
    if (path === '/system/identity' && method === 'GET') return send(res, 200, router.identity());
    if (path === '/system/resource' && method === 'GET') return send(res, 200, router.resource());
    const at = locate(router, path);
    if (!at) return fail(res, 400, 'no such command or directory');
    const { menu, item } = at;
    if (method === 'GET' && item === undefined) {
      const query: string[] = [];
      let proplist: string[] | undefined;
      for (const [k, v] of url.searchParams) {
        if (k === '.proplist') proplist = v.split(',');
        else query.push(`?${k}=${v}`);
      }
      return send(res, 200, menu.print(query, proplist));
    }
    if (method === 'PUT' && item === undefined) {
      const id = menu.add(await body(req));
      return send(res, 201, menu.rows.get(id));
    }
    if (item === undefined) return fail(res, 400, 'no such command');
    const id = [...menu.rows.values()].find((r) => r['.id'] === item || r.name === item)?.['.id'];
    if (id === undefined) return fail(res, 404, 'no such item');
    if (method === 'GET') return send(res, 200, menu.rows.get(id));
    if (method === 'PATCH') {
      menu.set(id, await body(req));
      return send(res, 200, menu.rows.get(id));
    }
    if (method === 'DELETE') {
      menu.remove(id);
      return send(res, 204);
    }
    return fail(res, 400, 'no such command');
  } catch (err) {
    if (err instanceof Trap) return fail(res, 400, err.message);
    if (err instanceof SyntaxError) return fail(res, 400, 'JSON parse error');
    throw err;
  }
}
