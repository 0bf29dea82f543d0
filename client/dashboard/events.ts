import type { LiveEvent } from '../live/types.ts';
import { hasKey, money, t } from './i18n/i18n.ts';

// What a live event means for people (the feed) and for the figures on screen (a row's
// balance). Events come from the account, subscriber and tariff actors; their shapes are in
// actors/*/events.ts on the server. Unknown kinds still show up, by name.

type Fields = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The amount an event is about, for its line in the feed. */
function amountOf(e: Fields): number | null {
  switch (e.type) {
    case 'CreditLimitChanged':
      return num(e.to);
    case 'Blocked':
      return e.due === undefined ? null : num(e.due);
    default:
      return typeof e.amount === 'number' ? e.amount : null;
  }
}

export interface FeedLine {
  text: string;
  /** The account the event is about, for a link to its card. */
  accountId?: string;
  /** Signed effect on money, for colour and the screen-reader text alike. */
  tone: 'in' | 'out' | 'neutral' | 'alert';
}

export function describe(live: LiveEvent): FeedLine {
  const e = live.event as Fields & { type: string };
  const amount = amountOf(e);
  const key = `ev.${e.type}`;
  const text = hasKey(key)
    ? t(key, { amount: amount === null ? '' : money(amount) })
    : t('ev.other', { type: e.type });
  const accountId =
    live.kind === 'account' ? live.id : typeof e.accountId === 'string' ? e.accountId : undefined;
  return { text, ...(accountId ? { accountId } : {}), tone: toneOf(e.type) };
}

export function toneOf(type: string): FeedLine['tone'] {
  switch (type) {
    case 'ToppedUp':
    case 'Refunded':
    case 'TariffCredited':
    case 'Unblocked':
      return 'in';
    case 'Charged':
    case 'TariffCharged':
    case 'HoldConfirmed':
      return 'out';
    case 'Blocked':
    case 'TariffDueRecorded':
    case 'AccountClosed':
      return 'alert';
    default:
      return 'neutral';
  }
}

export function kindLabel(kind: string): string {
  const key = `kind.${kind}`;
  return hasKey(key) ? t(key) : t('kind.other', { kind });
}

export function causeLabel(cause: unknown): string {
  if (!cause || typeof cause !== 'object') return '';
  const c = cause as { type?: string; id?: string };
  const key = `cause.${c.type}`;
  return hasKey(key) ? t(key, { id: c.id ?? '' }) : String(c.id ?? '');
}

export interface RowFigures {
  balance: number;
  available: number;
  status: 'active' | 'blocked' | 'closed';
  tariffId: string | null;
}

/**
 * The effect of one account event on the figures a row or a card shows, from the event alone
 * (events.test.ts keeps it equal to the account's own fold). A refetch of the row or the
 * account replaces the figures with the server's anyway.
 */
export function applyAccountEvent(
  row: RowFigures,
  event: Fields & { type: string },
): Partial<RowFigures> | null {
  const a = num(event.amount);
  const money = (balance: number, available: number): Partial<RowFigures> => ({
    balance: row.balance + balance,
    available: row.available + available,
  });
  switch (event.type) {
    case 'ToppedUp':
    case 'Refunded':
    case 'TariffCredited':
    case 'Adjusted':
      return money(a, a);
    case 'Charged':
    case 'TariffCharged':
      return money(-a, -a);
    case 'HoldPlaced':
      return money(0, -a);
    case 'HoldVoided':
    case 'HoldExpired':
      return money(0, a);
    case 'HoldConfirmed':
      return money(-a, num(event.held) - a);
    case 'CreditLimitChanged':
      return money(0, num(event.to) - num(event.from));
    case 'Blocked':
      return { status: 'blocked' };
    case 'Unblocked':
      return { status: 'active' };
    case 'AccountClosed':
      return { status: 'closed' };
    case 'TariffAssigned': {
      const tariff = event.tariff as { tariffId?: string } | undefined;
      return { tariffId: tariff?.tariffId ?? null };
    }
    case 'TariffUnassigned':
      return { tariffId: null };
    default:
      return null;
  }
}
