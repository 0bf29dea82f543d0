import type { AddressListEntry } from './driver.ts';
import { OWNER_PREFIX } from './driver.ts';

// After every (re)connect the router's block list is brought to what Abonent wants. The
// router is the operator's too: only entries carrying Abonent's comment are ever removed
// or changed, and an address the operator already blocks by hand counts as blocked.

export interface ReconcilePlan {
  add: { address: string; comment: string }[];
  remove: { id: string; address: string; why: 'unblocked' | 'duplicate' | 'disabled' }[];
  /** Ours, but labelled with another account (the address changed hands). */
  relabel: { id: string; address: string; comment: string }[];
}

/** The router shows a host address without `/32`; compare the same way. */
export function normalizeAddress(address: string): string {
  return address.trim().replace(/\/32$/, '');
}

/**
 * `desired` maps address → accountId. The plan never adds an address that is present
 * and enabled (so applying it never duplicates), keeps one of Abonent's entries per
 * address and removes the extras, and leaves foreign entries alone.
 */
export function reconcile(
  desired: Readonly<Record<string, string>>,
  entries: readonly AddressListEntry[],
  prefix = OWNER_PREFIX,
): ReconcilePlan {
  const want = new Map<string, string>();
  for (const [address, accountId] of Object.entries(desired)) want.set(normalizeAddress(address), accountId);

  const ours = new Map<string, AddressListEntry[]>();
  const foreignEnabled = new Set<string>();
  for (const e of entries) {
    const address = normalizeAddress(e.address);
    if (e.comment?.startsWith(prefix)) {
      const list = ours.get(address);
      if (list) list.push(e);
      else ours.set(address, [e]);
    } else if (!e.disabled) {
      foreignEnabled.add(address);
    }
  }

  const plan: ReconcilePlan = { add: [], remove: [], relabel: [] };
  for (const [address, list] of ours) {
    const accountId = want.get(address);
    if (accountId === undefined) {
      for (const e of list) plan.remove.push({ id: e.id, address, why: 'unblocked' });
      continue;
    }
    const comment = prefix + accountId;
    const enabled = list.filter((e) => !e.disabled);
    const keep = enabled.find((e) => e.comment === comment) ?? enabled[0];
    for (const e of list) {
      if (e === keep) continue;
      plan.remove.push({ id: e.id, address, why: e.disabled ? 'disabled' : 'duplicate' });
    }
    if (keep && keep.comment !== comment) plan.relabel.push({ id: keep.id, address, comment });
    if (!keep && !foreignEnabled.has(address)) plan.add.push({ address, comment });
  }
  for (const [address, accountId] of want) {
    if (ours.has(address) || foreignEnabled.has(address)) continue;
    plan.add.push({ address, comment: prefix + accountId });
  }
  const byAddress = (a: { address: string }, b: { address: string }) => a.address.localeCompare(b.address);
  plan.add.sort(byAddress);
  plan.remove.sort(byAddress);
  plan.relabel.sort(byAddress);
  return plan;
}

export function isEmptyPlan(plan: ReconcilePlan): boolean {
  return plan.add.length === 0 && plan.remove.length === 0 && plan.relabel.length === 0;
}
