import { connect, type Socket } from 'node:net';

// A lean HTTP/1.1 load generator for the HTTP benchmarks. It shares the cores with the
// server it measures, and autocannon spent 50–75 µs of CPU per request, as much as a third
// of the server's own: here each connection keeps exactly one request in flight (no
// pipelining, so what is measured is request → durable reply), writes it as one string and
// reads back only the status line and Content-Length. Every response is counted by status;
// anything the parser does not understand is an error, never a success.

export interface LoadOptions {
  host: string;
  port: number;
  connections: number;
  seconds: number;
  /** Per request: wait this long for the response before counting a timeout. */
  timeoutSeconds?: number;
  /** The whole request (head and body) for the i-th request; made as it is sent. */
  request(i: number): string;
  /** The i-th request got its response with this status. */
  onResponse?(i: number, status: number): void;
}

export interface LoadResult {
  /** From the first request to the last response. */
  seconds: number;
  requests: number;
  /** Responses by status code. */
  statuses: Record<number, number>;
  /** Responses with a 2xx status. */
  ok: number;
  /** Connections that failed or closed, and responses that could not be parsed. */
  errors: number;
  timeouts: number;
  /** Milliseconds from writing a request to reading its whole response. */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Latencies in ms, kept in growing typed arrays: one sort at the end gives exact percentiles. */
class Latencies {
  private values = new Float64Array(1 << 16);
  count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  summary(): LoadResult['latency'] {
    const sorted = this.values.subarray(0, this.count).sort();
    const at = (q: number) =>
      this.count === 0 ? 0 : sorted[Math.min(this.count - 1, Math.ceil(q * this.count) - 1)]!;
    let sum = 0;
    for (const v of sorted) sum += v;
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      p50: round(at(0.5)),
      p90: round(at(0.9)),
      p99: round(at(0.99)),
      max: round(this.count === 0 ? 0 : sorted[this.count - 1]!),
      mean: round(this.count === 0 ? 0 : sum / this.count),
    };
  }
}

/**
 * One keep-alive connection: sends a request, waits for its whole response, sends the next,
 * until the deadline. Resolves when its last request is answered (or failed).
 */
class Connection {
  private socket: Socket | undefined;
  private buffered: Buffer | undefined;
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private current = -1;
  private sentAt = 0;
  private finished: (() => void) | undefined;

  constructor(
    private readonly load: Load,
    private readonly options: LoadOptions,
  ) {}

  run(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.finished = resolve;
      this.open();
    });
  }

  private open(): void {
    const socket = connect({
      host: this.options.host,
      port: this.options.port,
      noDelay: true,
      // Reads land in this connection's own buffer: no Buffer made and no 'data' event per
      // response (the generator shares the cores with the server it measures).
      onread: {
        buffer: this.readBuffer,
        callback: (n) => {
          this.onData(this.readBuffer.subarray(0, n));
          return true;
        },
      },
    });
    this.socket = socket;
    this.buffered = undefined;
    socket.on('connect', () => this.next());
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket !== socket) return;
      // The server never closes a connection here: it is an error, and a new one carries on.
      this.load.errors++;
      this.fail();
    });
  }

  private next(): void {
    const i = this.load.take();
    if (i < 0) {
      this.done();
      return;
    }
    this.current = i;
    this.sentAt = performance.now();
    this.socket!.write(this.options.request(i), 'latin1');
  }

  private onData(chunk: Buffer): void {
    let data = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    for (;;) {
      const headEnd = data.indexOf(HEAD_END);
      if (headEnd < 0) break;
      const head = data.toString('latin1', 0, headEnd);
      const length = contentLength(head);
      const status = head.startsWith('HTTP/1.1 ') ? Number(head.slice(9, 12)) : Number.NaN;
      if (Number.isNaN(length) || !(status >= 100 && status < 600) || this.current < 0) {
        this.load.errors++;
        this.fail();
        return;
      }
      const end = headEnd + 4 + length;
      if (data.length < end) break;
      this.answered(status);
      data = data.subarray(end);
      if (data.length === 0) break;
    }
    // What is left is kept as a copy: the read buffer is overwritten by the next read.
    this.buffered = data.length === 0 ? undefined : Buffer.from(data);
  }

  /** Counts the request in flight as timed out if it was sent before `sentBefore`. */
  checkTimeout(sentBefore: number): void {
    if (this.current < 0 || this.sentAt >= sentBefore) return;
    this.load.timeouts++;
    this.fail();
  }

  private answered(status: number): void {
    const i = this.current;
    this.current = -1;
    this.load.answered(i, status, performance.now() - this.sentAt);
    this.next();
  }

  /** The request in flight (counted by the caller) is lost: carry on over a new connection. */
  private fail(): void {
    this.current = -1;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    if (this.load.open()) this.open();
    else this.done();
  }

  private done(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.end();
    this.finished?.();
    this.finished = undefined;
  }
}

/** Content-Length of a response head, or NaN when it has none (chunked is not spoken here). */
function contentLength(head: string): number {
  const lower = head.toLowerCase();
  const at = lower.indexOf('\r\ncontent-length:');
  if (at < 0) return lower.includes('\r\ntransfer-encoding:') ? Number.NaN : 0;
  const end = lower.indexOf('\r\n', at + 2);
  const value = lower.slice(at + 17, end < 0 ? undefined : end).trim();
  return /^\d+$/.test(value) ? Number(value) : Number.NaN;
}

class Load {
  errors = 0;
  timeouts = 0;
  ok = 0;
  readonly statuses: Record<number, number> = {};
  readonly latencies = new Latencies();
  private sent = 0;
  private readonly deadline: number;
  lastAnswer = 0;

  constructor(private readonly options: LoadOptions) {
    this.deadline = performance.now() + options.seconds * 1000;
  }

  open(): boolean {
    return performance.now() < this.deadline;
  }

  /** The next request number, or -1 once the time is up. */
  take(): number {
    return this.open() ? this.sent++ : -1;
  }

  get requests(): number {
    return this.sent;
  }

  answered(i: number, status: number, ms: number): void {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) this.ok++;
    this.latencies.add(ms);
    this.lastAnswer = performance.now();
    this.options.onResponse?.(i, status);
  }
}

/** Runs `connections` keep-alive connections for `seconds`, then waits for the answers in flight. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const load = new Load(options);
  const connections = Array.from({ length: options.connections }, () => new Connection(load, options));
  // One sweep a second finds requests waiting too long, rather than a timer set and cleared per request.
  const timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
  const sweep = setInterval(
    () => {
      const sentBefore = performance.now() - timeoutMs;
      for (const c of connections) c.checkTimeout(sentBefore);
    },
    Math.min(1000, timeoutMs),
  );
  try {
    await Promise.all(connections.map((c) => c.run()));
  } finally {
    clearInterval(sweep);
  }
  return {
    seconds: ((load.lastAnswer || performance.now()) - started) / 1000,
    requests: load.requests,
    statuses: load.statuses,
    ok: load.ok,
    errors: load.errors,
    timeouts: load.timeouts,
    latency: load.latencies.summary(),
  };
}
