import { type TSchema, Type } from '@sinclair/typebox';
import { type AccountCommand, type AccountState, accountKind } from '../../../actors/account/account.ts';
import { sequenceKind } from '../../../actors/numbering/sequence.ts';
import { fingerprint } from '../../../actors/runtime/fingerprint.ts';
import type { Cause } from '../../../actors/runtime/kind.ts';
import type { ActorSystem, AskOptions } from '../../../actors/runtime/system.ts';
import { ApiError } from '../../../protocol/errors.ts';
import { Id } from '../../../protocol/money.ts';
import type { RequestContext } from '../route.ts';

// What every money route shares: who caused a command, how its Idempotency-Key reaches the
// runtime, and how an unknown account is told apart without leaving anything behind.

export function causeOf(req: RequestContext): Cause {
  const p = req.principal;
  if (!p) throw new Error('a money route ran without a principal: its auth must not be public');
  return { type: p.kind === 'machine' ? 'api' : p.kind, id: p.id, ip: req.ip };
}

/**
 * The cause and, when sent, the Idempotency-Key for `system.ask`. The key is scoped to the
 * caller, so two clients that happen to pick the same key never get each other's replies
 * (opening an account with someone else's key would hand out their account).
 */
export function askOptions(req: RequestContext): AskOptions {
  const cause = causeOf(req);
  const key = req.idempotencyKey;
  return key === undefined ? { cause } : { cause, idempotencyKey: `${cause.type}:${cause.id}:${key}` };
}

const ID = new RegExp(Id.pattern as string);

export const accountNotFound = (id: string) =>
  new ApiError(404, 'account_not_found', `there is no account ${id}`);

/** The `:id` of an account route; one that no account could have is simply not found. */
export function accountIdOf(req: RequestContext): string {
  const id = req.params.id ?? '';
  if (id.length > 128 || !ID.test(id)) throw accountNotFound(id.slice(0, 128));
  return id;
}

/**
 * The runtime activates an actor to answer anything about it, also an id nobody opened.
 * Nothing is persisted for it, and this lets it go at once, so probing ids leaves no
 * actors behind in memory either.
 */
function forgetIfUnknown(system: ActorSystem, id: string, error: unknown): never {
  if (error instanceof ApiError && error.code === 'account_not_found') system.passivate(accountKind.name, id);
  throw error;
}

/** Sends a command to an account; 404 account_not_found (and nothing kept) when it was never opened. */
export function askAccount<R>(
  system: ActorSystem,
  id: string,
  command: AccountCommand,
  options: AskOptions,
): Promise<R> {
  // Not an async function: every money request passes here, and each async layer is a frame
  // and a promise more of garbage.
  return (system.ask(accountKind, id, command, options) as Promise<R>).catch((error: unknown) =>
    forgetIfUnknown(system, id, error),
  );
}

/** A 201 reply with this body; for `.then` on a money command's promise. */
export const created = <T>(body: T) => ({ status: 201, body });

/** Reads an opened account through its mailbox; 404 account_not_found otherwise. */
export async function readAccount<T>(
  system: ActorSystem,
  id: string,
  fn: (state: AccountState) => T,
): Promise<T> {
  const out = await system.read(accountKind, id, (s) => (s.opened ? { value: fn(s) } : null));
  if (out === null) forgetIfUnknown(system, id, accountNotFound(id));
  return out.value;
}

/** A refusal in the OpenAPI document: the Error shape with what it means on this route. */
export const refusal = (description: string): TSchema => Type.Ref('Error', { description });

/**
 * Runs `fn` for one key at a time, in arrival order, in this process. For the few flows that
 * touch two actors and must not interleave for the same account (tariff assignment and the
 * catalog's usage record).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(fn, fn);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/**
 * The next number of a series (accounts, subscribers). With an Idempotency-Key a retried
 * request gets the number it got the first time, and the same key with another request is
 * 422 idempotency_key_reused here, before anything else is touched: the fingerprint is the
 * whole command the number is for.
 */
export async function nextNumber(
  system: ActorSystem,
  series: string,
  options: AskOptions,
  forCommand: unknown,
): Promise<number> {
  const fp = options.idempotencyKey === undefined ? undefined : fingerprint(forCommand);
  const { n } = await system.ask(sequenceKind, series, { type: 'Next' }, { ...options, fingerprint: fp });
  return n;
}
