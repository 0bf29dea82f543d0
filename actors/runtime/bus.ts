import { EventEmitter } from 'node:events';

// The live bus: every persisted event is published here on topics, for projections,
// socket.io rooms and other nodes. In-process by default; Redis pub/sub across nodes
// (redis-bus.ts) when REDIS_URL is set.

export interface LiveEvent<E = unknown> {
  /** Global journal position: clients resume from it after a reconnect. */
  position: number;
  kind: string;
  id: string;
  sequenceNumber: number;
  event: E;
  cause: unknown;
  at: number;
}

export interface Bus {
  publish(topic: string, message: LiveEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(topic: string, listener: (message: LiveEvent, topic: string) => void): () => void;
  close(): Promise<void>;
}

export class LocalBus implements Bus {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish(topic: string, message: LiveEvent): void {
    this.emitter.emit(topic, message, topic);
  }
  subscribe(topic: string, listener: (message: LiveEvent, topic: string) => void): () => void {
    this.emitter.on(topic, listener);
    return () => this.emitter.off(topic, listener);
  }
  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
