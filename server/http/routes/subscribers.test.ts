import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Api, startApi } from './testing/api.ts';

// Subscribers over HTTP: register, read, and create-or-return by another service's id.

const test = suite<{ api: Api }>('money API: subscribers', {} as { api: Api });

test.before(async (ctx) => {
  ctx.api = await startApi();
});

test.after(async (ctx) => {
  await ctx.api.dispose();
});

const company = {
  type: 'company',
  name: 'ООО «Ромашка»',
  taxId: '7701234567',
  contacts: { phones: ['+74951234567'], email: 'buh@romashka.ru' },
  address: { text: 'Москва, ул. Тверская, 1', lat: 55.757, lon: 37.615 },
};

test('register and read a subscriber', async ({ api }) => {
  const created = await api.call('POST', '/api/v1/subscribers', { body: company });
  assert.is(created.status, 201);
  const id = String(created.body.id);
  assert.match(id, /^S\d+$/);
  assert.is(created.headers.get('location'), `/api/v1/subscribers/${id}`);
  const { createdAt, updatedAt, ...rest } = created.body;
  assert.type(createdAt, 'number');
  assert.is(updatedAt, createdAt);
  assert.equal(rest, { id, ...company, accounts: [] });
  const read = await api.call('GET', `/api/v1/subscribers/${id}`);
  assert.is(read.status, 200);
  assert.equal(read.body, created.body);
});

test('by-external: the first call creates (201), every later one returns it as it is (200)', async ({
  api,
}) => {
  const path = '/api/v1/subscribers/by-external/shop/cust-981';
  const first = await api.call('PUT', path, { body: { type: 'person', name: 'Пётр Иванов' } });
  assert.is(first.status, 201);
  assert.equal(first.body.external, { source: 'shop', externalId: 'cust-981' });
  const before = await api.position();
  const second = await api.call('PUT', path, { body: { type: 'person', name: 'Пётр И.' } });
  assert.is(second.status, 200);
  assert.equal(second.body, first.body);
  assert.is(await api.position(), before, 'returning a known subscriber persists nothing');
  const other = await api.call('PUT', '/api/v1/subscribers/by-external/crm/cust-981', {
    body: { type: 'person', name: 'Пётр Иванов' },
  });
  assert.is(other.status, 201);
  assert.is.not(other.body.id, first.body.id, 'another source is another client');
});

test('by-external: concurrent first calls make exactly one subscriber', async ({ api }) => {
  const path = '/api/v1/subscribers/by-external/billing-v1/u.42@x';
  const replies = await Promise.all(
    Array.from({ length: 12 }, () => api.call('PUT', path, { body: { type: 'person', name: 'Ольга' } })),
  );
  const ids = new Set(replies.map((r) => r.body.id));
  assert.is(ids.size, 1);
  assert.equal(
    replies.map((r) => r.status).filter((s) => s === 201),
    [201],
  );
  assert.ok(replies.every((r) => r.status === 200 || r.status === 201));
});

test('an unknown subscriber is 404', async ({ api }) => {
  const res = await api.call('GET', '/api/v1/subscribers/S999');
  assert.is(res.status, 404);
  assert.is(res.body.code, 'subscriber_not_found');
});

test.run();
