import type { Logger } from 'pino';
import type { SecretResolver } from '../device/connections.ts';
import type { DeviceKind } from '../device/device.ts';
import { checkDeviceHealth, type HealthReport } from '../device/health.ts';
import { RouterOsRestDriver } from '../device/routeros/rest-driver.ts';
import type { Bus, LiveEvent } from '../runtime/bus.ts';
import type { Clock } from '../runtime/clock.ts';
import { systemCause } from '../runtime/kind.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type { NetworkDirectory } from './directory.ts';
import type { NetworkMetrics } from './metrics.ts';
import { type DeviceRecord, REGISTRY_ID, registryKind } from './registry.ts';

// The routers' health, checked at once when one is added and then every
// DEVICE_CHECK_INTERVAL_MS: TCP reach, API login, /system/identity, /system/resource, on a
// short connection of its own (so it also tells apart "the router is fine" from "our session
// to it is stuck"). Results are kept in memory and published, not journaled: a check every
// 30 s per router would fill the journal with nothing anyone audits.
//
// The device actor's connection stays the judge of `status`. The check only helps it: when
// a router answers while its actor still waits out a backoff, the actor is told to connect
// now. A router that refused our credentials gets the TCP step only; its actor's own, long
// backoff decides when to try the password again (routers can ban addresses that keep
// failing logins).

export const DEVICE_CHECK = 'DeviceChecked';

export interface DeviceCheck {
  at: number;
  report: HealthReport;
}

export interface MonitorOptions {
  system: ActorSystem;
  directory: NetworkDirectory;
  deviceKind: DeviceKind;
  resolveSecret: SecretResolver;
  clock: Clock;
  log: Logger;
  bus?: Bus | undefined;
  metrics?: NetworkMetrics;
  intervalMs: number;
  /** Per step of a check. */
  timeoutMs?: number;
  /** Routers checked at once. */
  concurrency?: number;
}

export class DeviceMonitor {
  private readonly last = new Map<string, DeviceCheck>();
  private readonly inFlight = new Map<string, { report: Promise<HealthReport>; full: boolean }>();
  private readonly listeners = new Set<(deviceId: string, check: DeviceCheck) => void>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sequence = 0;

  constructor(private readonly o: MonitorOptions) {}

  start(): void {
    void this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight.values()].map((c) => c.report));
  }

  lastCheck(deviceId: string): DeviceCheck | undefined {
    return this.last.get(deviceId);
  }

  forget(deviceId: string): void {
    this.last.delete(deviceId);
  }

  /** Every check this process makes, as it ends (the devices screen, the error log). */
  onChecked(listener: (deviceId: string, check: DeviceCheck) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One full check now (staff pressed "check", or the router was just added). */
  check(record: DeviceRecord): Promise<HealthReport> {
    return this.run(record, true);
  }

  private async checkAll(): Promise<void> {
    if (this.stopped) return;
    const records = await this.o.system.read(registryKind, REGISTRY_ID, (s) => Object.values(s.devices));
    let next = 0;
    const worker = async () => {
      while (next < records.length && !this.stopped) await this.run(records[next++]!, false).catch(() => {});
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 8, records.length) }, worker));
  }

  /**
   * Checks of one router never overlap: a second caller gets the one running, unless it wants
   * a full check and the one running only touches the TCP port (a router that refused our
   * login): then it waits for that one and gets its own.
   */
  private run(record: DeviceRecord, full: boolean): Promise<HealthReport> {
    const running = this.inFlight.get(record.id);
    if (running && (running.full || !full)) return running.report;
    if (running) return running.report.catch(() => undefined).then(() => this.run(record, full));
    const entry = {
      full,
      report: this.checkOnce(record, full).finally(() => {
        if (this.inFlight.get(record.id) === entry) this.inFlight.delete(record.id);
      }),
    };
    this.inFlight.set(record.id, entry);
    return entry.report;
  }

  private async checkOnce(record: DeviceRecord, full: boolean): Promise<HealthReport> {
    const { config } = record;
    const before = this.o.directory.state(record.id);
    const tcpOnly = !full && before?.status === 'auth_failed';
    const target = {
      host: config.host,
      port: config.port,
      username: config.username,
      tls: config.tls ?? false,
    };
    let password = '';
    let report: HealthReport;
    try {
      if (!tcpOnly) password = await this.o.resolveSecret(config.secretRef);
      report = await checkDeviceHealth(target, password, {
        timeoutMs: this.o.timeoutMs ?? 5000,
        tcpOnly,
        ...(config.driver === 'rest'
          ? {
              createDriver: (t, pw) =>
                new RouterOsRestDriver({ ...t, password: pw, commandTimeoutMs: this.o.timeoutMs ?? 5000 }),
            }
          : {}),
      });
    } catch (err) {
      report = {
        ok: false,
        reachable: false,
        loggedIn: false,
        failed: { stage: 'login', code: 'auth_failed', message: (err as Error).message },
        timings: { total: 0 },
      };
    }
    const at = this.o.clock.now();
    const check = { at, report };
    this.last.set(record.id, check);
    for (const listener of this.listeners) {
      try {
        listener(record.id, check);
      } catch (err) {
        this.o.log.error({ err, deviceId: record.id }, 'router check listener threw');
      }
    }
    this.o.metrics?.checks.inc({
      result: report.ok ? 'ok' : tcpOnly ? 'tcp_only' : (report.failed?.stage ?? 'failed'),
    });
    this.publish(record.id, at, report);

    // The router answers while its actor waits out a backoff: no reason to keep waiting.
    const now = this.o.directory.state(record.id);
    if (report.ok && now?.config && now.status !== 'online' && !now.connecting && !this.stopped) {
      this.o.system.tell(this.o.deviceKind, record.id, { type: 'Connect' });
    }
    return report;
  }

  private publish(deviceId: string, at: number, report: HealthReport): void {
    const { bus } = this.o;
    if (!bus) return;
    // Not a journal event (position 0), in the bus's envelope so that clients read it alike.
    const message: LiveEvent = {
      position: 0,
      kind: 'device-check',
      id: deviceId,
      sequenceNumber: ++this.sequence,
      event: { type: DEVICE_CHECK, deviceId, at, ...report },
      cause: systemCause,
      at,
    };
    bus.publish(`device:${deviceId}`, message);
    bus.publish('devices', message);
  }
}
