import { DEFAULT_SNAPSHOT_EVERY } from '../actors/runtime/system.ts';

// Configuration comes from the environment only, is checked once at start, and a bad value
// stops the process with a message naming the variable (exit code 2, see main.ts).
//
// `configVariables` is the one list of variables: README's table, `--help` and the loader
// all read it, so they cannot drift apart (config.test.ts checks the README).

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  mongodbUrl: string | undefined;
  redisUrl: string | undefined;
  bootstrapToken: string | undefined;
  /** 32 bytes, hex or base64 (checked here, decoded by decodeSecretKey). */
  secretKey: string | undefined;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  snapshotEvery: number;
  passivateAfterMs: number;
  mailboxLimit: number;
  askTimeoutMs: number;
  shutdownTimeoutMs: number;
  deviceCheckIntervalMs: number;
  /** Demo mode: a simulated router in-process, registered as a device (server/demo/demo.ts). */
  demo: boolean;
  billingMaxCatchUp: number;
  billingConcurrency: number;
  billingIntervalMs: number;
  checkpointIntervalMs: number;
  mapTileUrl: string;
  mapTileAttribution: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

export const MIN_BOOTSTRAP_TOKEN_LENGTH = 32;

type Parse<T> = (raw: string, name: string) => T;

interface Variable<K extends keyof Config> {
  name: string;
  key: K;
  /** As written in the environment and README; undefined when the variable is optional. */
  default: string | undefined;
  description: string;
  parse: Parse<Config[K]>;
}

const text: Parse<string> = (raw) => raw;

const flag: Parse<boolean> = (raw, name) => {
  if (raw === '1' || raw === '0') return raw === '1';
  throw new ConfigError(name, `must be 1 or 0, got ${JSON.stringify(raw)}`);
};

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parse<number> =>
  (raw, name) => {
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };

const url =
  (...schemes: string[]): Parse<string> =>
  (raw, name) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(name, `is not a URL: ${JSON.stringify(redactUrl(raw))}`);
    }
    if (!schemes.includes(parsed.protocol.slice(0, -1))) {
      throw new ConfigError(name, `must start with ${schemes.map((s) => `${s}://`).join(' or ')}`);
    }
    return raw;
  };

const token: Parse<string> = (raw, name) => {
  if (raw.length < MIN_BOOTSTRAP_TOKEN_LENGTH) {
    // Never echo the token itself: it is a secret even when it is a bad one.
    throw new ConfigError(
      name,
      `must be at least ${MIN_BOOTSTRAP_TOKEN_LENGTH} characters long (got ${raw.length}); generate one with: openssl rand -hex 32`,
    );
  }
  if (/\s/.test(raw)) throw new ConfigError(name, 'must not contain whitespace');
  return raw;
};

/** ABONENT_SECRET_KEY as bytes: 64 hex digits, or base64/base64url of exactly 32 bytes; null otherwise. */
export function decodeSecretKey(raw: string): Buffer | null {
  const text = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  return null;
}

const secretKey: Parse<string> = (raw, name) => {
  // Never echo the key itself, as with the bootstrap token.
  if (decodeSecretKey(raw) === null) {
    throw new ConfigError(
      name,
      'must be 32 bytes as 64 hex digits or base64; generate one with: openssl rand -hex 32',
    );
  }
  return raw.trim();
};

const logLevel: Parse<LogLevel> = (raw, name) => {
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as LogLevel;
};

const v = <K extends keyof Config>(def: Variable<K>): Variable<K> => def;

export const configVariables = [
  v({
    name: 'HOST',
    key: 'host',
    default: '127.0.0.1',
    description: 'Address the HTTP server binds to; 0.0.0.0 to accept outside connections',
    parse: (raw, name) => {
      if (/\s/.test(raw)) throw new ConfigError(name, 'must be a host name or IP address without spaces');
      return raw;
    },
  }),
  v({
    name: 'PORT',
    key: 'port',
    default: '8080',
    description: 'HTTP port (0 picks a free one)',
    parse: integer(0, 65535),
  }),
  v({
    name: 'DATA_DIR',
    key: 'dataDir',
    default: './data',
    description: 'Folder of the embedded SQLite journal (used when MONGODB_URL is not set)',
    parse: text,
  }),
  v({
    name: 'MONGODB_URL',
    key: 'mongodbUrl',
    default: undefined,
    description:
      'Use MongoDB (a replica set) as the journal instead of SQLite, e.g. mongodb://localhost:27017/abonent?replicaSet=rs0',
    parse: url('mongodb', 'mongodb+srv'),
  }),
  v({
    name: 'REDIS_URL',
    key: 'redisUrl',
    default: undefined,
    description:
      'Publish live events through Redis pub/sub (several server nodes), e.g. redis://localhost:6379',
    parse: url('redis', 'rediss'),
  }),
  v({
    name: 'ABONENT_BOOTSTRAP_TOKEN',
    key: 'bootstrapToken',
    default: undefined,
    description: `Bearer token (at least ${MIN_BOOTSTRAP_TOKEN_LENGTH} characters) that gives machine clients the admin scope; unset, no bearer token is accepted`,
    parse: token,
  }),
  v({
    name: 'ABONENT_SECRET_KEY',
    key: 'secretKey',
    default: undefined,
    description:
      'Key (32 bytes: 64 hex digits or base64) that seals secrets at rest (router passwords, 2FA secrets, signing keys); unset, one is generated into DATA_DIR/secret.key',
    parse: secretKey,
  }),
  v({
    name: 'LOG_LEVEL',
    key: 'logLevel',
    default: 'info',
    description: `Log level: ${LOG_LEVELS.join(', ')}`,
    parse: logLevel,
  }),
  v({
    name: 'BODY_LIMIT_BYTES',
    key: 'bodyLimitBytes',
    default: '1048576',
    description: 'Largest accepted HTTP request body; larger ones get 413',
    parse: integer(1),
  }),
  v({
    name: 'SNAPSHOT_EVERY',
    key: 'snapshotEvery',
    default: String(DEFAULT_SNAPSHOT_EVERY),
    description: 'An actor snapshots its state after this many events',
    parse: integer(1),
  }),
  v({
    name: 'PASSIVATE_AFTER_MS',
    key: 'passivateAfterMs',
    default: '300000',
    description: 'An actor idle this long is stopped and recovered again on the next message',
    parse: integer(1),
  }),
  v({
    name: 'MAILBOX_LIMIT',
    key: 'mailboxLimit',
    default: '1000',
    description: 'Messages queued for one actor before new ones are refused with 503 overloaded',
    parse: integer(1),
  }),
  v({
    name: 'ASK_TIMEOUT_MS',
    key: 'askTimeoutMs',
    default: '5000',
    description: 'How long the edge waits for an actor reply before answering 504 outcome_unknown',
    parse: integer(1),
  }),
  v({
    name: 'SHUTDOWN_TIMEOUT_MS',
    key: 'shutdownTimeoutMs',
    default: '10000',
    description: 'On SIGTERM/SIGINT: time allowed to drain requests and mailboxes and close the journal',
    parse: integer(1),
  }),
  v({
    name: 'DEVICE_CHECK_INTERVAL_MS',
    key: 'deviceCheckIntervalMs',
    default: '30000',
    description: 'How often every router is health-checked (TCP reach, API login, identity, resource)',
    parse: integer(1000),
  }),
  v({
    name: 'ABONENT_DEMO',
    key: 'demo',
    default: '0',
    description:
      '1: demo mode — starts a simulated MikroTik router inside the server on a free local port and adds it as the device "Demo router", so the dashboard shows a router online; 0: off',
    parse: flag,
  }),
  v({
    name: 'BILLING_MAX_CATCH_UP',
    key: 'billingMaxCatchUp',
    default: '744',
    description:
      'After downtime, missed tariff periods charged per account (oldest first); earlier ones are written off. 744 = a month of hours',
    parse: integer(0, 100_000),
  }),
  v({
    name: 'BILLING_CONCURRENCY',
    key: 'billingConcurrency',
    default: '200',
    description: 'Accounts a billing run ticks at once',
    parse: integer(1, 100_000),
  }),
  v({
    name: 'BILLING_INTERVAL_MS',
    key: 'billingIntervalMs',
    default: '3600000',
    description:
      "Longest wait between billing runs; a run also starts whenever some account's next tariff period begins",
    parse: integer(1000),
  }),
  v({
    name: 'CHECKPOINT_INTERVAL_MS',
    key: 'checkpointIntervalMs',
    default: '600000',
    description:
      'How often the read models built from the journal (account directory, KPIs, audit log, billing index) save a checkpoint, also saved on shutdown; a start reads only the journal after it. A save holds requests for ~50 ms at 100,000 accounts (the copy; writing it out is spread over many turns)',
    parse: integer(1000),
  }),
  v({
    name: 'MAP_TILE_URL',
    key: 'mapTileUrl',
    default: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    description:
      "Tiles of the dashboard's map (a Leaflet URL template with {z}, {x}, {y}); the browser fetches them, and shows the points without them when they cannot load",
    parse: (raw, name) => {
      const checked = url('http', 'https')(raw, name);
      for (const part of ['{z}', '{x}', '{y}'])
        if (!checked.includes(part))
          throw new ConfigError(name, `must contain ${part}, got ${JSON.stringify(raw)}`);
      return checked;
    },
  }),
  v({
    name: 'MAP_TILE_ATTRIBUTION',
    key: 'mapTileAttribution',
    default: '© OpenStreetMap contributors',
    description: "Credit line of the map's tile provider, shown in the map's corner",
    parse: text,
  }),
] as const;

/** Reads and checks the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config: Record<string, unknown> = {};
  for (const variable of configVariables) {
    const raw = env[variable.name];
    // Empty counts as unset: compose files and shells often export `NAME=`.
    const value = raw === undefined || raw === '' ? variable.default : raw;
    config[variable.key] =
      value === undefined ? undefined : (variable.parse as Parse<unknown>)(value, variable.name);
  }
  return config as unknown as Config;
}

/** The table printed by `tsx server/main.ts --help`. */
export function configHelp(): string {
  const rows = configVariables.map(
    (v) => `  ${v.name.padEnd(24)} ${(v.default ?? '(unset)').padEnd(10)} ${v.description}`,
  );
  return [
    'Abonent: self-hosted real-time billing and provisioning.',
    '',
    'Usage: npm start    (or: npx tsx server/main.ts)',
    '',
    'Configuration (environment variables):',
    `  ${'NAME'.padEnd(24)} ${'DEFAULT'.padEnd(10)} MEANING`,
    ...rows,
    '',
  ].join('\n');
}

function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@');
}
