import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Harness } from '../testkit/harness.ts';
import { subscriberRefId, subscriberRefKind } from './external.ts';
import { type RegisterReply, type SubscriberCommand, subscriberKind } from './subscriber.ts';

const T = Date.UTC(2026, 2, 1);

const person: SubscriberCommand = {
  type: 'Register',
  subscriber: {
    type: 'person',
    name: ' Иван Петров ',
    contacts: { phones: ['+79991234567', '+79991234567'], email: 'ivan@example.ru', telegramId: 123456789 },
    address: { text: 'Казань, ул. Баумана, 1', lat: 55.79, lon: 49.11 },
  },
};

test('register creates once; registering again returns it as it is', () => {
  const h = new Harness(subscriberKind, 'S1', T);
  const r = h.ok(person) as RegisterReply;
  assert.is(r.created, true);
  assert.equal(r.subscriber, {
    id: 'S1',
    type: 'person',
    name: 'Иван Петров',
    contacts: { phones: ['+79991234567'], email: 'ivan@example.ru', telegramId: 123456789 },
    address: { text: 'Казань, ул. Баумана, 1', lat: 55.79, lon: 49.11 },
    accounts: [],
    createdAt: T,
    updatedAt: T,
  });
  const again = h.ok({
    type: 'Register',
    subscriber: { type: 'person', name: 'Someone else' },
  }) as RegisterReply;
  assert.is(again.created, false);
  assert.is(again.subscriber.name, 'Иван Петров');
  assert.is(h.journal.length, 1);
});

test('bad subscribers are refused with a code', () => {
  const h = new Harness(subscriberKind, 'S2', T);
  const reg = (subscriber: object) => h.refused({ type: 'Register', subscriber } as SubscriberCommand).code;
  assert.is(reg({ type: 'robot', name: 'x' }), 'invalid_subscriber_type');
  assert.is(reg({ type: 'person', name: '  ' }), 'invalid_name');
  assert.is(reg({ type: 'company', name: 'ООО Ромашка' }), 'tax_id_required');
  assert.is(reg({ type: 'company', name: 'ООО Ромашка', taxId: '12345' }), 'invalid_tax_id');
  assert.is(reg({ type: 'person', name: 'x', contacts: { phones: ['89991234567'] } }), 'invalid_phone');
  assert.is(reg({ type: 'person', name: 'x', contacts: { email: 'nope' } }), 'invalid_email');
  assert.is(reg({ type: 'person', name: 'x', contacts: { telegramId: -1 } }), 'invalid_telegram_id');
  assert.is(reg({ type: 'person', name: 'x', address: { text: 'a', lat: 91 } }), 'invalid_address');
  assert.is(h.refused({ type: 'AttachAccount', accountId: 'A1' }).code, 'subscriber_not_found');
  const company = h.ok({
    type: 'Register',
    subscriber: { type: 'company', name: 'ООО Ромашка', taxId: '7707083893' },
  }) as RegisterReply;
  assert.is(company.subscriber.taxId, '7707083893');
});

test('update changes what is given; null removes', () => {
  const h = new Harness(subscriberKind, 'S3', T);
  h.ok(person);
  h.now += 1000;
  const v = h.ok({ type: 'Update', changes: { name: 'Иван П.', address: null, taxId: '500100732259' } });
  assert.equal(
    [v && 'name' in v && v.name, 'address' in v, 'taxId' in v && v.taxId, 'updatedAt' in v && v.updatedAt],
    ['Иван П.', false, '500100732259', T + 1000],
  );
  const n = h.journal.length;
  h.ok({ type: 'Update', changes: {} });
  assert.is(h.journal.length, n);
  assert.is(h.refused({ type: 'Update', changes: { contacts: { phones: ['x'] } } }).code, 'invalid_phone');
});

test('accounts attach and detach idempotently', () => {
  const h = new Harness(subscriberKind, 'S4', T);
  h.ok(person);
  h.ok({ type: 'AttachAccount', accountId: 'A1' });
  h.ok({ type: 'AttachAccount', accountId: 'A1' });
  h.ok({ type: 'AttachAccount', accountId: 'A2' });
  assert.equal(h.state.accounts, ['A1', 'A2']);
  h.ok({ type: 'DetachAccount', accountId: 'A1' });
  h.ok({ type: 'DetachAccount', accountId: 'A1' });
  assert.equal(h.state.accounts, ['A2']);
  assert.is(h.journal.length, 4);
});

test('external ref: the first claim wins, every later claim returns the same subscriber', () => {
  const id = subscriberRefId('cm-expert', 'client-42');
  assert.is(id, 'cm-expert:client-42');
  const h = new Harness(subscriberRefKind, id, T, { type: 'api', id: 'cm-expert' });
  assert.equal(h.ok({ type: 'Claim', subscriberId: 'S10' }), { subscriberId: 'S10', created: true });
  assert.equal(h.ok({ type: 'Claim', subscriberId: 'S11' }), { subscriberId: 'S10', created: false });
  assert.is(h.journal.length, 1);
  assert.equal(h.journal[0], {
    type: 'SubscriberRefClaimed',
    source: 'cm-expert',
    externalId: 'client-42',
    subscriberId: 'S10',
    by: { type: 'api', id: 'cm-expert' },
    at: T,
  });
  // An externalId may itself contain ':'.
  const g = new Harness(subscriberRefKind, subscriberRefId('crm', 'org:7:user:9'), T);
  g.ok({ type: 'Claim', subscriberId: 'S12' });
  assert.is(g.state.externalId, 'org:7:user:9');
  const bad = new Harness(subscriberRefKind, subscriberRefId('Bad Source', 'x'), T);
  assert.is(bad.refused({ type: 'Claim', subscriberId: 'S13' }).code, 'invalid_external_ref');
});

test('the by-external flow completes after a crash between the two actors', () => {
  const ref = new Harness(subscriberRefKind, subscriberRefId('auto', 'u1'), T);
  const first = ref.ok({ type: 'Claim', subscriberId: 'S20' }) as { subscriberId: string };
  // …crash: the subscriber was never registered. The retry claims again and registers:
  const retry = ref.ok({ type: 'Claim', subscriberId: 'S21' }) as { subscriberId: string; created: boolean };
  assert.is(retry.subscriberId, first.subscriberId);
  const sub = new Harness(subscriberKind, retry.subscriberId, T);
  const r = sub.ok({
    ...person,
    external: { source: 'auto', externalId: 'u1' },
  } as SubscriberCommand) as RegisterReply;
  assert.is(r.created, true);
  assert.equal(r.subscriber.external, { source: 'auto', externalId: 'u1' });
});

test.run();
