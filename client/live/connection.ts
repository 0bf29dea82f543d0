import { io, type Socket } from 'socket.io-client';
import type { DeviceFrame } from '../../protocol/network.ts';
import { SeenPositions } from './seen.ts';
import type { BillingRunProgress, Kpi, LiveEvent, LiveStatus } from './types.ts';

// One socket.io connection per browser tab, shared by every screen. Screens join rooms
// (`feed`, `kpi`, `account:<id>`, `billing`, `devices`, `device:<id>`) and listen; what arrives is coalesced and handed
// over once per animation frame, so a burst of 1,000 events a second costs one render per frame.
//
// Resume: after a drop the socket reconnects with a fresh token, joins its rooms again and,
// when it follows the feed, fetches the events it missed from the last global position it saw,
// so none is silently lost. Then `resync` listeners refetch their snapshots (KPIs, an account).
// What arrives is handed over in an animation frame, at most MAX_FLUSHES_PER_S times a second.

export interface LiveOptions {
  /** A valid access token (refreshed when close to expiry); null when nobody is logged in. */
  token(): Promise<string | null>;
  /** GET /api/v1/feed?after=<position>&limit=<n>, ascending by position. */
  fetchFeed(after: number, limit: number): Promise<LiveEvent[]>;
  /** Wraps the delivery of one frame's worth of updates (Solid's `batch`). */
  deliver?(fn: () => void): void;
  /** Same origin when absent. */
  url?: string;
}

export interface JoinResult {
  ok: boolean;
  code?: string;
}

export interface Membership {
  /** Resolves once the room is joined (true) or refused (false). */
  ready: Promise<boolean>;
  release(): void;
}

/** Refetched from this far behind the last position seen: events of one commit may arrive out of order. */
const RESUME_OVERLAP = 256;
const CATCH_UP_PAGE = 500;
/** Past this many missed events the feed shows a gap notice instead of replaying them all. */
const CATCH_UP_LIMIT = 20_000;
/** A frame that never comes (hidden tab) must not hold updates back for long. */
const FLUSH_FALLBACK_MS = 250;
/**
 * At most this many renders a second come from live updates. Nobody reads a feed at 60 lines
 * a second; at a thousand events a second, rendering (style, layout, paint) every frame would
 * take half the main thread, and ten a second keeps the figures current to the eye.
 */
const MAX_FLUSHES_PER_S = 10;

interface Room {
  count: number;
  joined: boolean;
  waiters: ((ok: boolean) => void)[];
  refusal?: string;
}

export class LiveConnection {
  private socket: Socket | null = null;
  private readonly rooms = new Map<string, Room>();
  private readonly seen = new SeenPositions();
  private lastPosition = 0;
  private pending: LiveEvent[] = [];
  private pendingKpi: Kpi | null = null;
  private pendingBilling: BillingRunProgress | null = null;
  /** Router rows by id: only the latest of each is handed over. */
  private readonly pendingDevices = new Map<string, DeviceFrame>();
  private pendingResync = false;
  private frame = 0;
  private fallback: ReturnType<typeof setTimeout> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private retryDelay = 500;
  private lastFlush = Number.NEGATIVE_INFINITY;
  private delay: ReturnType<typeof setTimeout> | undefined;
  private connectedOnce = false;
  private status: LiveStatus = 'offline';
  private readonly eventListeners = new Set<(events: LiveEvent[]) => void>();
  private readonly kpiListeners = new Set<(kpi: Kpi) => void>();
  private readonly billingListeners = new Set<(progress: BillingRunProgress) => void>();
  private readonly deviceListeners = new Set<(frames: DeviceFrame[]) => void>();
  private readonly resyncListeners = new Set<() => void>();
  private readonly statusListeners = new Set<(status: LiveStatus) => void>();
  private readonly gapListeners = new Set<(afterPosition: number) => void>();

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    if (this.socket) return;
    this.setStatus('connecting');
    const socket = io(this.options.url ?? '', {
      path: '/socket.io/',
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
      // A connection attempt that hangs (a half-open network) is given up after this, not after 20 s.
      timeout: 5000,
      // Asked again on every (re)connection, so a reconnect after expiry carries a fresh token.
      auth: (cb) => {
        this.options.token().then(
          (token) => cb({ token: token ?? '' }),
          () => cb({ token: '' }),
        );
      },
    });
    this.socket = socket;
    socket.on('connect', () => this.onConnect());
    socket.on('disconnect', (reason) => {
      for (const room of this.rooms.values()) room.joined = false;
      this.setStatus('connecting');
      // The server ended the session (logout elsewhere, token revoked): socket.io does not retry by itself.
      if (reason === 'io server disconnect') this.scheduleRetry();
    });
    socket.on('connect_error', () => {
      this.setStatus('connecting');
      // A refusal by the server's auth middleware is final for socket.io; we retry with a new token.
      if (!socket.active) this.scheduleRetry();
    });
    socket.on('event', (event: LiveEvent) => this.receive(event));
    // A server may send a room's events of a few milliseconds as one frame: one message, one
    // task in the browser instead of hundreds.
    socket.on('events', (events: LiveEvent[]) => {
      if (Array.isArray(events)) for (const event of events) this.receive(event);
    });
    socket.on('kpi', (kpi: Kpi) => {
      this.pendingKpi = kpi;
      this.schedule();
    });
    socket.on('billing', (progress: BillingRunProgress) => {
      this.pendingBilling = progress;
      this.schedule();
    });
    socket.on('device', (frame: DeviceFrame) => {
      if (typeof frame?.id !== 'string') return;
      this.pendingDevices.delete(frame.id); // re-inserted last: frames are handed over in arrival order
      this.pendingDevices.set(frame.id, frame);
      this.schedule();
    });
  }

  stop(): void {
    clearTimeout(this.retry);
    clearTimeout(this.fallback);
    clearTimeout(this.delay);
    this.delay = undefined;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.fallback = undefined;
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    this.connectedOnce = false;
    this.pending = [];
    this.pendingDevices.clear();
    for (const room of this.rooms.values()) room.joined = false;
    this.setStatus('offline');
  }

  /** Joins a room for as long as someone holds it; rejoined by itself after every reconnect. */
  join(name: string): Membership {
    let room = this.rooms.get(name);
    if (!room) {
      room = { count: 0, joined: false, waiters: [] };
      this.rooms.set(name, room);
    }
    room.count++;
    const held = room;
    const ready = new Promise<boolean>((resolve) => {
      if (held.joined) resolve(true);
      else if (held.refusal) resolve(false);
      else held.waiters.push(resolve);
    });
    if (held.count === 1 && this.socket?.connected) void this.emitJoin(name, held);
    let released = false;
    return {
      ready,
      release: () => {
        if (released) return;
        released = true;
        held.count--;
        if (held.count > 0) return;
        this.rooms.delete(name);
        // Not every server knows `leave`; an unknown event is ignored, and listeners filter anyway.
        if (held.joined) this.socket?.emit('leave', name);
      },
    };
  }

  /** Events, in position order, once per frame. Returns the unsubscribe function. */
  onEvents(listener: (events: LiveEvent[]) => void): () => void {
    return add(this.eventListeners, listener);
  }
  onKpi(listener: (kpi: Kpi) => void): () => void {
    return add(this.kpiListeners, listener);
  }
  onBilling(listener: (progress: BillingRunProgress) => void): () => void {
    return add(this.billingListeners, listener);
  }
  /** Router rows (`device` frames of `devices` and `device:<id>`), the latest of each router per frame. */
  onDevices(listener: (frames: DeviceFrame[]) => void): () => void {
    return add(this.deviceListeners, listener);
  }
  /** After a reconnect: refetch whatever snapshot you show. */
  onResync(listener: () => void): () => void {
    return add(this.resyncListeners, listener);
  }
  onStatus(listener: (status: LiveStatus) => void): () => void {
    listener(this.status);
    return add(this.statusListeners, listener);
  }
  /** More events were missed during a drop than are replayed: those after this position are not shown. */
  onGap(listener: (afterPosition: number) => void): () => void {
    return add(this.gapListeners, listener);
  }

  /**
   * Events a screen fetched over HTTP (the feed's history): remembered, so the same events
   * arriving live are not shown twice and a resume starts after them, but not handed to
   * listeners, whose snapshots already include them. Returns the ones not seen before.
   */
  remember(events: LiveEvent[]): LiveEvent[] {
    const fresh: LiveEvent[] = [];
    for (const event of events) {
      if (typeof event?.position !== 'number' || !this.seen.add(event.position)) continue;
      if (event.position > this.lastPosition) this.lastPosition = event.position;
      fresh.push(event);
    }
    return fresh;
  }

  get position(): number {
    return this.lastPosition;
  }

  /** Drops the connection as a network failure would (used by the resume test). */
  simulateDrop(): void {
    this.socket?.io.engine?.close();
  }

  private async onConnect(): Promise<void> {
    this.retryDelay = 500;
    const resumed = this.connectedOnce;
    this.connectedOnce = true;
    await Promise.all([...this.rooms.entries()].map(([name, room]) => this.emitJoin(name, room)));
    if (!this.socket?.connected) return;
    this.setStatus('online');
    if (!resumed) return;
    if (this.rooms.get('feed')?.joined) await this.catchUp();
    this.pendingResync = true;
    this.schedule();
  }

  private async emitJoin(name: string, room: Room): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    const result = await new Promise<JoinResult>((resolve) => {
      socket.timeout(10_000).emit('join', name, (err: Error | null, reply?: JoinResult) => {
        resolve(err ? { ok: false, code: 'timeout' } : (reply ?? { ok: false, code: 'no_reply' }));
      });
    });
    if (this.rooms.get(name) !== room) return; // released meanwhile
    room.joined = result.ok;
    if (result.ok) delete room.refusal;
    else room.refusal = result.code ?? 'refused';
    // A timeout is not a refusal: the next reconnect tries again and resolves the waiters then.
    if (!result.ok && result.code === 'timeout') return;
    const waiters = room.waiters;
    room.waiters = [];
    for (const resolve of waiters) resolve(result.ok);
  }

  private async catchUp(): Promise<void> {
    let after = Math.max(0, this.lastPosition - RESUME_OVERLAP);
    let fetched = 0;
    try {
      for (;;) {
        const page = await this.options.fetchFeed(after, CATCH_UP_PAGE);
        for (const event of page) this.receive(event);
        fetched += page.length;
        const last = page[page.length - 1];
        if (page.length < CATCH_UP_PAGE || !last) return;
        after = last.position;
        if (fetched >= CATCH_UP_LIMIT) {
          // Too many to replay without freezing the tab: say where the feed has a hole instead.
          for (const listener of this.gapListeners) safely(() => listener(after));
          return;
        }
      }
    } catch {
      // The feed will be fetched again on the next reconnect; meanwhile listeners resync their snapshots.
    }
  }

  private receive(event: LiveEvent): void {
    if (typeof event?.position !== 'number' || !this.seen.add(event.position)) return;
    if (event.position > this.lastPosition) this.lastPosition = event.position;
    this.pending.push(event);
    this.schedule();
  }

  private schedule(): void {
    if (this.frame || this.fallback !== undefined || this.delay !== undefined) return;
    const wait = this.lastFlush + 1000 / MAX_FLUSHES_PER_S - performance.now();
    if (wait > 4) {
      this.delay = setTimeout(() => {
        this.delay = undefined;
        this.schedule();
      }, wait);
      return;
    }
    const run = () => this.flush();
    if (typeof requestAnimationFrame === 'function') this.frame = requestAnimationFrame(run);
    this.fallback = setTimeout(run, FLUSH_FALLBACK_MS);
  }

  private flush(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    clearTimeout(this.fallback);
    this.frame = 0;
    this.fallback = undefined;
    this.lastFlush = performance.now();
    const events = this.pending;
    this.pending = [];
    const kpi = this.pendingKpi;
    const billing = this.pendingBilling;
    const devices = [...this.pendingDevices.values()];
    this.pendingDevices.clear();
    const resync = this.pendingResync;
    this.pendingKpi = null;
    this.pendingBilling = null;
    this.pendingResync = false;
    if (events.length > 1) events.sort((a, b) => a.position - b.position);
    const deliver = this.options.deliver ?? ((fn: () => void) => fn());
    deliver(() => {
      if (events.length > 0) for (const listener of this.eventListeners) safely(() => listener(events));
      if (kpi) for (const listener of this.kpiListeners) safely(() => listener(kpi));
      if (billing) for (const listener of this.billingListeners) safely(() => listener(billing));
      if (devices.length > 0) for (const listener of this.deviceListeners) safely(() => listener(devices));
      if (resync) for (const listener of this.resyncListeners) safely(listener);
    });
  }

  private scheduleRetry(): void {
    clearTimeout(this.retry);
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, 10_000);
    this.retry = setTimeout(() => this.socket?.connect(), delay + Math.random() * 250);
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) safely(() => listener(status));
  }
}

function add<T>(set: Set<T>, item: T): () => void {
  set.add(item);
  return () => set.delete(item);
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    // One broken screen must not stop the others from updating.
    console.error(error);
  }
}
