// The one interface the device actor uses to reach a router, whichever protocol carries
// it (the RouterOS API today; the REST API of RouterOS 7 may sit behind it later).
// Every method either resolves with an outcome or rejects with a DeviceError.

export interface AddressListEntry {
  /** RouterOS item id, `*1A`. */
  id: string;
  address: string;
  comment?: string;
  disabled?: boolean;
}

export interface DeviceResource {
  uptime: string;
  version: string;
  boardName: string;
  cpuLoad: number;
  freeMemory: number;
  totalMemory: number;
}

/** An add that found its entry already there is as good as applied. */
export type AddOutcome = 'applied' | 'exists';
/** A remove or change that found nothing to act on is as good as applied. */
export type ChangeOutcome = 'applied' | 'missing';

export interface DeviceDriver {
  readonly connected: boolean;
  /** Opens the connection and logs in; rejects with `auth_failed`, `unreachable`, `timeout`… */
  connect(): Promise<void>;
  /** Drops the connection; never waits on the router. */
  close(): Promise<void>;
  identity(): Promise<string>;
  resource(): Promise<DeviceResource>;
  listBlocked(list: string): Promise<AddressListEntry[]>;
  block(list: string, ip: string, comment: string): Promise<AddOutcome>;
  /** Removes Abonent's entries (by comment prefix) for `ip` in `list`; others are left alone. */
  unblock(list: string, ip: string): Promise<ChangeOutcome>;
  removeEntry(id: string): Promise<ChangeOutcome>;
  setEntryComment(id: string, comment: string): Promise<ChangeOutcome>;
  setPppSecretDisabled(name: string, disabled: boolean): Promise<ChangeOutcome>;
  /** Ends the subscriber's PPP session(s), so that a block takes effect now. */
  kickPppActive(name: string): Promise<ChangeOutcome>;
  /**
   * Puts PPP secret `secret` on profile `profile`, made with `rateLimit` (`upload/download`) if
   * it is not there; a null rate limit puts it back on `default`. RouterOS applies a profile at
   * the next login, so a running session keeps its old speed until it reconnects.
   */
  setPppProfile(secret: string, profile: string, rateLimit: string | null): Promise<ChangeOutcome>;
  /** A simple queue named `name` limiting `target` to `maxLimit` (`upload/download`, e.g. `10M/50M`). */
  upsertQueue(name: string, target: string, maxLimit: string): Promise<'applied'>;
  removeQueue(name: string): Promise<ChangeOutcome>;
  /** Fired once per connection when it is lost after login; `reason` is for people. */
  on(event: 'disconnected', listener: (reason: string) => void): this;
  off(event: 'disconnected', listener: (reason: string) => void): this;
}

export const OWNER_PREFIX = 'abonent:';
