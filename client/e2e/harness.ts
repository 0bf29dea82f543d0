import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { ensureClientBuilt } from '../../scripts/lib/client-build.ts';
import { type RunningAbonent, startAbonent } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';

// What every dashboard end-to-end test needs: the client built, the whole server on a free
// port with a throwaway data dir, Debian's chromium driven by playwright-core, and helpers to
// talk to the API and sign in the way a person does.

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const BOOTSTRAP = 'e2e-bootstrap-token-0123456789abcdefghij';
export const PASSWORD = 'correct horse battery';

// ---------------------------------------------------------------- the server

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface CallOptions {
  body?: unknown;
  /** An access token; the bootstrap token when absent. */
  token?: string;
  /** Idempotency-Key. */
  key?: string;
}

export interface Stack {
  base: string;
  dataDir: string;
  running: RunningAbonent;
  call<T = Record<string, unknown>>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  stop(): Promise<void>;
}

export { ensureClientBuilt };

export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  await ensureClientBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'abonent-e2e-'));
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    ABONENT_BOOTSTRAP_TOKEN: BOOTSTRAP,
    ABONENT_SECRET_KEY: 'e2'.repeat(32),
    LOG_LEVEL: 'silent',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...env,
  });
  const running = await startAbonent(config);
  const base = `http://127.0.0.1:${running.port}`;
  let stopped = false;
  return {
    base,
    dataDir,
    running,
    async call<T>(method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> {
      const headers: Record<string, string> = { authorization: `Bearer ${o.token ?? BOOTSTRAP}` };
      if (o.key) headers['idempotency-key'] = o.key;
      if (o.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(base + path, {
        method,
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return { status: res.status, body: body as T };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A subscriber with one account, through the money API; returns the account id. */
export async function openAccount(
  stack: Stack,
  subscriber: { name: string; phone?: string; address?: string },
): Promise<string> {
  const s = await stack.call<{ id: string }>('POST', '/api/v1/subscribers', {
    body: {
      type: 'person',
      name: subscriber.name,
      ...(subscriber.phone ? { contacts: { phones: [subscriber.phone] } } : {}),
      ...(subscriber.address ? { address: { text: subscriber.address } } : {}),
    },
  });
  if (s.status !== 201) throw new Error(`subscriber: ${s.status} ${JSON.stringify(s.body)}`);
  const a = await stack.call<{ id: string }>('POST', '/api/v1/accounts', {
    body: { subscriberId: s.body.id },
  });
  if (a.status !== 201) throw new Error(`account: ${a.status} ${JSON.stringify(a.body)}`);
  return a.body.id;
}

export async function createStaff(stack: Stack, username: string, roles: string[]): Promise<void> {
  const r = await stack.call('POST', '/api/v1/staff', { body: { username, password: PASSWORD, roles } });
  if (r.status !== 201) throw new Error(`staff ${username}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** The first admin, as the setup screen would create it. */
export async function setupAdmin(stack: Stack, username = 'admin'): Promise<void> {
  const r = await fetch(`${stack.base}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (r.status !== 201) throw new Error(`setup: ${r.status} ${await r.text()}`);
}

/** An access token for a staff user without 2FA, as a machine client would get it. */
export async function apiLogin(stack: Stack, username: string, password = PASSWORD): Promise<string> {
  const r = await fetch(`${stack.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await r.json()) as { accessToken?: string };
  if (!body.accessToken) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(body)}`);
  return body.accessToken;
}

// ---------------------------------------------------------------- 2FA

/**
 * The code an authenticator app would show, `step` time steps from now. The server takes a
 * code one step early or late and each step once, so a test signs in up to three times per
 * 30 s window by using steps -1, 0 and +1.
 */
export function totpCode(secretBase32: string, step = 0): string {
  const totp = new TOTP({
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Secret.fromBase32(secretBase32),
  });
  return totp.generate({ timestamp: Date.now() + step * 30_000 });
}

// ---------------------------------------------------------------- the browser

/** Debian's chromium, headless (scripts/lib/chromium.ts). */
export const launchBrowser = (): Promise<Browser> => launchChromium();

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page: a test fails when there are any. */
  errors: string[];
}

export async function openTab(
  browser: Browser,
  url: string,
  before?: (context: BrowserContext) => Promise<void>,
): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'ru-RU' });
  await before?.(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) errors.push(msg.text());
  });
  await page.goto(url);
  return { context, page, errors };
}

/** Signs in through the login screen; `secret` answers the 2FA step when it comes. */
export async function uiLogin(
  page: Page,
  username: string,
  options: { password?: string; secret?: string; step?: number } = {},
): Promise<void> {
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(options.password ?? PASSWORD);
  await page.getByTestId('login-submit').click();
  if (options.secret) {
    await page.getByTestId('mfa-code').fill(totpCode(options.secret, options.step ?? 0));
    await page.getByTestId('mfa-submit').click();
  }
  await page.getByTestId('logout').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `12 345,67 ₽` as the dashboard writes money in Russian (no-break spaces included). */
export function rub(kopecks: number): string {
  return new Intl.NumberFormat('ru-RU', {
    style: 'currency',
    currency: 'RUB',
    minimumFractionDigits: 2,
  }).format(kopecks / 100);
}

// ---------------------------------------------------------------- accessibility

export interface ContrastProblem {
  text: string;
  color: string;
  background: string;
  ratio: number;
  needed: number;
}

/**
 * WCAG 2.1 AA contrast of every visible piece of text on the page: 4.5:1, or 3:1 for large
 * text (24 px, or 18.66 px bold); disabled controls are exempt, as WCAG says. The background
 * is the first opaque one behind the text, semi-transparent ones blended over it.
 */
export async function contrastProblems(page: Page): Promise<ContrastProblem[]> {
  return page.evaluate(CONTRAST_CHECK) as Promise<ContrastProblem[]>;
}

// A string: tsx would decorate a function's source with helpers the page does not have.
const CONTRAST_CHECK = `(() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p[3] === undefined ? 1 : p[3]];
  };
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const blend = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
  };
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let color = [255, 255, 255, 1];
    for (const layer of layers.reverse()) color = blend(layer, color);
    return color;
  };
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || seen.has(el) || !n.textContent.trim()) continue;
    seen.add(el);
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;
    if (el.closest('[hidden], .sr-only, option, canvas') || el.closest(':disabled')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
    const fg = parse(style.color);
    const bg = backgroundOf(el);
    const color = blend(fg, bg);
    const [a, b] = [lum(color), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed)
      problems.push({ text: n.textContent.trim().slice(0, 40), color: style.color, background: 'rgb(' + bg.slice(0, 3).join(',') + ')', ratio: Math.round(ratio * 100) / 100, needed });
  }
  return problems;
})()`;
