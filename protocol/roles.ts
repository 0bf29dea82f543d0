import { PERMISSIONS, type Permission } from './permissions.ts';

// Staff roles and what each may do: the one permission matrix. HTTP routes name a permission
// (protocol/permissions.ts), socket rooms and live-feed kinds are mapped to one here, and a
// principal holds the union of its roles' permissions. The README's tables are generated from
// this file (`permissionMatrixMarkdown()`; roles.test.ts checks they match), the dashboard
// hides what a role may not do from the same lists, and the server refuses it anyway.

export const ROLES = ['admin', 'cashier', 'noc', 'support', 'sales', 'implementation', 'audit'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  admin: 'everything, including staff, security settings and signing keys',
  cashier: 'takes payments (top-ups) and looks accounts up',
  noc: 'network operations: blocks and unblocks, runs and watches billing, watches devices',
  support: 'answers subscribers: edits their details, blocks and unblocks',
  sales: 'signs subscribers up: opens accounts and assigns tariffs',
  implementation: 'sets the provider up: tariffs, devices, accounts',
  audit: 'reads everything (also the audit log and the staff list), changes nothing',
};

const READS: readonly Permission[] = PERMISSIONS.filter((p) => p.endsWith('.read'));

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  cashier: ['subscribers.read', 'accounts.read', 'money.top_up', 'tariffs.read', 'feed.read', 'kpi.read'],
  noc: [
    'subscribers.read',
    'accounts.read',
    'accounts.block',
    'tariffs.read',
    'feed.read',
    'kpi.read',
    'billing.read',
    'billing.run',
    'devices.read',
    'requests.read',
    'devices.write',
    'services.write',
  ],
  support: [
    'subscribers.read',
    'subscribers.write',
    'accounts.read',
    'accounts.block',
    'tariffs.read',
    'feed.read',
    'requests.read',
    'requests.write',
  ],
  sales: [
    'subscribers.read',
    'subscribers.write',
    'accounts.read',
    'accounts.open',
    'accounts.tariff',
    'tariffs.read',
    'kpi.read',
    'requests.read',
    'requests.write',
    'services.write',
  ],
  implementation: [
    'subscribers.read',
    'subscribers.write',
    'accounts.read',
    'accounts.open',
    'accounts.tariff',
    'tariffs.read',
    'tariffs.write',
    'feed.read',
    'devices.read',
    'requests.read',
    'devices.write',
    'services.write',
    'requests.write',
  ],
  audit: READS,
};

/** The union of the roles' permissions. */
export function permissionsOf(roles: readonly Role[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) for (const p of ROLE_PERMISSIONS[role] ?? []) out.add(p);
  return out;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------- socket rooms

/** Rooms a browser may ask to join, by pattern, and the permission each needs. */
export const ROOMS: readonly { pattern: string; permission: Permission; carries: string }[] = [
  {
    pattern: 'feed',
    permission: 'feed.read',
    carries: '`events`: every event the principal may see, in arrays of 25 ms',
  },
  { pattern: 'kpi', permission: 'kpi.read', carries: '`kpi`: the KPI object, at most one frame per 250 ms' },
  { pattern: 'billing', permission: 'billing.read', carries: '`billing`: billing run progress' },
  { pattern: 'account:<id>', permission: 'accounts.read', carries: '`event`: the events of one account' },
  {
    pattern: 'devices',
    permission: 'devices.read',
    carries:
      "`device`: a router's row as `GET /api/v1/devices/{id}` shows it (status, pending commands, last error, last seen…) whenever it changes, at most one per router per 250 ms; `{id, removed: true}` once removed",
  },
  {
    pattern: 'device:<id>',
    permission: 'devices.read',
    carries: '`event`: the events of one router (kind `device`); `device`: its row, as in `devices`',
  },
  {
    pattern: 'requests',
    permission: 'requests.read',
    carries: '`event`: every change on the board of connection requests (kind `requests`)',
  },
];

const ROOM_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The permission a room needs, or null when there is no such room. */
export function roomPermission(room: unknown): Permission | null {
  if (typeof room !== 'string') return null;
  const colon = room.indexOf(':');
  const pattern = colon < 0 ? room : `${room.slice(0, colon)}:<id>`;
  if (colon >= 0 && !ROOM_ID.test(room.slice(colon + 1))) return null;
  for (const r of ROOMS) if (r.pattern === pattern) return r.permission;
  return null;
}

// ---------------------------------------------------------------- live feed

/**
 * Which events of the journal the feed shows, by actor kind, and to whom. Kinds not listed
 * (staff users, signing keys, number sequences) never leave the server through the feed;
 * their auditable part is in the audit log.
 */
export const FEED_KINDS: Readonly<Record<string, Permission>> = {
  account: 'accounts.read',
  subscriber: 'subscribers.read',
  tariffs: 'tariffs.read',
  device: 'devices.read',
  requests: 'requests.read',
};

/** The permission needed to see events of this kind in the feed, or null when they are never shown. */
export function feedPermission(kind: string): Permission | null {
  return Object.hasOwn(FEED_KINDS, kind) ? FEED_KINDS[kind]! : null;
}

// ---------------------------------------------------------------- README

/** The README section "Roles and permissions", generated (roles.test.ts keeps README equal to it). */
export function permissionMatrixMarkdown(): string {
  const header = `| permission | ${ROLES.join(' | ')} |`;
  const rule = `| --- | ${ROLES.map(() => ':-:').join(' | ')} |`;
  const rows = PERMISSIONS.map(
    (p) => `| \`${p}\` | ${ROLES.map((r) => (ROLE_PERMISSIONS[r].includes(p) ? '✓' : '')).join(' | ')} |`,
  );
  const roles = ROLES.map((r) => `- \`${r}\`: ${ROLE_DESCRIPTIONS[r]}`);
  const rooms = [
    '| room | needs | carries |',
    '| --- | --- | --- |',
    ...ROOMS.map((r) => `| \`${r.pattern}\` | \`${r.permission}\` | ${r.carries} |`),
  ];
  const kinds = Object.entries(FEED_KINDS).map(([k, p]) => `\`${k}\` (\`${p}\`)`);
  return [
    ...roles,
    '',
    header,
    rule,
    ...rows,
    '',
    'Socket rooms (joined with `join`; refused with `forbidden` without the permission):',
    '',
    ...rooms,
    '',
    `The feed (room \`feed\` and \`GET /api/v1/feed\`) shows events of ${kinds.join(', ')}; other kinds never appear in it.`,
  ].join('\n');
}
