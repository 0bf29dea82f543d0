import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  Address,
  Email,
  ExternalId,
  ExternalSource,
  Phone,
  SubscriberType,
  TaxId,
} from '../../protocol/money.ts';
import { type Rejected, reject } from '../runtime/kind.ts';

// The same rules as the wire schemas (protocol/money.ts), checked field by field so that each
// refusal has its own code: commands also come from staff tools, not only over HTTP.

function check(schema: TSchema, value: unknown, code: string, message: string): Rejected | null {
  return Value.Check(schema, value) ? null : reject(400, code, message);
}

export interface SubscriberFields {
  type?: unknown;
  name?: unknown;
  taxId?: unknown;
  contacts?: { phones?: unknown; email?: unknown; telegramId?: unknown } | undefined;
  address?: unknown;
}

export function checkName(name: unknown): Rejected | null {
  if (typeof name === 'string' && name.trim() !== '' && name.length <= 300) return null;
  return reject(400, 'invalid_name', 'name is required: non-blank text of at most 300 characters');
}

export function checkTaxId(type: unknown, taxId: unknown): Rejected | null {
  if (taxId === undefined || taxId === null) {
    return type === 'company'
      ? reject(400, 'tax_id_required', 'a company needs its taxId (INN, 10 digits; 12 for a sole trader)')
      : null;
  }
  return check(TaxId, taxId, 'invalid_tax_id', `taxId must be 10 or 12 digits, got ${JSON.stringify(taxId)}`);
}

export function checkContacts(contacts: SubscriberFields['contacts']): Rejected | null {
  if (contacts === undefined) return null;
  if (typeof contacts !== 'object' || contacts === null) {
    return reject(400, 'invalid_contacts', 'contacts must be an object of phones, email, telegramId');
  }
  const { phones, email, telegramId } = contacts;
  if (phones !== undefined) {
    if (!Array.isArray(phones) || phones.length > 10) {
      return reject(400, 'invalid_phone', 'phones must be a list of at most 10 numbers');
    }
    for (const p of phones) {
      const bad = check(
        Phone,
        p,
        'invalid_phone',
        `phone ${JSON.stringify(p)} is not in E.164 form (+79991234567)`,
      );
      if (bad) return bad;
    }
  }
  if (email !== undefined) {
    const bad = check(Email, email, 'invalid_email', `${JSON.stringify(email)} is not an email address`);
    if (bad) return bad;
  }
  if (telegramId !== undefined) {
    if (!(typeof telegramId === 'number' && Number.isSafeInteger(telegramId) && telegramId > 0)) {
      return reject(
        400,
        'invalid_telegram_id',
        `telegramId must be a positive whole number, got ${JSON.stringify(telegramId)}`,
      );
    }
  }
  return null;
}

export function checkAddress(address: unknown): Rejected | null {
  if (address === undefined || address === null) return null;
  return check(
    Address,
    address,
    'invalid_address',
    'address needs text (≤ 500), lat in [-90, 90], lon in [-180, 180]',
  );
}

export function checkExternal(source: unknown, externalId: unknown): Rejected | null {
  return (
    check(
      ExternalSource,
      source,
      'invalid_external_ref',
      `source ${JSON.stringify(source)} must be lower-case [a-z0-9._-]`,
    ) ??
    check(
      ExternalId,
      externalId,
      'invalid_external_ref',
      `externalId ${JSON.stringify(externalId)} must be [A-Za-z0-9._:@-], ≤ 128`,
    )
  );
}

export function checkSubscriber(f: SubscriberFields): Rejected | null {
  return (
    check(
      SubscriberType,
      f.type,
      'invalid_subscriber_type',
      `type must be person or company, got ${JSON.stringify(f.type)}`,
    ) ??
    checkName(f.name) ??
    checkTaxId(f.type, f.taxId) ??
    checkContacts(f.contacts) ??
    checkAddress(f.address)
  );
}
