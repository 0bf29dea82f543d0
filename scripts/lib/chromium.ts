import { type Browser, chromium } from 'playwright-core';
import { ensureTools, findBinary } from './ensure-tools.ts';

// Debian's chromium, headless, for the dashboard's browser tests and benchmark. Run as root
// in a closed network: no sandbox, nothing that phones home. Every launch gets a fresh
// user-data-dir of its own (playwright makes one and removes it on close).

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  ensureTools(['chromium']);
  const executablePath =
    findBinary('chromium') === CHROMIUM ? CHROMIUM : (findBinary('chromium') ?? CHROMIUM);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 30_000,
  });
}
