import { type Static, Type } from '@sinclair/typebox';

// Every refusal Abonent gives, over HTTP or a socket, has this one shape.
export const ErrorBody = Type.Object(
  {
    code: Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'machine-readable, snake_case' }),
    message: Type.String({ description: 'for a person' }),
    details: Type.Optional(Type.Unknown()),
  },
  { $id: 'Error' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/**
 * An error that knows how the edge must answer it. Actors reject with it too, so a
 * domain refusal (`insufficient_funds`) reaches the client unchanged.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

// The refusals every part of the system shares; domain codes live with their domain.
export const errors = {
  badRequest: (message: string, details?: unknown) => new ApiError(400, 'bad_request', message, details),
  invalidJson: (message: string) => new ApiError(400, 'invalid_json', message),
  validation: (message: string, details?: unknown) =>
    new ApiError(400, 'validation_failed', message, details),
  unauthorized: (message = 'a valid bearer token is required') => new ApiError(401, 'unauthorized', message),
  forbidden: (message = 'your role may not do this') => new ApiError(403, 'forbidden', message),
  notFound: (message = 'no such resource') => new ApiError(404, 'not_found', message),
  methodNotAllowed: (allowed: string[]) =>
    new ApiError(405, 'method_not_allowed', `allowed: ${allowed.join(', ')}`, undefined, {
      Allow: allowed.join(', '),
    }),
  payloadTooLarge: (limit: number) =>
    new ApiError(413, 'payload_too_large', `the body is larger than ${limit} bytes`),
  unsupportedMediaType: (message = 'send application/json') =>
    new ApiError(415, 'unsupported_media_type', message),
  idempotencyKeyRequired: () =>
    new ApiError(
      400,
      'idempotency_key_required',
      'send an Idempotency-Key header with every POST that moves money',
    ),
  idempotencyKeyReused: () =>
    new ApiError(
      422,
      'idempotency_key_reused',
      'this Idempotency-Key was already used with a different request body',
    ),
  overloaded: (retryAfterSeconds: number) =>
    new ApiError(
      503,
      'overloaded',
      'too many requests are queued for this object; retry shortly',
      undefined,
      {
        'Retry-After': String(retryAfterSeconds),
      },
    ),
  outcomeUnknown: () =>
    new ApiError(
      504,
      'outcome_unknown',
      'the request did not finish in time and may still be applied; retry with the same Idempotency-Key to learn the outcome',
    ),
  storeUnavailable: () =>
    new ApiError(
      503,
      'store_unavailable',
      'the journal could not save this; nothing was applied',
      undefined,
      {
        'Retry-After': '1',
      },
    ),
  notReady: () => new ApiError(503, 'not_ready', 'Abonent is starting or stopping'),
  internal: () => new ApiError(500, 'internal_error', 'something went wrong on our side; it has been logged'),
} as const;
