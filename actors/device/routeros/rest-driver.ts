import { EventEmitter } from 'node:events';
import type { AddOutcome, AddressListEntry, ChangeOutcome, DeviceDriver, DeviceResource } from '../driver.ts';
import { OWNER_PREFIX } from '../driver.ts';
import { DeviceError, trapError } from '../errors.ts';

// The same device interface over the RouterOS 7 REST API (`/rest`, HTTP Basic, JSON), with
// Node's own fetch. There is no session to hold: "connected" means the last call got an
// answer, and a call that gets none reports 'disconnected' so that the device actor goes
// offline and reconnects with its backoff, exactly as with the API driver.

export interface RouterOsRestOptions {
  host: string;
  /** 443 with tls (the `www-ssl` service), 80 without (`www`, RouterOS 7.9+). */
  port?: number;
  username: string;
  password: string;
  tls?: boolean;
  /** Per request. 15 s by default. */
  commandTimeoutMs?: number;
  ownerPrefix?: string;
}

type Row = Record<string, string>;

interface RestFailure {
  error?: number;
  message?: string;
  detail?: string;
}

export class RouterOsRestDriver extends EventEmitter implements DeviceDriver {
  private up = false;
  private readonly base: string;
  private readonly auth: string;
  private readonly timeoutMs: number;
  private readonly ownerPrefix: string;

  constructor(opts: RouterOsRestOptions) {
    super();
    const scheme = opts.tls ? 'https' : 'http';
    this.base = `${scheme}://${opts.host}:${opts.port ?? (opts.tls ? 443 : 80)}/rest`;
    this.auth = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    this.timeoutMs = opts.commandTimeoutMs ?? 15_000;
    this.ownerPrefix = opts.ownerPrefix ?? OWNER_PREFIX;
  }

  get connected(): boolean {
    return this.up;
  }

  async connect(): Promise<void> {
    await this.request('GET', '/system/identity', undefined, true);
    this.up = true;
  }

  async close(): Promise<void> {
    this.up = false;
  }

  async identity(): Promise<string> {
    return one(await this.request('GET', '/system/identity')).name ?? '';
  }

  async resource(): Promise<DeviceResource> {
    const row = one(await this.request('GET', '/system/resource'));
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
    const rows = await this.list('/ip/firewall/address-list', {
      list,
      '.proplist': '.id,address,comment,disabled',
    });
    return rows.map((r) => ({
      id: r['.id'] ?? '',
      address: r.address ?? '',
      ...(r.comment !== undefined ? { comment: r.comment } : {}),
      disabled: r.disabled === 'true' || r.disabled === 'yes',
    }));
  }

  async block(list: string, ip: string, comment: string): Promise<AddOutcome> {
    try {
      await this.request('PUT', '/ip/firewall/address-list', { list, address: ip, comment });
      return 'applied';
    } catch (err) {
      if (err instanceof DeviceError && err.code === 'exists') return 'exists';
      throw err;
    }
  }

  async unblock(list: string, ip: string): Promise<ChangeOutcome> {
    const rows = await this.list('/ip/firewall/address-list', {
      list,
      address: ip,
      '.proplist': '.id,comment',
    });
    const ours = rows.filter((r) => r.comment?.startsWith(this.ownerPrefix) && r['.id']);
    if (ours.length === 0) return 'missing';
    let outcome: ChangeOutcome = 'missing';
    for (const r of ours) if ((await this.removeEntry(r['.id']!)) === 'applied') outcome = 'applied';
    return outcome;
  }

  removeEntry(id: string): Promise<ChangeOutcome> {
    return this.change('DELETE', `/ip/firewall/address-list/${encodeURIComponent(id)}`);
  }

  setEntryComment(id: string, comment: string): Promise<ChangeOutcome> {
    return this.change('PATCH', `/ip/firewall/address-list/${encodeURIComponent(id)}`, { comment });
  }

  async setPppSecretDisabled(name: string, disabled: boolean): Promise<ChangeOutcome> {
    const ids = await this.idsByName('/ppp/secret', name);
    let outcome: ChangeOutcome = 'missing';
    for (const id of ids) {
      const body = { disabled: disabled ? 'yes' : 'no' };
      if ((await this.change('PATCH', `/ppp/secret/${encodeURIComponent(id)}`, body)) === 'applied') {
        outcome = 'applied';
      }
    }
    return outcome;
  }

  async kickPppActive(name: string): Promise<ChangeOutcome> {
    let outcome: ChangeOutcome = 'missing';
    for (const id of await this.idsByName('/ppp/active', name)) {
      if ((await this.change('DELETE', `/ppp/active/${encodeURIComponent(id)}`)) === 'applied')
        outcome = 'applied';
    }
    return outcome;
  }

  async setPppProfile(secret: string, profile: string, rateLimit: string | null): Promise<ChangeOutcome> {
    const secrets = await this.idsByName('/ppp/secret', secret);
    if (secrets.length === 0) return 'missing';
    if (rateLimit !== null && (await this.idsByName('/ppp/profile', profile)).length === 0) {
      try {
        await this.request('PUT', '/ppp/profile', { name: profile, 'rate-limit': rateLimit });
      } catch (err) {
        if (!(err instanceof DeviceError && err.code === 'exists')) throw err;
      }
    }
    let outcome: ChangeOutcome = 'missing';
    for (const id of secrets) {
      const body = { profile: rateLimit === null ? 'default' : profile };
      if ((await this.change('PATCH', `/ppp/secret/${encodeURIComponent(id)}`, body)) === 'applied') {
        outcome = 'applied';
      }
    }
    return outcome;
  }

  async upsertQueue(name: string, target: string, maxLimit: string): Promise<'applied'> {
    const [id] = await this.idsByName('/queue/simple', name);
    const body = { target, 'max-limit': maxLimit };
    if (id !== undefined) await this.request('PATCH', `/queue/simple/${encodeURIComponent(id)}`, body);
    else await this.request('PUT', '/queue/simple', { name, ...body });
    return 'applied';
  }

  async removeQueue(name: string): Promise<ChangeOutcome> {
    let outcome: ChangeOutcome = 'missing';
    for (const id of await this.idsByName('/queue/simple', name)) {
      if ((await this.change('DELETE', `/queue/simple/${encodeURIComponent(id)}`)) === 'applied')
        outcome = 'applied';
    }
    return outcome;
  }

  private async idsByName(menu: string, name: string): Promise<string[]> {
    const rows = await this.list(menu, { name, '.proplist': '.id' });
    return rows.map((r) => r['.id']).filter((id): id is string => id !== undefined);
  }

  private async list(menu: string, query: Record<string, string>): Promise<Row[]> {
    const result = await this.request('GET', `${menu}?${new URLSearchParams(query)}`);
    return Array.isArray(result) ? result : [];
  }

  private async change(method: 'PATCH' | 'DELETE', path: string, body?: Row): Promise<ChangeOutcome> {
    try {
      await this.request(method, path, body);
      return 'applied';
    } catch (err) {
      if (err instanceof DeviceError && err.code === 'missing') return 'missing';
      throw err;
    }
  }

  /**
   * One HTTP call. No answer at all (refused, reset, timed out) means the router is gone:
   * `unreachable`/`timeout` while connecting, and 'disconnected' once it was up.
   */
  private async request(method: string, path: string, body?: Row, connecting = false): Promise<Row | Row[]> {
    if (!connecting && !this.up) throw new DeviceError('disconnected', 'not connected');
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          authorization: this.auth,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
      const text = timedOut ? `no answer in ${this.timeoutMs} ms` : (cause?.code ?? (err as Error).message);
      if (connecting) throw new DeviceError(timedOut ? 'timeout' : 'unreachable', `${this.base}: ${text}`);
      this.lost(timedOut ? 'timeout' : `error: ${text}`);
      throw new DeviceError(timedOut ? 'timeout' : 'disconnected', `connection lost: ${text}`);
    }
    if (res.status === 204) return [];
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : [];
    if (res.ok) return parsed as Row | Row[];
    const failure = parsed as RestFailure;
    const message = failure.detail ?? failure.message ?? `HTTP ${res.status}`;
    if (res.status === 401) throw new DeviceError('auth_failed', 'invalid user name or password');
    if (res.status === 404) throw new DeviceError('missing', message);
    throw trapError(message);
  }

  private lost(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.emit('disconnected', reason);
  }
}

/** RouterOS 7 answers a singleton menu with an object; early 7.x betas with a list of one. */
function one(result: Row | Row[]): Row {
  return (Array.isArray(result) ? result[0] : result) ?? {};
}
