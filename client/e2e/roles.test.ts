import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  apiLogin,
  contrastProblems,
  createStaff,
  launchBrowser,
  openAccount,
  openTab,
  rub,
  type Stack,
  screenshot,
  setupAdmin,
  startStack,
  uiLogin,
} from './harness.ts';

// What each role does from the account card: a cashier tops up (the card follows at once);
// an auditor sees the same card without the top-up button, and the API refuses the top-up
// all the same. The admin's screens (tariffs, staff, audit) are checked on the way.

let stack: Stack;
let browser: Browser;
let account: string;

test.before(async () => {
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  await setupAdmin(stack);
  await createStaff(stack, 'kassa', ['cashier']);
  await createStaff(stack, 'auditor', ['audit']);
  account = await openAccount(stack, {
    name: 'ООО «Ромашка»',
    phone: '+74951234567',
    address: 'Москва, Тверская, 7',
  });
});

test.after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('a cashier tops up from the account card (deep link), and the balance follows', async () => {
  const { page, errors, context } = await openTab(browser, `${stack.base}/#/accounts/${account}`);
  await uiLogin(page, 'kassa');
  // The deep link survives the sign-in.
  await page.getByRole('heading', { level: 1, name: new RegExp(`Счёт ${account}`) }).waitFor();
  assert.is(await page.getByTestId('account-balance').textContent(), rub(0));
  assert.is(await page.getByTestId('adjust').count(), 0, 'a cashier makes no adjustments');
  assert.is(await page.getByTestId('block').count(), 0, 'a cashier blocks nothing');

  await page.getByTestId('top-up').click();
  await page.getByTestId('top-up-amount').fill('1 500,50');
  await page.getByTestId('top-up-submit').click();
  // The reference is required: nothing is sent without it.
  await page.getByTestId('top-up-dialog').getByText('Заполните это поле').waitFor();
  await page.getByTestId('top-up-reference').fill('Чек 42');
  await page.getByTestId('top-up-submit').click();
  await page.getByText(`Зачислено ${rub(150_050)}`).waitFor();
  await page.waitForFunction(
    (text) => document.querySelector('[data-testid="account-balance"]')?.textContent === text,
    rub(150_050),
  );
  await page.getByTestId('operations').getByText('Чек 42').waitFor();

  const view = await stack.call<{ balance: number }>('GET', `/api/v1/accounts/${account}`);
  assert.is(view.body.balance, 150_050, 'credited once');

  // Another desk charges the account: the open card follows within a second.
  const started = Date.now();
  const r = await stack.call('POST', `/api/v1/accounts/${account}/charges`, {
    body: { amount: 50, product: 'sms' },
    key: randomUUID(),
  });
  assert.is(r.status, 201);
  await page.waitForFunction(
    (text) => document.querySelector('[data-testid="account-balance"]')?.textContent === text,
    rub(150_000),
    { timeout: 3000 },
  );
  assert.ok(Date.now() - started < 1000, `the card followed in ${Date.now() - started} ms`);
  await page.getByTestId('operations').getByText('sms').waitFor();
  await screenshot(page, 'account-card');
  assert.equal(await contrastProblems(page), [], 'account-card contrast');
  assert.equal(errors, []);
  await context.close();
});

test('an auditor sees no top-up, and the API refuses it', async () => {
  const { page, errors, context } = await openTab(browser, `${stack.base}/#/accounts/${account}`);
  await uiLogin(page, 'auditor');
  await page.getByTestId('account-balance').waitFor();
  assert.is(await page.getByTestId('top-up').count(), 0);
  assert.is(await page.getByTestId('adjust').count(), 0);
  await page.getByTestId('nav-audit').click();
  await page.getByTestId('audit').getByText('account.ToppedUp').first().waitFor();
  await screenshot(page, 'audit');
  assert.equal(await contrastProblems(page), [], 'audit contrast');

  const token = await apiLogin(stack, 'auditor');
  const r = await stack.call<{ code: string }>('POST', `/api/v1/accounts/${account}/top-ups`, {
    token,
    body: { amount: 100, source: 'cash', reference: 'auditor tries' },
    key: randomUUID(),
  });
  assert.is(r.status, 403);
  assert.is(r.body.code, 'forbidden');
  const view = await stack.call<{ balance: number }>('GET', `/api/v1/accounts/${account}`);
  assert.is(view.body.balance, 150_000, 'nothing was credited');
  assert.equal(errors, []);
  await context.close();
});

test('an admin creates and archives a tariff, and sees the staff with their 2FA state', async () => {
  const { page, errors, context } = await openTab(browser, `${stack.base}/#/tariffs`);
  await uiLogin(page, 'admin');
  await page.getByTestId('tariff-create').click();
  await page.getByTestId('tariff-name').fill('Домашний 100');
  await page.getByTestId('tariff-price').fill('650');
  await page.getByTestId('tariff-save').click();
  const row = page.getByTestId('tariffs').locator('tr', { hasText: 'Домашний 100' });
  await row.getByText(rub(65_000)).waitFor();
  await screenshot(page, 'tariffs');
  assert.equal(await contrastProblems(page), [], 'tariffs contrast');
  await row.getByRole('button', { name: /В архив/ }).click();
  await row.waitFor({ state: 'detached' });
  const list = await stack.call<{ items: { name: string; status: string }[] }>(
    'GET',
    '/api/v1/tariffs?archived=true',
  );
  assert.equal(
    list.body.items.map((t) => [t.name, t.status]),
    [['Домашний 100', 'archived']],
  );

  await page.getByTestId('nav-staff').click();
  const kassa = page.getByTestId('staff').locator('tr', { hasText: 'kassa' });
  await kassa.getByText('Кассир').waitFor();
  await kassa.getByText('Не включена').waitFor();
  await screenshot(page, 'staff');
  assert.equal(await contrastProblems(page), [], 'staff contrast');
  assert.equal(errors, []);
  await context.close();
});

test.run();
