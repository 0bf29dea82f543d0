import {
  type ActorKind,
  accept,
  type Cause,
  type DecideContext,
  type Decision,
  type Rejected,
  reject,
} from '../runtime/kind.ts';

// Connection requests (заявки на подключение): someone wants to be connected; staff assign
// an installer, schedule a visit, and then connect them (or not). One actor for all of them,
// `requests:board`, since staff move them on one board and a small provider gets tens a day:
// a move is decided against every other in one mailbox, and the board is its state.
//
//   new → assigned → scheduled → connected
//     ↘──────────↘───────────↘→ rejected
//
// A request is connected only once the subscriber, account, tariff and service exist (the
// edge makes them, see server/http/routes/requests.ts); MarkConnected records what was made,
// and a repeat with the same result changes nothing.

export const REQUESTS_ID = 'board';
/** The live-bus topic of every change on the board. */
export const REQUESTS_TOPIC = 'requests';

export type RequestStatus = 'new' | 'assigned' | 'scheduled' | 'connected' | 'rejected';
export type RequestSource = 'form' | 'cabinet' | 'telegram' | 'staff';

export interface RequestFields {
  name: string;
  phone: string;
  address: string;
  coordinates?: { lat: number; lon: number };
  tariffId?: string;
  comment?: string;
}

export interface Connection {
  subscriberId: string;
  accountId: string;
  serviceId: string;
  tariffId: string | null;
}

export interface HistoryEntry {
  at: number;
  by: { type: string; id: string };
  what: 'submitted' | 'assigned' | 'scheduled' | 'rejected' | 'connected' | 'commented';
  status: RequestStatus;
  detail?: string;
}

export interface ConnectionRequest extends RequestFields {
  id: string;
  source: RequestSource;
  status: RequestStatus;
  assignee: string | null;
  scheduledAt: number | null;
  rejection: string | null;
  connection: Connection | null;
  comments: { at: number; by: string; text: string }[];
  history: HistoryEntry[];
  createdAt: number;
  updatedAt: number;
}

export interface RequestsState {
  requests: Record<string, ConnectionRequest>;
  last: number;
}

export type RequestCommand =
  | { type: 'Submit'; source: RequestSource; fields: RequestFields }
  | { type: 'Assign'; requestId: string; assignee: string }
  | { type: 'Schedule'; requestId: string; at: number; note?: string }
  | { type: 'Reject'; requestId: string; reason: string }
  | { type: 'Comment'; requestId: string; text: string }
  | { type: 'MarkConnected'; requestId: string; connection: Connection };

interface Meta {
  by: Cause;
  at: number;
}

export type RequestEvent =
  | (Meta & { type: 'RequestSubmitted'; requestId: string; source: RequestSource; fields: RequestFields })
  | (Meta & { type: 'RequestAssigned'; requestId: string; assignee: string })
  | (Meta & { type: 'RequestScheduled'; requestId: string; scheduledAt: number; note?: string })
  | (Meta & { type: 'RequestRejected'; requestId: string; reason: string })
  | (Meta & { type: 'RequestCommented'; requestId: string; text: string })
  | (Meta & { type: 'RequestConnected'; requestId: string; connection: Connection });

export type RequestReply = ConnectionRequest;

const OPEN: RequestStatus[] = ['new', 'assigned', 'scheduled'];
/** History kept per request: plenty for a request's life, bounded against a comment storm. */
const HISTORY_KEPT = 200;

const notFound = (id: string) => reject(404, 'request_not_found', `there is no connection request ${id}`);

function transition(r: ConnectionRequest, to: RequestStatus, allowed: RequestStatus[]): Rejected | null {
  if (allowed.includes(r.status)) return null;
  if (!OPEN.includes(r.status)) {
    return reject(409, 'request_closed', `request ${r.id} is already ${r.status}`, { status: r.status });
  }
  return reject(409, 'invalid_transition', `request ${r.id} cannot go from ${r.status} to ${to}`, {
    from: r.status,
    to,
    allowedFrom: allowed,
  });
}

function decide(
  state: RequestsState,
  cmd: RequestCommand,
  ctx: DecideContext,
): Decision<RequestEvent, RequestReply> {
  const meta = { by: ctx.cause, at: ctx.now };
  const done = (event: RequestEvent): Decision<RequestEvent, RequestReply> => {
    const next = evolve(state, event);
    return accept([event], next.requests[event.requestId]!);
  };
  if (cmd.type === 'Submit') {
    const requestId = `R${state.last + 1}`;
    return done({ type: 'RequestSubmitted', requestId, source: cmd.source, fields: cmd.fields, ...meta });
  }
  const r = state.requests[cmd.requestId];
  if (!r) return notFound(cmd.requestId);
  switch (cmd.type) {
    case 'Assign': {
      const bad = transition(r, 'assigned', OPEN);
      if (bad) return bad;
      if (r.assignee === cmd.assignee) return accept([], r);
      return done({ type: 'RequestAssigned', requestId: r.id, assignee: cmd.assignee, ...meta });
    }
    case 'Schedule': {
      const bad = transition(r, 'scheduled', ['assigned', 'scheduled']);
      if (bad) return bad;
      if (r.scheduledAt === cmd.at && cmd.note === undefined) return accept([], r);
      return done({
        type: 'RequestScheduled',
        requestId: r.id,
        scheduledAt: cmd.at,
        ...(cmd.note !== undefined ? { note: cmd.note } : {}),
        ...meta,
      });
    }
    case 'Reject': {
      const bad = transition(r, 'rejected', OPEN);
      if (bad) return bad;
      return done({ type: 'RequestRejected', requestId: r.id, reason: cmd.reason, ...meta });
    }
    case 'Comment':
      return done({ type: 'RequestCommented', requestId: r.id, text: cmd.text, ...meta });
    case 'MarkConnected': {
      if (r.status === 'connected') {
        // The connecting step repeated: the same outcome is no change, another one is a conflict.
        if (JSON.stringify(r.connection) === JSON.stringify(cmd.connection)) return accept([], r);
        return reject(409, 'request_closed', `request ${r.id} is already connected`, {
          connection: r.connection,
        });
      }
      const bad = transition(r, 'connected', ['scheduled']);
      if (bad) return bad;
      return done({ type: 'RequestConnected', requestId: r.id, connection: cmd.connection, ...meta });
    }
  }
}

function entry(
  e: RequestEvent,
  what: HistoryEntry['what'],
  status: RequestStatus,
  detail?: string,
): HistoryEntry {
  return {
    at: e.at,
    by: { type: e.by.type, id: e.by.id },
    what,
    status,
    ...(detail !== undefined ? { detail } : {}),
  };
}

function evolve(state: RequestsState, e: RequestEvent): RequestsState {
  if (e.type === 'RequestSubmitted') {
    const r: ConnectionRequest = {
      id: e.requestId,
      source: e.source,
      status: 'new',
      ...e.fields,
      assignee: null,
      scheduledAt: null,
      rejection: null,
      connection: null,
      comments: [],
      history: [entry(e, 'submitted', 'new', e.source)],
      createdAt: e.at,
      updatedAt: e.at,
    };
    return {
      requests: { ...state.requests, [r.id]: r },
      last: Math.max(state.last, Number(e.requestId.slice(1)) || 0),
    };
  }
  const r = state.requests[e.requestId];
  if (!r) return state;
  let next: ConnectionRequest;
  switch (e.type) {
    case 'RequestAssigned': {
      const status = r.status === 'new' ? 'assigned' : r.status;
      next = {
        ...r,
        status,
        assignee: e.assignee,
        history: [...r.history, entry(e, 'assigned', status, e.assignee)],
      };
      break;
    }
    case 'RequestScheduled': {
      const detail = new Date(e.scheduledAt).toISOString() + (e.note ? ` ${e.note}` : '');
      next = {
        ...r,
        status: 'scheduled',
        scheduledAt: e.scheduledAt,
        history: [...r.history, entry(e, 'scheduled', 'scheduled', detail)],
      };
      break;
    }
    case 'RequestRejected':
      next = {
        ...r,
        status: 'rejected',
        rejection: e.reason,
        history: [...r.history, entry(e, 'rejected', 'rejected', e.reason)],
      };
      break;
    case 'RequestCommented':
      next = {
        ...r,
        comments: [...r.comments, { at: e.at, by: `${e.by.type}:${e.by.id}`, text: e.text }],
        history: [...r.history, entry(e, 'commented', r.status)],
      };
      break;
    case 'RequestConnected':
      next = {
        ...r,
        status: 'connected',
        connection: e.connection,
        history: [...r.history, entry(e, 'connected', 'connected', e.connection.accountId)],
      };
      break;
  }
  next = { ...next, updatedAt: e.at, history: next.history.slice(-HISTORY_KEPT) };
  return { ...state, requests: { ...state.requests, [r.id]: next } };
}

export const requestsKind: ActorKind<RequestsState, RequestCommand, RequestEvent, RequestReply> = {
  name: 'requests',
  initial: () => ({ requests: {}, last: 0 }),
  decide,
  evolve,
  topics: () => [REQUESTS_TOPIC],
};

/** The board, newest first, optionally by status and assignee. */
export function listRequests(
  state: RequestsState,
  filter: { status?: RequestStatus; assignee?: string } = {},
): ConnectionRequest[] {
  return Object.values(state.requests)
    .filter(
      (r) =>
        (filter.status === undefined || r.status === filter.status) &&
        (filter.assignee === undefined || r.assignee === filter.assignee),
    )
    .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id, 'en', { numeric: true }));
}
