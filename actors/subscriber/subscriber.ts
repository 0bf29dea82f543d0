import type { Address, Contacts, ExternalRef, SubscriberType, SubscriberView } from '../../protocol/money.ts';
import {
  type ActorKind,
  accept,
  type Cause,
  type DecideContext,
  type Decision,
  reject,
} from '../runtime/kind.ts';
import {
  checkAddress,
  checkContacts,
  checkExternal,
  checkName,
  checkSubscriber,
  checkTaxId,
} from './validate.ts';

// A subscriber (абонент): a person or a company, its contacts and address, and its accounts.
// `subscriber:<id>`, the id made by the caller. Register is create-or-return, so a retried
// PUT .../by-external/... that lost its reply between the two actors completes the job.

export interface SubscriberState {
  id: string;
  exists: boolean;
  type: SubscriberType;
  name: string;
  taxId: string | null;
  contacts: Contacts;
  address: Address | null;
  external: ExternalRef | null;
  accounts: string[];
  createdAt: number;
  updatedAt: number;
}

export interface RegisterSubscriber {
  type: 'Register';
  subscriber: {
    type: SubscriberType;
    name: string;
    taxId?: string;
    contacts?: Contacts;
    address?: Address;
  };
  external?: ExternalRef;
}

/** Fields present are replaced; null removes taxId or address. */
export interface UpdateSubscriber {
  type: 'Update';
  changes: {
    name?: string;
    taxId?: string | null;
    contacts?: Contacts;
    address?: Address | null;
  };
}

export interface AttachAccount {
  type: 'AttachAccount';
  accountId: string;
}

export interface DetachAccount {
  type: 'DetachAccount';
  accountId: string;
}

export type SubscriberCommand = RegisterSubscriber | UpdateSubscriber | AttachAccount | DetachAccount;

interface Meta {
  by: Cause;
  at: number;
}

export type SubscriberEvent =
  | (Meta & {
      type: 'SubscriberRegistered';
      subscriberType: SubscriberType;
      name: string;
      taxId: string | null;
      contacts: Contacts;
      address: Address | null;
      external: ExternalRef | null;
    })
  | (Meta & { type: 'SubscriberUpdated'; changes: UpdateSubscriber['changes'] })
  | (Meta & { type: 'AccountAttached'; accountId: string })
  | (Meta & { type: 'AccountDetached'; accountId: string });

export interface RegisterReply {
  subscriber: SubscriberView;
  /** False when it already existed: the edge answers 200 instead of 201. */
  created: boolean;
}

export type SubscriberReply = RegisterReply | SubscriberView;

export function initialSubscriber(id: string): SubscriberState {
  return {
    id,
    exists: false,
    type: 'person',
    name: '',
    taxId: null,
    contacts: {},
    address: null,
    external: null,
    accounts: [],
    createdAt: 0,
    updatedAt: 0,
  };
}

export function subscriberView(s: SubscriberState): SubscriberView {
  const v: SubscriberView = {
    id: s.id,
    type: s.type,
    name: s.name,
    contacts: s.contacts,
    accounts: [...s.accounts],
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
  if (s.taxId !== null) v.taxId = s.taxId;
  if (s.address !== null) v.address = s.address;
  if (s.external !== null) v.external = s.external;
  return v;
}

function normalContacts(c: Contacts | undefined): Contacts {
  const out: Contacts = {};
  if (c?.phones && c.phones.length > 0) out.phones = [...new Set(c.phones)];
  if (c?.email !== undefined) out.email = c.email;
  if (c?.telegramId !== undefined) out.telegramId = c.telegramId;
  return out;
}

function decide(
  state: SubscriberState,
  command: SubscriberCommand,
  ctx: DecideContext,
): Decision<SubscriberEvent, SubscriberReply> {
  const meta = { by: ctx.cause, at: ctx.now };
  if (command.type === 'Register') {
    if (state.exists) return accept([], { subscriber: subscriberView(state), created: false });
    const s = command.subscriber ?? {};
    const bad =
      checkSubscriber(s) ??
      (command.external ? checkExternal(command.external.source, command.external.externalId) : null);
    if (bad) return bad;
    const event: SubscriberEvent = {
      type: 'SubscriberRegistered',
      subscriberType: s.type,
      name: s.name.trim(),
      taxId: s.taxId ?? null,
      contacts: normalContacts(s.contacts),
      address: s.address ?? null,
      external: command.external
        ? { source: command.external.source, externalId: command.external.externalId }
        : null,
      ...meta,
    };
    return accept([event], { subscriber: subscriberView(evolve(state, event)), created: true });
  }
  if (!state.exists) return reject(404, 'subscriber_not_found', `there is no subscriber ${state.id}`);
  switch (command.type) {
    case 'Update': {
      const c = command.changes ?? {};
      const bad =
        (c.name === undefined ? null : checkName(c.name)) ??
        (c.taxId === undefined ? null : checkTaxId(state.type, c.taxId)) ??
        (c.contacts === undefined ? null : checkContacts(c.contacts)) ??
        (c.address === undefined ? null : checkAddress(c.address));
      if (bad) return bad;
      const changes: UpdateSubscriber['changes'] = {};
      if (c.name !== undefined) changes.name = c.name.trim();
      if (c.taxId !== undefined) changes.taxId = c.taxId;
      if (c.contacts !== undefined) changes.contacts = normalContacts(c.contacts);
      if (c.address !== undefined) changes.address = c.address;
      if (Object.keys(changes).length === 0) return accept([], subscriberView(state));
      const event: SubscriberEvent = { type: 'SubscriberUpdated', changes, ...meta };
      return accept([event], subscriberView(evolve(state, event)));
    }
    case 'AttachAccount':
    case 'DetachAccount': {
      if (typeof command.accountId !== 'string' || command.accountId === '') {
        return reject(400, 'invalid_id', 'accountId must be a non-empty id');
      }
      const has = state.accounts.includes(command.accountId);
      // Idempotent from state: the account side may send it again after a crash.
      if (has === (command.type === 'AttachAccount')) return accept([], subscriberView(state));
      const event: SubscriberEvent =
        command.type === 'AttachAccount'
          ? { type: 'AccountAttached', accountId: command.accountId, ...meta }
          : { type: 'AccountDetached', accountId: command.accountId, ...meta };
      return accept([event], subscriberView(evolve(state, event)));
    }
    default:
      return reject(
        400,
        'unknown_command',
        `subscribers do not know ${JSON.stringify((command as { type: unknown }).type)}`,
      );
  }
}

function evolve(s: SubscriberState, e: SubscriberEvent): SubscriberState {
  switch (e.type) {
    case 'SubscriberRegistered':
      return {
        ...s,
        exists: true,
        type: e.subscriberType,
        name: e.name,
        taxId: e.taxId,
        contacts: e.contacts,
        address: e.address,
        external: e.external,
        createdAt: e.at,
        updatedAt: e.at,
      };
    case 'SubscriberUpdated': {
      const c = e.changes;
      return {
        ...s,
        name: c.name ?? s.name,
        taxId: c.taxId === undefined ? s.taxId : c.taxId,
        contacts: c.contacts ?? s.contacts,
        address: c.address === undefined ? s.address : c.address,
        updatedAt: e.at,
      };
    }
    case 'AccountAttached':
      return { ...s, accounts: [...s.accounts, e.accountId], updatedAt: e.at };
    case 'AccountDetached':
      return { ...s, accounts: s.accounts.filter((a) => a !== e.accountId), updatedAt: e.at };
  }
}

export const subscriberKind: ActorKind<SubscriberState, SubscriberCommand, SubscriberEvent, SubscriberReply> =
  {
    name: 'subscriber',
    initial: initialSubscriber,
    decide,
    evolve,
  };
