import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccountReplies } from './account.ts';
import { actToCsv, buildAct } from './act.ts';
import { monthly, msk, openAccount, topUp } from './fixtures.ts';
import { operationsOf, queryOperations } from './operations.ts';

function history() {
  const h = openAccount({ now: msk(2026, 2, 20) });
  topUp(h, 100_000, 'robokassa-77');
  const feb = h.ok({ type: 'Charge', amount: 10_000, product: 'vin-report' }) as AccountReplies['Charge'];
  h.now = msk(2026, 2, 28, 23, 59);
  h.ok({ type: 'Charge', amount: 2_000, product: 'listing,"top"' });
  h.now = msk(2026, 3, 1, 0, 0);
  h.ok({ type: 'Charge', amount: 3_000, product: 'vin-report' });
  h.ok({ type: 'Refund', chargeId: feb.chargeId, amount: 4_000 }); // a February charge refunded in March
  const { holdId } = h.ok({
    type: 'PlaceHold',
    amount: 5_000,
    ttlSeconds: 3600,
    product: 'ride',
  }) as AccountReplies['PlaceHold'];
  h.ok({ type: 'ConfirmHold', holdId, amount: 4_500 });
  h.ok({ type: 'AssignTariff', tariff: monthly(31_000) });
  h.now = msk(2026, 3, 16);
  h.ok({ type: 'AssignTariff', tariff: null }); // 16 of 31 days credited back
  h.ok({ type: 'Adjust', amount: 100, reason: 'goodwill' });
  return h;
}

test('the act of a month: charges minus refunds made in it, per product', () => {
  const h = history();
  const feb = buildAct(h.journal, '2026-02');
  assert.equal(
    feb.lines.map((l) => [l.product, l.count, l.charged, l.refunded, l.amount]),
    [
      ['listing,"top"', 1, 2_000, 0, 2_000],
      ['vin-report', 1, 10_000, 0, 10_000],
    ],
  );
  assert.equal([feb.charged, feb.refunded, feb.total], [12_000, 0, 12_000]);
  assert.equal([feb.accountId, feb.currency, feb.timeZone], ['A1', 'RUB', 'Europe/Moscow']);
  assert.equal([feb.from, feb.to], [msk(2026, 2, 1), msk(2026, 3, 1)]);

  const mar = buildAct(h.journal, '2026-03');
  assert.equal(
    mar.lines.map((l) => [l.product, l.count, l.charged, l.refunded, l.amount]),
    [
      ['ride', 1, 4_500, 0, 4_500],
      ['tariff:home', 1, 31_000, 16_000, 15_000],
      ['vin-report', 1, 3_000, 4_000, -1_000],
    ],
  );
  assert.is(mar.total, 18_500);
  assert.equal(buildAct(h.journal, '2026-04').lines, []);
  // In UTC, 00:00 of March 1 in Moscow is still February: the act follows the calendar it is asked for.
  const utc = buildAct(h.journal, '2026-02', 'UTC');
  assert.equal([utc.charged, utc.refunded, utc.timeZone], [50_500, 4_000, 'UTC']);
  assert.throws(() => buildAct(h.journal, '2026-13'));
});

test('the act as CSV', () => {
  const csv = actToCsv(buildAct(history().journal, '2026-02'));
  assert.is(
    csv,
    'product,count,charged,refunded,amount,amount_major\r\n' +
      '"listing,""top""",1,2000,0,2000,20.00\r\n' +
      'vin-report,1,10000,0,10000,100.00\r\n' +
      'total,2,12000,0,12000,120.00\r\n',
  );
  const evil = actToCsv({
    ...buildAct([], '2026-01'),
    lines: [{ product: '=HYPERLINK("x")', count: 1, charged: 1, refunded: 0, amount: 1 }],
  });
  assert.match(evil, /^"'=HYPERLINK\(""x""\)"/m);
});

test('operations: every money movement with the balance after it', () => {
  const h = history();
  const ops = operationsOf(h.journal);
  assert.equal(
    ops.map((o) => [o.kind, o.amount, o.held]),
    [
      ['top_up', 100_000, 0],
      ['charge', -10_000, 0],
      ['charge', -2_000, 0],
      ['charge', -3_000, 0],
      ['refund', 4_000, 0],
      ['hold', 0, 5_000],
      ['hold_confirm', -4_500, -5_000],
      ['tariff_charge', -31_000, 0],
      ['tariff_credit', 16_000, 0],
      ['adjustment', 100, 0],
    ],
  );
  assert.is(ops.at(-1)?.balance, h.state.balance);
  assert.equal(ops[0], {
    seq: 2,
    at: msk(2026, 2, 20),
    by: { type: 'staff', id: 'cashier-1' },
    id: 'A1-t2',
    kind: 'top_up',
    amount: 100_000,
    held: 0,
    source: 'cash',
    reference: 'robokassa-77',
    balance: 100_000,
  });
  // The HTTP side reads them from journal envelopes: only `event` matters.
  const stored = h.journal.map((event, i) => ({
    sequenceNumber: i + 1,
    data: { event, by: event.by, at: event.at },
  }));
  assert.equal(operationsOf(stored.map((s) => s.data.event)), ops);
});

test('operations query: newest first, filters, cursor paging', () => {
  const ops = operationsOf(history().journal);
  const page1 = queryOperations(ops, { limit: 4 });
  assert.equal(
    page1.items.map((o) => o.kind),
    ['adjustment', 'tariff_credit', 'tariff_charge', 'hold_confirm'],
  );
  assert.ok(page1.nextCursor);
  const page2 = queryOperations(ops, { limit: 4, cursor: page1.nextCursor });
  const page3 = queryOperations(ops, { limit: 4, cursor: page2.nextCursor });
  assert.is(page3.nextCursor, undefined);
  assert.is(page1.items.length + page2.items.length + page3.items.length, ops.length);
  assert.equal(
    queryOperations(ops, { kind: 'charge' }).items.map((o) => o.amount),
    [-3_000, -2_000, -10_000],
  );
  const feb = queryOperations(ops, { from: msk(2026, 2, 1), to: msk(2026, 3, 1) });
  assert.equal(
    feb.items.map((o) => o.kind),
    ['charge', 'charge', 'top_up'],
  );
});

test.run();
