import type { ActorCell, Message } from './cell.ts';

const RESOLVED = Promise.resolve();

/**
 * One live actor's mailbox: its messages run one at a time, in the order they were posted,
 * each to the end of its handler (awaits included) before the next begins.
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
    /** Handles one message; must not throw (the registry's handler catches and logs). */
    private readonly run: (cell: ActorCell, message: Message) => Promise<void>,
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
   * Runs the next message and comes back when it has finished, awaits included. A chain of
   * callbacks rather than an async loop: an async function per burst, with a promise per
   * await, was ~1 KB of garbage per charge (charges-http, where most messages find their
   * mailbox empty and start a burst).
   */
  private readonly next = (): void => {
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
    this.run(this.cell, message).then(this.next);
  };
}
