import { type ActorKind, accept, type Cause, reject } from '../runtime/kind.ts';

// Human-friendly numbers (лицевой счёт, subscriber №) from one small actor per series:
// `sequence:<series>`. Its mailbox hands out each number once; the runtime's idempotency
// key, when the caller sends one, gives a retried request the number it got the first time.
// A number issued to a request that then fails is skipped, never reused: gaps are fine,
// duplicates are not.

export interface SequenceState {
  last: number;
}

export interface NextNumber {
  type: 'Next';
}

export interface NumberIssued {
  type: 'NumberIssued';
  n: number;
  by: Cause;
  at: number;
}

export interface IssuedReply {
  n: number;
}

export const sequenceKind: ActorKind<SequenceState, NextNumber, NumberIssued, IssuedReply> = {
  name: 'sequence',
  initial: () => ({ last: 0 }),
  decide(state, command, ctx) {
    if (command.type !== 'Next') return reject(400, 'unknown_command', 'sequences only know Next');
    const n = state.last + 1;
    return accept([{ type: 'NumberIssued', n, by: ctx.cause, at: ctx.now }], { n });
  },
  evolve: (state, event) => ({ last: Math.max(state.last, event.n) }),
};
