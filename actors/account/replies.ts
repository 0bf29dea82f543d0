import type {
  AccountStatus,
  AccountView,
  AdjustmentReply,
  AssignTariffReply,
  ChargeReply,
  ConfirmHoldReply,
  HoldReply,
  RefundReply,
  TariffDueView,
  TopUpReply,
  VoidHoldReply,
} from '../../protocol/money.ts';
import type { AccountCommand } from './commands.ts';

export interface ExpireHoldReply {
  expired: string[];
}

export interface BillingTickReply {
  /** Keys of the periods charged by this tick (a paid due included). */
  charged: string[];
  amount: number;
  due?: TariffDueView;
  status: AccountStatus;
}

/** What each command answers, for the HTTP wiring: `AccountReplies['Charge']` is ChargeReply. */
export interface AccountReplies {
  Open: AccountView;
  TopUp: TopUpReply;
  Charge: ChargeReply;
  Refund: RefundReply;
  PlaceHold: HoldReply;
  ConfirmHold: ConfirmHoldReply;
  VoidHold: VoidHoldReply;
  ExpireHold: ExpireHoldReply;
  SetCreditLimit: AccountView;
  Adjust: AdjustmentReply;
  AssignTariff: AssignTariffReply;
  Block: AccountView;
  Unblock: AccountView;
  Close: AccountView;
  BillingTick: BillingTickReply;
}

export type AccountReply = AccountReplies[AccountCommand['type']];
