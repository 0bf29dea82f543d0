import { type ActorKind, accept, reject } from '../kind.ts';

// A deliberately small actor kind for testing the runtime itself: a running total with
// a reminder timer and an effect log. Real kinds (account, device…) follow the same shape.

export interface TallyState {
  total: number;
  count: number;
  /** Every applied amount in order: lets tests prove "exactly once". */
  amounts: number[];
  reminders: { id: string; at: number }[];
  rung: string[];
  resumed: number;
}

export type TallyCommand =
  | { type: 'add'; amount: number }
  | { type: 'add-many'; amounts: number[] }
  | { type: 'remind'; id: string; at: number }
  | { type: 'ring'; id: string }
  | { type: 'spin'; ms: number; amount: number }
  | { type: 'explode' };

export type TallyEvent =
  | { type: 'added'; amount: number }
  | { type: 'reminder-set'; id: string; at: number }
  | { type: 'rang'; id: string };

/** Effects run after durability; tests read this to prove they never re-run on recovery. */
export const tallyEffects: { added: number[]; resumes: number } = { added: [], resumes: 0 };

export const tallyKind: ActorKind<TallyState, TallyCommand, TallyEvent, { total: number; count: number }> = {
  name: 'tally',
  initial: () => ({ total: 0, count: 0, amounts: [], reminders: [], rung: [], resumed: 0 }),
  decide(state, command) {
    const reply = (events: TallyEvent[]) => {
      let s = state;
      for (const e of events) s = tallyKind.evolve(s, e);
      return accept(events, { total: s.total, count: s.count });
    };
    switch (command.type) {
      case 'add':
        if (!Number.isSafeInteger(command.amount))
          return reject(400, 'invalid_amount', 'amount must be an integer');
        return reply([{ type: 'added', amount: command.amount }]);
      case 'add-many':
        return reply(command.amounts.map((amount) => ({ type: 'added', amount })));
      case 'remind':
        return reply([{ type: 'reminder-set', id: command.id, at: command.at }]);
      case 'ring':
        // Idempotent from state: a reminder already rung (or unknown) changes nothing.
        return state.reminders.some((r) => r.id === command.id)
          ? reply([{ type: 'rang', id: command.id }])
          : reply([]);
      case 'spin': {
        const until = performance.now() + command.ms;
        while (performance.now() < until) {
          // A slow decision, to let an ask time out while the command still runs.
        }
        return reply([{ type: 'added', amount: command.amount }]);
      }
      case 'explode':
        throw new Error('tally exploded on purpose');
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'added':
        return {
          ...state,
          total: state.total + event.amount,
          count: state.count + 1,
          amounts: [...state.amounts, event.amount],
        };
      case 'reminder-set':
        return { ...state, reminders: [...state.reminders, { id: event.id, at: event.at }] };
      case 'rang':
        return {
          ...state,
          reminders: state.reminders.filter((r) => r.id !== event.id),
          rung: [...state.rung, event.id],
        };
    }
  },
  effects(_state, events) {
    for (const e of events) if (e.type === 'added') tallyEffects.added.push(e.amount);
  },
  resume() {
    tallyEffects.resumes++;
  },
  timers: (state) => state.reminders.map((r) => ({ at: r.at, command: { type: 'ring', id: r.id } })),
};
