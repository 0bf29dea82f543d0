import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// An Abonent server in a child process, as the crash tests, the two-node Redis test and the
// HTTP benchmarks need it: a real process they can SIGKILL or SIGTERM, on a free port.

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What `npm start` runs. */
export const MAIN = join(ROOT, 'server', 'main.ts');

/** server/main.ts logs "Abonent is ready at http://host:port"; test servers print "READY <port>". */
const READY = /(?:Abonent is ready at http:\/\/[^"\s]+:|READY )(\d+)/;

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Everything it printed on stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

export interface ServerProcessOptions {
  /** The script to run (default server/main.ts). */
  entry?: string;
  /** Added to a minimal environment (PATH, HOME, HOST=127.0.0.1, PORT=0). */
  env: Record<string, string>;
  /** Node flags before `--import tsx`. */
  nodeFlags?: string[];
  startTimeoutMs?: number;
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', 'tsx', options.entry ?? MAIN],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        HOST: '127.0.0.1',
        PORT: '0',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${out}`)),
      options.startTimeoutMs ?? 30_000,
    );
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = READY.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    port,
    exited,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
