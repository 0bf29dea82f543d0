import type { DeviceEvent, DeviceService, DeviceState } from '../device/state.ts';
import type { LiveEvent } from '../runtime/bus.ts';

// Where every router stands and which services each account has, in memory. The routers'
// actors are the truth (each one owns its services); this is their latest state, loaded at
// boot from the actors themselves and then kept from every device commit of this process
// (ActorSystem.onPersisted), which runs before the command's caller gets its reply, so a
// service added is listed at once. It answers "which routers does this account use" for the
// hand-off, and the lists and metrics without waking an actor per router.

export interface ListedService extends DeviceService {
  id: string;
  deviceId: string;
}

export class NetworkDirectory {
  private readonly states = new Map<string, DeviceState>();
  private readonly services = new Map<string, ListedService>();
  private readonly byAccount = new Map<string, Set<string>>();

  /** A device actor's state, as recovered at boot; ignored when a commit already told us more. */
  load(deviceId: string, state: DeviceState): void {
    if (this.states.has(deviceId)) return;
    this.states.set(deviceId, state);
    this.indexServices(deviceId, state);
  }

  /** For ActorSystem.onPersisted: one commit of any actor. */
  readonly onPersisted = (events: LiveEvent[], state: unknown): void => {
    const first = events[0];
    if (first?.kind !== 'device') return;
    const device = state as DeviceState;
    const known = this.states.has(first.id);
    this.states.set(first.id, device);
    // A router first heard of by a commit (woken at boot before it was loaded) brings all of its
    // services; later commits only change the ones they name.
    if (!known) {
      this.indexServices(first.id, device);
      return;
    }
    for (const live of events) {
      const e = live.event as DeviceEvent;
      if (e.type === 'ServiceAdded' || e.type === 'ServiceChanged')
        this.put(first.id, e.serviceId, e.service);
      else if (e.type === 'ServiceRemoved') this.drop(e.serviceId);
    }
  };

  forget(deviceId: string): void {
    this.states.delete(deviceId);
    this.indexServices(deviceId, undefined);
  }

  state(deviceId: string): DeviceState | undefined {
    return this.states.get(deviceId);
  }

  deviceIds(): string[] {
    return [...this.states.keys()];
  }

  service(serviceId: string): ListedService | undefined {
    return this.services.get(serviceId);
  }

  servicesOf(accountId: string): ListedService[] {
    const ids = this.byAccount.get(accountId);
    if (!ids) return [];
    return [...ids].map((id) => this.services.get(id)!).sort(byNumber);
  }

  devicesOf(accountId: string): Set<string> {
    return new Set(this.servicesOf(accountId).map((s) => s.deviceId));
  }

  /** Accounts with at least one service, for the hand-off when a tariff's speed changes. */
  hasServices(accountId: string): boolean {
    return (this.byAccount.get(accountId)?.size ?? 0) > 0;
  }

  /** Every service of one router, as its state has them (at boot, or when it is forgotten). */
  private indexServices(deviceId: string, state: DeviceState | undefined): void {
    for (const [id, s] of this.services) if (s.deviceId === deviceId && !state?.services[id]) this.drop(id);
    for (const [id, service] of Object.entries(state?.services ?? {})) this.put(deviceId, id, service);
  }

  private put(deviceId: string, serviceId: string, service: DeviceService): void {
    this.drop(serviceId);
    this.services.set(serviceId, { id: serviceId, deviceId, ...service });
    let ids = this.byAccount.get(service.accountId);
    if (!ids) {
      ids = new Set();
      this.byAccount.set(service.accountId, ids);
    }
    ids.add(serviceId);
  }

  private drop(serviceId: string): void {
    const before = this.services.get(serviceId);
    if (!before) return;
    this.services.delete(serviceId);
    const ids = this.byAccount.get(before.accountId);
    ids?.delete(serviceId);
    if (ids?.size === 0) this.byAccount.delete(before.accountId);
  }
}

/** SV2 before SV10. */
function byNumber(a: { id: string }, b: { id: string }): number {
  return a.id.localeCompare(b.id, 'en', { numeric: true });
}
