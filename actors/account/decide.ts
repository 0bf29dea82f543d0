import { CURRENCIES, type Currency } from '../../protocol/money.ts';
import { isValidTimeZone } from '../billing/periods.ts';
import { accept, type DecideContext, type Decision, type Rejected, reject } from '../runtime/kind.ts';
import { billUntil, changeTariff, DEFAULT_MAX_CATCH_UP, endTariffOnClose, settleDue } from './billing.ts';
import { findCharge } from './charges.ts';
import type { AccountCommand } from './commands.ts';
import { Draft } from './draft.ts';
import type { AccountEvent } from './events.ts';
import type { AccountReplies, AccountReply } from './replies.ts';
import { type AccountState, statusOf } from './state.ts';
import {
  checkAmount,
  checkDescription,
  checkId,
  checkLimit,
  checkOptionalReason,
  checkProduct,
  checkReason,
  checkReference,
  checkSignedAmount,
  checkSource,
  checkTtl,
  firstOf,
} from './validate.ts';
import { accountView, dueView } from './view.ts';

// Every decision runs on a Draft: expired holds are swept first (so a late timer never lets a
// dead hold hold money), then the command, then a due that became affordable is paid. The
// reply is built last, so it shows the balance after all of that.

type Handler<T extends AccountCommand['type']> = (
  d: Draft,
  c: Extract<AccountCommand, { type: T }>,
) => Rejected | (() => AccountReplies[T]);

const money = (d: Draft) => ({ balance: d.state.balance, available: d.available });

const closedRejection = (s: AccountState) =>
  reject(409, 'account_closed', `account ${s.id} is closed; it accepts no operations`);

function blockedRejection(s: AccountState, what: string): Rejected {
  const why = s.manualBlock
    ? `blocked by staff: ${s.manualBlock.reason}`
    : `blocked for insufficient funds: ${s.due?.amount ?? 0} minor units of tariff are due`;
  return reject(409, 'account_blocked', `account ${s.id} is ${why}; ${what} is not allowed`, {
    reason: s.manualBlock ? 'manual' : 'insufficient_funds',
  });
}

function insufficient(d: Draft, amount: number, what: string): Rejected {
  return reject(
    409,
    'insufficient_funds',
    `${what} of ${amount} needs ${amount - d.available} more than the ${d.available} available on account ${d.state.id}`,
    { available: d.available, amount },
  );
}

function findOpenHold(d: Draft, holdId: unknown): Rejected | string {
  const bad = checkId(holdId, 'holdId');
  if (bad) return bad;
  const id = holdId as string;
  if (d.state.holds[id]) return id;
  const closed = d.state.closedHolds.find((h) => h.holdId === id);
  if (closed) {
    return reject(409, 'hold_not_open', `hold ${id} is already ${closed.status}`, {
      status: closed.status,
      ...(closed.chargeId ? { chargeId: closed.chargeId } : {}),
    });
  }
  return reject(404, 'hold_not_found', `account ${d.state.id} has no hold ${id}`);
}

const handlers: { [T in AccountCommand['type']]: Handler<T> } = {
  Open: (d) => () => accountView(d.state, d.now), // handled before the draft; kept for the type

  TopUp(d, c) {
    const bad = firstOf(checkAmount(c.amount), checkSource(c.source), checkReference(c.reference));
    if (bad) return bad;
    if (!Number.isSafeInteger(d.state.balance + c.amount)) {
      return reject(422, 'invalid_amount', `a top-up of ${c.amount} would overflow the balance`);
    }
    const topUpId = d.nextId('t');
    d.emit({ type: 'ToppedUp', topUpId, amount: c.amount, source: c.source, reference: c.reference });
    return () => ({ topUpId, ...money(d), status: statusOf(d.state) });
  },

  Charge(d, c) {
    const bad = firstOf(checkAmount(c.amount), checkProduct(c.product), checkDescription(c.description));
    if (bad) return bad;
    if (statusOf(d.state) === 'blocked') return blockedRejection(d.state, 'a charge');
    if (d.available < c.amount) return insufficient(d, c.amount, 'a charge');
    const chargeId = d.nextId('c');
    d.emit({
      type: 'Charged',
      chargeId,
      amount: c.amount,
      product: c.product,
      ...(c.description === undefined ? {} : { description: c.description }),
    });
    return () => ({ chargeId, ...money(d) });
  },

  Refund(d, c) {
    const bad = firstOf(
      checkId(c.chargeId, 'chargeId'),
      checkAmount(c.amount),
      checkOptionalReason(c.reason),
    );
    if (bad) return bad;
    const charge = findCharge(d.state.charges, c.chargeId);
    if (!charge) {
      return reject(404, 'charge_not_found', `account ${d.state.id} has no refundable charge ${c.chargeId}`);
    }
    const refundable = charge.amount - charge.refunded;
    if (c.amount > refundable) {
      return reject(
        422,
        'refund_exceeds_charge',
        `a refund of ${c.amount} exceeds what is left of charge ${c.chargeId}: ${charge.amount} charged, ${charge.refunded} already refunded, ${refundable} refundable`,
        { charged: charge.amount, refunded: charge.refunded, refundable },
      );
    }
    const refundId = d.nextId('r');
    d.emit({
      type: 'Refunded',
      refundId,
      chargeId: c.chargeId,
      amount: c.amount,
      product: charge.product,
      ...(c.reason === undefined ? {} : { reason: c.reason }),
    });
    return () => ({
      refundId,
      chargeId: c.chargeId,
      amount: c.amount,
      refunded: charge.refunded + c.amount,
      refundable: refundable - c.amount,
      ...money(d),
    });
  },

  PlaceHold(d, c) {
    const bad = firstOf(
      checkAmount(c.amount),
      checkTtl(c.ttlSeconds),
      checkProduct(c.product, false),
      checkDescription(c.description),
    );
    if (bad) return bad;
    if (statusOf(d.state) === 'blocked') return blockedRejection(d.state, 'a hold');
    if (d.available < c.amount) return insufficient(d, c.amount, 'a hold');
    const holdId = d.nextId('h');
    const expiresAt = d.now + c.ttlSeconds * 1000;
    d.emit({
      type: 'HoldPlaced',
      holdId,
      amount: c.amount,
      expiresAt,
      product: c.product ?? 'hold',
      ...(c.description === undefined ? {} : { description: c.description }),
    });
    return () => ({ holdId, amount: c.amount, expiresAt, available: d.available });
  },

  ConfirmHold(d, c) {
    const found = findOpenHold(d, c.holdId);
    if (typeof found !== 'string') return found;
    const hold = d.state.holds[found]!;
    const amount = c.amount ?? hold.amount;
    const bad = firstOf(checkAmount(amount), checkProduct(c.product, false), checkDescription(c.description));
    if (bad) return bad;
    if (amount > hold.amount) {
      return reject(
        422,
        'confirm_exceeds_hold',
        `cannot confirm ${amount}: hold ${found} is for ${hold.amount}`,
        { held: hold.amount, amount },
      );
    }
    const chargeId = d.nextId('c');
    const description = c.description ?? hold.description;
    d.emit({
      type: 'HoldConfirmed',
      holdId: found,
      chargeId,
      held: hold.amount,
      amount,
      product: c.product ?? hold.product,
      ...(description === undefined ? {} : { description }),
    });
    return () => ({ holdId: found, chargeId, amount, released: hold.amount - amount, ...money(d) });
  },

  VoidHold(d, c) {
    const found = findOpenHold(d, c.holdId);
    if (typeof found !== 'string') return found;
    const released = d.state.holds[found]!.amount;
    d.emit({ type: 'HoldVoided', holdId: found, amount: released });
    return () => ({ holdId: found, released, ...money(d) });
  },

  // The sweep before every command has already expired whatever is due, this one included.
  ExpireHold: (d) => () => ({
    expired: d.events.flatMap((e) => (e.type === 'HoldExpired' ? [e.holdId] : [])),
  }),

  SetCreditLimit(d, c) {
    const bad = checkLimit(c.creditLimit, 'creditLimit');
    if (bad) return bad;
    const from = d.state.creditLimit;
    if (c.creditLimit < from && d.available - (from - c.creditLimit) < 0) {
      const inUse = from - d.available;
      return reject(
        409,
        'credit_limit_in_use',
        `the credit limit cannot go below ${inUse}: that much of it is in use (balance ${d.state.balance}, holds included)`,
        { inUse },
      );
    }
    if (c.creditLimit !== from) d.emit({ type: 'CreditLimitChanged', from, to: c.creditLimit });
    return () => accountView(d.state, d.now);
  },

  Adjust(d, c) {
    const bad = firstOf(checkSignedAmount(c.amount), checkReason(c.reason));
    if (bad) return bad;
    if (c.amount < 0 && d.available + c.amount < 0)
      return insufficient(d, -c.amount, 'a negative adjustment');
    if (!Number.isSafeInteger(d.state.balance + c.amount)) {
      return reject(422, 'invalid_amount', `an adjustment of ${c.amount} would overflow the balance`);
    }
    const adjustmentId = d.nextId('a');
    d.emit({ type: 'Adjusted', adjustmentId, amount: c.amount, reason: c.reason });
    return () => ({ adjustmentId, ...money(d) });
  },

  AssignTariff(d, c) {
    const t = c.tariff;
    if (t !== null) {
      const bad = firstOf(
        checkId(t?.tariffId, 'tariffId'),
        checkLimit(t?.pricePerMonth, 'pricePerMonth'),
        typeof t?.name === 'string' ? null : reject(400, 'invalid_tariff', 'the tariff needs a name'),
        ['monthly', 'daily', 'hourly'].includes(t?.billing)
          ? null
          : reject(
              400,
              'invalid_tariff',
              `billing must be monthly, daily or hourly, got ${JSON.stringify(t?.billing)}`,
            ),
      );
      if (bad) return bad;
    }
    // A renamed tariff is still the same tariff: re-prorating it would only move kopecks of rounding.
    const cur = d.state.tariff;
    const same =
      (cur === null && t === null) ||
      (cur !== null &&
        t !== null &&
        cur.tariffId === t.tariffId &&
        cur.billing === t.billing &&
        cur.pricePerMonth === t.pricePerMonth);
    const outcome = same ? { charged: 0, credited: 0 } : changeTariff(d, t);
    return () => ({
      tariffId: d.state.tariff?.tariffId ?? null,
      ...outcome,
      ...(d.state.due ? { due: dueView(d.state.due) } : {}),
      status: statusOf(d.state),
      ...money(d),
    });
  },

  Block(d, c) {
    const bad = checkReason(c.reason);
    if (bad) return bad;
    if (!d.state.manualBlock) d.emit({ type: 'Blocked', reason: 'manual', note: c.reason });
    return () => accountView(d.state, d.now);
  },

  Unblock(d) {
    if (d.state.manualBlock) d.emit({ type: 'Unblocked', reason: 'manual' });
    else if (d.state.due) {
      return reject(
        409,
        'unblock_not_allowed',
        `account ${d.state.id} is blocked for insufficient funds: paying the due of ${d.state.due.amount} unblocks it (available now ${d.available})`,
        { due: d.state.due.amount, available: d.available },
      );
    }
    return () => accountView(d.state, d.now);
  },

  Close(d, c) {
    const bad = checkOptionalReason(c.reason);
    if (bad) return bad;
    const holds = Object.keys(d.state.holds).length;
    if (d.state.balance !== 0 || holds > 0) {
      return reject(
        409,
        'close_not_allowed',
        `account ${d.state.id} can be closed only at zero balance with no open holds: balance ${d.state.balance}, ${holds} open hold(s)`,
        { balance: d.state.balance, holds },
      );
    }
    endTariffOnClose(d);
    d.emit({ type: 'AccountClosed', ...(c.reason === undefined ? {} : { reason: c.reason }) });
    return () => accountView(d.state, d.now);
  },

  BillingTick(d, c) {
    if (typeof c.until !== 'number' || !Number.isSafeInteger(c.until)) {
      return reject(400, 'invalid_tick', `until must be an instant in ms, got ${JSON.stringify(c.until)}`);
    }
    const max = c.maxCatchUp ?? DEFAULT_MAX_CATCH_UP;
    if (!Number.isSafeInteger(max) || max < 0) {
      return reject(400, 'invalid_tick', `maxCatchUp must be a whole number ≥ 0, got ${max}`);
    }
    billUntil(d, c.until, max);
    return () => {
      const charged = d.events.flatMap((e) => (e.type === 'TariffCharged' ? [e] : []));
      return {
        charged: charged.map((e) => e.key),
        amount: charged.reduce((s, e) => s + e.amount, 0),
        ...(d.state.due ? { due: dueView(d.state.due) } : {}),
        status: statusOf(d.state),
      };
    };
  },
};

function open(state: AccountState, c: Extract<AccountCommand, { type: 'Open' }>, ctx: DecideContext) {
  if (state.opened) return reject(409, 'account_exists', `account ${state.id} is already open`);
  const currency = c.currency ?? 'RUB';
  const creditLimit = c.creditLimit ?? 0;
  const timeZone = c.timeZone ?? state.timeZone;
  const bad = firstOf(
    (CURRENCIES as readonly string[]).includes(currency)
      ? null
      : reject(
          400,
          'unsupported_currency',
          `currency must be one of ${CURRENCIES.join(', ')}, got ${currency}`,
        ),
    checkLimit(creditLimit, 'creditLimit'),
    isValidTimeZone(timeZone)
      ? null
      : reject(400, 'invalid_time_zone', `${JSON.stringify(timeZone)} is not an IANA time zone`),
    c.subscriberId === undefined || c.subscriberId === null ? null : checkId(c.subscriberId, 'subscriberId'),
  );
  if (bad) return bad;
  const d = new Draft(state, ctx);
  d.emit({
    type: 'AccountOpened',
    accountId: state.id,
    subscriberId: c.subscriberId ?? null,
    currency: currency as Currency,
    creditLimit,
    timeZone,
  });
  return accept(d.events, accountView(d.state, ctx.now), d.state);
}

/** Commands a closed account still takes, as no-ops: they come from timers and the billing clock. */
const HARMLESS_WHEN_CLOSED = new Set<AccountCommand['type']>(['ExpireHold', 'BillingTick']);

export function decide(
  state: AccountState,
  command: AccountCommand,
  ctx: DecideContext,
): Decision<AccountEvent, AccountReply> {
  if (command.type === 'Open') return open(state, command, ctx);
  if (!state.opened) return reject(404, 'account_not_found', `there is no account ${state.id}`);
  if (state.closedAt !== null) {
    if (!HARMLESS_WHEN_CLOSED.has(command.type)) return closedRejection(state);
  }
  const handler = handlers[command.type] as Handler<AccountCommand['type']> | undefined;
  if (!handler) return reject(400, 'unknown_command', `accounts do not know ${JSON.stringify(command.type)}`);
  const d = new Draft(state, ctx);
  expireHolds(d);
  const outcome = handler(d, command);
  if (typeof outcome !== 'function') return outcome;
  settleDue(d);
  // The draft has folded every event already: the runtime takes its state as is.
  return accept(d.events, outcome(), d.state);
}

function expireHolds(d: Draft): void {
  // Most accounts hold nothing: no arrays made for them on every command.
  let any = false;
  for (const _ in d.state.holds) {
    any = true;
    break;
  }
  if (!any) return;
  const due = Object.values(d.state.holds)
    .filter((h) => h.expiresAt <= d.now)
    .sort((a, b) => a.expiresAt - b.expiresAt);
  for (const h of due)
    d.emit({ type: 'HoldExpired', holdId: h.holdId, amount: h.amount, expiresAt: h.expiresAt });
}
