import type { Key } from './i18n/dict.ts';
import { href, type Route } from './router.ts';
import { can } from './session.ts';

// The sections and who may open them. Permissions come with the user from the server; the
// menu only hides what a role cannot use, the server is what refuses it.

export interface Section {
  route: Route['name'];
  href: string;
  label: Key;
  allowed(): boolean;
}

export const SECTIONS: Section[] = [
  { route: 'home', href: href.home, label: 'nav.home', allowed: () => true },
  { route: 'accounts', href: href.accounts, label: 'nav.accounts', allowed: () => can('accounts.read') },
  { route: 'tariffs', href: href.tariffs, label: 'nav.tariffs', allowed: () => can('tariffs.read') },
  { route: 'requests', href: href.requests, label: 'nav.requests', allowed: () => can('requests.read') },
  { route: 'map', href: href.map, label: 'nav.map', allowed: () => can('subscribers.read') },
  { route: 'devices', href: href.devices, label: 'nav.devices', allowed: () => can('devices.read') },
  { route: 'staff', href: href.staff, label: 'nav.staff', allowed: () => can('staff.read') },
  { route: 'audit', href: href.audit, label: 'nav.audit', allowed: () => can('audit.read') },
  { route: 'profile', href: href.profile, label: 'nav.profile', allowed: () => true },
];

export function allowed(name: Route['name']): boolean {
  if (name === 'account') return can('accounts.read');
  if (name === 'device') return can('devices.read');
  const section = SECTIONS.find((s) => s.route === name);
  return section ? section.allowed() : true;
}
