import type { ActorCell, Message } from './cell.ts';

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
    void this.drain();
  }

  /** Takes no more messages and drops the queued ones; the one running now finishes. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.head = 0;
  }

  private async drain(): Promise<void> {
    // Yield first, so the sender's call returns before the actor runs. Not queueMicrotask:
    // Node makes an AsyncResource and a bound function for each of those.
    await undefined;
    while (!this.closed && this.head < this.queue.length) {
      const message = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      await this.run(this.cell, message);
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
    }
    this.running = false;
  }
}
