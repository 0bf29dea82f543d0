// How long to wait before trying a router again. Exponential, capped, with jitter so that
// a hundred devices behind one failed uplink do not all come back in the same second.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export interface DevicePolicies {
  /** Reaching and logging in to a router that is down or unreachable. */
  connect: BackoffPolicy;
  /** A router that refuses the credentials: nothing changes until someone fixes them, so no storm. */
  authFailed: BackoffPolicy;
  /** A command the router refused or failed, while it is online. */
  apply: BackoffPolicy;
  /** A connection shorter than this does not reset the connect backoff (a flapping router). */
  stableMs: number;
}

export const defaultPolicies: DevicePolicies = {
  connect: { initialMs: 1_000, maxMs: 60_000, factor: 2 },
  authFailed: { initialMs: 5 * 60_000, maxMs: 60 * 60_000, factor: 2 },
  apply: { initialMs: 2_000, maxMs: 5 * 60_000, factor: 2 },
  stableMs: 60_000,
};

/**
 * Delay before attempt `attempt + 1`, for `attempt` ≥ 1 failures so far. Jitter keeps it in
 * [d/2, d) of the exponential step d, so it never collapses to zero and never passes the cap.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
  const r = Math.min(Math.max(random(), 0), 0.999999);
  return Math.round(step / 2 + (step / 2) * r);
}
