import type { Browser } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  contrastProblems,
  launchBrowser,
  openTab,
  PASSWORD,
  type Stack,
  screenshot,
  startStack,
  totpCode,
} from './harness.ts';

// The first visit to a fresh server: setup of the first admin, sign-in, turning 2FA on, and
// the next sign-in with the code, all through the screens in real Chromium.

let stack: Stack;
let browser: Browser;

test.before(async () => {
  [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
});

test.after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('setup of the first admin, sign-in, 2FA on, then sign-in with the code', async () => {
  const { page, errors, context } = await openTab(browser, stack.base);

  // A fresh server has no admin: the setup screen is all there is.
  await page.getByTestId('setup-username').waitFor();
  assert.match((await page.locator('h1').textContent()) ?? '', 'Первоначальная настройка');
  await screenshot(page, 'setup');
  assert.equal(await contrastProblems(page), [], 'setup screen contrast');
  await page.getByTestId('setup-username').fill('chief');
  await page.getByTestId('setup-password').fill('short');
  await page.getByTestId('setup-confirm').fill('short');
  await page.getByTestId('setup-submit').click();
  await page.getByText('Пароль короче 10 символов').waitFor();
  await page.getByTestId('setup-password').fill(PASSWORD);
  await page.getByTestId('setup-confirm').fill(PASSWORD);
  await page.getByTestId('setup-submit').click();

  // Then the login screen, which says what happened.
  await page.getByTestId('login-username').waitFor();
  await page.getByText('Администратор создан').waitFor();
  const setup = await stack.call<{ needsAdmin: boolean }>('GET', '/api/v1/setup');
  assert.is(setup.body.needsAdmin, false);

  // A wrong password is refused in words.
  await page.getByTestId('login-username').fill('chief');
  await page.getByTestId('login-password').fill('not the password');
  await page.getByTestId('login-submit').click();
  await page.getByText('Неверный логин или пароль').waitFor();
  await screenshot(page, 'login-error');
  assert.equal(await contrastProblems(page), [], 'login screen contrast');

  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('logout').waitFor();
  assert.is(await page.getByTestId('who').textContent(), 'chief');

  // 2FA from the profile: the QR code, the key for typing in, a code from the "app".
  await page.getByTestId('nav-profile').click();
  await page.getByTestId('mfa-enable').click();
  await page.getByTestId('mfa-qr').locator('svg').waitFor();
  const secret = ((await page.getByTestId('mfa-secret').textContent()) ?? '').replace(/\s/g, '');
  assert.ok(/^[A-Z2-7]{16,}$/.test(secret), `a base32 secret is shown: ${secret}`);
  await screenshot(page, 'profile-2fa-enrol');
  assert.equal(await contrastProblems(page), [], 'profile contrast');
  await page.getByTestId('mfa-code').fill(totpCode(secret, -1));
  await page.getByTestId('mfa-confirm').click();
  await page.getByText('Двухфакторная проверка включена').first().waitFor();
  assert.is(await page.getByTestId('profile-mfa').textContent(), 'Включена');

  // Sign out; signing in again asks for the code, refuses a wrong one, takes the right one.
  await page.getByTestId('logout').click();
  await page.getByTestId('login-username').fill('chief');
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('mfa-code').waitFor();
  await screenshot(page, 'login-2fa');
  const right = totpCode(secret, 0);
  await page.getByTestId('mfa-code').fill(right === '000000' ? '111111' : '000000');
  await page.getByTestId('mfa-submit').click();
  await page.getByText('Неверный код').waitFor();
  await page.getByTestId('mfa-code').fill(right);
  await page.getByTestId('mfa-submit').click();
  await page.getByTestId('logout').waitFor();
  // Signing in again keeps the place the user was at (#/profile).
  await page.getByTestId('profile-mfa').waitFor();
  await page.getByTestId('nav-home').click();
  await page.getByTestId('kpi-charges-today').waitFor();

  // A reload keeps the session (refresh cookie), and English is one click away.
  await page.reload();
  await page.getByTestId('logout').waitFor();
  await page.getByTestId('lang-en').click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await screenshot(page, 'home-en');
  assert.is(await page.evaluate(() => document.documentElement.lang), 'en');
  await page.getByTestId('lang-ru').click();
  await page.getByRole('heading', { level: 1, name: 'Главная' }).waitFor();

  assert.equal(errors, []);
  await context.close();
});

test.run();
