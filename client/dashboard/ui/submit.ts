import { createSignal } from 'solid-js';
import { ActionKey, ApiFailure } from '../api/http.ts';

// A form sends one request at a time: its button stays disabled while it is on the way, and
// the refusal stays on the form until the next try or until the form is closed.

/** Runs a form's request; resolves to its reply, or to undefined once the error is kept. */
export function useSubmit() {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const run = async <T>(send: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await send();
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, reset: () => setError(undefined) };
}

/**
 * For what must not happen twice (money, a new tariff or router): the request carries an
 * Idempotency-Key made for that one action, so a retry after a lost answer sends the same key
 * and the server answers with the first result instead of doing it again.
 */
export function useSubmitOnce() {
  const submit = useSubmit();
  const key = new ActionKey();
  const run = <T>(body: unknown, send: (idempotencyKey: string) => Promise<T>): Promise<T | undefined> =>
    submit.run(async () => {
      try {
        const reply = await send(key.for(body));
        key.settle();
        return reply;
      } catch (err) {
        // A refusal is an answer: the next try is a new action. A lost answer is not.
        if (!(err instanceof ApiFailure && err.retryable)) key.settle();
        throw err;
      }
    });
  /** The last try's answer was lost: the same action may be sent again as it is. */
  const retrying = () => {
    const e = submit.error();
    return e instanceof ApiFailure && e.retryable;
  };
  return { ...submit, run, retrying };
}
