import { isRole, ROLES, type Role } from '../../protocol/roles.ts';
import { type ActorKind, accept, type Cause, reject } from '../runtime/kind.ts';

// Security settings an admin changes: which roles must use 2FA. `security-policy:main`.

export const SECURITY_POLICY = 'security-policy';
export const POLICY_ID = 'main';

export interface SecurityPolicyState {
  mfaRequiredRoles: Role[];
}

export interface SetMfaPolicy {
  type: 'SetMfaPolicy';
  requiredRoles: Role[];
}

export interface MfaPolicyChanged {
  type: 'MfaPolicyChanged';
  from: Role[];
  to: Role[];
  by: Cause;
  at: number;
}

/** In ROLES order, without repeats, so equal policies compare equal. */
const normal = (roles: readonly Role[]) => ROLES.filter((r) => roles.includes(r));

export const securityPolicyKind: ActorKind<
  SecurityPolicyState,
  SetMfaPolicy,
  MfaPolicyChanged,
  SecurityPolicyState
> = {
  name: SECURITY_POLICY,
  initial: () => ({ mfaRequiredRoles: [] }),
  decide(state, command, ctx) {
    if (command.type !== 'SetMfaPolicy')
      return reject(400, 'unknown_command', 'the policy only knows SetMfaPolicy');
    if (!Array.isArray(command.requiredRoles) || !command.requiredRoles.every(isRole)) {
      return reject(400, 'invalid_roles', 'requiredRoles must list known roles');
    }
    const to = normal(command.requiredRoles);
    const from = state.mfaRequiredRoles;
    if (to.length === from.length && to.every((r, i) => r === from[i])) return accept([], state);
    return accept([{ type: 'MfaPolicyChanged', from, to, by: ctx.cause, at: ctx.now }], {
      mfaRequiredRoles: to,
    });
  },
  evolve: (_state, e) => ({ mfaRequiredRoles: e.to }),
  live: false,
};

/** True when a user with these roles must use 2FA under this policy. */
export function mfaRequiredFor(policy: SecurityPolicyState, roles: readonly Role[]): boolean {
  return roles.some((r) => policy.mfaRequiredRoles.includes(r));
}
