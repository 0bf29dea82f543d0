import { ApiFailure } from '../api/http.ts';
import { hasKey, t } from '../i18n/i18n.ts';

// A refusal in words for the person who caused it: our own translation of the server's code
// when there is one, else the server's message, which is meant for people too.

export function errorText(error: unknown): string {
  if (error instanceof ApiFailure) {
    const key = `error.${error.code}`;
    if (hasKey(key)) return t(key);
    return t('error.unknown', { message: error.message || error.code });
  }
  return t('error.unknown', { message: error instanceof Error ? error.message : String(error) });
}

export function isFailure(error: unknown, ...codes: string[]): boolean {
  return error instanceof ApiFailure && codes.includes(error.code);
}
