import net from 'node:net';
import type { DeviceDriver, DeviceResource } from './driver.ts';
import { DeviceError, type DeviceErrorCode } from './errors.ts';
import { RouterOsApiDriver } from './routeros/api-driver.ts';

// "Test connection" for a router, step by step, so that staff see where it breaks: the
// port does not answer (firewall, wrong address), the login is refused (credentials, API
// user group), or the router answers. Uses its own short-lived connection, never the
// device actor's.

export type HealthStage = 'tcp' | 'login' | 'identity' | 'resource';

export interface HealthReport {
  ok: boolean;
  reachable: boolean;
  loggedIn: boolean;
  identity?: string;
  resource?: DeviceResource;
  failed?: { stage: HealthStage; code: DeviceErrorCode; message: string };
  /** Only the TCP reach was checked (`tcpOnly`): the login was not tried. */
  tcpOnly?: boolean;
  /** Milliseconds: TCP connect, login, and the whole check. */
  timings: { tcp?: number; login?: number; total: number };
}

export interface HealthTarget {
  host: string;
  port: number;
  username: string;
  tls?: boolean;
}

export interface HealthOptions {
  /** Per step. 5 s by default. */
  timeoutMs?: number;
  /** Another driver (e.g. REST) behind the same interface. */
  createDriver?: (target: HealthTarget, password: string) => DeviceDriver;
  /**
   * Stop after the TCP reach: for a router that refused our credentials, whose own backoff
   * decides when to log in again (a router may ban an address that keeps failing logins).
   */
  tcpOnly?: boolean;
}

function tcpReach(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () =>
      done(new DeviceError('timeout', `${host}:${port}: no answer in ${timeoutMs} ms`)),
    );
    socket.once('connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(new DeviceError('unreachable', `${host}:${port}: ${err.code ?? err.message}`)),
    );
  });
}

export async function checkDeviceHealth(
  target: HealthTarget,
  password: string,
  opts: HealthOptions = {},
): Promise<HealthReport> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? 5000;
  const since = (t: number) => Math.round(performance.now() - t);
  const report: HealthReport = { ok: false, reachable: false, loggedIn: false, timings: { total: 0 } };
  const fail = (stage: HealthStage, err: unknown): HealthReport => {
    const code = err instanceof DeviceError ? err.code : 'error';
    const message = err instanceof Error ? err.message : String(err);
    return {
      ...report,
      failed: { stage, code, message },
      timings: { ...report.timings, total: since(started) },
    };
  };

  try {
    await tcpReach(target.host, target.port, timeoutMs);
  } catch (err) {
    return fail('tcp', err);
  }
  report.reachable = true;
  report.timings.tcp = since(started);
  if (opts.tcpOnly)
    return { ...report, tcpOnly: true, timings: { ...report.timings, total: since(started) } };

  const driver =
    opts.createDriver?.(target, password) ??
    new RouterOsApiDriver({ ...target, password, timeoutMs, commandTimeoutMs: timeoutMs, keepaliveMs: 0 });
  const loginStarted = performance.now();
  try {
    await driver.connect();
    report.loggedIn = true;
    report.timings.login = since(loginStarted);
    let stage: HealthStage = 'identity';
    try {
      report.identity = await driver.identity();
      stage = 'resource';
      report.resource = await driver.resource();
    } catch (err) {
      return fail(stage, err);
    }
    report.ok = true;
    report.timings.total = since(started);
    return report;
  } catch (err) {
    return fail('login', err);
  } finally {
    await driver.close();
  }
}
