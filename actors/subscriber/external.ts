import type { ActorKind, Cause, DecideContext, Decision } from '../runtime/kind.ts';
import { accept, reject } from '../runtime/kind.ts';
import { checkExternal } from './validate.ts';

// The (source, externalId) → subscriber id mapping, one actor per pair:
// `subscriber-ref:<source>:<externalId>`. Its mailbox serializes concurrent registrations of
// the same client, so the first claim wins and every other one gets the same subscriber id.
// Other services never keep our ids.
//
// PUT /api/v1/subscribers/by-external/{source}/{externalId}:
//   1. Claim {subscriberId: <fresh id>} here → {subscriberId, created}
//   2. Register {…body, external} at `subscriber:<subscriberId>` (create-or-return), ALWAYS,
//      also when created is false: it completes a registration a crash cut between 1 and 2.
//   201 when step 2 created the subscriber, else 200 with the subscriber as it is.

export interface SubscriberRefState {
  source: string;
  externalId: string;
  subscriberId: string | null;
}

export interface ClaimSubscriberRef {
  type: 'Claim';
  /** Used only if the pair is new. */
  subscriberId: string;
}

export interface SubscriberRefClaimed {
  type: 'SubscriberRefClaimed';
  source: string;
  externalId: string;
  subscriberId: string;
  by: Cause;
  at: number;
}

export interface ClaimReply {
  subscriberId: string;
  created: boolean;
}

/** The actor id of a pair. `source` cannot contain ':' (its schema forbids it), so it splits back. */
export function subscriberRefId(source: string, externalId: string): string {
  return `${source}:${externalId}`;
}

function parse(id: string): { source: string; externalId: string } {
  const i = id.indexOf(':');
  return i < 0 ? { source: id, externalId: '' } : { source: id.slice(0, i), externalId: id.slice(i + 1) };
}

function decide(
  state: SubscriberRefState,
  command: ClaimSubscriberRef,
  ctx: DecideContext,
): Decision<SubscriberRefClaimed, ClaimReply> {
  if (command.type !== 'Claim') return reject(400, 'unknown_command', 'subscriber refs only know Claim');
  if (state.subscriberId !== null) return accept([], { subscriberId: state.subscriberId, created: false });
  const bad =
    checkExternal(state.source, state.externalId) ??
    (typeof command.subscriberId === 'string' && command.subscriberId !== ''
      ? null
      : reject(400, 'invalid_id', 'subscriberId must be a non-empty id'));
  if (bad) return bad;
  const event: SubscriberRefClaimed = {
    type: 'SubscriberRefClaimed',
    source: state.source,
    externalId: state.externalId,
    subscriberId: command.subscriberId,
    by: ctx.cause,
    at: ctx.now,
  };
  return accept([event], { subscriberId: command.subscriberId, created: true });
}

export const subscriberRefKind: ActorKind<
  SubscriberRefState,
  ClaimSubscriberRef,
  SubscriberRefClaimed,
  ClaimReply
> = {
  name: 'subscriber-ref',
  initial: (id) => ({ ...parse(id), subscriberId: null }),
  decide,
  evolve: (s, e) => ({ ...s, subscriberId: e.subscriberId }),
};
