import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AddressListEntry } from './driver.ts';
import { isEmptyPlan, type ReconcilePlan, reconcile } from './reconcile.ts';

const test = suite('device reconcile');

const e = (id: string, address: string, comment?: string, disabled = false): AddressListEntry => ({
  id,
  address,
  ...(comment === undefined ? {} : { comment }),
  disabled,
});

test('adds what is missing, with the account in the comment', () => {
  const plan = reconcile({ '10.0.0.2': 'a2', '10.0.0.1': 'a1' }, []);
  assert.equal(plan.add, [
    { address: '10.0.0.1', comment: 'abonent:a1' },
    { address: '10.0.0.2', comment: 'abonent:a2' },
  ]);
  assert.equal(plan.remove, []);
});

test('removes only its own entries that are no longer wanted; foreign ones stay', () => {
  const plan = reconcile({}, [
    e('*1', '10.0.0.1', 'abonent:a1'),
    e('*2', '10.0.0.2', 'by hand'),
    e('*3', '10.0.0.3'),
  ]);
  assert.equal(plan.remove, [{ id: '*1', address: '10.0.0.1', why: 'unblocked' }]);
  assert.equal(plan.add, []);
});

test('never duplicates: an address already blocked (by us or by hand) is not added', () => {
  const plan = reconcile({ '10.0.0.1': 'a1', '10.0.0.2': 'a2' }, [
    e('*1', '10.0.0.1/32', 'abonent:a1'),
    e('*2', '10.0.0.2', 'operator'),
  ]);
  assert.ok(isEmptyPlan(plan));
});

test('collapses duplicates: keeps the entry labelled with the right account, removes the rest', () => {
  const plan = reconcile({ '10.0.0.1': 'a1' }, [
    e('*1', '10.0.0.1', 'abonent:old'),
    e('*2', '10.0.0.1', 'abonent:a1'),
    e('*3', '10.0.0.1', 'abonent:a1'),
  ]);
  assert.equal(plan.remove, [
    { id: '*1', address: '10.0.0.1', why: 'duplicate' },
    { id: '*3', address: '10.0.0.1', why: 'duplicate' },
  ]);
  assert.equal(plan.add, []);
  assert.equal(plan.relabel, []);
});

test('an address that changed hands is relabelled, not removed and added', () => {
  const plan = reconcile({ '10.0.0.1': 'a2' }, [e('*1', '10.0.0.1', 'abonent:a1')]);
  assert.equal(plan.relabel, [{ id: '*1', address: '10.0.0.1', comment: 'abonent:a2' }]);
  assert.equal(plan.remove, []);
});

test('a disabled entry of ours does not block: it is removed and the address added again', () => {
  const plan = reconcile({ '10.0.0.1': 'a1' }, [e('*1', '10.0.0.1', 'abonent:a1', true)]);
  assert.equal(plan.remove, [{ id: '*1', address: '10.0.0.1', why: 'disabled' }]);
  assert.equal(plan.add, [{ address: '10.0.0.1', comment: 'abonent:a1' }]);
});

/** What the router would hold after the plan, for the property below. */
function applyPlan(entries: AddressListEntry[], plan: ReconcilePlan): AddressListEntry[] {
  const removed = new Set(plan.remove.map((r) => r.id));
  const relabel = new Map(plan.relabel.map((r) => [r.id, r.comment]));
  const kept = entries
    .filter((x) => !removed.has(x.id))
    .map((x) => (relabel.has(x.id) ? { ...x, comment: relabel.get(x.id)! } : x));
  return [...kept, ...plan.add.map((a, i) => e(`*new${i}`, a.address, a.comment))];
}

test('property: after the plan, exactly the wanted addresses carry one enabled entry of ours; foreign ones are untouched', () => {
  const address = fc.integer({ min: 1, max: 6 }).map((n) => `10.0.0.${n}`);
  const entry = fc.record({
    address,
    comment: fc.option(fc.constantFrom('abonent:a1', 'abonent:a2', 'manual'), { nil: undefined }),
    disabled: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.dictionary(address, fc.constantFrom('a1', 'a2', 'a3')),
      fc.array(entry, { maxLength: 12 }),
      (desired, raw) => {
        const entries = raw.map((r, i) => e(`*${i}`, r.address, r.comment, r.disabled));
        const after = applyPlan(entries, reconcile(desired, entries));
        const foreign = (x: AddressListEntry) => !x.comment?.startsWith('abonent:');
        assert.equal(after.filter(foreign), entries.filter(foreign));
        const ours = after.filter((x) => !foreign(x));
        for (const [addr, account] of Object.entries(desired)) {
          const mine = ours.filter((x) => x.address === addr);
          const byHand = entries.some((x) => foreign(x) && !x.disabled && x.address === addr);
          if (byHand && mine.length === 0) continue;
          assert.is(mine.length, 1, `one entry for ${addr}`);
          assert.is(mine[0]!.comment, `abonent:${account}`);
          assert.not.ok(mine[0]!.disabled);
        }
        for (const x of ours) assert.ok(desired[x.address] !== undefined, `no stray ${x.address}`);
        // A second pass finds nothing left to do.
        assert.ok(isEmptyPlan(reconcile(desired, after)));
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
