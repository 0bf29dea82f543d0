import type { Browser, Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type RouterOsSim, startRouterOsSim } from '../../scripts/sim/routeros.ts';
import {
  contrastProblems,
  createStaff,
  launchBrowser,
  openTab,
  PASSWORD,
  type Stack,
  screenshot,
  setupAdmin,
  startStack,
  uiLogin,
} from './harness.ts';

// The routers on the dashboard, live: a noc user sees a router added over the API come
// online on the devices screen and in the home tiles; when the router drops the connection
// and then refuses our password, the row and the tiles change without a reload, and its page
// shows the errors. "Check now" and the add form work from the keyboard; the password never
// comes back to the page.

const ROUTER_USER = 'abonent';
const ROUTER_PASSWORD = 'Router-Secret-0042';

let stack: Stack;
let browser: Browser;
let sim: RouterOsSim;

test.before(async () => {
  [stack, browser, sim] = await Promise.all([
    startStack(),
    launchBrowser(),
    startRouterOsSim({ username: ROUTER_USER, password: ROUTER_PASSWORD, identity: 'edge-tver' }),
  ]);
  await setupAdmin(stack);
  await createStaff(stack, 'noc1', ['noc']);
});

test.after(async () => {
  await browser?.close();
  await stack?.stop();
  await sim?.close();
});

const markNotReloaded = (page: Page) =>
  page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });
const notReloaded = (page: Page) =>
  page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);

const row = (page: Page, id: string) => page.getByTestId(`device-row-${id}`);
const rowStatus = (page: Page, id: string, status: string) =>
  page.locator(`[data-testid="device-row-${id}"][data-status="${status}"]`).waitFor({ timeout: 10_000 });
const tile = (page: Page, name: string, value: string) =>
  page.waitForFunction(
    ([n, v]) => document.querySelector(`[data-testid="kpi-devices-${n}-value"]`)?.textContent === v,
    [name, value] as const,
    { timeout: 10_000 },
  );

test('a router comes online, drops, refuses the password and comes back: rows and tiles follow live', async () => {
  // Two desks: the home screen with its tiles, and the devices screen.
  const home = await openTab(browser, stack.base);
  await uiLogin(home.page, 'noc1');
  const list = await openTab(browser, `${stack.base}/#/devices`);
  await uiLogin(list.page, 'noc1');
  await list.page.getByText('Роутеров пока нет.').waitFor();
  await tile(home.page, 'online', '0');
  await tile(home.page, 'auth-failed', '0');
  await markNotReloaded(home.page);
  await markNotReloaded(list.page);

  // Added over the API by another desk: it appears, and comes online, on both.
  const added = await stack.call<{ id: string }>('POST', '/api/v1/devices', {
    body: {
      name: 'Тверь, узел 1',
      host: sim.host,
      port: sim.port,
      username: ROUTER_USER,
      password: ROUTER_PASSWORD,
    },
  });
  assert.is(added.status, 201);
  const id = added.body.id;
  await rowStatus(list.page, id, 'online');
  const first = row(list.page, id);
  await first.getByText('В сети').waitFor();
  await first.getByText(/edge-tver · RouterOS 7\.18\.2/).waitFor();
  await tile(home.page, 'online', '1');

  // A second router added through the form, from the keyboard.
  await list.page.getByTestId('device-add').focus();
  await list.page.keyboard.press('Enter');
  const dialog = list.page.getByTestId('device-dialog');
  await dialog.waitFor();
  await list.page.keyboard.type('Тверь, узел 2'); // the name field has the focus
  await list.page.getByTestId('device-host').fill(sim.host);
  await list.page.getByTestId('device-port').fill(String(sim.port));
  await list.page.getByTestId('device-username').fill(ROUTER_USER);
  await list.page.getByTestId('device-password').fill(ROUTER_PASSWORD);
  await list.page.getByTestId('device-password').press('Enter');
  await dialog.waitFor({ state: 'detached' });
  const second = list.page.locator('tr', { hasText: 'Тверь, узел 2' });
  await second
    .locator('[data-status="online"]')
    .waitFor({ timeout: 10_000 })
    .catch(async () => {
      await second.getByText('В сети').waitFor({ timeout: 5000 });
    });
  await tile(home.page, 'online', '2');

  // Editing shows every setting but the password, which stays empty.
  await second.getByTestId('device-edit').click();
  await list.page.getByTestId('device-dialog').waitFor();
  assert.is(await list.page.getByTestId('device-password').inputValue(), '');
  assert.is(await list.page.getByTestId('device-host').inputValue(), sim.host);
  await list.page.keyboard.press('Escape');
  await list.page.getByTestId('device-dialog').waitFor({ state: 'detached' });
  assert.not.ok((await list.page.content()).includes(ROUTER_PASSWORD), 'the password is never in the page');
  await screenshot(list.page, 'devices');

  // The cable is pulled and the router now refuses our password: both routers go offline,
  // then auth_failed; the rows and the tiles say so without a reload.
  sim.refuseLogins(true);
  sim.dropConnections();
  await rowStatus(list.page, id, 'auth_failed');
  await first.getByText('Вход отклонён').waitFor();
  await first
    .getByTestId('device-last-error')
    .getByText(/invalid user name or password/)
    .waitFor();
  await tile(home.page, 'auth-failed', '2');
  await tile(home.page, 'online', '0');
  assert.ok(await notReloaded(home.page), 'the home screen was not reloaded');
  assert.ok(await notReloaded(list.page), 'the devices screen was not reloaded');
  await screenshot(home.page, 'home-devices');
  await screenshot(list.page, 'devices-auth-failed');

  // "Check now" says why, in words.
  await first.getByTestId('device-check').click();
  await list.page
    .getByTestId('device-check-outcome')
    .getByText(/Проверка не прошла/)
    .waitFor();

  // The router's page: the status, the last errors (the drop and the refusals).
  await first.getByRole('link', { name: /Тверь, узел 1/ }).click();
  await list.page.getByTestId('device-title').waitFor();
  await list.page.getByTestId('device-errors').getByText('Вход отклонён').first().waitFor();
  await list.page.getByTestId('device-errors').getByText('Обрыв связи').first().waitFor();
  await list.page.getByTestId('device-last-error').waitFor();
  assert.equal(await contrastProblems(list.page), []);
  await screenshot(list.page, 'device');

  // The password is right again: "check now" on its page brings it back online at once
  // (its own retry would wait minutes after a refusal), live on both screens.
  sim.refuseLogins(false);
  await list.page.getByTestId('device-check').click();
  await list.page
    .getByTestId('device-check-outcome')
    .getByText(/Проверка прошла/)
    .waitFor();
  await list.page.getByTestId('device-status').locator('[data-status="online"]').waitFor({ timeout: 10_000 });
  await tile(home.page, 'online', '1');

  assert.equal(home.errors, []);
  assert.equal(list.errors, []);
  await home.context.close();
  await list.context.close();
});

test('a role without devices.read has no devices section, no tiles and is refused the screen', async () => {
  await createStaff(stack, 'kassa', ['cashier']);
  const { page, errors, context } = await openTab(browser, stack.base);
  await uiLogin(page, 'kassa', { password: PASSWORD });
  await page.getByTestId('kpi-active-accounts').waitFor();
  assert.is(await page.getByTestId('nav-devices').count(), 0);
  assert.is(await page.getByTestId('kpi-devices-online').count(), 0);
  await page.goto(`${stack.base}/#/devices`);
  await page.getByText('У вашей роли нет доступа к этому разделу').waitFor();
  assert.equal(errors, []);
  await context.close();
});

test.run();
