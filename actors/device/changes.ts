import type { AccountOnDevice, DeviceState, Intent, RequestedChange } from './state.ts';

// Folding many changes into a router's state with one copy of each map they touch. evolve
// must never change its input (decide folds candidates over the live state), so each event
// folded alone copies the maps it writes; a storm of a thousand blocks for one router would
// copy a thousand-entry map a thousand times. A StateCopy copies each map on its first write
// and then writes in place: the fold of a batch costs the size of the router plus the batch.

export const noNews: AccountOnDevice = { version: 0, reasons: [], maxLimit: null };

type MapField = 'accounts' | 'blocked' | 'speeds' | 'intents';

export class StateCopy {
  state: DeviceState;
  private readonly owned = new Set<object>();

  constructor(state: DeviceState) {
    this.state = { ...state };
  }

  /** Carries on from a state made by an ordinary evolve; maps it kept from ours stay ours. */
  replace(state: DeviceState): void {
    this.state = { ...state };
  }

  private own<K extends MapField>(field: K): DeviceState[K] {
    const current = this.state[field];
    if (this.owned.has(current)) return current;
    const copy = { ...current } as DeviceState[K];
    this.owned.add(copy);
    this.state[field] = copy;
    return copy;
  }

  apply(e: RequestedChange): void {
    switch (e.type) {
      case 'AccountStatusSet': {
        const accounts = this.own('accounts');
        accounts[e.accountId] = {
          ...(accounts[e.accountId] ?? noNews),
          version: e.version,
          reasons: e.reasons,
        };
        return;
      }
      case 'AccountSpeedSet': {
        const accounts = this.own('accounts');
        accounts[e.accountId] = { ...(accounts[e.accountId] ?? noNews), maxLimit: e.maxLimit };
        return;
      }
      case 'BlockRequested': {
        const subject = e.subject ?? e.accountId;
        const blocked = this.own('blocked');
        if (e.block) blocked[subject] = e.target;
        else delete blocked[subject];
        const intent: Intent = {
          kind: 'block',
          accountId: e.accountId,
          ...(e.subject !== undefined ? { subject: e.subject } : {}),
          target: e.target,
          block: e.block,
          ...(e.lift ? { lift: e.lift } : {}),
          seq: e.seq,
          attempt: 0,
          nextAt: null,
        };
        this.own('intents')[e.key] = intent;
        this.state.seq = e.seq;
        return;
      }
      case 'SpeedRequested': {
        const subject = e.subject ?? e.accountId;
        const speeds = this.own('speeds');
        const ppp = e.ppp !== undefined ? { ppp: e.ppp } : {};
        if (e.maxLimit === null) delete speeds[subject];
        else speeds[subject] = { ip: e.ip, ...ppp, maxLimit: e.maxLimit };
        const intent: Intent = {
          kind: 'speed',
          accountId: e.accountId,
          ...(e.subject !== undefined ? { subject: e.subject } : {}),
          ip: e.ip,
          ...ppp,
          maxLimit: e.maxLimit,
          seq: e.seq,
          attempt: 0,
          nextAt: null,
        };
        this.own('intents')[e.key] = intent;
        this.state.seq = e.seq;
        return;
      }
    }
  }

  /** Intents the router confirmed: gone from the pending list. */
  settle(keys: readonly string[]): void {
    const intents = this.own('intents');
    for (const key of keys) delete intents[key];
  }
}

/** Folds changes into a new state; the input is left as it was. */
export function applyChanges(state: DeviceState, changes: readonly RequestedChange[]): DeviceState {
  const copy = new StateCopy(state);
  for (const change of changes) copy.apply(change);
  return copy.state;
}
