import type { Logger } from './log.ts';

// Graceful shutdown: closers run one after another in the order they were added
// (HTTP → actor system → bus → journal), so nothing is closed under a part still using it.

export interface Closer {
  name: string;
  close(): Promise<void> | void;
}

export class Lifecycle {
  private readonly closers: Closer[] = [];
  private stopping: Promise<number> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  add(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * Runs every closer, whatever happens to the earlier ones, within `timeoutMs` overall.
   * Resolves to the exit code: 0 when all closed, 1 when one failed or time ran out.
   */
  shutdown(reason: string): Promise<number> {
    this.stopping ??= this.run(reason);
    return this.stopping;
  }

  private async run(reason: string): Promise<number> {
    const started = Date.now();
    this.log.info({ reason }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    let failed = false;
    const all = (async () => {
      for (const closer of this.closers) {
        const t = Date.now();
        try {
          await closer.close();
          this.log.info({ closer: closer.name, ms: Date.now() - t }, 'closed');
        } catch (err) {
          failed = true;
          this.log.error({ err, closer: closer.name }, 'close failed');
        }
      }
    })();
    const outcome = await Promise.race([all.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log.error({ timeoutMs: this.timeoutMs }, 'shutdown timed out');
      return 1;
    }
    this.log.info({ ms: Date.now() - started, ok: !failed }, 'stopped');
    return failed ? 1 : 0;
  }

  /** SIGTERM/SIGINT start the shutdown and exit with its code; a second signal exits at once. */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.isStopping) {
        this.log.warn({ signal }, 'second signal: exiting without waiting');
        exit(1);
        return;
      }
      void this.shutdown(signal).then(exit);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}
