import { deepStrictEqual } from 'node:assert';
import type { ApiError } from '../../protocol/errors.ts';
import { type ActorKind, type Cause, isRejected } from '../runtime/kind.ts';

// Runs an actor kind the way the runtime does, without one: decide, then evolve over the
// accepted events; an idempotency-key window (a repeated key gets the first reply, the same
// key with another body is refused); timers fired in due order; a JSON round trip of the
// state after every decision, as a snapshot would do. For tests of the pure kinds only.

export type Outcome<E, R> = { ok: true; reply: R; events: E[] } | { ok: false; error: ApiError };

export interface SendOptions {
  key?: string;
  cause?: Cause;
}

export const staff: Cause = { type: 'staff', id: 'cashier-1' };
export const api: Cause = { type: 'api', id: 'svc-auto' };

export class Harness<S, C, E, R> {
  state: S;
  readonly journal: E[] = [];
  now: number;
  private readonly keys = new Map<string, { body: string; reply: R }>();

  constructor(
    readonly kind: ActorKind<S, C, E, R>,
    readonly id: string,
    now: number,
    readonly cause: Cause = staff,
  ) {
    this.state = kind.initial(id);
    this.now = now;
  }

  send(command: C, opts: SendOptions = {}): Outcome<E, R> {
    const body = JSON.stringify(command);
    if (opts.key !== undefined) {
      const seen = this.keys.get(opts.key);
      if (seen) {
        if (seen.body !== body) {
          return {
            ok: false,
            error: { status: 422, code: 'idempotency_key_reused', message: 'key reused' } as ApiError,
          };
        }
        return { ok: true, reply: seen.reply, events: [] };
      }
    }
    const decision = this.kind.decide(this.state, command, {
      id: this.id,
      now: this.now,
      cause: opts.cause ?? this.cause,
    });
    if (isRejected(decision)) return { ok: false, error: decision.reject };
    // The journal stores JSON: whatever decide produced must survive it unchanged.
    const events = JSON.parse(JSON.stringify(decision.events)) as E[];
    deepStrictEqual(events, decision.events, 'events must be plain JSON');
    for (const e of events) this.state = this.kind.evolve(this.state, e);
    const snapshot = JSON.parse(JSON.stringify(this.state)) as S;
    deepStrictEqual(snapshot, this.state, 'state must be plain JSON');
    this.state = snapshot;
    this.journal.push(...events);
    if (opts.key !== undefined) this.keys.set(opts.key, { body, reply: decision.reply });
    return { ok: true, reply: decision.reply, events };
  }

  /** Sends and fails the test on a rejection. */
  ok(command: C, opts: SendOptions = {}): R {
    const out = this.send(command, opts);
    if (!out.ok)
      throw new Error(
        `expected ${JSON.stringify(command)} to pass, got ${out.error.code}: ${out.error.message}`,
      );
    return out.reply;
  }

  /** Sends and returns the rejection's code (fails the test if it passed). */
  refused(command: C, opts: SendOptions = {}): ApiError {
    const before = JSON.stringify(this.state);
    const out = this.send(command, opts);
    if (out.ok) throw new Error(`expected ${JSON.stringify(command)} to be refused, it passed`);
    deepStrictEqual(JSON.stringify(this.state), before, 'a refusal must not change state');
    return out.error;
  }

  /** Moves the clock to `to`, firing every timer due on the way, in due order. */
  advance(to: number): void {
    for (let fired = 0; ; fired++) {
      if (fired > 100_000) throw new Error('timers keep firing: a timer command does not clear its timer');
      const due = (this.kind.timers?.(this.state) ?? [])
        .filter((t) => t.at <= to)
        .sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.now = Math.max(this.now, due.at);
      this.send(due.command, { cause: { type: 'system', id: 'timer' } });
    }
    this.now = Math.max(this.now, to);
  }
}
