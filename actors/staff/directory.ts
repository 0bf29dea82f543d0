import { type ActorKind, accept, type Cause, reject } from '../runtime/kind.ts';

// Usernames are unique: `staff-directory:main` maps each (lower-case) username to its user id,
// and its mailbox serialises every claim. A claim is create-or-return, like subscriber refs: a
// retry after a crash between the claim and the user's creation gets the same id back and
// completes the job (the edge tells "taken" from "half-made" by asking the user actor).
//
// It also closes first-run setup: the one claim made by POST /api/v1/setup is remembered, so
// two setup screens racing each other cannot both create an admin.

export const STAFF_DIRECTORY = 'staff-directory';
export const DIRECTORY_ID = 'main';

export interface StaffDirectoryState {
  usernames: Record<string, string>;
  /** The user the first-run setup claimed, once it has. */
  setupUserId: string | null;
}

export interface ClaimUsername {
  type: 'Claim';
  username: string;
  /** Used only if the username is new. */
  userId: string;
  /** The claim of POST /api/v1/setup: refused (409 setup_done) once another setup claimed. */
  setup?: boolean;
}

export interface UsernameClaimed {
  type: 'UsernameClaimed';
  username: string;
  userId: string;
  setup: boolean;
  by: Cause;
  at: number;
}

export interface ClaimReply {
  userId: string;
  created: boolean;
}

export const staffDirectoryKind: ActorKind<StaffDirectoryState, ClaimUsername, UsernameClaimed, ClaimReply> =
  {
    name: STAFF_DIRECTORY,
    initial: () => ({ usernames: {}, setupUserId: null }),
    decide(state, command, ctx) {
      if (command.type !== 'Claim')
        return reject(400, 'unknown_command', 'the staff directory only knows Claim');
      const existing = Object.hasOwn(state.usernames, command.username)
        ? state.usernames[command.username]
        : undefined;
      if (command.setup && state.setupUserId !== null && state.setupUserId !== existing) {
        return reject(409, 'setup_done', 'the first admin has already been created');
      }
      if (existing !== undefined) return accept([], { userId: existing, created: false });
      const event: UsernameClaimed = {
        type: 'UsernameClaimed',
        username: command.username,
        userId: command.userId,
        setup: command.setup === true,
        by: ctx.cause,
        at: ctx.now,
      };
      return accept([event], { userId: command.userId, created: true });
    },
    evolve: (state, e) => ({
      usernames: { ...state.usernames, [e.username]: e.userId },
      setupUserId: e.setup ? e.userId : state.setupUserId,
    }),
    live: false,
  };
