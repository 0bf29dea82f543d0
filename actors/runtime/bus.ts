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

type Listener = (message: LiveEvent, topic: string) => void;

/**
 * In this process. Listeners by topic in a Map: an EventEmitter looks a topic up as a property
 * name, and a topic made per event (`account:100001`) went through V8's string table each time
 * (in perf, ~1% of the event loop in charges-http). A topic's array is replaced, never changed,
 * so a listener that subscribes or leaves while being called does not disturb this delivery.
 */
export class LocalBus implements Bus {
  private readonly listeners = new Map<string, Listener[]>();

  publish(topic: string, message: LiveEvent): void {
    const listeners = this.listeners.get(topic);
    if (listeners === undefined) return;
    for (const listener of listeners) listener(message, topic);
  }

  subscribe(topic: string, listener: Listener): () => void {
    this.listeners.set(topic, [...(this.listeners.get(topic) ?? []), listener]);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const current = this.listeners.get(topic) ?? [];
      const i = current.indexOf(listener);
      if (i < 0) return;
      const rest = [...current.slice(0, i), ...current.slice(i + 1)];
      if (rest.length === 0) this.listeners.delete(topic);
      else this.listeners.set(topic, rest);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
