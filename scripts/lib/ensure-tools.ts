import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

// Outside programs the tests need, installed from Debian when missing. Each tool is one
// entry here.

export interface Tool {
  /** The executable looked up on PATH. */
  binary: string;
  /** The Debian package that provides it. */
  aptPackage: string;
  /** Why the tests need it, for the message when it cannot be installed. */
  neededFor: string;
}

export const tools = {
  'redis-server': { binary: 'redis-server', aptPackage: 'redis-server', neededFor: 'the RedisBus tests' },
  chromium: {
    binary: 'chromium',
    aptPackage: 'chromium',
    neededFor: 'the dashboard end-to-end tests and the dashboard-live benchmark',
  },
} satisfies Record<string, Tool>;

export type ToolName = keyof typeof tools;

export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

/** The full path of `binary` on PATH (plus the sbin folders apt uses), or null. */
export function findBinary(binary: string): string | null {
  const dirs = (process.env.PATH ?? '')
    .split(delimiter)
    .concat(['/usr/sbin', '/usr/bin', '/sbin', '/usr/local/bin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/**
 * Makes sure every named tool is on this machine. Missing ones are installed with apt when
 * running as root (CI, containers); otherwise this throws, naming the package to install.
 */
export function ensureTools(names: readonly ToolName[], log: (line: string) => void = console.log): void {
  const missing = names.map((n) => tools[n] as Tool).filter((t) => findBinary(t.binary) === null);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => t.aptPackage))];
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || findBinary('apt-get') === null) {
    const why = missing.map((t) => `${t.binary} (for ${t.neededFor})`).join(', ');
    throw new MissingToolError(
      `missing ${why}. Install it first: sudo apt-get install -y ${packages.join(' ')}` +
        (isRoot
          ? ' (apt-get is not available here)'
          : ' (npm test installs it by itself only when run as root)'),
    );
  }
  log(`installing ${packages.join(' ')} from Debian (needed by the tests)…`);
  aptInstall(packages);
  const stillMissing = missing.filter((t) => findBinary(t.binary) === null);
  if (stillMissing.length > 0) {
    throw new MissingToolError(
      `apt-get installed ${packages.join(' ')} but ${stillMissing.map((t) => t.binary).join(', ')} is still missing`,
    );
  }
}

function aptInstall(packages: string[]): void {
  // policy-rc.d answering 101 keeps Debian from starting the installed service: the tests
  // start their own servers on free ports.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], env);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], env);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync(command, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new MissingToolError(
      `${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
}

export function toolVersion(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
