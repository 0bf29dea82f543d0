import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccountEvent } from '../account/events.ts';
import type { StoredEvent } from '../journal/types.ts';
import type { Envelope } from '../runtime/envelope.ts';
import { BillingIndex } from './index.ts';

// The billing index restored from a checkpoint taken after any event, with the events after
// it folded on top, is the index the whole journal builds: the same accounts, due at the same
// instants, so a billing run after a start charges exactly what it would have.

const H = 3600_000;
const T0 = Date.UTC(2026, 10, 1);
let position = 0;

function stored(accountId: string, event: Partial<AccountEvent>): StoredEvent<Envelope> {
  position++;
  return {
    key: `account:${accountId}`,
    sequenceNumber: position,
    position,
    data: { event, by: { type: 'system', id: 'billing' }, at: T0 } as unknown as Envelope,
    tags: [],
    createdAt: T0,
    isDeleted: false,
  };
}

const assigned = (billing: string, billedUntil: number) =>
  ({
    type: 'TariffAssigned',
    tariff: { tariffId: `t-${billing}`, billing },
    billedUntil,
  }) as unknown as AccountEvent;

const journal = [
  stored('1', assigned('hourly', T0 + H)),
  stored('2', assigned('monthly', Date.UTC(2026, 11, 1))),
  stored('1', { type: 'TariffCharged', end: T0 + 2 * H } as Partial<AccountEvent>),
  stored('3', assigned('daily', T0 + 24 * H)),
  stored('1', { type: 'TariffDueRecorded', end: T0 + 3 * H } as Partial<AccountEvent>),
  stored('2', { type: 'TariffUnassigned', tariffId: 't-monthly' }),
  stored('3', { type: 'TariffPeriodsSkipped', to: T0 + 72 * H } as Partial<AccountEvent>),
  stored('4', assigned('hourly', T0 + 5 * H)),
  stored('4', { type: 'AccountClosed' } as Partial<AccountEvent>),
  stored('2', assigned('daily', T0 + 48 * H)),
];

function view(index: BillingIndex) {
  return {
    size: index.size,
    entries: ['1', '2', '3', '4'].map((id) => index.get(id)),
    due: [T0 + 3 * H, T0 + 48 * H, T0 + 100 * H].map((t) => index.dueBy(t).sort()),
    next: index.nextDueAt(),
  };
}

test('restored at any event, then the rest folded: the index of the whole journal', () => {
  const whole = new BillingIndex();
  for (const e of journal) whole.stored(e);
  whole.built();
  for (let split = 0; split <= journal.length; split++) {
    const before = new BillingIndex();
    for (const e of journal.slice(0, split)) before.stored(e);
    before.built();
    const copy = before.save();
    const text = JSON.stringify(copy);
    // A save is serialized over several turns while commits go on: it must be a copy.
    before.stored(stored('1', { type: 'TariffCharged', end: T0 + 1000 * H } as Partial<AccountEvent>));
    assert.is(JSON.stringify(copy), text);
    const restored = new BillingIndex();
    restored.restore(JSON.parse(text));
    for (const e of journal.slice(split)) restored.stored(e);
    restored.built();
    assert.equal(view(restored), view(whole), `checkpoint after ${split} events`);
  }
  assert.equal(view(whole).entries, [
    { billing: 'hourly', dueAt: T0 + 3 * H },
    { billing: 'daily', dueAt: T0 + 48 * H },
    { billing: 'daily', dueAt: T0 + 72 * H },
    undefined,
  ]);
});

test('reset: back to the empty index', () => {
  const index = new BillingIndex();
  for (const e of journal) index.stored(e);
  index.reset();
  assert.equal(index.save(), new BillingIndex().save());
  assert.is(index.nextDueAt(), Number.POSITIVE_INFINITY);
  for (const e of journal) index.stored(e);
  index.built();
  const whole = new BillingIndex();
  for (const e of journal) whole.stored(e);
  whole.built();
  assert.equal(view(index), view(whole));
});

test.run();
