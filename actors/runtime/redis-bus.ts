import { Redis } from 'ioredis';
import type { Bus, LiveEvent } from './bus.ts';

// The live bus across server nodes: Redis pub/sub, one plain channel per topic (no
// PSUBSCRIBE, so Redis does no pattern matching per message). A node subscribes to a
// topic only while one of its listeners wants it.

type Listener = (message: LiveEvent, topic: string) => void;

export interface RedisBusOptions {
  /** Channel prefix; the channel of topic `feed` is `abonent:live:feed`. */
  prefix?: string;
  onError?: (err: Error, context: string) => void;
}

export class RedisBus implements Bus {
  private readonly publisher: Redis;
  // A connection in subscriber mode can run nothing but (un)subscribe commands.
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly prefix: string;
  private readonly onError: (err: Error, context: string) => void;
  private pending: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(url: string, options: RedisBusOptions = {}) {
    this.prefix = options.prefix ?? 'abonent:live:';
    this.onError = options.onError ?? (() => {});
    this.publisher = new Redis(url, { connectionName: 'abonent-bus-pub' });
    this.subscriber = new Redis(url, { connectionName: 'abonent-bus-sub' });
    // Without listeners ioredis prints every reconnect failure to stderr itself.
    this.publisher.on('error', (err: Error) => this.onError(err, 'publisher'));
    this.subscriber.on('error', (err: Error) => this.onError(err, 'subscriber'));
    this.subscriber.on('message', (channel: string, payload: string) => this.deliver(channel, payload));
  }

  publish(topic: string, message: LiveEvent): void {
    if (this.closed) return;
    this.publisher.publish(this.prefix + topic, JSON.stringify(message)).catch((err: Error) => {
      this.onError(err, `publish ${topic}`);
    });
  }

  subscribe(topic: string, listener: Listener): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
      this.track(this.subscriber.subscribe(this.prefix + topic), `subscribe ${topic}`);
    }
    set.add(listener);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(topic) === set) {
        this.listeners.delete(topic);
        if (!this.closed)
          this.track(this.subscriber.unsubscribe(this.prefix + topic), `unsubscribe ${topic}`);
      }
    };
  }

  /** Resolves once Redis has confirmed every (un)subscribe asked for so far. */
  async settled(): Promise<void> {
    await this.pending;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await Promise.allSettled([quit(this.publisher), quit(this.subscriber)]);
  }

  private track(command: Promise<unknown>, context: string): void {
    const handled = command.catch((err: Error) => this.onError(err, context));
    this.pending = Promise.all([this.pending, handled]);
  }

  private deliver(channel: string, payload: string): void {
    if (!channel.startsWith(this.prefix)) return;
    const topic = channel.slice(this.prefix.length);
    const set = this.listeners.get(topic);
    if (!set) return;
    let message: LiveEvent;
    try {
      message = JSON.parse(payload) as LiveEvent;
    } catch (err) {
      this.onError(err as Error, `bad message on ${channel}`);
      return;
    }
    for (const listener of set) {
      try {
        listener(message, topic);
      } catch (err) {
        this.onError(err as Error, `listener of ${topic}`);
      }
    }
  }
}

async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
