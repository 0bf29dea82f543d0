import type { DeviceEvent } from '../device/state.ts';
import type { LiveEvent } from '../runtime/bus.ts';
import type { DeviceCheck } from './monitor.ts';

// The last few things that went wrong on each router, newest first, for its page: failed
// connects and logins, lost connections, refused commands, failed reconciles and failed
// health checks. Kept in memory from this process's commits and checks (the router's own
// state keeps only the latest message, `lastError`, across restarts): a page that says
// "wrong password at 10:02, connection lost at 09:58" tells more than a single line.

export const RECENT_ERRORS = 10;

export type DeviceErrorSource = 'auth' | 'connect' | 'connection_lost' | 'command' | 'reconcile' | 'check';

export interface DeviceError {
  at: number;
  what: DeviceErrorSource;
  message: string;
}

export class DeviceErrorLog {
  private readonly byDevice = new Map<string, DeviceError[]>();

  of(deviceId: string): DeviceError[] {
    return this.byDevice.get(deviceId) ?? [];
  }

  forget(deviceId: string): void {
    this.byDevice.delete(deviceId);
  }

  record(deviceId: string, error: DeviceError): void {
    const list = [error, ...this.of(deviceId)];
    if (list.length > RECENT_ERRORS) list.length = RECENT_ERRORS;
    this.byDevice.set(deviceId, list);
  }

  /** For ActorSystem.onPersisted: the failures among one commit's events. */
  readonly onPersisted = (events: LiveEvent[]): void => {
    for (const live of events) {
      if (live.kind !== 'device') return;
      const error = errorOf(live.event as DeviceEvent);
      if (error) this.record(live.id, { at: live.at, ...error });
    }
  };

  /** For DeviceMonitor.onChecked: a check that failed. */
  readonly onChecked = (deviceId: string, check: DeviceCheck): void => {
    const failed = check.report.failed;
    if (!check.report.ok && failed) {
      this.record(deviceId, { at: check.at, what: 'check', message: `${failed.stage}: ${failed.message}` });
    }
  };
}

function errorOf(e: DeviceEvent): Omit<DeviceError, 'at'> | null {
  switch (e.type) {
    case 'ConnectFailed':
      return { what: e.authFailed ? 'auth' : 'connect', message: e.message };
    case 'DeviceOffline':
      return { what: 'connection_lost', message: e.reason };
    case 'IntentFailed':
      return { what: 'command', message: e.message };
    case 'ReconcileFailed':
      return { what: 'reconcile', message: e.message };
    default:
      return null;
  }
}
