import { MAX_HOLD_TTL_SECONDS, TopUpSource } from '../../protocol/money.ts';
import { isNonNegativeAmount, isPositiveAmount, MAX_AMOUNT } from '../billing/money.ts';
import { type Rejected, reject } from '../runtime/kind.ts';

// Checks repeated in the actor although the edge validates bodies against protocol/ schemas:
// commands also come from the dashboard, the bot and scripts, and nothing invalid may reach
// the journal. Each returns a rejection or null.

const describe = (v: unknown) => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v)));

export function checkAmount(amount: unknown, field = 'amount'): Rejected | null {
  if (isPositiveAmount(amount)) return null;
  return reject(
    400,
    'invalid_amount',
    `${field} must be a whole number of minor units from 1 to ${MAX_AMOUNT}, got ${describe(amount)}`,
    { field },
  );
}

export function checkLimit(amount: unknown, field: string): Rejected | null {
  if (isNonNegativeAmount(amount)) return null;
  return reject(
    400,
    'invalid_amount',
    `${field} must be a whole number of minor units from 0 to ${MAX_AMOUNT}, got ${describe(amount)}`,
    { field },
  );
}

export function checkSignedAmount(amount: unknown): Rejected | null {
  if (typeof amount === 'number' && amount !== 0 && isPositiveAmount(Math.abs(amount))) return null;
  return reject(
    400,
    'invalid_amount',
    `amount must be a non-zero whole number of minor units within ±${MAX_AMOUNT}, got ${describe(amount)}`,
    { field: 'amount' },
  );
}

function checkText(
  value: unknown,
  field: string,
  code: string,
  max: number,
  required: boolean,
): Rejected | null {
  if (value === undefined && !required) return null;
  if (typeof value === 'string' && value.length <= max && (!required || value.trim() !== '')) return null;
  return reject(
    400,
    code,
    required
      ? `${field} is required: non-blank text of at most ${max} characters`
      : `${field} must be text of at most ${max} characters`,
    { field },
  );
}

export const checkProduct = (v: unknown, required = true) =>
  checkText(v, 'product', 'invalid_product', 100, required);
export const checkDescription = (v: unknown) =>
  checkText(v, 'description', 'invalid_description', 500, false);
export const checkReference = (v: unknown) => checkText(v, 'reference', 'invalid_reference', 200, true);
export const checkReason = (v: unknown) => checkText(v, 'reason', 'reason_required', 500, true);
export const checkOptionalReason = (v: unknown) => checkText(v, 'reason', 'invalid_reason', 500, false);

const SOURCES = TopUpSource.anyOf.map((s) => s.const as string);

export function checkSource(source: unknown): Rejected | null {
  if (typeof source === 'string' && SOURCES.includes(source)) return null;
  return reject(
    400,
    'invalid_source',
    `source must be one of ${SOURCES.join(', ')}, got ${describe(source)}`,
  );
}

export function checkTtl(ttlSeconds: unknown): Rejected | null {
  if (typeof ttlSeconds === 'number' && Number.isSafeInteger(ttlSeconds) && ttlSeconds >= 1) {
    if (ttlSeconds <= MAX_HOLD_TTL_SECONDS) return null;
  }
  return reject(
    400,
    'invalid_ttl',
    `ttlSeconds must be a whole number of seconds from 1 to ${MAX_HOLD_TTL_SECONDS}, got ${describe(ttlSeconds)}`,
  );
}

export function checkId(id: unknown, field: string): Rejected | null {
  if (typeof id === 'string' && id.length >= 1 && id.length <= 200) return null;
  return reject(400, 'invalid_id', `${field} must be a non-empty id, got ${describe(id)}`, { field });
}

/** The first rejection among checks, or null. */
export function firstOf(...checks: (Rejected | null)[]): Rejected | null {
  for (const c of checks) if (c) return c;
  return null;
}
