import http from 'node:http';
import net from 'node:net';
import {
  createMenus,
  type Menu,
  type RouterOsMenus,
  type Row,
  Trap,
  type Verb,
} from './routeros-sim/menus.ts';
import { handleRest, type RestRouter } from './routeros-sim/rest.ts';
import { encodeSentence, SentenceReader } from './routeros-sim/wire.ts';

// A MikroTik router as the API client sees it: the real wire protocol on a TCP port, the
// menus Abonent uses in memory, and knobs for what real routers do to their clients
// (refuse logins, answer slowly, drop connections, vanish, reboot without their lists).
// Tests and demo mode talk to it through node-routeros, never through our own parser. It lives
// beside the server because demo mode (ABONENT_DEMO, server/demo/demo.ts) runs it in-process;
// scripts/sim/routeros.ts is the same module under the name the tests and benchmarks use.

export interface RouterOsSimOptions {
  username?: string;
  password?: string;
  identity?: string;
  /** `7.18.2` by default; from 7.18 on an empty print answers `!empty` before `!done`. */
  version?: string;
  boardName?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Also serve the RouterOS 7 REST API (plain HTTP, as the `www` service) on `restPort`. */
  rest?: boolean;
  /** 0 (default) picks a free port. */
  restPort?: number;
}

export interface RouterOsSimCounters {
  connections: number;
  logins: number;
  failedLogins: number;
  /** Command sentences received (logins included), in total and by command word. */
  sentences: number;
  commands: Record<string, number>;
}

export interface RouterOsSim {
  readonly host: string;
  readonly port: number;
  /** The REST API's port, when started with `rest: true`. */
  readonly restPort: number | undefined;
  readonly menus: RouterOsMenus;
  readonly counters: RouterOsSimCounters;
  /** Every login fails as with a wrong password, while on. */
  refuseLogins(refuse: boolean): void;
  /** Delays every reply by `ms`. */
  setDelay(ms: number): void;
  setVersion(version: string): void;
  setIdentity(name: string): void;
  /** Destroys every client socket now, as a cable pulled out. */
  dropConnections(): void;
  /** Offline: connections are refused and current ones dropped; online again on the same port. */
  setOnline(online: boolean): Promise<void>;
  /** A reboot without persistence: the address list and the PPP sessions are gone, uptime restarts. */
  loseState(): void;
  /** Sends `!fatal <message>` to every client, then closes their connections. */
  sendFatal(message: string): void;
  /** Clients connected right now. */
  clientCount(): number;
  resetCounters(): void;
  close(): Promise<void>;
}

interface Session {
  socket: net.Socket;
  reader: SentenceReader;
  user: string | null;
}

interface Outcome {
  replies: string[][];
  /** The router closes the connection after these replies. */
  close?: boolean;
}

const done: string[] = ['!done'];
const trap = (message: string, category?: number): string[] =>
  category === undefined
    ? ['!trap', `=message=${message}`]
    : ['!trap', `=category=${category}`, `=message=${message}`];
const re = (row: Row): string[] => ['!re', ...Object.entries(row).map(([k, v]) => `=${k}=${v}`)];

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return a > major || (a === major && b >= minor);
}

/** RouterOS 7 style: `2w1d3h4m5s`, leading zero units left out. */
function formatUptime(ms: number): string {
  let s = Math.floor(ms / 1000);
  const units: [string, number][] = [
    ['w', 604800],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ];
  let out = '';
  for (const [u, size] of units) {
    const n = Math.floor(s / size);
    s -= n * size;
    if (n > 0 || out) out += `${n}${u}`;
  }
  return `${out}${s}s`;
}

export async function startRouterOsSim(opts: RouterOsSimOptions = {}): Promise<RouterOsSim> {
  const username = opts.username ?? 'admin';
  const password = opts.password ?? '';
  const host = opts.host ?? '127.0.0.1';
  let identity = opts.identity ?? 'MikroTik';
  let version = opts.version ?? '7.18.2';
  const boardName = opts.boardName ?? 'hAP ac^2';
  let refusing = false;
  let delay = 0;
  let bootAt = Date.now();
  const menus = createMenus();
  const sessions = new Set<Session>();
  const delayed = new Set<NodeJS.Timeout>();
  const counters: RouterOsSimCounters = {
    connections: 0,
    logins: 0,
    failedLogins: 0,
    sentences: 0,
    commands: {},
  };

  const byPath = new Map<string, Menu>(Object.values(menus).map((m) => [m.spec.path, m]));

  function resource(): Row {
    return {
      uptime: formatUptime(Date.now() - bootAt),
      version: `${version} (stable)`,
      'build-time': '2025-03-11 11:59:04',
      'factory-software': '6.44.6',
      'free-memory': '214876160',
      'total-memory': '268435456',
      cpu: 'ARMv7',
      'cpu-count': '4',
      'cpu-frequency': '716',
      'cpu-load': String(1 + (sessions.size % 7)),
      'free-hdd-space': '1609728',
      'total-hdd-space': '16777216',
      'architecture-name': 'arm',
      'board-name': boardName,
      platform: 'MikroTik',
    };
  }

  function login(session: Session, attrs: Row): Outcome {
    counters.logins++;
    if (!refusing && attrs.name === username && (attrs.password ?? '') === password) {
      session.user = username;
      return { replies: [done] };
    }
    counters.failedLogins++;
    // The client must not rely on a second try on the same connection.
    return { replies: [trap('invalid user name or password (6)'), done], close: true };
  }

  function print(rows: Row[]): Outcome {
    const replies = rows.map(re);
    if (rows.length === 0 && versionAtLeast(version, 7, 18)) replies.push(['!empty']);
    replies.push(done);
    return { replies };
  }

  function run(menu: Menu, verb: Verb, attrs: Row, query: string[]): Outcome {
    const { '.id': id, numbers, '.proplist': proplist, ...fields } = attrs;
    const ref = id ?? numbers;
    switch (verb) {
      case 'print':
      case 'getall':
        return print(menu.print(query, proplist?.split(',')));
      case 'add':
        return { replies: [['!done', `=ret=${menu.add(fields)}`]] };
      case 'set':
        if (ref === undefined) throw new Trap('no such item');
        menu.set(ref, fields);
        return { replies: [done] };
      case 'enable':
      case 'disable':
        if (ref === undefined) throw new Trap('no such item');
        menu.set(ref, { disabled: verb === 'disable' ? 'yes' : 'no' });
        return { replies: [done] };
      case 'remove':
        if (ref === undefined) throw new Trap('no such item');
        menu.remove(ref);
        return { replies: [done] };
    }
  }

  function execute(session: Session, command: string, attrs: Row, query: string[]): Outcome {
    if (command === '/login') return login(session, attrs);
    if (session.user === null) return { replies: [trap('not logged in'), done] };
    if (command === '/quit') return { replies: [['!fatal', 'session terminated on request']], close: true };
    if (command === '/cancel') return { replies: [done] };
    if (command === '/system/identity/print') return print([{ name: identity }]);
    if (command === '/system/identity/set') {
      if (attrs.name !== undefined) identity = attrs.name;
      return { replies: [done] };
    }
    if (command === '/system/resource/print') return print([resource()]);
    const slash = command.lastIndexOf('/');
    const menu = byPath.get(command.slice(0, slash));
    const verb = command.slice(slash + 1) as Verb;
    if (!menu) return { replies: [trap('no such command prefix'), done] };
    if (!menu.spec.verbs.includes(verb)) return { replies: [trap('no such command'), done] };
    return run(menu, verb, attrs, query);
  }

  function onSentence(session: Session, words: string[]): void {
    const [command = '', ...rest] = words;
    counters.sentences++;
    counters.commands[command] = (counters.commands[command] ?? 0) + 1;
    let tag: string | undefined;
    const attrs: Row = {};
    const query: string[] = [];
    for (const w of rest) {
      if (w.startsWith('.tag=')) tag = w.slice(5);
      else if (w.startsWith('?')) query.push(w);
      else if (w.startsWith('=')) {
        const eq = w.indexOf('=', 1);
        if (eq < 0) attrs[w.slice(1)] = '';
        else attrs[w.slice(1, eq)] = w.slice(eq + 1);
      }
    }
    let outcome: Outcome;
    try {
      outcome = execute(session, command, attrs, query);
    } catch (err) {
      if (!(err instanceof Trap)) throw err;
      outcome = { replies: [trap(err.message, err.category), done] };
    }
    const bytes = Buffer.concat(
      outcome.replies.map((r) =>
        encodeSentence(tag === undefined || r[0] === '!fatal' ? r : [...r, `.tag=${tag}`]),
      ),
    );
    const send = () => {
      if (session.socket.destroyed) return;
      session.socket.write(bytes);
      if (outcome.close) session.socket.end();
    };
    if (delay > 0) {
      const timer = setTimeout(() => {
        delayed.delete(timer);
        send();
      }, delay);
      delayed.add(timer);
    } else send();
  }

  function accept(socket: net.Socket): void {
    counters.connections++;
    const session: Session = { socket, reader: new SentenceReader(), user: null };
    sessions.add(session);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      let sentences: string[][];
      try {
        sentences = session.reader.push(chunk);
      } catch {
        // A malformed stream is answered the way the router does: it hangs up.
        socket.destroy();
        return;
      }
      for (const s of sentences) onSentence(session, s);
    });
    socket.on('error', () => {});
    socket.on('close', () => sessions.delete(session));
  }

  const restRouter: RestRouter = {
    credentials: () => ({ username, password, refusing }),
    menus: byPath,
    identity: () => ({ name: identity }),
    resource,
    count(command) {
      counters.sentences++;
      counters.commands[command] = (counters.commands[command] ?? 0) + 1;
    },
  };
  const serveRest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const reply = () =>
      handleRest(req, res, restRouter).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    if (delay > 0) {
      const timer = setTimeout(() => {
        delayed.delete(timer);
        void reply();
      }, delay);
      delayed.add(timer);
    } else void reply();
  };

  let server = net.createServer(accept);
  let restServer: http.Server | undefined;
  const listen = (srv: net.Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve((srv.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(server, opts.port ?? 0);
  let restPort: number | undefined;
  if (opts.rest) {
    restServer = http.createServer(serveRest);
    restPort = await listen(restServer, opts.restPort ?? 0);
  }
  let online = true;

  function dropConnections(): void {
    for (const s of sessions) s.socket.destroy();
    sessions.clear();
    restServer?.closeAllConnections();
  }

  async function stopListening(): Promise<void> {
    const closing = [server, ...(restServer ? [restServer] : [])].map(
      (srv) => new Promise<void>((resolve) => srv.close(() => resolve())),
    );
    dropConnections();
    await Promise.all(closing);
  }

  return {
    host,
    port,
    restPort,
    menus,
    counters,
    refuseLogins: (refuse) => {
      refusing = refuse;
    },
    setDelay: (ms) => {
      delay = ms;
    },
    setVersion: (v) => {
      version = v;
    },
    setIdentity: (name) => {
      identity = name;
    },
    dropConnections,
    async setOnline(next) {
      if (next === online) return;
      online = next;
      if (!next) return stopListening();
      server = net.createServer(accept);
      await listen(server, port);
      if (restServer && restPort !== undefined) {
        restServer = http.createServer(serveRest);
        await listen(restServer, restPort);
      }
    },
    loseState() {
      menus.addressList.clear();
      menus.pppActive.clear();
      bootAt = Date.now();
    },
    sendFatal(message) {
      const bytes = encodeSentence(['!fatal', message]);
      for (const s of sessions) {
        if (s.socket.destroyed) continue;
        s.socket.write(bytes);
        s.socket.end();
      }
    },
    clientCount: () => sessions.size,
    resetCounters() {
      Object.assign(counters, { connections: 0, logins: 0, failedLogins: 0, sentences: 0, commands: {} });
    },
    async close() {
      for (const t of delayed) clearTimeout(t);
      delayed.clear();
      if (online) await stopListening();
      online = false;
    },
  };
}
