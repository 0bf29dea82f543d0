import type { StoredEvent } from '../../actors/journal/types.ts';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import type { Envelope } from '../../actors/runtime/envelope.ts';
import { type CheckpointedFollower, splitKey } from '../../actors/runtime/projection.ts';
import {
  evolve,
  initialStaffUser,
  STAFF_USER,
  type StaffUserEvent,
  type StaffUserState,
  type StaffUserSummary,
  summaryOf,
} from '../../actors/staff/user.ts';

// Every staff user's state in memory, folded with the user actor's own evolve (staff are few):
// what the JWT authenticator checks on every request (does the user exist, is it disabled, is
// the session still open, which roles does it hold now), the staff list, and whether the
// first-run setup is still open.

export type RosterListener = (before: StaffUserState | undefined, after: StaffUserState) => void;

export class StaffRoster implements CheckpointedFollower {
  readonly checkpointVersion = 1;
  private readonly users = new Map<string, StaffUserState>();
  private readonly listeners = new Set<RosterListener>();

  /** Every user's state, as the staff user actor's own snapshot holds it. */
  save(): StaffUserState[] {
    return [...this.users.values()];
  }

  restore(data: unknown): void {
    for (const user of data as StaffUserState[]) this.users.set(user.id, user);
  }

  reset(): void {
    this.users.clear();
  }

  get(id: string): StaffUserState | undefined {
    const user = this.users.get(id);
    return user?.exists ? user : undefined;
  }

  list(): StaffUserSummary[] {
    return [...this.users.values()]
      .filter((u) => u.exists)
      .map(summaryOf)
      .sort((a, b) => a.createdAt - b.createdAt || a.username.localeCompare(b.username));
  }

  /** True once any user holds the admin role (disabled or not): first-run setup is over. */
  anyAdmin(): boolean {
    for (const u of this.users.values()) if (u.exists && u.roles.includes('admin')) return true;
    return false;
  }

  /** Admins that can log in. */
  enabledAdmins(): string[] {
    const out: string[] = [];
    for (const u of this.users.values())
      if (u.exists && !u.disabled && u.roles.includes('admin')) out.push(u.id);
    return out;
  }

  /** Called after every change of a user (not during the build at start). */
  onChange(listener: RosterListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stored(stored: StoredEvent<Envelope>): void {
    const { kind, id } = splitKey(stored.key);
    if (kind !== STAFF_USER) return;
    this.users.set(
      id,
      evolve(this.users.get(id) ?? initialStaffUser(id), stored.data.event as StaffUserEvent),
    );
  }

  live(events: LiveEvent[], state: unknown): void {
    const first = events[0];
    if (!first || first.kind !== STAFF_USER) return;
    const before = this.users.get(first.id);
    const after = state as StaffUserState;
    this.users.set(first.id, after);
    for (const listener of this.listeners) listener(before, after);
  }
}
