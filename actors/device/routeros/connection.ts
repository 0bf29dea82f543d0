/*
 * RouterOsConnection.connect is a fork of RouterOSAPI.connect from node-routeros 1.6.9
 * (https://github.com/aluisiora/node-routeros). MIT License — Copyright (c) 2017 Aluísio
 * Rodrigues Amaral; the full notice is in ./receiver.ts and applies here too.
 */
import type { Socket } from 'node:net';
import { Connector, RosException, RouterOSAPI } from 'node-routeros';
import { DeviceError, trapError } from '../errors.ts';
import { SentenceReceiver } from './receiver.ts';

// node-routeros is the only library that touches RouterOS, and this file the only place
// that reaches into it. What it fixes, and why here:
// - the reply parser (Receiver) throws inside the socket's data handler on `!empty` and
//   on late replies, which kills the process: SafeConnector swaps in SentenceReceiver;
// - `!fatal` left the library waiting forever: it now closes the connection with the
//   router's reason;
// - after login a socket error or timeout is re-emitted as 'error' on the API object, an
//   uncaught exception without a listener: the fork below never emits 'error' and turns
//   every loss into one 'disconnected' event instead;
// - close() waits for the router to finish the TCP close, forever if it is gone: here it
//   drops the socket at once;
// - it writes each word as its own small segment with Nagle on: see write() below.

/** The parts of Connector its typings keep private. */
interface ConnectorInternals {
  socket: Socket;
  receiver: unknown;
}

/** The parts of RouterOSAPI its typings keep private. */
interface ApiInternals {
  connector: SafeConnector | null;
  connectionHoldInterval?: NodeJS.Timeout;
  keptaliveby?: NodeJS.Timeout;
  login(): Promise<unknown>;
}

export class SafeConnector extends Connector {
  /** The reason the router gave with `!fatal`. */
  fatalMessage: string | undefined;
  /** Set when the reply stream could not be parsed. */
  brokenReason: string | undefined;
  /** The socket's own error (node-routeros keeps only a numeric errno). */
  socketError: NodeJS.ErrnoException | undefined;
  /** The last `!trap` message seen, so a close right after a refused login still reads as one. */
  lastTrap: string | undefined;

  override connect(): Connector {
    super.connect();
    const self = this as unknown as ConnectorInternals;
    const receiver = new SentenceReceiver({
      // Connector already ends the connection on a 'fatal' socket event.
      fatal: (message) => {
        this.fatalMessage = message;
        self.socket.emit('fatal');
      },
      broken: (reason, err) => {
        this.brokenReason = err instanceof Error ? `${reason}: ${err.message}` : reason;
        self.socket.emit('fatal');
      },
    });
    const read = receiver.read.bind(receiver);
    receiver.read = (tag, callback) =>
      read(tag, (packet) => {
        if (packet[0] === '!trap') this.lastTrap = packet.find((w) => w.startsWith('=message='))?.slice(9);
        callback(packet);
      });
    self.receiver = receiver;
    self.socket.prependListener('error', (err: NodeJS.ErrnoException) => {
      this.socketError = err;
    });
    // node-routeros writes a sentence word by word; with Nagle on, pipelined commands
    // stall on delayed ACKs (~40 ms each). Sentences are corked into one segment instead.
    self.socket.setNoDelay(true);
    return this;
  }

  override write(data: string[]): Connector {
    const { socket } = this as unknown as ConnectorInternals;
    socket.cork();
    try {
      return super.write(data);
    } finally {
      socket.uncork();
    }
  }

  override destroy(): void {
    super.destroy();
    // destroy() removes every listener, and an 'error' nobody listens to is thrown.
    this.on('error', () => {});
  }
}

export interface RouterOsConnectionOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Seconds: connect timeout and socket idle timeout (node-routeros's `timeout`). */
  timeout: number;
  tls?: boolean;
}

/**
 * One login session with one router. Not reusable: after 'disconnected' make a new one.
 * Emits 'disconnected' (reason: string) exactly once, after a successful connect().
 */
export class RouterOsConnection extends RouterOSAPI {
  private gone = false;
  /** Ends a connect() still in progress (set only while one is). */
  private abortConnect: ((err: DeviceError) => void) | undefined;

  constructor(options: RouterOsConnectionOptions) {
    super({
      host: options.host,
      port: options.port,
      user: options.user,
      password: options.password,
      timeout: options.timeout,
      keepalive: false,
      ...(options.tls ? { tls: {} } : {}),
    });
  }

  override connect(): Promise<RouterOSAPI> {
    if (this.connecting) return Promise.reject(new DeviceError('error', 'already connecting'));
    if (this.connected) return Promise.resolve(this);
    if (this.gone) return Promise.reject(new DeviceError('disconnected', 'this connection is closed'));
    this.connecting = true;
    const api = this as unknown as ApiInternals;
    const connector = new SafeConnector({
      host: this.host,
      port: this.port,
      timeout: this.timeout,
      tls: this.tls,
    });
    api.connector = connector;

    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: DeviceError) => {
        if (settled) return;
        settled = true;
        this.abortConnect = undefined;
        this.gone = true;
        this.connecting = false;
        connector.destroy();
        reject(err);
      };
      const lost = (reason: string, beforeLogin: () => DeviceError) => {
        if (settled) this.drop(reason);
        else fail(beforeLogin());
      };
      connector.on('error', (err: unknown) => {
        const cause: NodeJS.ErrnoException = connector.socketError ?? (err as Error);
        const text = cause.code ?? cause.message ?? String(cause);
        lost(`error: ${text}`, () => new DeviceError('unreachable', `${this.host}:${this.port}: ${text}`));
      });
      connector.on('timeout', () =>
        lost(
          'timeout',
          () => new DeviceError('timeout', `${this.host}:${this.port}: no answer in ${this.timeout}s`),
        ),
      );
      connector.on('close', () => {
        const reason =
          connector.fatalMessage !== undefined
            ? `fatal: ${connector.fatalMessage}`
            : (connector.brokenReason ?? 'closed');
        lost(reason, () =>
          connector.lastTrap !== undefined
            ? trapError(connector.lastTrap)
            : new DeviceError('disconnected', reason),
        );
      });
      this.abortConnect = fail;
      connector.once('connected', () => {
        api.login().then(
          () => {
            if (settled) return;
            settled = true;
            this.abortConnect = undefined;
            this.connecting = false;
            this.connected = true;
            resolve(this);
          },
          (err: unknown) => fail(loginError(err)),
        );
      });
      connector.connect();
    });
  }

  /**
   * Drops the connection now: 'disconnected' fires with `reason` if it was up, and a
   * connect() still in progress rejects with `disconnected`.
   */
  destroy(reason = 'closed'): void {
    if (this.connected) this.drop(reason);
    else if (this.abortConnect)
      this.abortConnect(new DeviceError('disconnected', `connect abandoned: ${reason}`));
    else {
      this.gone = true;
      (this as unknown as ApiInternals).connector?.destroy();
    }
  }

  override close(): Promise<RouterOSAPI> {
    this.destroy('closed');
    return Promise.resolve(this);
  }

  private drop(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    this.connected = false;
    this.connecting = false;
    const api = this as unknown as ApiInternals;
    // Timers node-routeros armed for this connection would otherwise fire into a dead socket.
    clearTimeout(api.connectionHoldInterval);
    clearTimeout(api.keptaliveby);
    api.connector?.destroy();
    this.emit('disconnected', reason);
  }
}

function loginError(err: unknown): DeviceError {
  if (err instanceof DeviceError) return err;
  if (err instanceof RosException && (err as RosException & { errno?: string }).errno === 'CANTLOGIN') {
    return new DeviceError('auth_failed', 'invalid user name or password');
  }
  return trapError(err instanceof Error ? err.message : String(err));
}
