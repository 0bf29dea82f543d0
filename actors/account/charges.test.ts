import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addCharge, CHUNK, type ChargeBook, chargesOf, findCharge, refundCharge } from './charges.ts';
import { CHARGE_REFUND_WINDOW_MS, CHARGES_KEPT, type ChargeRecord, TARIFF_CHARGES_KEPT } from './state.ts';

const T = Date.UTC(2026, 0, 1);
const charge = (n: number, at = T + n): ChargeRecord => ({
  chargeId: `100001-c${n}`,
  amount: n,
  refunded: 0,
  product: 'sms',
  at,
});

function book(n: number, at?: (i: number) => number): ChargeBook {
  let b: ChargeBook = [];
  for (let i = 1; i <= n; i++) b = addCharge(b, charge(i, at?.(i)));
  return b;
}

test('keeps the newest CHARGES_KEPT charges, oldest first, in chunks', () => {
  const b = book(CHARGES_KEPT + 150);
  const all = chargesOf(b);
  assert.is(all.length, CHARGES_KEPT);
  assert.is(all[0]!.chargeId, '100001-c151');
  assert.is(all[all.length - 1]!.chargeId, `100001-c${CHARGES_KEPT + 150}`);
  assert.ok(b.every((chunk) => chunk.length <= CHUNK));
  assert.is(findCharge(b, '100001-c150'), undefined);
  assert.is(findCharge(b, '100001-c151')?.amount, 151);
});

test('keeps the newest TARIFF_CHARGES_KEPT tariff charges, and every other charge among them', () => {
  let b: ChargeBook = [];
  const tariff = (n: number): ChargeRecord => ({ ...charge(n), chargeId: `100001-t${n}`, tariff: true });
  // An hourly tariff's slices with a service's charge every tenth hour.
  for (let i = 1; i <= TARIFF_CHARGES_KEPT * 3; i++) {
    b = addCharge(b, tariff(i));
    if (i % 10 === 0) b = addCharge(b, charge(i));
  }
  const all = chargesOf(b);
  const tariffs = all.filter((c) => c.tariff);
  assert.is(tariffs.length, TARIFF_CHARGES_KEPT);
  assert.is(tariffs[0]!.chargeId, `100001-t${TARIFF_CHARGES_KEPT * 2 + 1}`);
  assert.is(all.length - tariffs.length, (TARIFF_CHARGES_KEPT * 3) / 10, "no service's charge is forgotten");
  assert.equal(
    all.map((c) => c.at),
    [...all.map((c) => c.at)].sort((x, y) => x - y),
    'still oldest first',
  );
  assert.ok(b.every((chunk) => chunk.length > 0 && chunk.length <= CHUNK));
  assert.is(findCharge(b, '100001-t1'), undefined);
  assert.is(findCharge(b, '100001-c10')?.amount, 10);
});

test('forgets charges older than the refund window, up to the first one still in it', () => {
  let b = book(3, (i) => T + i);
  // A charge a window after the third: the first two are beyond it.
  b = addCharge(b, charge(4, T + 3 + CHARGE_REFUND_WINDOW_MS));
  assert.equal(
    chargesOf(b).map((c) => c.chargeId),
    ['100001-c3', '100001-c4'],
  );
});

test('a refund changes its charge only, and never the book it was given', () => {
  const before = book(CHUNK * 2 + 5);
  const frozen = JSON.stringify(before);
  const after = refundCharge(before, '100001-c7', 3);
  assert.is(JSON.stringify(before), frozen);
  assert.is(findCharge(after, '100001-c7')?.refunded, 3);
  assert.is(findCharge(before, '100001-c7')?.refunded, 0);
  assert.is(after[1], before[1], 'untouched chunks are shared, not copied');
  assert.is(refundCharge(before, '100001-c999', 1), before);
  const added = addCharge(before, charge(999));
  assert.is(JSON.stringify(before), frozen);
  assert.is(added[0], before[0]);
});

test('a snapshot from before the chunks (one object keyed by charge id) still reads', () => {
  const legacy = {
    '100001-c2': { amount: 5, refunded: 1, product: 'sms', at: T },
    '100001-c3': { amount: 7, refunded: 0, product: 'vps', at: T + 1 },
  } as unknown as ChargeBook;
  assert.equal(findCharge(legacy, '100001-c2'), {
    chargeId: '100001-c2',
    amount: 5,
    refunded: 1,
    product: 'sms',
    at: T,
  });
  const next = addCharge(legacy, charge(4));
  assert.equal(
    chargesOf(next).map((c) => c.chargeId),
    ['100001-c2', '100001-c3', '100001-c4'],
  );
  assert.is(findCharge(refundCharge(legacy, '100001-c3', 2), '100001-c3')?.refunded, 2);
});

// The memory as it was kept before the chunks: one object keyed by charge id.
function reference(charges: Record<string, ChargeRecord>, record: ChargeRecord) {
  const next: Record<string, ChargeRecord> = { ...charges, [record.chargeId]: record };
  const oldest = record.at - CHARGE_REFUND_WINDOW_MS;
  const ids = Object.keys(next);
  let count = ids.length;
  for (const id of ids) {
    if (count <= CHARGES_KEPT && next[id]!.at >= oldest) break;
    delete next[id];
    count--;
  }
  return next;
}

test('remembers exactly what the one-object memory did, clock steps back included', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant('charge' as const), dt: fc.integer({ min: -5, max: 40 }) }),
          fc.record({ kind: fc.constant('refund' as const), back: fc.nat({ max: 30 }) }),
        ),
        { maxLength: 400 },
      ),
      (steps) => {
        // A small window, so that age prunes as often as count does.
        let ref: Record<string, ChargeRecord> = {};
        let b: ChargeBook = [];
        let at = T;
        let n = 0;
        for (const s of steps) {
          if (s.kind === 'charge') {
            at += s.dt * (CHARGE_REFUND_WINDOW_MS / 100);
            const c = charge(++n, at);
            ref = reference(ref, c);
            b = addCharge(b, c);
          } else {
            const id = `100001-c${n - s.back}`;
            if (ref[id]) ref = { ...ref, [id]: { ...ref[id]!, refunded: ref[id]!.refunded + 1 } };
            b = refundCharge(b, id, 1);
          }
          assert.equal(chargesOf(b), Object.values(ref));
        }
      },
    ),
    { numRuns: 150 },
  );
});

test.run();
