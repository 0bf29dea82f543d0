// The RouterOS menus Abonent uses, held in memory with the router's own rules: `*1A`-style
// ids, its refusal texts, its print queries and `.proplist`.

export type Row = Record<string, string>;

/** A refusal the router answers with `!trap =message=…` (then `!done`). */
export class Trap extends Error {
  constructor(
    message: string,
    readonly category?: number,
  ) {
    super(message);
  }
}

export type Verb = 'print' | 'getall' | 'add' | 'set' | 'remove' | 'enable' | 'disable';

export interface MenuSpec {
  path: string;
  verbs: Verb[];
  /** Properties `add`/`set` accept; anything else is `unknown parameter`. */
  fields: string[];
  defaults(): Row;
  normalize?(field: string, value: string): string;
  /** Rows with the same key cannot coexist; `add`/`set` of a second one is refused. */
  uniqueKey?(row: Row): string | undefined;
  duplicateMessage?: string;
  /** Items may be addressed by their `name` where an id is expected. */
  byName?: boolean;
}

function bool(field: string, value: string): string {
  if (value === 'yes' || value === 'true') return 'true';
  if (value === 'no' || value === 'false') return 'false';
  throw new Trap(`input does not match any value of ${field}`, 1);
}

export class Menu {
  readonly rows = new Map<string, Row>();
  private nextId = 1;
  private readonly keys = new Map<string, string>();

  constructor(readonly spec: MenuSpec) {}

  get size(): number {
    return this.rows.size;
  }

  /** Adds a row and returns its id; throws `Trap` as the router would. */
  add(fields: Row): string {
    const row: Row = { ...this.spec.defaults() };
    for (const [k, v] of Object.entries(fields)) row[k] = this.value(k, v);
    const key = this.spec.uniqueKey?.(row);
    if (key !== undefined && this.keys.has(key)) {
      throw new Trap(this.spec.duplicateMessage ?? 'failure: already have such entry');
    }
    const id = `*${(this.nextId++).toString(16).toUpperCase()}`;
    row['.id'] = id;
    this.rows.set(id, row);
    if (key !== undefined) this.keys.set(key, id);
    return id;
  }

  set(ref: string, fields: Row): void {
    for (const id of this.resolveAll(ref)) {
      const row = this.rows.get(id)!;
      const next: Row = { ...row };
      for (const [k, v] of Object.entries(fields)) next[k] = this.value(k, v);
      const oldKey = this.spec.uniqueKey?.(row);
      const newKey = this.spec.uniqueKey?.(next);
      if (newKey !== undefined && newKey !== oldKey && this.keys.has(newKey)) {
        throw new Trap(this.spec.duplicateMessage ?? 'failure: already have such entry');
      }
      if (oldKey !== undefined) this.keys.delete(oldKey);
      if (newKey !== undefined) this.keys.set(newKey, id);
      this.rows.set(id, next);
    }
  }

  /** Removes every item of a comma-separated reference, or none if one is unknown. */
  remove(ref: string): void {
    for (const id of this.resolveAll(ref)) {
      const key = this.spec.uniqueKey?.(this.rows.get(id)!);
      if (key !== undefined) this.keys.delete(key);
      this.rows.delete(id);
    }
  }

  clear(): void {
    this.rows.clear();
    this.keys.clear();
  }

  print(query: string[], proplist?: string[]): Row[] {
    const out: Row[] = [];
    for (const row of this.rows.values()) {
      if (query.length > 0 && !matches(query, row)) continue;
      if (!proplist) {
        out.push(row);
        continue;
      }
      const picked: Row = {};
      for (const p of proplist) if (row[p] !== undefined) picked[p] = row[p];
      out.push(picked);
    }
    return out;
  }

  private value(field: string, value: string): string {
    if (!this.spec.fields.includes(field)) throw new Trap(`unknown parameter ${field}`, 0);
    if (field === 'disabled') return bool(field, value);
    return this.spec.normalize ? this.spec.normalize(field, value) : value;
  }

  private resolveAll(ref: string): string[] {
    const ids = ref.split(',').map((r) => this.resolve(r.trim()));
    return [...new Set(ids)];
  }

  private resolve(ref: string): string {
    if (this.rows.has(ref)) return ref;
    if (this.spec.byName) {
      for (const row of this.rows.values()) if (row.name === ref) return row['.id']!;
    }
    throw new Trap('no such item');
  }
}

/**
 * Evaluates RouterOS print query words against a row: each word pushes a boolean, `?#`
 * operators combine the stack, and the row matches if every value left is true.
 */
export function matches(query: string[], row: Row): boolean {
  const stack: boolean[] = [];
  for (const word of query) {
    const q = word.slice(1);
    if (q.startsWith('#')) {
      for (const op of q.slice(1)) applyOp(stack, op);
      continue;
    }
    if (q.startsWith('-')) {
      stack.push(row[q.slice(1)] === undefined);
      continue;
    }
    const cmp = q[0] === '<' || q[0] === '>' ? q[0] : '';
    const body = cmp ? q.slice(1) : q.startsWith('=') ? q.slice(1) : q;
    const eq = body.indexOf('=');
    if (eq < 0) {
      stack.push(row[body] !== undefined);
      continue;
    }
    const actual = row[body.slice(0, eq)];
    const wanted = body.slice(eq + 1);
    if (actual === undefined) stack.push(false);
    else if (cmp === '<') stack.push(compare(actual, wanted) < 0);
    else if (cmp === '>') stack.push(compare(actual, wanted) > 0);
    else stack.push(actual === wanted);
  }
  return stack.every(Boolean);
}

function compare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function applyOp(stack: boolean[], op: string): void {
  if (op === '!') {
    stack.push(!(stack.pop() ?? true));
  } else if (op === '|' || op === '&') {
    const b = stack.pop() ?? true;
    const a = stack.pop() ?? true;
    stack.push(op === '|' ? a || b : a && b);
  } else if (op === '.') {
    stack.push(stack.at(-1) ?? true);
  } else if (/[0-9]/.test(op)) {
    stack.push(stack[Number(op)] ?? true);
  } else {
    throw new Trap(`unknown query operation ${op}`);
  }
}

// ─── the menus Abonent touches ──────────────────────────────────────────────

const SPEED = /^(\d+(?:\.\d+)?)([kMG]?)$/;

/** `10M/5M` → `10000000/5000000`, as print shows it. */
function bitsPair(value: string): string {
  return value
    .split('/')
    .map((part) => {
      const m = SPEED.exec(part.trim());
      if (!m) throw new Trap('value of max-limit out of range', 1);
      const mult = m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : m[2] === 'G' ? 1e9 : 1;
      return String(Math.round(Number(m[1]) * mult));
    })
    .join('/');
}

const stamp = () => new Date().toISOString().slice(0, 19).replace('T', ' ');

export function createMenus() {
  return {
    addressList: new Menu({
      path: '/ip/firewall/address-list',
      verbs: ['print', 'getall', 'add', 'set', 'remove', 'enable', 'disable'],
      fields: ['list', 'address', 'comment', 'timeout', 'disabled'],
      defaults: () => ({ disabled: 'false', dynamic: 'false', 'creation-time': stamp() }),
      // The router shows a host address without its /32.
      normalize: (field, value) => (field === 'address' ? value.replace(/\/32$/, '') : value),
      uniqueKey: (row) => `${row.list}\u0000${row.address}`,
    }),
    pppSecret: new Menu({
      path: '/ppp/secret',
      verbs: ['print', 'getall', 'add', 'set', 'remove', 'enable', 'disable'],
      fields: [
        'name',
        'password',
        'service',
        'profile',
        'local-address',
        'remote-address',
        'comment',
        'disabled',
      ],
      defaults: () => ({ service: 'any', profile: 'default', disabled: 'false', 'caller-id': '' }),
      uniqueKey: (row) => row.name,
      duplicateMessage: 'failure: secret with the same name already exists',
      byName: true,
    }),
    pppProfile: new Menu({
      path: '/ppp/profile',
      verbs: ['print', 'getall', 'add', 'set', 'remove'],
      fields: ['name', 'rate-limit', 'local-address', 'remote-address', 'comment'],
      defaults: () => ({ 'only-one': 'default', 'change-tcp-mss': 'default', default: 'false' }),
      uniqueKey: (row) => row.name,
      duplicateMessage: 'failure: profile with the same name already exists',
      byName: true,
    }),
    pppActive: new Menu({
      path: '/ppp/active',
      verbs: ['print', 'getall', 'remove'],
      fields: ['name', 'service', 'address', 'caller-id', 'uptime'],
      defaults: () => ({ service: 'pppoe', 'caller-id': '', uptime: '1m', encoding: '', radius: 'false' }),
      byName: true,
    }),
    queueSimple: new Menu({
      path: '/queue/simple',
      verbs: ['print', 'getall', 'add', 'set', 'remove', 'enable', 'disable'],
      fields: ['name', 'target', 'max-limit', 'limit-at', 'parent', 'comment', 'disabled'],
      defaults: () => ({
        parent: 'none',
        'limit-at': '0/0',
        'max-limit': '0/0',
        queue: 'default-small/default-small',
        dynamic: 'false',
        disabled: 'false',
        invalid: 'false',
      }),
      normalize: (field, value) => {
        if (field === 'max-limit' || field === 'limit-at') return bitsPair(value);
        // A bare host becomes a /32 target, as the router shows it.
        if (field === 'target') {
          return value
            .split(',')
            .map((t) => (/^\d+\.\d+\.\d+\.\d+$/.test(t) ? `${t}/32` : t))
            .join(',');
        }
        return value;
      },
      uniqueKey: (row) => row.name,
      duplicateMessage: 'failure: already have such name',
      byName: true,
    }),
  };
}

export type RouterOsMenus = ReturnType<typeof createMenus>;
