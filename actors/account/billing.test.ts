import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mulDivRound } from '../billing/money.ts';
import {
  ACCOUNT_STATUS_TOPIC,
  type AccountEvent,
  type AccountReplies,
  accountKind,
  accountView,
} from './account.ts';
import { daily, hourly, monthly, msk, openAccount, topUp, typesOf } from './fixtures.ts';
import { availableOf } from './state.ts';

const MAR = msk(2026, 3, 1);
const APR = msk(2026, 4, 1);
const MAY = msk(2026, 5, 1);
const MARCH_MS = APR - MAR;

const tariffCharges = (events: readonly AccountEvent[]) =>
  events.flatMap((e) => (e.type === 'TariffCharged' ? [e] : []));

test('monthly: assigning mid-month charges the rest of the month, the 1st charges the month ahead', () => {
  const at = msk(2026, 3, 10, 12);
  const h = openAccount({ now: at });
  topUp(h, 100_000);
  const r = h.ok({ type: 'AssignTariff', tariff: monthly(30_000) }) as AccountReplies['AssignTariff'];
  const rest = 30_000 - mulDivRound(30_000, at - MAR, MARCH_MS);
  assert.is(rest, 20_806); // 21.5 of 31 days left: 20806.45
  assert.equal(r, {
    tariffId: 'home',
    charged: rest,
    credited: 0,
    status: 'active',
    balance: 100_000 - rest,
    available: 100_000 - rest,
  });
  const first = tariffCharges(h.journal)[0]!;
  assert.is(first.key, 'A1/home/2026-03@3');
  assert.is(first.prorated, true);
  assert.is(first.product, 'tariff:home');

  // Ticks before April charge nothing.
  h.now = APR - 1;
  assert.equal((h.ok({ type: 'BillingTick', until: APR - 1 }) as AccountReplies['BillingTick']).charged, []);
  h.now = APR;
  const tick = h.ok({ type: 'BillingTick', until: APR }) as AccountReplies['BillingTick'];
  assert.equal(tick, { charged: ['A1/home/2026-04'], amount: 30_000, status: 'active' });
  // A repeated tick (or one replayed after a crash) never charges twice.
  const state = JSON.stringify(h.state);
  h.now = APR + 3_600_000;
  assert.equal((h.ok({ type: 'BillingTick', until: h.now }) as AccountReplies['BillingTick']).charged, []);
  assert.equal((h.ok({ type: 'BillingTick', until: APR }) as AccountReplies['BillingTick']).charged, []);
  assert.is(JSON.stringify(h.state), state);
});

test('a tick from the future is clamped to now: nothing is charged ahead of time', () => {
  const h = openAccount({ now: msk(2026, 3, 20) });
  topUp(h, 100_000);
  h.ok({ type: 'AssignTariff', tariff: monthly(30_000) });
  const n = h.journal.length;
  h.ok({ type: 'BillingTick', until: msk(2027, 1, 1) });
  assert.is(h.journal.length, n);
});

test('catch-up: every missed period is charged once, in order; beyond the limit they are skipped', () => {
  const h = openAccount({ now: MAR });
  topUp(h, 1_000_000);
  h.ok({ type: 'AssignTariff', tariff: monthly(30_000) });
  h.now = msk(2026, 7, 15); // down since March
  const r = h.ok({ type: 'BillingTick', until: h.now }) as AccountReplies['BillingTick'];
  assert.equal(r.charged, ['A1/home/2026-04', 'A1/home/2026-05', 'A1/home/2026-06', 'A1/home/2026-07']);
  assert.is(r.amount, 120_000);

  const g = openAccount({ now: MAR });
  topUp(g, 1_000_000);
  g.ok({ type: 'AssignTariff', tariff: daily(31_000) });
  g.now = msk(2026, 3, 11, 5);
  const lim = g.ok({ type: 'BillingTick', until: g.now, maxCatchUp: 2 }) as AccountReplies['BillingTick'];
  // Mar 2..8 skipped (7 days), Mar 9 and 10 caught up, Mar 11 is the current day.
  assert.equal(lim.charged, ['A1/day/2026-03-09', 'A1/day/2026-03-10', 'A1/day/2026-03-11']);
  const skipped = g.journal.find((e) => e.type === 'TariffPeriodsSkipped');
  assert.equal(skipped && { ...skipped, by: undefined, at: undefined }, {
    type: 'TariffPeriodsSkipped',
    tariffId: 'day',
    from: msk(2026, 3, 2),
    to: msk(2026, 3, 9),
    count: 7,
    reason: 'catch_up_limit',
    by: undefined,
    at: undefined,
  });
  // maxCatchUp 0: only the current period.
  g.now = msk(2026, 3, 20);
  const none = g.ok({ type: 'BillingTick', until: g.now, maxCatchUp: 0 }) as AccountReplies['BillingTick'];
  assert.equal(none.charged, ['A1/day/2026-03-20']);
});

test('hourly: the charges of a whole month add up to the monthly price exactly', () => {
  const h = openAccount({ now: MAR });
  topUp(h, 1_000_000);
  h.ok({ type: 'AssignTariff', tariff: hourly(99_999) });
  // Tick every 5 hours, as an irregular clock would.
  for (let t = MAR; t < APR; t += 5 * 3_600_000) {
    h.now = t;
    h.ok({ type: 'BillingTick', until: t });
  }
  h.now = APR - 1;
  h.ok({ type: 'BillingTick', until: APR - 1 });
  const march = tariffCharges(h.journal);
  assert.is(march.length, 744);
  assert.is(new Set(march.map((e) => e.key)).size, 744);
  assert.is(
    march.reduce((s, e) => s + e.amount, 0),
    99_999,
  );
});

test('hourly: the account remembers its newest tariff charges only, so its state stays small', () => {
  const h = openAccount({ now: MAR });
  topUp(h, 1_000_000);
  h.ok({ type: 'AssignTariff', tariff: hourly(99_999) });
  const service = h.ok({ type: 'Charge', amount: 100, product: 'sms' }) as AccountReplies['Charge'];
  for (let t = MAR; t < APR; t += 3_600_000) {
    h.now = t;
    h.ok({ type: 'BillingTick', until: t });
  }
  const slices = tariffCharges(h.journal);
  assert.is(slices.length, 744);
  // A month of slices is 744 records; the state keeps 100 of them, so a snapshot stays small.
  assert.ok(JSON.stringify(h.state).length < 16_000, `state is ${JSON.stringify(h.state).length} bytes`);
  // Re-activated by every tick, it is snapshotted every 100 events (a tariff-less one at the
  // system's cadence).
  assert.is(accountKind.snapshotEvery!(h.state), 100);
  assert.is(accountKind.snapshotEvery!(openAccount().state), Number.POSITIVE_INFINITY);
  const first = slices[0]!;
  const last = slices[slices.length - 1]!;
  assert.is(h.refused({ type: 'Refund', chargeId: first.chargeId, amount: 1 }).code, 'charge_not_found');
  h.ok({ type: 'Refund', chargeId: last.chargeId, amount: 1 });
  // A service's charge is not pushed out by the tariff's.
  h.ok({ type: 'Refund', chargeId: service.chargeId, amount: 100 });
  // The paid period is still credited on a change of tariff.
  const r = h.ok({
    type: 'AssignTariff',
    tariff: monthly(30_000, 'month'),
  }) as AccountReplies['AssignTariff'];
  // Switched at the start of the paid hour: all of it back but the kopeck refunded above.
  assert.is(r.credited, last.amount - 1);
});

test('daily: a month of days adds up to the monthly price', () => {
  const h = openAccount({ now: msk(2026, 2, 1) });
  topUp(h, 1_000_000);
  h.ok({ type: 'AssignTariff', tariff: daily(10_001) });
  h.now = MAR - 1;
  h.ok({ type: 'BillingTick', until: h.now });
  const feb = tariffCharges(h.journal);
  assert.is(feb.length, 28);
  assert.is(
    feb.reduce((s, e) => s + e.amount, 0),
    10_001,
  );
});

test('insufficient funds blocks and publishes; a top-up that covers the due pays it and unblocks at once', () => {
  const h = openAccount({ now: msk(2026, 3, 31, 12) });
  topUp(h, 2_000);
  h.ok({ type: 'AssignTariff', tariff: monthly(31_000) }); // half a day of March: 500
  assert.is(h.state.balance, 1_500);
  h.now = APR;
  const tick = h.ok({ type: 'BillingTick', until: APR }) as AccountReplies['BillingTick'];
  assert.equal(tick, {
    charged: [],
    amount: 0,
    due: { key: 'A1/home/2026-04', tariffId: 'home', period: '2026-04', amount: 31_000 },
    status: 'blocked',
  });
  assert.equal(typesOf(h.journal.slice(-2)), ['TariffDueRecorded', 'Blocked']);
  const blocked = h.journal.at(-1)!;
  assert.ok(accountKind.topics?.(h.state, blocked).includes(ACCOUNT_STATUS_TOPIC));
  assert.is(accountView(h.state).blockReason, 'insufficient_funds');
  assert.is(h.state.balance, 1_500, 'nothing partly applied');
  // Blocked for funds: API charges wait, and staff cannot just unblock.
  assert.is(h.refused({ type: 'Charge', amount: 1, product: 'p' }).code, 'account_blocked');
  const un = h.refused({ type: 'Unblock' });
  assert.is(un.code, 'unblock_not_allowed');
  assert.match(un.message, /31000/);
  // Not enough yet.
  h.now = APR + 3_600_000;
  const partial = topUp(h, 20_000) as AccountReplies['TopUp'];
  assert.is(partial.status, 'blocked');
  // Enough: paid and unblocked in the same decision.
  const paid = topUp(h, 9_500) as AccountReplies['TopUp'];
  assert.equal(paid, { topUpId: paid.topUpId, balance: 0, available: 0, status: 'active' });
  assert.equal(typesOf(h.journal.slice(-3)), ['ToppedUp', 'TariffCharged', 'Unblocked']);
  const charge = tariffCharges(h.journal).at(-1)!;
  assert.is(charge.key, 'A1/home/2026-04');
  assert.is(charge.prorated, false);
  // And it is not charged again by the next tick.
  h.ok({ type: 'BillingTick', until: h.now });
  assert.is(tariffCharges(h.journal).length, 2);
});

test('a due is paid by anything that frees money: a higher credit limit, a refund, a released hold', () => {
  const h = openAccount({ now: MAR });
  topUp(h, 40_000);
  const { holdId } = h.ok({
    type: 'PlaceHold',
    amount: 20_000,
    ttlSeconds: 3600,
  }) as AccountReplies['PlaceHold'];
  h.ok({ type: 'AssignTariff', tariff: monthly(30_000) });
  assert.is(accountView(h.state).status, 'blocked');
  h.ok({ type: 'VoidHold', holdId });
  assert.is(accountView(h.state).status, 'active');
  assert.is(h.state.balance, 10_000);

  const g = openAccount({ now: MAR });
  g.ok({ type: 'AssignTariff', tariff: monthly(30_000) });
  assert.is(accountView(g.state).blockReason, 'insufficient_funds');
  const r = g.ok({ type: 'SetCreditLimit', creditLimit: 30_000 }) as AccountReplies['SetCreditLimit'];
  assert.equal([r.status, r.balance, r.available], ['active', -30_000, 0]);
});

test('a blocked subscriber does not owe for the periods sat out: the new period replaces the due', () => {
  const h = openAccount({ now: MAR });
  h.ok({ type: 'AssignTariff', tariff: monthly(30_000) });
  assert.is(h.state.due?.key, 'A1/home/2026-03@2');
  h.now = APR;
  h.ok({ type: 'BillingTick', until: APR });
  assert.equal(typesOf(h.journal.slice(-2)), ['TariffDueWrittenOff', 'TariffDueRecorded']);
  assert.is(h.state.due?.key, 'A1/home/2026-04');
  h.now = MAY + 86_400_000 * 14;
  h.ok({ type: 'BillingTick', until: h.now });
  assert.is(h.state.due?.key, 'A1/home/2026-05');
  const r = topUp(h, 30_000) as AccountReplies['TopUp'];
  assert.is(r.status, 'active');
  assert.is(r.balance, 0);
  assert.is(tariffCharges(h.journal).length, 1);
});

test('manual and funds blocks are independent: paying lifts only its own', () => {
  const h = openAccount({ now: MAR });
  h.ok({ type: 'AssignTariff', tariff: monthly(30_000) });
  h.ok({ type: 'Block', reason: 'abuse report' });
  topUp(h, 30_000);
  assert.equal(typesOf(h.journal.slice(-2)), ['TariffCharged', 'Unblocked']);
  const v = accountView(h.state);
  assert.equal([v.status, v.blockReason], ['blocked', 'manual']);
  h.ok({ type: 'Unblock' });
  assert.is(accountView(h.state).status, 'active');
});

test('tariff change mid-month: the old tariff credits its rest, the new one charges its rest', () => {
  const h = openAccount({ now: MAR });
  topUp(h, 200_000);
  h.ok({ type: 'AssignTariff', tariff: monthly(31_000, 'basic') });
  const mid = msk(2026, 3, 16);
  h.now = mid;
  const r = h.ok({
    type: 'AssignTariff',
    tariff: monthly(62_000, 'turbo'),
  }) as AccountReplies['AssignTariff'];
  // 16 of 31 days left: 16000 back, 32000 on.
  assert.is(r.credited, 31_000 - mulDivRound(31_000, mid - MAR, MARCH_MS));
  assert.is(r.credited, 16_000);
  assert.is(r.charged, 32_000);
  assert.is(h.state.balance, 200_000 - 31_000 + 16_000 - 32_000);
  assert.equal(typesOf(h.journal.slice(-4)), [
    'TariffCredited',
    'TariffUnassigned',
    'TariffAssigned',
    'TariffCharged',
  ]);
  // The credit counts against the basic charge: it cannot be refunded beyond what is left.
  const basic = tariffCharges(h.journal)[0]!;
  assert.is(
    h.refused({ type: 'Refund', chargeId: basic.chargeId, amount: 15_001 }).code,
    'refund_exceeds_charge',
  );
  // April is turbo's, at full price.
  h.now = APR;
  assert.equal((h.ok({ type: 'BillingTick', until: APR }) as AccountReplies['BillingTick']).amount, 62_000);
});

test('assigning and removing in the same instant nets to zero; the same tariff again is a no-op', () => {
  const at = msk(2026, 3, 7, 13, 17);
  const h = openAccount({ now: at });
  topUp(h, 50_000);
  h.ok({ type: 'AssignTariff', tariff: monthly(33_333) });
  const n = h.journal.length;
  h.ok({ type: 'AssignTariff', tariff: monthly(33_333) });
  assert.is(h.journal.length, n);
  const r = h.ok({ type: 'AssignTariff', tariff: null }) as AccountReplies['AssignTariff'];
  assert.is(r.tariffId, null);
  assert.is(h.state.balance, 50_000);
  assert.is(h.state.tariff, null);
});

test('changing the tariff while blocked writes the old due off and bills the new one', () => {
  const h = openAccount({ now: MAR });
  topUp(h, 5_000);
  h.ok({ type: 'AssignTariff', tariff: monthly(60_000, 'turbo') });
  assert.is(accountView(h.state).status, 'blocked');
  h.now = msk(2026, 3, 17);
  const r = h.ok({ type: 'AssignTariff', tariff: monthly(6_200, 'eco') }) as AccountReplies['AssignTariff'];
  assert.equal([r.status, r.charged, r.credited], ['active', 3_000, 0]);
  const off = h.journal.find((e) => e.type === 'TariffDueWrittenOff');
  assert.equal(off && [off.key, off.reason], ['A1/turbo/2026-03@3', 'tariff_changed']);
  // Removing a tariff that blocked the account lifts the block too.
  const g = openAccount({ now: MAR });
  g.ok({ type: 'AssignTariff', tariff: monthly(60_000) });
  g.ok({ type: 'AssignTariff', tariff: null });
  assert.is(accountView(g.state).status, 'active');
});

test('free tariffs and zero slices settle periods without charges', () => {
  const h = openAccount({ now: MAR });
  h.ok({ type: 'AssignTariff', tariff: hourly(0, 'free') });
  h.now = MAR + 10 * 3_600_000 + 5;
  h.ok({ type: 'BillingTick', until: h.now });
  assert.equal(typesOf(h.journal.slice(1)), ['TariffAssigned', 'TariffPeriodsSkipped']);
  assert.is(h.state.tariff?.billedUntil, MAR + 11 * 3_600_000);
  assert.is(accountView(h.state).status, 'active');
  // 1 kopeck a month hourly: exactly one slice costs 1.
  const g = openAccount({ now: MAR });
  topUp(g, 10);
  g.ok({ type: 'AssignTariff', tariff: hourly(1, 'tiny') });
  g.now = APR - 1;
  g.ok({ type: 'BillingTick', until: g.now });
  assert.is(g.state.balance, 9);
});

test('closing at zero balance ends the tariff and drops its due without unblocking', () => {
  const h = openAccount({ now: MAR });
  h.ok({ type: 'AssignTariff', tariff: monthly(30_000) });
  h.ok({ type: 'Close', reason: 'contract ended' });
  assert.equal(typesOf(h.journal.slice(-3)), ['TariffDueWrittenOff', 'TariffUnassigned', 'AccountClosed']);
  assert.is(accountView(h.state).status, 'closed');
  assert.is(availableOf(h.state), 0);
});

test('bad ticks and tariffs are refused', () => {
  const h = openAccount();
  assert.is(h.refused({ type: 'BillingTick', until: Number.NaN }).code, 'invalid_tick');
  assert.is(h.refused({ type: 'BillingTick', until: 1, maxCatchUp: -1 }).code, 'invalid_tick');
  assert.is(h.refused({ type: 'AssignTariff', tariff: { ...monthly(-1) } }).code, 'invalid_amount');
  assert.is(
    h.refused({ type: 'AssignTariff', tariff: { ...monthly(1), billing: 'weekly' as 'daily' } }).code,
    'invalid_tariff',
  );
});

test.run();
