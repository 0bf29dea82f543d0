import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AccountCommand, type AccountEvent, accountKind } from '../../actors/account/account.ts';
import { chargesOf } from '../../actors/account/charges.ts';
import { daily, msk } from '../../actors/account/fixtures.ts';
import { type AccountState, initialAccount } from '../../actors/account/state.ts';
import type { StoredEvent } from '../../actors/journal/types.ts';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import type { Envelope } from '../../actors/runtime/envelope.ts';
import { initialSubscriber, type SubscriberState } from '../../actors/subscriber/subscriber.ts';
import { Harness } from '../../actors/testkit/harness.ts';
import { AccountDirectory } from './directory.ts';

// The directory's compact fold of account events must give the same row as the account's own
// state (which live updates use); queries filter, search and sort; 100,000 accounts stay fast.

const T0 = msk(2026, 3, 10, 12);
const staff = { type: 'staff' as const, id: 's1' };
let position = 0;

function stored(key: string, event: unknown, at = T0): StoredEvent<Envelope> {
  position++;
  return {
    key,
    sequenceNumber: position,
    position,
    data: { event, by: staff, at },
    tags: [],
    createdAt: at,
    isDeleted: false,
  };
}

function live(kind: string, id: string, state: unknown): [LiveEvent[], unknown] {
  position++;
  const e: LiveEvent = { position, kind, id, sequenceNumber: 1, event: { type: 'X' }, cause: staff, at: T0 };
  return [[e], state];
}

const command = fc.oneof(
  fc.record({ type: fc.constant('TopUp' as const), amount: fc.integer({ min: 1, max: 50_000 }) }),
  fc.record({ type: fc.constant('Charge' as const), amount: fc.integer({ min: 1, max: 30_000 }) }),
  fc.record({ type: fc.constant('Hold' as const), amount: fc.integer({ min: 1, max: 20_000 }) }),
  fc.record({ type: fc.constant('Confirm' as const), part: fc.integer({ min: 0, max: 100 }) }),
  fc.constant({ type: 'Void' as const }),
  fc.constant({ type: 'Expire' as const }),
  fc.record({ type: fc.constant('Limit' as const), limit: fc.integer({ min: 0, max: 40_000 }) }),
  fc.record({ type: fc.constant('Adjust' as const), amount: fc.integer({ min: -20_000, max: 20_000 }) }),
  fc.constant({ type: 'Refund' as const }),
  fc.constant({ type: 'Tariff' as const }),
  fc.constant({ type: 'NoTariff' as const }),
  fc.constant({ type: 'Bill' as const }),
  fc.constant({ type: 'Block' as const }),
  fc.constant({ type: 'Unblock' as const }),
  fc.constant({ type: 'Close' as const }),
);

type Step = typeof command extends fc.Arbitrary<infer T> ? T : never;

function toCommand(
  h: Harness<AccountState, AccountCommand, AccountEvent, unknown>,
  s: Step,
): AccountCommand | null {
  const holds = Object.keys(h.state.holds);
  const charges = chargesOf(h.state.charges).map((c) => c.chargeId);
  switch (s.type) {
    case 'TopUp':
      return { type: 'TopUp', amount: s.amount, source: 'cash', reference: `r${h.journal.length}` };
    case 'Charge':
      return { type: 'Charge', amount: s.amount, product: 'p' };
    case 'Hold':
      return { type: 'PlaceHold', amount: s.amount, ttlSeconds: 3600, product: 'p' };
    case 'Confirm': {
      const id = holds[0];
      if (!id) return null;
      return {
        type: 'ConfirmHold',
        holdId: id,
        amount: Math.max(1, Math.floor((h.state.holds[id]!.amount * s.part) / 100)),
      };
    }
    case 'Void':
      return holds[0] ? { type: 'VoidHold', holdId: holds[0] } : null;
    case 'Expire':
      if (!holds[0]) return null;
      h.advance(h.state.holds[holds[0]]!.expiresAt);
      return null;
    case 'Limit':
      return { type: 'SetCreditLimit', creditLimit: s.limit };
    case 'Adjust':
      return s.amount === 0 ? null : { type: 'Adjust', amount: s.amount, reason: 'fix' };
    case 'Refund':
      return charges[0] ? { type: 'Refund', chargeId: charges[0], amount: 1 } : null;
    case 'Tariff':
      return { type: 'AssignTariff', tariff: daily(300_00) };
    case 'NoTariff':
      return { type: 'AssignTariff', tariff: null };
    case 'Bill':
      h.advance(h.now + 24 * 3600_000);
      return { type: 'BillingTick', until: h.now };
    case 'Block':
      return { type: 'Block', reason: 'by hand' };
    case 'Unblock':
      return { type: 'Unblock' };
    case 'Close':
      return { type: 'Close' };
  }
}

test('the fold of journaled events gives the row the account state gives', () => {
  fc.assert(
    fc.property(fc.array(command, { maxLength: 40 }), (steps) => {
      const h = new Harness(accountKind, '100001', T0, staff);
      h.ok({ type: 'Open', subscriberId: 'S1', creditLimit: 0 });
      for (const step of steps) {
        const c = toCommand(h, step);
        if (c) h.send(c);
      }
      const folded = new AccountDirectory();
      for (const e of h.journal) folded.stored(stored('account:100001', e, (e as { at: number }).at));
      folded.built();
      const fromState = new AccountDirectory();
      fromState.built();
      fromState.live(...live('account', '100001', h.state));
      assert.equal(
        folded.get('100001'),
        fromState.get('100001'),
        JSON.stringify(h.journal.map((e) => e.type)),
      );
      for (const status of ['active', 'blocked', 'closed'] as const) {
        assert.is(folded.count(status), fromState.count(status), status);
      }
    }),
    { numRuns: 300 },
  );
});

test('a checkpoint, wherever it is taken, and the events after it give the row the whole journal gives', () => {
  fc.assert(
    fc.property(fc.array(command, { maxLength: 40 }), fc.nat(), fc.boolean(), (steps, at, liveBefore) => {
      const h = new Harness(accountKind, '100001', T0, staff);
      h.ok({ type: 'Open', subscriberId: 'S1', creditLimit: 0 });
      for (const step of steps) {
        const c = toCommand(h, step);
        if (c) h.send(c);
      }
      const events = h.journal.map((e) => stored('account:100001', e, (e as { at: number }).at));
      const split = at % (events.length + 1);
      const named = stored('subscriber:S1', {
        type: 'SubscriberRegistered',
        name: 'Иванов Пётр',
        contacts: { phones: ['+79991234567'] },
        address: { text: 'Тверь', lat: 56.8, lon: 35.9 },
      });
      // Before the checkpoint: the build folded the events, or live commits left their state.
      const before = new AccountDirectory();
      before.stored(named);
      if (liveBefore) {
        before.built();
        let state = initialAccount('100001');
        for (const e of h.journal.slice(0, split)) state = accountKind.evolve(state, e);
        if (split > 0) before.live(...live('account', '100001', state));
      } else {
        for (const e of events.slice(0, split)) before.stored(e);
        before.built();
      }
      const restored = new AccountDirectory();
      const copy = before.save();
      const text = JSON.stringify(copy);
      // A save is serialized over several turns while commits go on: it must be a copy.
      before.live(...live('account', '100001', { ...h.state, balance: h.state.balance + 1, holds: {} }));
      before.live(...live('subscriber', 'S1', { ...initialSubscriber('S1'), exists: true, name: 'Другой' }));
      assert.is(JSON.stringify(copy), text);
      restored.restore(JSON.parse(text));
      for (const e of events.slice(split)) restored.stored(e);
      restored.built();
      const whole = new AccountDirectory();
      whole.stored(named);
      for (const e of events) whole.stored(e);
      whole.built();
      assert.equal(restored.get('100001'), whole.get('100001'), JSON.stringify(h.journal.map((e) => e.type)));
      for (const status of ['active', 'blocked', 'closed'] as const) {
        assert.is(restored.count(status), whole.count(status), status);
      }
      assert.equal(restored.located(), whole.located());
      restored.reset();
      assert.equal(restored.save(), new AccountDirectory().save());
      assert.is(restored.query({}).total, 0);
    }),
    { numRuns: 300 },
  );
});

function subscriber(id: string, name: string, phone: string, address: string): SubscriberState {
  return {
    ...initialSubscriber(id),
    exists: true,
    name,
    contacts: { phones: [phone] },
    address: { text: address },
  };
}

function account(id: string, patch: Partial<AccountState>): AccountState {
  return { ...initialAccount(id), opened: true, ...patch };
}

function fixture(): AccountDirectory {
  const d = new AccountDirectory();
  d.built();
  d.live(...live('subscriber', 'S1', subscriber('S1', 'Иванов Пётр', '+79991234567', 'Тверь, ул. Ленина 5')));
  d.live(...live('subscriber', 'S2', subscriber('S2', 'Acme LLC', '+74950001122', 'Москва, Тверская 1')));
  d.live(...live('account', '100001', account('100001', { subscriberId: 'S1', balance: 500 })));
  d.live(
    ...live(
      'account',
      '100002',
      account('100002', { subscriberId: 'S2', balance: -300, fundsBlockedAt: T0 }),
    ),
  );
  d.live(...live('account', '100010', account('100010', { subscriberId: 'S1', balance: 50, closedAt: T0 })));
  d.live(...live('account', '100003', account('100003', { subscriberId: null, balance: 0 })));
  return d;
}

const ids = (page: { rows: { accountId: string }[] }) => page.rows.map((r) => r.accountId);

test('search by name, phone (any spelling), account number and address', () => {
  const d = fixture();
  assert.equal(ids(d.query({ q: 'иванов' })), ['100001', '100010']);
  assert.equal(ids(d.query({ q: '+7 (999) 123-45' })), ['100001', '100010']);
  assert.equal(ids(d.query({ q: '0001122' })), ['100002']);
  assert.equal(ids(d.query({ q: '100003' })), ['100003']);
  assert.equal(ids(d.query({ q: 'тверская' })), ['100002']);
  assert.equal(ids(d.query({ q: 'nobody' })), []);
  assert.equal(d.get('100001'), {
    accountId: '100001',
    subscriberId: 'S1',
    name: 'Иванов Пётр',
    phone: '+79991234567',
    address: 'Тверь, ул. Ленина 5',
    status: 'active',
    tariffId: null,
    balance: 500,
    available: 500,
  });
});

test('filters, sorts, pages; a renamed subscriber is found by its new name', () => {
  const d = fixture();
  assert.equal(ids(d.query({})), ['100001', '100002', '100003', '100010'], 'numeric id order');
  assert.equal(ids(d.query({ sort: 'balance' })), ['100002', '100003', '100010', '100001']);
  assert.equal(ids(d.query({ sort: 'balance', order: 'desc' })), ['100001', '100010', '100003', '100002']);
  assert.equal(ids(d.query({ sort: 'status' })), ['100001', '100003', '100002', '100010']);
  assert.equal(ids(d.query({ sort: 'name' })), ['100003', '100002', '100001', '100010']);
  assert.equal(ids(d.query({ status: 'blocked' })), ['100002']);
  assert.equal(ids(d.query({ balanceBelow: 100 })), ['100002', '100003', '100010']);
  const page = d.query({ offset: 1, limit: 2 });
  assert.is(page.total, 4);
  assert.equal(ids(page), ['100002', '100003']);
  d.live(...live('subscriber', 'S2', subscriber('S2', 'Яшин Ltd', '+74950001122', 'Москва')));
  assert.equal(ids(d.query({ q: 'яшин' })), ['100002']);
  assert.equal(ids(d.query({ q: 'acme' })), []);
  assert.equal(ids(d.query({ sort: 'name' })).at(-1), '100002');
  assert.is(d.count('active'), 2);
  assert.is(d.count('blocked'), 1);
  assert.is(d.count('closed'), 1);
});

test('100,000 accounts: search, filter and sort stay fast', () => {
  const d = new AccountDirectory();
  const N = 100_000;
  for (let i = 0; i < N; i++) {
    const sid = `S${i}`;
    d.live(
      ...live(
        'subscriber',
        sid,
        subscriber(
          sid,
          `Абонент ${i} Фамилия${i % 997}`,
          `+7999${String(i).padStart(7, '0')}`,
          `ул. Садовая ${i % 300}`,
        ),
      ),
    );
    d.live(
      ...live(
        'account',
        String(100_001 + i),
        account(String(100_001 + i), { subscriberId: sid, balance: ((i * 7919) % 100_000) - 20_000 }),
      ),
    );
  }
  const timed = (label: string, fn: () => unknown) => {
    const t = performance.now();
    fn();
    const ms = performance.now() - t;
    return { label, ms };
  };
  const results = [
    timed('end of the build at start', () => d.built()),
    timed('first page by id', () => d.query({ limit: 50 })),
    timed('search by name', () => d.query({ q: 'фамилия42', limit: 50 })),
    timed('search by phone', () => d.query({ q: '9990012345' })),
    timed('sort by balance (cold)', () => d.query({ sort: 'balance', limit: 50 })),
    timed('sort by balance (warm)', () =>
      d.query({ sort: 'balance', order: 'desc', offset: 50_000, limit: 50 }),
    ),
    timed('sort by name (cold)', () => d.query({ sort: 'name', limit: 50 })),
    timed('balance below, by name', () => d.query({ balanceBelow: 0, sort: 'name', limit: 50 })),
  ];
  // After a balance changes, the next balance sort is rebuilt.
  d.live(...live('account', '100001', account('100001', { subscriberId: 'S0', balance: 1 })));
  results.push(timed('sort by balance after a change', () => d.query({ sort: 'balance', limit: 50 })));
  console.log(results.map((r) => `${r.label}: ${r.ms.toFixed(1)} ms`).join('\n'));
  for (const r of results) assert.ok(r.ms < 1000, `${r.label} took ${r.ms} ms`);
  assert.is(d.query({ q: '9990012345' }).total, 1);
  assert.is(d.size, N);
});

test.run();
