import type { DeviceDriver, DeviceResource } from './driver.ts';
import { DeviceError } from './errors.ts';
import { RouterOsApiDriver } from './routeros/api-driver.ts';
import { RouterOsRestDriver } from './routeros/rest-driver.ts';
import type { DeviceConfig } from './state.ts';

// A live connection is not state (it cannot be journaled), so it lives here, beside the
// actors: one per device id, tagged with the actor's connection number (`link`). Work on
// a router runs one operation at a time, so a reconcile and a block never interleave.

export type DriverFactory = (config: DeviceConfig, password: string) => DeviceDriver;
/** Turns a stored `secretRef` into the router password (decryption is the caller's). */
export type SecretResolver = (secretRef: string) => Promise<string> | string;

/** The RouterOS API driver, or the REST one where the device is configured for it. */
export const routerOsDriverFactory: DriverFactory = (config, password) => {
  const opts = {
    host: config.host,
    port: config.port,
    username: config.username,
    password,
    ...(config.tls ? { tls: true } : {}),
  };
  return config.driver === 'rest' ? new RouterOsRestDriver(opts) : new RouterOsApiDriver(opts);
};

interface Link {
  link: number;
  driver: DeviceDriver | null;
  queue: Promise<unknown>;
}

export interface Opened {
  identity: string;
  resource: DeviceResource;
}

export class DeviceConnections {
  private readonly links = new Map<string, Link>();

  constructor(
    private readonly createDriver: DriverFactory,
    private readonly resolveSecret: SecretResolver,
  ) {}

  /**
   * Opens connection number `link` for device `id`, replacing any older one, logs in and
   * reads identity and resource. `onLost` fires once if this connection drops later.
   */
  async open(
    id: string,
    link: number,
    config: DeviceConfig,
    onLost: (reason: string) => void,
  ): Promise<Opened> {
    const previous = this.links.get(id);
    const entry: Link = { link, driver: null, queue: Promise.resolve() };
    this.links.set(id, entry);
    if (previous?.driver) void previous.driver.close();
    const superseded = () => new DeviceError('disconnected', 'replaced by a newer connection');
    try {
      let password: string;
      try {
        password = await this.resolveSecret(config.secretRef);
      } catch (err) {
        // Unreadable credentials do not fix themselves: treat them as refused ones.
        throw new DeviceError(
          'auth_failed',
          `the router password could not be read: ${(err as Error).message}`,
        );
      }
      if (this.links.get(id) !== entry) throw superseded();
      const driver = this.createDriver(config, password);
      entry.driver = driver;
      await driver.connect();
      if (this.links.get(id) !== entry) {
        await driver.close();
        throw superseded();
      }
      driver.on('disconnected', (reason) => {
        if (this.links.get(id) !== entry) return;
        this.links.delete(id);
        onLost(reason);
      });
      return { identity: await driver.identity(), resource: await driver.resource() };
    } catch (err) {
      if (this.links.get(id) === entry) {
        this.links.delete(id);
        void entry.driver?.close();
      }
      throw err;
    }
  }

  /** Runs `op` on connection `link` of device `id`, after the operations queued before it. */
  run<T>(id: string, link: number, op: (driver: DeviceDriver) => Promise<T>): Promise<T> {
    const entry = this.links.get(id);
    if (!entry || entry.link !== link || !entry.driver) {
      return Promise.reject(new DeviceError('disconnected', 'no connection to this device'));
    }
    const driver = entry.driver;
    const next = entry.queue.then(() => {
      if (!driver.connected) throw new DeviceError('disconnected', 'the connection was lost');
      return op(driver);
    });
    entry.queue = next.catch(() => {});
    return next;
  }

  isOpen(id: string, link: number): boolean {
    const entry = this.links.get(id);
    return entry?.link === link && entry.driver?.connected === true;
  }

  async close(id: string): Promise<void> {
    const entry = this.links.get(id);
    this.links.delete(id);
    await entry?.driver?.close();
  }

  async closeAll(): Promise<void> {
    const ids = [...this.links.keys()];
    await Promise.all(ids.map((id) => this.close(id)));
  }
}
