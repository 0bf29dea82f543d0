// What a principal may do, one name per kind of act. Routes name the permission they need;
// protocol/roles.ts maps staff roles (cashier, NOC, admin, …) onto sets of these. The
// bootstrap token holds 'all'.

export const PERMISSIONS = [
  'subscribers.read',
  'subscribers.write',
  'accounts.read',
  'accounts.open',
  'accounts.block',
  'accounts.credit_limit',
  'accounts.close',
  'accounts.tariff',
  'money.top_up',
  'money.charge',
  'money.refund',
  'money.hold',
  'money.adjust',
  'tariffs.read',
  'tariffs.write',
  // Staff and the dashboard (roles map onto these in protocol/roles.ts).
  'staff.read',
  'staff.write',
  'security.manage',
  'audit.read',
  'kpi.read',
  'feed.read',
  'billing.read',
  'billing.run',
  'devices.read',
  'requests.read',
  // The network: routers, subscribers' services on them, connection requests.
  'devices.write',
  'services.write',
  'requests.write',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** `{ permission: 'money.charge' }` for a route's `auth`, checked against this list by the type. */
export const needs = (permission: Permission) => ({ permission });
