import type { Browser } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, openTab, rub, type Stack, setupAdmin, startStack, uiLogin } from './harness.ts';

// The tariffs screen follows the catalog live: a tariff another desk creates (here, through
// the API) or archives shows up on an open screen without a reload. The catalog's events
// reach the browser through the feed, like every other change.

let stack: Stack;
let browser: Browser;

test.before(async () => {
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  await setupAdmin(stack);
});

test.after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('a tariff created and archived elsewhere appears and goes on an open tariffs screen', async () => {
  const { page, errors, context } = await openTab(browser, `${stack.base}/#/tariffs`);
  await uiLogin(page, 'admin');
  await page.getByText('Тарифов пока нет').waitFor();

  const created = await stack.call<{ id: string }>('POST', '/api/v1/tariffs', {
    body: { name: 'Бизнес 500', group: 'internet', billing: 'monthly', pricePerMonth: 250_000 },
  });
  assert.is(created.status, 201);
  const row = page.getByTestId('tariffs').locator('tr', { hasText: 'Бизнес 500' });
  await row.getByText(rub(250_000)).waitFor({ timeout: 5000 });

  const archived = await stack.call('PUT', `/api/v1/tariffs/${created.body.id}`, {
    body: { archived: true },
  });
  assert.is(archived.status, 200);
  await row.waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(errors, []);
  await context.close();
});

test.run();
