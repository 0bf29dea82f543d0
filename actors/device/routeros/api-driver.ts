import { EventEmitter } from 'node:events';
import type { AddOutcome, AddressListEntry, ChangeOutcome, DeviceDriver, DeviceResource } from '../driver.ts';
import { OWNER_PREFIX } from '../driver.ts';
import { DeviceError, trapError } from '../errors.ts';
import { RouterOsConnection } from './connection.ts';

export interface RouterOsApiOptions {
  host: string;
  /** 8728 by default (8729 with tls). */
  port?: number;
  username: string;
  password: string;
  tls?: boolean;
  /** Connect timeout and socket idle timeout. 10 s by default. */
  timeoutMs?: number;
  /** A call the router has not answered in this long drops the connection. 15 s by default. */
  commandTimeoutMs?: number;
  /**
   * An idle connection is pinged this often, so that it neither idles out nor dies
   * unnoticed. A third of `timeoutMs` by default; 0 turns it off.
   */
  keepaliveMs?: number;
  /** Comment prefix that marks Abonent's own address-list entries. */
  ownerPrefix?: string;
}

type Row = Record<string, string>;

/** The device driver over the RouterOS API (TCP 8728/8729), through node-routeros. */
export class RouterOsApiDriver extends EventEmitter implements DeviceDriver {
  private conn: RouterOsConnection | null = null;
  private connecting: Promise<void> | undefined;
  /** The connection being opened, so that close() can abandon it. */
  private opening: RouterOsConnection | null = null;
  private readonly pending = new Set<(err: DeviceError) => void>();
  private keepalive: NodeJS.Timeout | undefined;
  private lastCallAt = 0;
  private readonly timeoutMs: number;
  private readonly commandTimeoutMs: number;
  private readonly keepaliveMs: number;
  private readonly ownerPrefix: string;

  constructor(private readonly opts: RouterOsApiOptions) {
    super();
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 15_000;
    this.keepaliveMs = opts.keepaliveMs ?? Math.floor(this.timeoutMs / 3);
    this.ownerPrefix = opts.ownerPrefix ?? OWNER_PREFIX;
  }

  get connected(): boolean {
    return this.conn?.connected === true;
  }

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    // Two callers racing to connect share one attempt rather than open two sessions.
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const conn = new RouterOsConnection({
      host: this.opts.host,
      port: this.opts.port ?? (this.opts.tls ? 8729 : 8728),
      user: this.opts.username,
      password: this.opts.password,
      timeout: this.timeoutMs / 1000,
      tls: this.opts.tls,
    });
    this.opening = conn;
    try {
      await conn.connect();
    } finally {
      this.opening = null;
    }
    conn.once('disconnected', (reason: string) => this.lost(conn, reason));
    this.conn = conn;
    this.lastCallAt = Date.now();
    if (this.keepaliveMs > 0) {
      this.keepalive = setInterval(() => this.ping(), this.keepaliveMs);
      this.keepalive.unref();
    }
  }

  async close(): Promise<void> {
    this.opening?.destroy('closed');
    this.conn?.destroy('closed');
  }

  async identity(): Promise<string> {
    const [row] = await this.call(['/system/identity/print']);
    return row?.name ?? '';
  }

  async resource(): Promise<DeviceResource> {
    const [row = {}] = await this.call(['/system/resource/print']);
    return {
      uptime: row.uptime ?? '',
      version: row.version ?? '',
      boardName: row['board-name'] ?? '',
      cpuLoad: Number(row['cpu-load'] ?? 0),
      freeMemory: Number(row['free-memory'] ?? 0),
      totalMemory: Number(row['total-memory'] ?? 0),
    };
  }

  async listBlocked(list: string): Promise<AddressListEntry[]> {
    const rows = await this.call([
      '/ip/firewall/address-list/print',
      '=.proplist=.id,address,comment,disabled',
      `?list=${list}`,
    ]);
    return rows.map((r) => ({
      id: r['.id'] ?? '',
      address: r.address ?? '',
      ...(r.comment !== undefined ? { comment: r.comment } : {}),
      disabled: r.disabled === 'true' || r.disabled === 'yes',
    }));
  }

  async block(list: string, ip: string, comment: string): Promise<AddOutcome> {
    try {
      await this.call([
        '/ip/firewall/address-list/add',
        `=list=${list}`,
        `=address=${ip}`,
        `=comment=${comment}`,
      ]);
      return 'applied';
    } catch (err) {
      if (err instanceof DeviceError && err.code === 'exists') return 'exists';
      throw err;
    }
  }

  async unblock(list: string, ip: string): Promise<ChangeOutcome> {
    const rows = await this.call([
      '/ip/firewall/address-list/print',
      '=.proplist=.id,comment',
      `?list=${list}`,
      `?address=${ip}`,
    ]);
    const ours = rows.filter((r) => r.comment?.startsWith(this.ownerPrefix) && r['.id']);
    if (ours.length === 0) return 'missing';
    return this.removeIds(
      '/ip/firewall/address-list/remove',
      ours.map((r) => r['.id']!),
    );
  }

  removeEntry(id: string): Promise<ChangeOutcome> {
    return this.removeIds('/ip/firewall/address-list/remove', [id]);
  }

  setEntryComment(id: string, comment: string): Promise<ChangeOutcome> {
    return this.change(['/ip/firewall/address-list/set', `=.id=${id}`, `=comment=${comment}`]);
  }

  async setPppSecretDisabled(name: string, disabled: boolean): Promise<ChangeOutcome> {
    const ids = await this.idsByName('/ppp/secret', name);
    if (ids.length === 0) return 'missing';
    return this.change(['/ppp/secret/set', `=.id=${ids.join(',')}`, `=disabled=${disabled ? 'yes' : 'no'}`]);
  }

  async kickPppActive(name: string): Promise<ChangeOutcome> {
    const ids = await this.idsByName('/ppp/active', name);
    if (ids.length === 0) return 'missing';
    return this.removeIds('/ppp/active/remove', ids);
  }

  async setPppProfile(secret: string, profile: string, rateLimit: string | null): Promise<ChangeOutcome> {
    const secrets = await this.idsByName('/ppp/secret', secret);
    if (secrets.length === 0) return 'missing';
    const name = rateLimit === null ? 'default' : profile;
    if (rateLimit !== null && (await this.idsByName('/ppp/profile', profile)).length === 0) {
      try {
        await this.call(['/ppp/profile/add', `=name=${profile}`, `=rate-limit=${rateLimit}`]);
      } catch (err) {
        // Made meanwhile by another call: the same name is the same speed.
        if (!(err instanceof DeviceError && err.code === 'exists')) throw err;
      }
    }
    return this.change(['/ppp/secret/set', `=.id=${secrets.join(',')}`, `=profile=${name}`]);
  }

  async upsertQueue(name: string, target: string, maxLimit: string): Promise<'applied'> {
    for (let attempt = 0; ; attempt++) {
      const [id] = await this.idsByName('/queue/simple', name);
      if (id !== undefined) {
        await this.call(['/queue/simple/set', `=.id=${id}`, `=target=${target}`, `=max-limit=${maxLimit}`]);
        return 'applied';
      }
      try {
        await this.call([
          '/queue/simple/add',
          `=name=${name}`,
          `=target=${target}`,
          `=max-limit=${maxLimit}`,
        ]);
        return 'applied';
      } catch (err) {
        // Someone added it between our print and add: set it instead, once.
        if (!(err instanceof DeviceError && err.code === 'exists') || attempt > 0) throw err;
      }
    }
  }

  async removeQueue(name: string): Promise<ChangeOutcome> {
    const ids = await this.idsByName('/queue/simple', name);
    if (ids.length === 0) return 'missing';
    return this.removeIds('/queue/simple/remove', ids);
  }

  private async idsByName(menu: string, name: string): Promise<string[]> {
    const rows = await this.call([`${menu}/print`, '=.proplist=.id', `?name=${name}`]);
    return rows.map((r) => r['.id']).filter((id): id is string => id !== undefined);
  }

  private async removeIds(command: string, ids: string[]): Promise<ChangeOutcome> {
    return this.change([command, `=.id=${ids.join(',')}`]);
  }

  private async change(words: string[]): Promise<ChangeOutcome> {
    try {
      await this.call(words);
      return 'applied';
    } catch (err) {
      if (err instanceof DeviceError && err.code === 'missing') return 'missing';
      throw err;
    }
  }

  /**
   * One command with a deadline. Rejects with a DeviceError: the router's `!trap` mapped by
   * its message, `timeout` (the connection is dropped: a router that stops answering one
   * call is not trusted with the next), or `disconnected`.
   */
  private call(words: string[]): Promise<Row[]> {
    const conn = this.conn;
    if (!conn?.connected) return Promise.reject(new DeviceError('disconnected', 'not connected'));
    this.lastCallAt = Date.now();
    return new Promise<Row[]>((resolve, reject) => {
      const abort = (err: DeviceError) => finish(() => reject(err));
      const timer = setTimeout(() => {
        abort(new DeviceError('timeout', `${words[0]}: no answer in ${this.commandTimeoutMs} ms`));
        conn.destroy('timeout');
      }, this.commandTimeoutMs);
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending.delete(abort);
        settle();
      };
      this.pending.add(abort);
      conn.write(words).then(
        (rows) => finish(() => resolve(rows as Row[])),
        (err: unknown) => finish(() => reject(trapError(err instanceof Error ? err.message : String(err)))),
      );
    });
  }

  private ping(): void {
    if (!this.connected || this.pending.size > 0) return;
    if (Date.now() - this.lastCallAt < this.keepaliveMs) return;
    // A failed ping has already dropped the connection, which is all it is for.
    this.call(['/system/identity/print']).catch(() => {});
  }

  private lost(conn: RouterOsConnection, reason: string): void {
    if (this.conn !== conn) return;
    this.conn = null;
    clearInterval(this.keepalive);
    this.keepalive = undefined;
    const err = new DeviceError('disconnected', `connection lost: ${reason}`);
    for (const abort of [...this.pending]) abort(err);
    this.emit('disconnected', reason);
  }
}
