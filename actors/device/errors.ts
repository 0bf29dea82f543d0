// What a router call can end in, in words the device actor decides on. A RouterOS
// `!trap` carries only a message once node-routeros is done with it, so the known
// messages are mapped here; anything else stays an `error` with the router's own text.

export type DeviceErrorCode =
  /** An add found the same entry already there: done, for an idempotent add. */
  | 'exists'
  /** A remove or change found nothing to act on: done, for an idempotent remove. */
  | 'missing'
  /** The router refused the credentials: retrying soon will not help. */
  | 'auth_failed'
  /** No TCP connection could be made (refused, unreachable, DNS). */
  | 'unreachable'
  /** The router did not answer in time. */
  | 'timeout'
  /** The connection was lost (or never made) while the call was in flight. */
  | 'disconnected'
  | 'error';

export class DeviceError extends Error {
  override name = 'DeviceError';
  constructor(
    readonly code: DeviceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Maps a `!trap` message to an outcome; the message itself is kept by the caller. */
export function classifyTrap(message: string): 'exists' | 'missing' | 'auth_failed' | 'error' {
  const m = message.toLowerCase();
  if (m.includes('already have such') || m.includes('already exists')) return 'exists';
  if (m.startsWith('no such item')) return 'missing';
  if (m.includes('invalid user name or password') || m === 'cannot log in') return 'auth_failed';
  return 'error';
}

export function trapError(message: string): DeviceError {
  return new DeviceError(classifyTrap(message), message);
}

/** Codes after which the connection itself is gone and must be made again. */
export function isConnectionLoss(err: unknown): boolean {
  return (
    err instanceof DeviceError &&
    (err.code === 'disconnected' || err.code === 'timeout' || err.code === 'unreachable')
  );
}
