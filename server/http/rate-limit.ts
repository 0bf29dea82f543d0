import { ApiError } from '../../protocol/errors.ts';

// A token bucket per key (a client address) for public routes that anyone can call, such as
// the connection-request form: `burst` at once, then one more every `refillMs`. In memory
// and per process; behind a reverse proxy every client shares its address, so give the proxy
// its own limit too.

export interface RateLimit {
  burst: number;
  refillMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token for `key`, or throws 429 rate_limited with Retry-After. */
  take(key: string): void {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    const refilled = Math.min(this.limit.burst, b.tokens + (now - b.at) / this.limit.refillMs);
    if (refilled < 1) {
      const wait = Math.ceil(((1 - refilled) * this.limit.refillMs) / 1000);
      this.buckets.set(key, { tokens: refilled, at: now });
      throw new ApiError(
        429,
        'rate_limited',
        'too many requests from this address; try again later',
        undefined,
        {
          'Retry-After': String(Math.max(1, wait)),
        },
      );
    }
    this.buckets.set(key, { tokens: refilled - 1, at: now });
    // Full buckets carry no information: forget them, so the map does not grow with every visitor.
    if (this.buckets.size > 10_000) {
      for (const [k, v] of this.buckets) {
        if (v.tokens + (now - v.at) / this.limit.refillMs >= this.limit.burst) this.buckets.delete(k);
      }
    }
  }
}
