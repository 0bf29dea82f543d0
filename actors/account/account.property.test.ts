import { deepStrictEqual } from 'node:assert';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccountCommand, AccountEvent } from './account.ts';
import { buildAct } from './act.ts';
import { evolve } from './evolve.ts';
import { type AccountHarness, daily, hourly, monthly, msk, openAccount } from './fixtures.ts';
import { operationsOf } from './operations.ts';
import { availableOf, heldTotal, initialAccount } from './state.ts';

// Random operation sequences against one account, checked after every step against what the
// issue promises: the balance is the sum of the applied operations, available never drops
// below zero, refunds never exceed their charge, a replayed key never changes state, a tariff
// period is charged at most once, and recovery (folding the journal) rebuilds the same state.

const TARIFFS = [monthly(30_000, 'm'), daily(12_345, 'd'), hourly(99_999, 'h'), hourly(0, 'free')];
const amount = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 1, max: 40_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -5, 1.5, Number.MAX_SAFE_INTEGER) },
);
const pick = fc.nat({ max: 1_000 });

type Step =
  | { op: 'topUp'; amount: number }
  | { op: 'charge'; amount: number; product: string }
  | { op: 'refund'; charge: number; amount: number }
  | { op: 'hold'; amount: number; ttl: number }
  | { op: 'confirm'; hold: number; amount: number | undefined }
  | { op: 'void'; hold: number }
  | { op: 'creditLimit'; amount: number }
  | { op: 'adjust'; amount: number; negative: boolean }
  | { op: 'tariff'; tariff: number }
  | { op: 'block' }
  | { op: 'unblock' }
  | { op: 'close' }
  | { op: 'advance'; ms: number }
  | { op: 'replay'; which: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 15,
    arbitrary: fc.record({
      op: fc.constant('topUp' as const),
      amount: fc.oneof(amount, fc.integer({ min: 1, max: 200_000 })),
    }),
  },
  {
    weight: 15,
    arbitrary: fc.record({
      op: fc.constant('charge' as const),
      amount,
      product: fc.constantFrom('a', 'b', 'c'),
    }),
  },
  {
    weight: 9,
    arbitrary: fc.record({
      op: fc.constant('refund' as const),
      charge: pick,
      amount: fc.oneof(amount, fc.integer({ min: 1, max: 3_000 })),
    }),
  },
  {
    weight: 9,
    arbitrary: fc.record({
      op: fc.constant('hold' as const),
      amount,
      ttl: fc.integer({ min: 1, max: 4 * 3600 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('confirm' as const),
      hold: pick,
      amount: fc.option(amount, { nil: undefined }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('void' as const), hold: pick }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('creditLimit' as const),
      amount: fc.integer({ min: 0, max: 50_000 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('adjust' as const), amount, negative: fc.boolean() }) },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('tariff' as const), tariff: fc.nat({ max: TARIFFS.length }) }),
  },
  { weight: 3, arbitrary: fc.constant({ op: 'block' as const }) },
  { weight: 3, arbitrary: fc.constant({ op: 'unblock' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'close' as const }) },
  {
    weight: 12,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 36 * 3_600_000 }),
    }),
  },
  { weight: 9, arbitrary: fc.record({ op: fc.constant('replay' as const), which: pick }) },
);

const nth = <T>(xs: readonly T[], i: number): T | undefined =>
  xs.length === 0 ? undefined : xs[i % xs.length];

interface Sent {
  key: string;
  command: AccountCommand;
  reply: unknown;
}

/** Turns an abstract step into a command against the account as it is now. */
function commandOf(h: AccountHarness, s: Step, journal: readonly AccountEvent[]): AccountCommand | null {
  const chargeIds = journal.flatMap((e) =>
    e.type === 'Charged' || e.type === 'HoldConfirmed' || e.type === 'TariffCharged' ? [e.chargeId] : [],
  );
  const holdIds = journal.flatMap((e) => (e.type === 'HoldPlaced' ? [e.holdId] : []));
  switch (s.op) {
    case 'topUp':
      return { type: 'TopUp', amount: s.amount, source: 'bank', reference: `doc-${journal.length}` };
    case 'charge':
      return { type: 'Charge', amount: s.amount, product: s.product };
    case 'refund':
      return { type: 'Refund', chargeId: nth(chargeIds, s.charge) ?? 'A1-c999', amount: s.amount };
    case 'hold':
      return { type: 'PlaceHold', amount: s.amount, ttlSeconds: s.ttl };
    case 'confirm': {
      const holdId = nth(holdIds, s.hold) ?? 'A1-h999';
      return s.amount === undefined
        ? { type: 'ConfirmHold', holdId }
        : { type: 'ConfirmHold', holdId, amount: s.amount };
    }
    case 'void':
      return { type: 'VoidHold', holdId: nth(holdIds, s.hold) ?? 'A1-h999' };
    case 'creditLimit':
      return { type: 'SetCreditLimit', creditLimit: s.amount };
    case 'adjust':
      return { type: 'Adjust', amount: s.negative ? -s.amount : s.amount, reason: 'property test' };
    case 'tariff':
      return { type: 'AssignTariff', tariff: TARIFFS[s.tariff] ?? null };
    case 'block':
      return { type: 'Block', reason: 'property test' };
    case 'unblock':
      return { type: 'Unblock' };
    case 'close':
      return { type: 'Close' };
    default:
      return h ? null : null;
  }
}

function checkInvariants(h: AccountHarness): void {
  const s = h.state;
  const ops = operationsOf(h.journal);
  // The balance is the sum of the applied operations.
  const sum = ops.reduce((t, o) => t + o.amount, 0);
  assert.is(s.balance, sum, 'balance = Σ operations');
  assert.is(ops.at(-1)?.balance ?? 0, s.balance);
  assert.is(
    heldTotal(s),
    ops.reduce((t, o) => t + o.held, 0),
    'open holds = Σ held − Σ released',
  );
  // Available never below zero.
  assert.ok(availableOf(s) >= 0, `available ${availableOf(s)} < 0`);
  // Refunds never exceed their charge.
  const charged = new Map<string, number>();
  const refunded = new Map<string, number>();
  for (const e of h.journal) {
    if (e.type === 'Charged' || e.type === 'HoldConfirmed' || e.type === 'TariffCharged')
      charged.set(e.chargeId, e.amount);
    if (e.type === 'Refunded' || e.type === 'TariffCredited') {
      refunded.set(e.chargeId, (refunded.get(e.chargeId) ?? 0) + e.amount);
    }
  }
  for (const [id, r] of refunded)
    assert.ok(r <= (charged.get(id) ?? 0), `charge ${id} refunded ${r} > charged`);
  // A tariff period is charged at most once.
  const keys = h.journal.flatMap((e) => (e.type === 'TariffCharged' ? [e.key] : []));
  assert.is(new Set(keys).size, keys.length, 'tariff period keys are unique');
  // Only tariff debts block for funds, and every debt blocks.
  if (s.closedAt === null) assert.is(s.due !== null, s.fundsBlockedAt !== null, 'due ⇔ blocked for funds');
  // Every amount in state is a safe integer.
  for (const n of [s.balance, s.creditLimit, heldTotal(s)]) assert.ok(Number.isSafeInteger(n));
}

function runSteps(steps: Step[]): void {
  const h = openAccount({ now: msk(2026, 3, 30, 20) });
  const sent: Sent[] = [];
  steps.forEach((s, i) => {
    if (s.op === 'advance') {
      h.advance(h.now + s.ms);
      h.ok({ type: 'BillingTick', until: h.now });
    } else if (s.op === 'replay') {
      const prev = nth(sent, s.which);
      if (!prev) return;
      const before = JSON.parse(JSON.stringify(h.state));
      const out = h.send(prev.command, { key: prev.key });
      assert.ok(out.ok);
      if (out.ok) deepStrictEqual(out.reply, prev.reply, 'a replayed key answers the first reply');
      deepStrictEqual(h.state, before, 'a replayed key never changes state');
    } else {
      const command = commandOf(h, s, h.journal);
      if (!command) return;
      const key = `k${i}`;
      const out = h.send(command, { key });
      if (out.ok) sent.push({ key, command, reply: out.reply });
    }
    checkInvariants(h);
  });
  // The acts of all months together are every charge minus every refund.
  const ops = operationsOf(h.journal);
  const sold = ops
    .filter((o) => ['charge', 'hold_confirm', 'tariff_charge', 'refund', 'tariff_credit'].includes(o.kind))
    .reduce((t, o) => t - o.amount, 0);
  let acts = 0;
  for (const month of ['2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08']) {
    acts += buildAct(h.journal, month).total;
  }
  assert.is(acts, sold, 'Σ acts = Σ charges − Σ refunds');
  // Recovery: folding the journal from scratch gives the same state.
  deepStrictEqual(h.journal.reduce(evolve, initialAccount('A1')), h.state, 'recovery rebuilds the state');
}

test('property: random operation sequences keep the money invariants', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 60, size: 'max' }), (steps) => runSteps(steps)),
    { numRuns: 150 },
  );
});

test('property: replaying a decision at the decide level changes nothing (timers and ticks)', () => {
  fc.assert(
    fc.property(
      fc.array(step, { maxLength: 30, size: 'max' }),
      fc.integer({ min: 0, max: 10 * 86_400_000 }),
      (steps, later) => {
        const h = openAccount({ now: msk(2026, 3, 30, 20) });
        for (const [i, s] of steps.entries()) {
          const c = s.op === 'advance' || s.op === 'replay' ? null : commandOf(h, s, h.journal);
          if (c) h.send(c, { key: `k${i}` });
        }
        h.now += later;
        h.ok({ type: 'BillingTick', until: h.now });
        const state = JSON.stringify(h.state);
        // The same tick again, and every hold timer again: already applied, so no change.
        h.ok({ type: 'BillingTick', until: h.now });
        for (const e of h.journal)
          if (e.type === 'HoldPlaced') h.ok({ type: 'ExpireHold', holdId: e.holdId });
        assert.is(JSON.stringify(h.state), state);
      },
    ),
    { numRuns: 150 },
  );
});

test.run();
