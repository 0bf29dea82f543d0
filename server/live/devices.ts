import type { DeviceState } from '../../actors/device/state.ts';
import type { Network } from '../../actors/network/network.ts';
import { REGISTRY_ID, type RegistryEvent, registryKind } from '../../actors/network/registry.ts';
import type { LiveEvent } from '../../actors/runtime/bus.ts';
import type { ActorSystem } from '../../actors/runtime/system.ts';
import { KPI_FRAME_MS } from '../../protocol/dashboard.ts';
import { type DeviceFrame, PENDING_IN_FRAME } from '../../protocol/network.ts';
import { deviceView } from '../http/routes/devices.ts';
import type { Logger } from '../log.ts';

// The routers' rows for the devices screen and the home tiles, pushed as `device` frames to
// the socket rooms `devices` and `device:<id>` (server/live/sockets.ts). A row changes with
// its router's commits (status, pending commands, last error), with its entry in the registry
// (name, address; removal) and with each health check (uptime, last seen). A billing storm
// commits to a router hundreds of times a second: the rows that changed are sent together,
// at most one frame per router every KPI_FRAME_MS, each as it is when it is sent.

export interface DeviceFrameSource {
  /** Returns the unsubscribe function. */
  onFrame(listener: (frame: DeviceFrame) => void): () => void;
}

export class DeviceFrames implements DeviceFrameSource {
  private readonly listeners = new Set<(frame: DeviceFrame) => void>();
  private readonly dirty = new Set<string>();
  private offs: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sentAt = Number.NEGATIVE_INFINITY;
  private flushing = false;

  constructor(private readonly o: { system: ActorSystem; network: Network; log: Logger; frameMs?: number }) {}

  onFrame(listener: (frame: DeviceFrame) => void): () => void {
    if (this.listeners.size === 0) this.follow();
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.unfollow();
    };
  }

  private follow(): void {
    const { system, network } = this.o;
    this.offs = [
      system.onPersisted((events) => this.persisted(events)),
      network.monitor.onChecked((deviceId) => this.changed(deviceId)),
    ];
  }

  private unfollow(): void {
    for (const off of this.offs) off();
    this.offs = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty.clear();
  }

  private persisted(events: LiveEvent[]): void {
    const first = events[0];
    if (first?.kind === this.o.network.deviceKind.name) this.changed(first.id);
    else if (first?.kind === registryKind.name)
      for (const e of events) this.changed((e.event as RegistryEvent).deviceId);
  }

  private changed(deviceId: string): void {
    this.dirty.add(deviceId);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.flushing || this.listeners.size === 0) return;
    const frameMs = this.o.frameMs ?? KPI_FRAME_MS;
    const delay = Math.max(0, this.sentAt + frameMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    if (ids.length === 0) return;
    this.flushing = true;
    this.sentAt = performance.now();
    try {
      const { system, network } = this.o;
      const records = await system.read(registryKind, REGISTRY_ID, (s) => ids.map((id) => s.devices[id]));
      ids.forEach((id, i) => {
        const record = records[i];
        const state: DeviceState | undefined = network.directory.state(id);
        const frame: DeviceFrame = record
          ? deviceView(network, record, state, PENDING_IN_FRAME)
          : { id, removed: true };
        for (const listener of this.listeners) listener(frame);
      });
    } catch (err) {
      this.o.log.warn({ err }, 'device frames could not be made');
    } finally {
      this.flushing = false;
      if (this.dirty.size > 0) this.schedule();
    }
  }
}
