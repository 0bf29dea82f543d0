import type { Act, ActLine, Currency } from '../../protocol/money.ts';
import { formatMinor } from '../billing/money.ts';
import { DEFAULT_TIME_ZONE, monthBounds } from '../billing/periods.ts';
import type { AccountEvent } from './events.ts';

// The monthly act (акт об оказанных услугах) is a projection over the account's journal:
// charges of the month (API charges, confirmed holds, tariff periods) minus refunds of the
// month (refunds and tariff credits), per product. A refund counts in the month it is made,
// so an act once issued never changes when a later month refunds into it.

interface LineSum {
  count: number;
  charged: number;
  refunded: number;
}

/**
 * Builds the act for `month` ('YYYY-MM') from every event of the account (oldest first). The
 * calendar is the account's time zone (from AccountOpened) unless `timeZone` is given.
 */
export function buildAct(events: readonly AccountEvent[], month: string, timeZone?: string): Act {
  const opened = events.find((e) => e.type === 'AccountOpened');
  const zone = timeZone ?? opened?.timeZone ?? DEFAULT_TIME_ZONE;
  const { start, end } = monthBounds(month, zone);
  const lines = new Map<string, LineSum>();
  const line = (product: string) => {
    let l = lines.get(product);
    if (!l) {
      l = { count: 0, charged: 0, refunded: 0 };
      lines.set(product, l);
    }
    return l;
  };
  for (const e of events) {
    if (e.at < start || e.at >= end) continue;
    if (e.type === 'Charged' || e.type === 'HoldConfirmed' || e.type === 'TariffCharged') {
      const l = line(e.product);
      l.count++;
      l.charged += e.amount;
    } else if (e.type === 'Refunded' || e.type === 'TariffCredited') {
      line(e.product).refunded += e.amount;
    }
  }
  const out: ActLine[] = [...lines.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([product, l]) => ({ product, ...l, amount: l.charged - l.refunded }));
  const charged = out.reduce((s, l) => s + l.charged, 0);
  const refunded = out.reduce((s, l) => s + l.refunded, 0);
  return {
    accountId: opened?.accountId ?? '',
    month,
    currency: (opened?.currency ?? 'RUB') as Currency,
    timeZone: zone,
    from: start,
    to: end,
    lines: out,
    charged,
    refunded,
    total: charged - refunded,
  };
}

function csvField(value: string): string {
  // A leading = + - @ would run as a formula in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The act as CSV (RFC 4180, CRLF): amounts in minor units, then the same in major units for
 * people; the last row is the total.
 */
export function actToCsv(act: Act): string {
  const rows = [['product', 'count', 'charged', 'refunded', 'amount', 'amount_major']];
  for (const l of act.lines) {
    rows.push([
      csvField(l.product),
      String(l.count),
      String(l.charged),
      String(l.refunded),
      String(l.amount),
      formatMinor(l.amount),
    ]);
  }
  const count = act.lines.reduce((s, l) => s + l.count, 0);
  rows.push([
    'total',
    String(count),
    String(act.charged),
    String(act.refunded),
    String(act.total),
    formatMinor(act.total),
  ]);
  return `${rows.map((r) => r.join(',')).join('\r\n')}\r\n`;
}
