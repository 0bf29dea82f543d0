import { randomUUID } from 'node:crypto';
import type { Browser, WebSocketRoute } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  contrastProblems,
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

// Live without reload: a charge made through the HTTP API shows on the KPI tile, in the feed
// and in the subscribers table; and after the connection drops, the events made meanwhile
// are fetched by position when it comes back, so none is missing from the feed.

let stack: Stack;
let browser: Browser;
let account: string;
let second: string;

test.before(async () => {
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  await setupAdmin(stack);
  account = await openAccount(stack, {
    name: 'Иван Петров',
    phone: '+79991234567',
    address: 'Тверь, ул. Мира, 1',
  });
  await money(stack, 'top-ups', { amount: 100_000, source: 'cash', reference: 'seed' });
  second = await openAccount(stack, { name: 'Анна Смирнова', phone: '+79997654321' });
});

test.after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function money(s: Stack, what: 'charges' | 'top-ups', body: unknown): Promise<void> {
  const r = await s.call('POST', `/api/v1/accounts/${account}/${what}`, { body, key: randomUUID() });
  if (r.status !== 201) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
}

const charge = (amount: number) => money(stack, 'charges', { amount, product: 'internet' });

test('a charge through the API reaches the KPI tile, the feed and the table without a reload; a drop loses nothing', async () => {
  // A relay in front of the page's sockets, so the test can cut them as a network would.
  let blocked = false;
  const sockets = new Set<WebSocketRoute>();
  const { page, errors, context } = await openTab(browser, stack.base, async (ctx) => {
    await ctx.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (blocked) {
        void ws.close({ code: 4000, reason: 'test: network down' });
        return;
      }
      ws.connectToServer();
      sockets.add(ws);
      ws.onClose(() => sockets.delete(ws));
    });
    await ctx.route(/\/socket\.io\//, (route) =>
      blocked ? route.abort('internetdisconnected') : route.continue(),
    );
  });
  await uiLogin(page, 'admin');
  const tile = page.getByTestId('kpi-charges-today-value');
  await page.waitForFunction(() => document.querySelector('[data-testid="feed"] li') !== null);
  assert.is(await tile.textContent(), rub(0));
  await page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });

  const started = Date.now();
  await charge(12_345);
  await page
    .getByTestId('feed')
    .getByText(`Списание ${rub(12_345)}`)
    .waitFor({ timeout: 3000 });
  await page.waitForFunction(
    (text) => document.querySelector('[data-testid="kpi-charges-today-value"]')?.textContent === text,
    rub(12_345),
    { timeout: 3000 },
  );
  const took = Date.now() - started;
  assert.ok(took < 2000, `the charge showed after ${took} ms`);
  await page.getByTestId('live-status').getByText('Онлайн').waitFor();
  await screenshot(page, 'home');
  assert.equal(await contrastProblems(page), [], 'home contrast');

  // The connection drops; five charges happen while it is down.
  blocked = true;
  for (const ws of sockets) await ws.close({ code: 4000, reason: 'test: network down' });
  await page.getByTestId('live-status').getByText('Подключение…').waitFor();
  const amounts = [101, 102, 103, 104, 105];
  for (const amount of amounts) await charge(amount);
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(await tile.textContent(), rub(12_345), 'nothing arrives while the network is down');

  blocked = false;
  await page.getByTestId('live-status').getByText('Онлайн').waitFor({ timeout: 15_000 });
  const total = 12_345 + amounts.reduce((a, b) => a + b, 0);
  await page.waitForFunction(
    (text) => document.querySelector('[data-testid="kpi-charges-today-value"]')?.textContent === text,
    rub(total),
    { timeout: 5000 },
  );
  for (const amount of amounts) {
    await page
      .getByTestId('feed')
      .getByText(`Списание ${rub(amount)}`)
      .waitFor({ timeout: 5000 });
  }
  const lines = await page.getByTestId('feed').locator('li').allTextContents();
  for (const amount of amounts) {
    assert.is(
      lines.filter((l) => l.includes(`Списание ${rub(amount)}`)).length,
      1,
      `${amount} once in the feed`,
    );
  }
  const positions = await page
    .getByTestId('feed')
    .locator('li')
    .evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-position'))));
  assert.equal(
    [...positions].sort((a, b) => b - a),
    positions,
    'the feed is in position order, newest first',
  );

  // The subscribers table follows the same events.
  await page.getByTestId('nav-accounts').click();
  const row = page.locator(`tr[data-account="${account}"]`);
  await row.waitFor();
  const balance = 100_000 - total;
  assert.match((await row.textContent()) ?? '', rub(balance));
  await charge(5_000);
  await row
    .getByText(rub(balance - 5_000))
    .first()
    .waitFor({ timeout: 3000 });
  // The rows are keyboard-navigable: arrows move, Enter opens the card.
  await page.locator('tr[data-index="0"]').focus();
  await page.keyboard.press('ArrowDown');
  assert.is(await page.evaluate(() => document.activeElement?.getAttribute('data-account')), second);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: new RegExp(`Счёт ${second}`) }).waitFor();
  assert.is(new URL(page.url()).hash, `#/accounts/${second}`);
  await page.goBack();
  await row.waitFor();
  await page.getByTestId('accounts-search').fill('Петров');
  await page.getByText('Найдено: 1').waitFor();
  await screenshot(page, 'accounts');
  assert.equal(await contrastProblems(page), [], 'accounts contrast');

  assert.ok(
    await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
    'never reloaded',
  );
  assert.equal(errors, []);
  await context.close();
});

test.run();
