import type uWS from 'uWebSockets.js';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import { BILLING_TOPIC } from '../../actors/billing/run.ts';
import type { Bus, LiveEvent } from '../../actors/runtime/bus.ts';
import type { ActorSystem } from '../../actors/runtime/system.ts';
import type { StaffUserState } from '../../actors/staff/user.ts';
import { type JoinAck, KPI_FRAME_MS } from '../../protocol/dashboard.ts';
import { ApiError } from '../../protocol/errors.ts';
import { FEED_KINDS, feedPermission, roomPermission } from '../../protocol/roles.ts';
import type { KpiBoard } from '../dashboard/kpi.ts';
import { type Authenticator, hasPermission, type Principal } from '../http/auth.ts';
import type { Logger } from '../log.ts';
import type { StaffRoster } from '../staff/roster.ts';
import type { DeviceFrameSource } from './devices.ts';

// The dashboard's live transport: socket.io attached to the uWS app (same port, /socket.io/).
// A browser authenticates with its access token, joins topic rooms its roles allow
// (protocol/roles.ts ROOMS) and gets:
//   `events`   the journaled events this node commits, to `feed`: an array, in position order,
//              of those of the last FEED_FRAME_MS (one message a room per 25 ms, not per event);
//   `event`    one journaled event, to `account:<id>`, `device:<id>` and `requests`;
//   `kpi`      the KPI object, at most one frame per 250 ms however many events happen;
//   `billing`  billing run progress, as the billing engine publishes it on the bus;
//   `device`   a router's row (status, pending commands, last error…), to `devices` and
//              `device:<id>`, at most one per router per 250 ms (server/live/devices.ts).
//
// Every broadcast goes to exactly one room with no `except`, so socket.io's uWS adapter uses
// uWS's native publish instead of looping over sockets. The feed is one room per permission
// (`feed/accounts.read`, …) so each event goes to one room, and a socket joining `feed` is put
// in those of its permissions. With REDIS_URL, socket.io's Redis adapter carries each node's
// events to the browsers of every node; the KPI and billing frames come from every node's own
// projection and bus, so they are sent to local sockets only.

/** Rooms of the server itself, never joinable by name (`$` is not a room character). */
const userRoom = (id: string) => `$user:${id}`;
const feedRoom = (permission: string) => `feed/${permission}`;
const FEED_PERMISSIONS = [...new Set(Object.values(FEED_KINDS))];
/** The KPI is compared against what was sent this often, so "today" rolls over at midnight. */
const KPI_RECHECK_MS = 60_000;
/**
 * Feed events wait this long for the next ones and go out together. At a thousand events a
 * second one message per event cost the server an encode and a publish each, and every
 * browser a task each (~1,800 tasks a second in a feed tab); the browser draws the feed
 * at most ten times a second anyway.
 */
export const FEED_FRAME_MS = 25;

export interface LiveGatewayOptions {
  app: uWS.TemplatedApp;
  log: Logger;
  system: ActorSystem;
  bus: Bus;
  roster: StaffRoster;
  kpi: KpiBoard;
  /** The HTTP server's authenticators: the token is checked as a bearer token would be. */
  authenticators: readonly Authenticator[];
  /** Permissions of a staff user as they are now (its roles may have changed since the token). */
  permissionsOf(principal: Principal): Principal['permissions'] | null;
  redisUrl?: string | undefined;
  /** The routers' rows for the `devices` and `device:<id>` rooms (the network area). */
  devices?: DeviceFrameSource | undefined;
}

interface SocketData {
  principal: Principal;
}

type LiveSocket = Socket<Record<string, never>, Record<string, never>, Record<string, never>, SocketData>;

export class LiveGateway {
  readonly io: Server;
  private readonly offs: (() => void)[] = [];
  private readonly redis: Redis[] = [];
  private kpiTimer: NodeJS.Timeout | undefined;
  private kpiSentAt = Number.NEGATIVE_INFINITY;
  private kpiSent = '';
  /** Send the next frame even if the KPIs did not change (someone just joined). */
  private kpiForce = false;
  private readonly recheck: NodeJS.Timeout;
  private closed = false;
  /** Feed room → events waiting for the next feed frame. */
  private feedBatches = new Map<string, LiveEvent[]>();
  private feedTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: LiveGatewayOptions) {
    this.io = new Server({ path: '/socket.io/', serveClient: false });
    if (o.redisUrl) {
      const pub = new Redis(o.redisUrl, { connectionName: 'abonent-io-pub' });
      const sub = new Redis(o.redisUrl, { connectionName: 'abonent-io-sub' });
      for (const [client, name] of [
        [pub, 'pub'],
        [sub, 'sub'],
      ] as const) {
        client.on('error', (err: Error) => o.log.warn({ err, client: name }, 'socket.io redis adapter'));
        this.redis.push(client);
      }
      this.io.adapter(createAdapter(pub, sub, { key: 'abonent:io' }));
    }
    this.io.attachApp(o.app);
    this.io.use((socket, next) => {
      this.authenticate(socket as LiveSocket).then(
        () => next(),
        (error: unknown) => next(error as Error),
      );
    });
    this.io.on('connection', (socket) => this.connected(socket as LiveSocket));

    this.offs.push(
      o.system.onPersisted((events) => this.publish(events)),
      o.kpi.onChange(() => this.kpiChanged()),
      o.bus.subscribe(BILLING_TOPIC, (message) => this.billing(message)),
      o.roster.onChange((before, after) => this.userChanged(before, after)),
    );
    // A frame is made on the node whose router changed and reaches every node's browsers.
    if (o.devices)
      this.offs.push(
        o.devices.onFrame((frame) => {
          this.io.to('devices').emit('device', frame);
          this.io.to(`device:${frame.id}`).emit('device', frame);
        }),
      );
    this.recheck = setInterval(() => this.kpiChanged(), KPI_RECHECK_MS);
    this.recheck.unref();
  }

  /** Ends every connection; the HTTP server closes the port afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.offs) off();
    clearInterval(this.recheck);
    clearTimeout(this.kpiTimer);
    clearTimeout(this.feedTimer);
    await this.io.close();
    await Promise.allSettled(this.redis.map((r) => r.quit().catch(() => r.disconnect())));
  }

  // ------------------------------------------------------------ connections

  private async authenticate(socket: LiveSocket): Promise<void> {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const ip = socket.handshake.address;
    const refuse = (code: string, message: string) => {
      this.o.log.warn({ ip, code, reason: message }, 'socket refused');
      // connect_error on the client, with err.message 'unauthorized' and err.data.code.
      return Object.assign(new Error('unauthorized'), { data: { code, message } });
    };
    if (typeof token !== 'string' || token === '') throw refuse('unauthorized', 'no access token');
    const request = {
      authorization: `Bearer ${token}`,
      headers: socket.handshake.headers as Record<string, string>,
      ip,
    };
    try {
      for (const authenticator of this.o.authenticators) {
        const principal = await authenticator.authenticate(request);
        if (principal) {
          socket.data.principal = principal;
          return;
        }
      }
    } catch (error) {
      if (error instanceof ApiError) throw refuse(error.code, error.message);
      throw error;
    }
    throw refuse('unauthorized', 'the access token is not valid');
  }

  private connected(socket: LiveSocket): void {
    const { principal } = socket.data;
    if (principal.kind === 'staff') void socket.join(userRoom(principal.id));
    socket.on('join', (room: unknown, ack: unknown) => reply(ack, this.join(socket, room)));
    socket.on('leave', (room: unknown, ack: unknown) => reply(ack, this.leave(socket, room)));
  }

  private join(socket: LiveSocket, room: unknown): JoinAck {
    const permission = roomPermission(room);
    if (permission === null) return { ok: false, code: 'bad_room' };
    const { principal } = socket.data;
    const permissions = this.o.permissionsOf(principal);
    if (permissions === null) {
      socket.disconnect(true);
      return { ok: false, code: 'forbidden' };
    }
    const now = { ...principal, permissions };
    if (!hasPermission(now, permission)) {
      this.o.log.warn(
        { principal: principal.id, room, permission, ip: socket.handshake.address },
        'socket join refused',
      );
      return { ok: false, code: 'forbidden' };
    }
    const name = room as string;
    if (name === 'feed') {
      void socket.join(FEED_PERMISSIONS.filter((p) => hasPermission(now, p)).map(feedRoom));
    } else {
      void socket.join(name);
      // The newcomer gets the KPIs with the next frame, within 250 ms, and nobody gets two sooner.
      if (name === 'kpi') this.kpiChanged(true);
    }
    return { ok: true };
  }

  private leave(socket: LiveSocket, room: unknown): JoinAck {
    if (roomPermission(room) === null) return { ok: false, code: 'bad_room' };
    if (room === 'feed') for (const p of FEED_PERMISSIONS) void socket.leave(feedRoom(p));
    else void socket.leave(room as string);
    return { ok: true };
  }

  /** A user disabled, its roles changed or a session ended: its sockets reconnect and re-join what they still may. */
  private userChanged(before: StaffUserState | undefined, after: StaffUserState): void {
    if (!before) return;
    const rolesChanged =
      before.roles.length !== after.roles.length || before.roles.some((r) => !after.roles.includes(r));
    const sessionEnded = Object.keys(before.sessions).some((sid) => !Object.hasOwn(after.sessions, sid));
    if (rolesChanged || sessionEnded || (after.disabled && !before.disabled)) {
      this.io.in(userRoom(after.id)).disconnectSockets(true);
    }
  }

  // ------------------------------------------------------------ broadcasts

  private publish(events: LiveEvent[]): void {
    for (const e of events) {
      const permission = feedPermission(e.kind);
      if (permission === null) continue;
      this.queueFeed(feedRoom(permission), e);
      if (e.kind === 'account' || e.kind === 'device') this.emitEvent(`${e.kind}:${e.id}`, e);
      // One actor holds the whole board of connection requests: its room is the kind's name.
      else if (e.kind === 'requests') this.emitEvent('requests', e);
    }
  }

  /**
   * socket.io encodes an event before it looks for sockets (~9 µs each): with no browser in
   * the room on this node, and no other node to hand it to, it is not encoded at all.
   */
  private emitEvent(room: string, e: LiveEvent): void {
    if (this.redis.length === 0 && !this.io.sockets.adapter.rooms.has(room)) return;
    this.io.to(room).emit('event', e);
  }

  private queueFeed(room: string, e: LiveEvent): void {
    if (this.redis.length === 0 && !this.io.sockets.adapter.rooms.has(room)) return;
    const batch = this.feedBatches.get(room);
    if (batch) batch.push(e);
    else this.feedBatches.set(room, [e]);
    this.feedTimer ??= setTimeout(() => this.flushFeed(), FEED_FRAME_MS).unref();
  }

  private flushFeed(): void {
    this.feedTimer = undefined;
    const batches = this.feedBatches;
    this.feedBatches = new Map();
    // In commit order; a browser sorts what it gets by position anyway (client/live).
    for (const [room, events] of batches) this.io.to(room).emit('events', events);
  }

  private billing(message: LiveEvent): void {
    // Every node's bus has every node's progress: local sockets only.
    this.io.local.to(BILLING_TOPIC).emit('billing', message.event);
  }

  /** At most one KPI frame per KPI_FRAME_MS: the first change arms a timer, later ones ride with it. */
  private kpiChanged(force = false): void {
    if (force) this.kpiForce = true;
    if (this.kpiTimer !== undefined || this.closed) return;
    const delay = Math.max(0, this.kpiSentAt + KPI_FRAME_MS - performance.now());
    this.kpiTimer = setTimeout(() => {
      this.kpiTimer = undefined;
      const kpi = this.o.kpi.kpi();
      const text = JSON.stringify(kpi);
      if (!this.kpiForce && text === this.kpiSent) return;
      this.kpiForce = false;
      this.kpiSent = text;
      this.kpiSentAt = performance.now();
      this.io.local.to('kpi').emit('kpi', kpi);
    }, delay);
    this.kpiTimer.unref();
  }
}

function reply(ack: unknown, answer: JoinAck): void {
  if (typeof ack === 'function') ack(answer);
}
