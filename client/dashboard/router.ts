import { createSignal } from 'solid-js';

// Hash routes (#/accounts/100001): the server serves one index.html at /, and a deep link
// survives a reload and can be pasted into a ticket.

export type Route =
  | { name: 'home' }
  | { name: 'accounts' }
  | { name: 'account'; id: string }
  | { name: 'tariffs' }
  | { name: 'staff' }
  | { name: 'audit' }
  | { name: 'requests' }
  | { name: 'map' }
  | { name: 'devices' }
  | { name: 'device'; id: string }
  | { name: 'profile' }
  | { name: 'not-found'; path: string };

const [hash, setHash] = createSignal(location.hash);
window.addEventListener('hashchange', () => setHash(location.hash));

export function parse(h: string): Route {
  const path = h.replace(/^#/, '').split('?')[0] || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, third] = parts;
  if (!first) return { name: 'home' };
  if (first === 'accounts' && second === undefined) return { name: 'accounts' };
  if (first === 'accounts' && second && third === undefined) return { name: 'account', id: second };
  if (first === 'devices' && second === undefined) return { name: 'devices' };
  if (first === 'devices' && second && third === undefined) return { name: 'device', id: second };
  // `#/requests?open=R5` opens one request on the board (the query is the board's own).
  if (parts.length === 1 && (first === 'requests' || first === 'map')) return { name: first };
  if (
    parts.length === 1 &&
    (first === 'tariffs' || first === 'staff' || first === 'audit' || first === 'profile')
  )
    return { name: first };
  return { name: 'not-found', path };
}

export const route = (): Route => parse(hash());

export const href = {
  home: '#/',
  accounts: '#/accounts',
  account: (id: string) => `#/accounts/${encodeURIComponent(id)}`,
  tariffs: '#/tariffs',
  staff: '#/staff',
  audit: '#/audit',
  requests: '#/requests',
  request: (id: string) => `#/requests?open=${encodeURIComponent(id)}`,
  map: '#/map',
  devices: '#/devices',
  device: (id: string) => `#/devices/${encodeURIComponent(id)}`,
  profile: '#/profile',
};

export function navigate(to: string): void {
  location.hash = to;
}
