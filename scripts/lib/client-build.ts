import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The web client as the server serves it (dist/client), built when it is older than its
// sources: for the browser tests and the dashboard benchmark, which need the real bundle.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = ['client', 'protocol', 'vite.config.ts', 'package-lock.json'];
const SKIP = new Set(['e2e', 'node_modules']);

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) if (!SKIP.has(name)) max = Math.max(max, newest(join(path, name)));
  return max;
}

function builtAt(): number {
  try {
    return statSync(join(ROOT, 'dist/client/index.html')).mtimeMs;
  } catch {
    return 0;
  }
}

const sourcesAt = () => Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));

/**
 * `vite build` when dist/client is stale. Test files run two at a time, so one builds while
 * the other waits on a lock directory (mkdir is atomic); a lock older than any build is left
 * from a killed run and taken over.
 */
export async function ensureClientBuilt(log: (line: string) => void = () => {}): Promise<void> {
  if (builtAt() >= sourcesAt()) return;
  const lock = join(ROOT, 'dist/.client-build-lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {}
      if (Date.now() > deadline) throw new Error('waited 3 min for another build of the client');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (builtAt() >= sourcesAt()) return;
    log('building the web client (dist/client is older than its sources)…');
    const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
    const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
