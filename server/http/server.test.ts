import { Writable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRuntimeMetrics } from '../../actors/runtime/metrics.ts';
import { ApiError } from '../../protocol/errors.ts';
import { createLogger } from '../log.ts';
import { type Authenticator, bootstrapAuthenticator } from './auth.ts';
import { OPENAPI_PATH, openApiRoute } from './openapi.ts';
import { type Route, route } from './route.ts';
import { type HttpServer, startHttpServer } from './server.ts';
import { type Readiness, systemRoutes } from './system-routes.ts';

const TOKEN = 'test-bootstrap-token-0123456789abcdef';
const LIMIT = 1024;

// A principal with only `accounts.read`, so 403 can be seen next to the admin token.
const readerAuth: Authenticator = {
  name: 'reader',
  authenticate: ({ authorization }) =>
    authorization === 'Bearer reader'
      ? { kind: 'staff', id: 'r1', permissions: new Set(['accounts.read']) }
      : null,
};

const Charge = Type.Object({
  amount: Type.Integer({ minimum: 1 }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
});

const testRoutes: Route[] = [
  route({
    method: 'POST',
    path: '/api/v1/accounts/:id/charges',
    summary: 'Charge an account',
    tags: ['accounts'],
    auth: { permission: 'accounts.charge' },
    idempotency: 'required',
    body: Charge,
    responses: { 201: Type.Object({ id: Type.String(), amount: Type.Integer() }) },
    handler: async (req) => ({
      status: 201,
      body: { id: req.params.id, amount: req.body.amount, key: req.idempotencyKey, who: req.principal?.id },
    }),
  }),
  route({
    method: 'GET',
    path: '/api/v1/accounts/:id',
    summary: 'Read an account',
    auth: { permission: 'accounts.read' },
    query: Type.Object({ history: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })) }),
    responses: { 200: Type.Object({ id: Type.String() }) },
    handler: (req) => ({
      status: 200,
      body: { id: req.params.id, history: req.queryValues.history ?? null },
    }),
  }),
  route({
    method: 'POST',
    path: '/api/v1/echo',
    summary: 'Echo a JSON body',
    auth: 'public',
    responses: { 200: { description: 'the body' } },
    handler: (req) => ({ status: 200, body: { got: req.body ?? null, ip: req.ip } }),
  }),
  route({
    method: 'GET',
    path: '/api/v1/boom',
    summary: 'Fails inside',
    auth: 'public',
    responses: { 200: { description: 'never' } },
    handler: () => {
      throw new Error('secret internals: password=hunter2');
    },
  }),
  route({
    method: 'GET',
    path: '/api/v1/unserialisable',
    summary: 'Replies with something JSON cannot carry',
    auth: 'public',
    responses: { 200: { description: 'never' } },
    handler: () => ({ status: 200, body: { amount: 10n } }),
  }),
  route({
    method: 'GET',
    path: '/api/v1/refuse',
    summary: 'Refuses with an ApiError',
    auth: 'authenticated',
    responses: { 409: { description: 'always' } },
    handler: () => {
      throw new ApiError(
        409,
        'insufficient_funds',
        'not enough money',
        { available: 5 },
        { 'X-Extra': 'yes' },
      );
    },
  }),
  route({
    method: 'GET',
    path: '/api/v1/slow',
    summary: 'Answers after 200 ms',
    auth: 'public',
    responses: { 200: { description: 'late' } },
    handler: () =>
      new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: { late: true } }), 200)),
  }),
];

interface Ctx {
  server: HttpServer;
  base: string;
  readiness: Readiness;
  logs: string[];
}

const test = suite<Ctx>('http server', { readiness: false, logs: [] } as unknown as Ctx);

test.before(async (ctx) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createRuntimeMetrics(registry);
  metrics.observeCommit({ events: 3, appends: 2, ms: 1.5, ok: true });
  ctx.logs = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      ctx.logs.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger('info', sink);
  let server: HttpServer | undefined;
  ctx.readiness = false;
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    log,
    registry,
    bodyLimit: LIMIT,
    isReady: () => ctx.readiness !== false,
    authenticators: [bootstrapAuthenticator(TOKEN), readerAuth],
    routes: [
      ...systemRoutes({ registry, isReady: () => ctx.readiness }),
      openApiRoute(() => server?.routes ?? [], { title: 'Abonent', version: 'test' }),
      ...testRoutes,
    ],
  });
  ctx.server = server;
  ctx.base = `http://127.0.0.1:${server.port}`;
});

test.after(async (ctx) => {
  await ctx.server.close(0);
});

const admin = { authorization: `Bearer ${TOKEN}` };
const jsonHeaders = { 'content-type': 'application/json' };

async function call(ctx: Ctx, path: string, init: RequestInit = {}) {
  const res = await fetch(ctx.base + path, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { res, body: body as Record<string, unknown> & { details?: { path: string }[] } };
}

function charge(ctx: Ctx, body: string, headers: Record<string, string> = {}) {
  return call(ctx, '/api/v1/accounts/42/charges', {
    method: 'POST',
    body,
    headers: { ...admin, ...jsonHeaders, 'idempotency-key': 'k-1', ...headers },
  });
}

test('a valid POST reaches the handler with params, body, key and principal', async (ctx) => {
  const { res, body } = await charge(ctx, JSON.stringify({ amount: 500, currency: 'RUB' }));
  assert.is(res.status, 201);
  assert.equal(body, { id: '42', amount: 500, key: 'k-1', who: 'bootstrap' });
  assert.ok(res.headers.get('x-request-id'));
});

test('every response carries X-Request-Id; a sane incoming one is kept', async (ctx) => {
  const a = await call(ctx, '/healthz');
  const b = await call(ctx, '/nope');
  // This process's tag and a counter: each request its own id.
  const idA = a.res.headers.get('x-request-id') ?? '';
  const idB = b.res.headers.get('x-request-id') ?? '';
  assert.match(idA, /^[0-9a-z]{7}-[0-9a-z]+$/);
  assert.match(idB, /^[0-9a-z]{7}-[0-9a-z]+$/);
  assert.is.not(idA, idB);
  assert.is(idA.split('-')[0], idB.split('-')[0]);
  const c = await call(ctx, '/healthz', { headers: { 'x-request-id': 'trace-abc.1' } });
  assert.is(c.res.headers.get('x-request-id'), 'trace-abc.1');
  const d = await call(ctx, '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
  assert.is.not(d.res.headers.get('x-request-id'), 'bad id with spaces');
});

test('invalid JSON → 400 invalid_json', async (ctx) => {
  const { res, body } = await charge(ctx, '{"amount": 5,');
  assert.is(res.status, 400);
  assert.is(body.code, 'invalid_json');
  assert.type(body.message, 'string');
});

test('a body over the limit → 413 payload_too_large', async (ctx) => {
  const { res, body } = await charge(
    ctx,
    JSON.stringify({ amount: 1, currency: 'RUB', pad: 'x'.repeat(LIMIT) }),
  );
  assert.is(res.status, 413);
  assert.is(body.code, 'payload_too_large');
});

test('a chunked body growing over the limit → 413', async (ctx) => {
  const chunk = new TextEncoder().encode(`"${'y'.repeat(400)}",`);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 5) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const res = await fetch(`${ctx.base}/api/v1/echo`, {
    method: 'POST',
    body: stream,
    headers: jsonHeaders,
    duplex: 'half',
  } as RequestInit);
  assert.is(res.status, 413);
  assert.is(((await res.json()) as { code: string }).code, 'payload_too_large');
});

test('a JSON body split over many packets is read whole', async (ctx) => {
  const parts = ['{"list":[', '1,2,', '3]}'].map((p) => new TextEncoder().encode(p));
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = parts.shift();
      if (next) {
        await new Promise((r) => setTimeout(r, 5));
        controller.enqueue(next);
      } else controller.close();
    },
  });
  const res = await fetch(`${ctx.base}/api/v1/echo`, {
    method: 'POST',
    body: stream,
    headers: jsonHeaders,
    duplex: 'half',
  } as RequestInit);
  assert.is(res.status, 200);
  assert.equal(((await res.json()) as { got: unknown }).got, { list: [1, 2, 3] });
});

test('a body that is not application/json → 415', async (ctx) => {
  const { res, body } = await charge(ctx, 'amount=5', { 'content-type': 'text/plain' });
  assert.is(res.status, 415);
  assert.is(body.code, 'unsupported_media_type');
  const noType = await fetch(`${ctx.base}/api/v1/echo`, { method: 'POST', body: new Uint8Array([123, 125]) });
  assert.is(noType.status, 415);
  const plus = await call(ctx, '/api/v1/echo', {
    method: 'POST',
    body: '{"a":1}',
    headers: { 'content-type': 'application/merge-patch+json; charset=utf-8' },
  });
  assert.is(plus.res.status, 200);
});

test('a POST without a body to a route without a body schema is fine', async (ctx) => {
  const { res, body } = await call(ctx, '/api/v1/echo', { method: 'POST' });
  assert.is(res.status, 200);
  assert.is(body.got, null);
});

test('unknown path → 404 not_found; wrong method → 405 with Allow', async (ctx) => {
  const a = await call(ctx, '/no/such/thing');
  assert.is(a.res.status, 404);
  assert.is(a.body.code, 'not_found');
  assert.type(a.body.message, 'string');
  const b = await call(ctx, '/api/v1/accounts/42', { method: 'DELETE', headers: admin });
  assert.is(b.res.status, 405);
  assert.is(b.body.code, 'method_not_allowed');
  assert.is(b.res.headers.get('allow'), 'GET, HEAD, OPTIONS');
});

test('HEAD answers like GET without a body; OPTIONS lists the methods', async (ctx) => {
  const head = await fetch(`${ctx.base}/healthz`, { method: 'HEAD' });
  assert.is(head.status, 200);
  assert.is(await head.text(), '');
  assert.is(head.headers.get('content-length'), String(JSON.stringify({ status: 'ok' }).length));
  const options = await fetch(`${ctx.base}/api/v1/accounts/7/charges`, { method: 'OPTIONS' });
  assert.is(options.status, 204);
  assert.is(options.headers.get('allow'), 'POST, OPTIONS');
});

test('schema violations → 400 validation_failed with the paths', async (ctx) => {
  const { res, body } = await charge(ctx, JSON.stringify({ amount: 0, currency: 'rub' }));
  assert.is(res.status, 400);
  assert.is(body.code, 'validation_failed');
  const paths = (body.details ?? []).map((d) => d.path);
  assert.ok(paths.includes('/amount'), JSON.stringify(body));
  assert.ok(paths.includes('/currency'), JSON.stringify(body));
  const missing = await charge(ctx, '');
  assert.is(missing.res.status, 400);
  assert.is(missing.body.code, 'validation_failed');
});

test('query strings are converted and checked', async (ctx) => {
  const ok = await call(ctx, '/api/v1/accounts/a%2Fb?history=3', { headers: admin });
  assert.is(ok.res.status, 200);
  assert.equal(ok.body, { id: 'a/b', history: 3 });
  const bad = await call(ctx, '/api/v1/accounts/1?history=many', { headers: admin });
  assert.is(bad.res.status, 400);
  assert.is(bad.body.code, 'validation_failed');
  assert.is(bad.body.details?.[0]?.path, '/history');
});

test('no or wrong token → 401 with WWW-Authenticate; missing permission → 403', async (ctx) => {
  const body = JSON.stringify({ amount: 1, currency: 'RUB' });
  const none = await charge(ctx, body, { authorization: '' });
  assert.is(none.res.status, 401);
  assert.is(none.body.code, 'unauthorized');
  assert.is(none.res.headers.get('www-authenticate'), 'Bearer');
  const wrong = await charge(ctx, body, { authorization: `Bearer ${TOKEN.slice(0, -1)}x` });
  assert.is(wrong.res.status, 401);
  const reader = await charge(ctx, body, { authorization: 'Bearer reader' });
  assert.is(reader.res.status, 403);
  assert.is(reader.body.code, 'forbidden');
  const read = await call(ctx, '/api/v1/accounts/9', { headers: { authorization: 'Bearer reader' } });
  assert.is(read.res.status, 200);
});

test('a required Idempotency-Key → 400 idempotency_key_required when missing', async (ctx) => {
  const { res, body } = await charge(ctx, JSON.stringify({ amount: 1, currency: 'RUB' }), {
    'idempotency-key': '',
  });
  assert.is(res.status, 400);
  assert.is(body.code, 'idempotency_key_required');
  const long = await charge(ctx, JSON.stringify({ amount: 1, currency: 'RUB' }), {
    'idempotency-key': 'k'.repeat(256),
  });
  assert.is(long.res.status, 400);
  assert.is(long.body.code, 'invalid_idempotency_key');
});

test('a thrown ApiError keeps its status, body and headers', async (ctx) => {
  const { res, body } = await call(ctx, '/api/v1/refuse', { headers: admin });
  assert.is(res.status, 409);
  assert.equal(body, { code: 'insufficient_funds', message: 'not enough money', details: { available: 5 } });
  assert.is(res.headers.get('x-extra'), 'yes');
});

test('anything else → 500 internal_error; the cause is logged, not sent', async (ctx) => {
  const { res, body } = await call(ctx, '/api/v1/boom');
  assert.is(res.status, 500);
  assert.is(body.code, 'internal_error');
  const text = JSON.stringify(body);
  assert.not.ok(text.includes('hunter2'));
  assert.not.ok(text.includes('server.test.ts'));
  const logged = ctx.logs.find((l) => l.includes('secret internals'));
  assert.ok(logged, 'the error is in the log');
  assert.ok(logged?.includes(res.headers.get('x-request-id') ?? '?'), 'with the request id');
});

test('a reply that cannot be serialised still gets an answer: 500', async (ctx) => {
  const { res, body } = await call(ctx, '/api/v1/unserialisable');
  assert.is(res.status, 500);
  assert.is(body.code, 'internal_error');
});

test('the OpenAPI document lists the routes', async (ctx) => {
  const { res, body } = await call(ctx, OPENAPI_PATH);
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const doc = body as unknown as {
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  };
  assert.is(doc.openapi, '3.1.0');
  const op = doc.paths['/api/v1/accounts/{id}/charges']?.post;
  assert.ok(op, Object.keys(doc.paths).join(' '));
  assert.equal(op.tags, ['accounts']);
  assert.equal(op.security, [{ bearer: [] }]);
  const params = op.parameters as { name: string; in: string; required: boolean }[];
  assert.ok(params.some((p) => p.name === 'id' && p.in === 'path'));
  assert.ok(params.some((p) => p.name === 'Idempotency-Key' && p.in === 'header' && p.required));
  const requestSchema = (op.requestBody as { content: Record<string, { schema: { properties: object } }> })
    .content['application/json']?.schema;
  assert.ok(requestSchema && 'amount' in requestSchema.properties);
  const responses = op.responses as Record<
    string,
    { content?: Record<string, { schema: { $ref?: string } }> }
  >;
  assert.ok(responses['201']);
  assert.is(responses['401']?.content?.['application/json']?.schema.$ref, '#/components/schemas/Error');
  assert.ok(doc.components.schemas.Error);
  assert.ok(doc.components.securitySchemes.bearer);
  const query = doc.paths['/api/v1/accounts/{id}']?.get?.parameters as { name: string; in: string }[];
  assert.ok(query.some((p) => p.name === 'history' && p.in === 'query'));
  assert.ok(doc.paths['/healthz']?.get);
  assert.is(doc.paths['/healthz']?.get?.security, undefined);
});

test('/healthz is 200; /readyz flips from 503 not_ready to 200', async (ctx) => {
  const health = await call(ctx, '/healthz');
  assert.is(health.res.status, 200);
  assert.equal(health.body, { status: 'ok' });
  ctx.readiness = false;
  const before = await call(ctx, '/readyz');
  assert.is(before.res.status, 503);
  assert.is(before.body.code, 'not_ready');
  const unknownApi = await call(ctx, '/api/v1/not-yet');
  assert.is(unknownApi.res.status, 503, 'unknown /api/ paths say not_ready while starting');
  ctx.readiness = { journal: 'sqlite' };
  const after = await call(ctx, '/readyz');
  assert.is(after.res.status, 200);
  assert.equal(after.body, { status: 'ready', journal: 'sqlite' });
  const unknownNow = await call(ctx, '/api/v1/not-yet');
  assert.is(unknownNow.res.status, 404);
});

test('/metrics has process metrics and the abonent_* histograms', async (ctx) => {
  await call(ctx, '/healthz');
  const res = await fetch(`${ctx.base}/metrics`);
  const text = await res.text();
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  for (const name of [
    'process_cpu_user_seconds_total',
    'nodejs_eventloop_lag_seconds',
    '# TYPE abonent_mailbox_depth histogram',
    '# TYPE abonent_journal_batch_events histogram',
    '# TYPE abonent_journal_commit_seconds histogram',
    'abonent_journal_commit_seconds_bucket',
    'abonent_http_request_seconds_bucket',
  ]) {
    assert.ok(text.includes(name), `missing ${name}`);
  }
  assert.ok(text.includes('abonent_journal_batch_events_sum 3'));
  assert.ok(text.includes('route="/healthz"'));
});

test('routes can be added while running', async (ctx) => {
  ctx.server.addRoutes([
    {
      method: 'GET',
      path: '/api/v1/late',
      summary: 'late',
      auth: 'public',
      responses: {},
      handler: () => ({ status: 200, body: 1 }),
    },
  ]);
  const { res } = await call(ctx, '/api/v1/late');
  assert.is(res.status, 200);
  const doc = (await call(ctx, OPENAPI_PATH)).body as unknown as { paths: Record<string, unknown> };
  assert.ok(doc.paths['/api/v1/late']);
  assert.throws(() => ctx.server.addRoutes([{ ...testRoutes[1]! }]), /duplicate route/);
});

test('many concurrent requests on keep-alive connections all get answers', async (ctx) => {
  const replies = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      call(ctx, '/api/v1/echo', { method: 'POST', body: JSON.stringify({ i }), headers: jsonHeaders }),
    ),
  );
  assert.ok(replies.every((r, i) => r.res.status === 200 && (r.body.got as { i: number }).i === i));
});

test('close() stops accepting and lets requests in flight finish', async (ctx) => {
  const slow = call(ctx, '/api/v1/slow');
  await new Promise((r) => setTimeout(r, 50));
  const closing = ctx.server.close(2000);
  const answered = await slow;
  assert.is(answered.res.status, 200);
  assert.is(answered.res.headers.get('connection'), 'close');
  await closing;
  try {
    await fetch(`${ctx.base}/healthz`);
    assert.unreachable('the port must be closed');
  } catch (err) {
    assert.instance(err, TypeError);
  }
});

test.run();
