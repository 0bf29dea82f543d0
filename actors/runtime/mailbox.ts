import type { ActorCell, Message } from './cell.ts';

const RESOLVED = Promise.resolve();

/**
 * One live actor's mailbox: its messages run one at a time, in the order they were posted,
 * each to its end (a journal write included) before the next begins.
 *
 * This is all the registry used nact for, and nact made every activation cost a spawned
 * actor (path, reference, logger, child maps), a context object and a setImmediate per
 * message, and a context plus a setImmediate per stop: a billing run that wakes a million
 * accounts paid that a million times. Handling starts on a microtask, so posting never
 * runs the actor inside its sender's call.
 */
export class Mailbox {
  private queue: (Message | undefined)[] = [];
  private head = 0;
  private running = false;
  private closed = false;

  constructor(
    readonly cell: ActorCell,
    private readonly hooks: MailboxHooks,
  ) {}

  post(message: Message): void {
    if (this.closed) return;
    this.queue.push(message);
    if (this.running) return;
    this.running = true;
    // Start on a microtask, so the sender's call returns before the actor runs. Not
    // queueMicrotask: Node makes an AsyncResource and a bound function for each of those.
    RESOLVED.then(this.next);
  }

  /** Takes no more messages and drops the queued ones; the one running now finishes. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.head = 0;
  }

  /**
   * Runs messages until one has to wait (the cell returns a promise: recovery, a journal
   * write), and comes back when that one has finished. Callbacks rather than an async loop:
   * an async function per burst and per layer, with a promise per await, was ~1 KB of
   * garbage per charge (charges-http, where most messages find their mailbox empty).
   */
  private readonly next = (): void => {
    for (;;) {
      if (this.closed || this.head >= this.queue.length) {
        this.running = false;
        return;
      }
      const message = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      let waiting: Promise<void> | undefined;
      try {
        waiting = this.cell.handle(message);
      } catch (error) {
        this.hooks.failed(this.cell, error);
      }
      if (waiting !== undefined) {
        waiting.then(this.finished, this.failed);
        return;
      }
      this.hooks.settled(this.cell);
    }
  };

  private readonly finished = (): void => {
    this.hooks.settled(this.cell);
    this.next();
  };

  private readonly failed = (error: unknown): void => {
    this.hooks.failed(this.cell, error);
    this.finished();
  };
}

/** What the registry does around each message: it never lets one throw at the mailbox. */
export interface MailboxHooks {
  /** A message's handling threw or rejected (a bug: cells answer their callers themselves). */
  failed(cell: ActorCell, error: unknown): void;
  /** A message is done, whatever its outcome. */
  settled(cell: ActorCell): void;
}
