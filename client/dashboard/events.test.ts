import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AccountCommand, accountKind, accountView } from '../../actors/account/account.ts';
import type { Cause } from '../../actors/runtime/kind.ts';
import { applyAccountEvent, describe, type RowFigures } from './events.ts';
import { setLocale } from './i18n/i18n.ts';

// The dashboard moves a row's balance from the live event alone; here the account actor's
// own decide/evolve produces the events, and after each one the figures the dashboard
// derives must equal the account's view.

const cause: Cause = { type: 'staff', id: 'u1' };
const at = Date.parse('2026-03-10T10:00:00Z');

/** A command, or one made from the previous reply (a charge's id for its refund). */
type Step = AccountCommand | ((previous: Record<string, string>) => AccountCommand);

function run(steps: Step[]) {
  let state = accountKind.initial('100001');
  let figures: RowFigures | null = null;
  let previous: Record<string, string> = {};
  const checked: string[] = [];
  for (const [i, step] of steps.entries()) {
    const command = typeof step === 'function' ? step(previous) : step;
    const d = accountKind.decide(state, command, { id: '100001', now: at + i, cause });
    if ('reject' in d) throw new Error(`${command.type} refused: ${d.reject.message}`);
    previous = d.reply as unknown as Record<string, string>;
    for (const event of d.events) {
      state = accountKind.evolve(state, event);
      const view = accountView(state);
      if (figures === null) {
        figures = { balance: view.balance, available: view.available, status: view.status, tariffId: null };
        continue;
      }
      figures = { ...figures, ...(applyAccountEvent(figures, event as never) ?? {}) };
      assert.equal(
        figures,
        {
          balance: view.balance,
          available: view.available,
          status: view.status,
          tariffId: view.tariffId ?? null,
        },
        `after ${event.type}`,
      );
      checked.push(event.type);
    }
  }
  return checked;
}

test('top-ups, charges, refunds, holds, credit and adjustments move a row as the account moves', () => {
  const checked = run([
    { type: 'Open', subscriberId: null, currency: 'RUB', creditLimit: 0 },
    { type: 'TopUp', amount: 100_000, source: 'cash', reference: 'r1' },
    { type: 'Charge', amount: 12_345, product: 'internet' },
    (r) => ({ type: 'Refund', chargeId: r.chargeId!, amount: 345 }),
    { type: 'PlaceHold', amount: 5_000, ttlSeconds: 600 },
    (r) => ({ type: 'ConfirmHold', holdId: r.holdId!, amount: 3_000 }),
    { type: 'PlaceHold', amount: 1_000, ttlSeconds: 600 },
    (r) => ({ type: 'VoidHold', holdId: r.holdId! }),
    { type: 'SetCreditLimit', creditLimit: 50_000 },
    { type: 'Adjust', amount: -2_500, reason: 'double payment' },
    { type: 'Adjust', amount: 700, reason: 'goodwill' },
  ]);
  for (const type of [
    'ToppedUp',
    'Charged',
    'Refunded',
    'HoldPlaced',
    'HoldConfirmed',
    'HoldVoided',
    'CreditLimitChanged',
    'Adjusted',
  ])
    assert.ok(checked.includes(type), `${type} was checked (ids in the commands match the account's)`);
});

test('blocks and unblocks change the status', () => {
  const checked = run([
    { type: 'Open', subscriberId: null, currency: 'RUB', creditLimit: 0 },
    { type: 'Block', reason: 'fraud check' },
    { type: 'Unblock' },
  ]);
  assert.equal(checked, ['Blocked', 'Unblocked']);
});

test('a feed line says what happened, in the chosen language, with money from kopecks', () => {
  const live = (event: Record<string, unknown>) => ({
    position: 7,
    kind: 'account',
    id: '100001',
    sequenceNumber: 3,
    event: event as { type: string },
    cause,
    at,
  });
  setLocale('ru');
  const ru = describe(live({ type: 'Charged', amount: 12_345, product: 'internet' }));
  assert.is(
    ru.text,
    `Списание ${new Intl.NumberFormat('ru-RU', { style: 'currency', currency: 'RUB' }).format(123.45)}`,
  );
  assert.is(ru.accountId, '100001');
  assert.is(ru.tone, 'out');
  setLocale('en');
  assert.match(describe(live({ type: 'ToppedUp', amount: 100 })).text, /^Top-up .*1\.00/);
  assert.is(describe(live({ type: 'SomethingNew' })).text, 'SomethingNew');
  setLocale('ru');
});

test.run();
