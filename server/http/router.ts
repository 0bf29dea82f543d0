import type { TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import type { Method, Route } from './route.ts';

// Path matching, compiled once per route: exact paths are one Map lookup, paths with
// `:params` one precompiled RegExp each (few, and tried only when no exact path matched).

export interface CompiledRoute {
  route: Route;
  paramNames: readonly string[];
  bodyCheck: TypeCheck<TSchema> | undefined;
  queryCheck: TypeCheck<TSchema> | undefined;
}

/** All routes of one path shape, by method: what answers 405 and OPTIONS. */
export interface PathEntry {
  /** The shape with parameter names erased (`/api/v1/accounts/:`). */
  shape: string;
  methods: Map<string, CompiledRoute>;
  /** The Allow header value, kept current as routes are added. */
  allow: string;
}

interface DynamicPath {
  regex: RegExp;
  entry: PathEntry;
  /** Exact-segment count, so `/a/b/:id` is preferred over `/a/:x/:y`. */
  literalSegments: number;
}

export interface Match {
  entry: PathEntry;
  /** Raw (still percent-encoded) parameter values, in path order; null for exact paths. */
  values: string[] | null;
}

const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

export class Router {
  private readonly exact = new Map<string, PathEntry>();
  private readonly dynamic: DynamicPath[] = [];
  private readonly byShape = new Map<string, PathEntry>();
  readonly routes: Route[] = [];

  add(route: Route): void {
    if (!route.path.startsWith('/')) throw new Error(`route path must start with /: ${route.path}`);
    const segments = route.path.split('/').slice(1);
    const paramNames: string[] = [];
    let literalSegments = 0;
    const shapeParts = segments.map((segment) => {
      const param = PARAM.exec(segment);
      if (param) {
        paramNames.push(param[1]!);
        return ':';
      }
      if (segment.includes(':') || segment.includes('*')) {
        throw new Error(`bad path segment "${segment}" in ${route.path}`);
      }
      literalSegments++;
      return segment;
    });
    const shape = '/' + shapeParts.join('/');

    let entry = this.byShape.get(shape);
    if (!entry) {
      entry = { shape, methods: new Map(), allow: '' };
      this.byShape.set(shape, entry);
      if (paramNames.length === 0) {
        this.exact.set(shape, entry);
      } else {
        const source = shapeParts.map((p) => (p === ':' ? '([^/]+)' : escapeRegExp(p))).join('/');
        this.dynamic.push({ regex: new RegExp(`^/${source}$`), entry, literalSegments });
        this.dynamic.sort((a, b) => b.literalSegments - a.literalSegments);
      }
    }
    if (entry.methods.has(route.method)) throw new Error(`duplicate route ${route.method} ${route.path}`);

    entry.methods.set(route.method, {
      route,
      paramNames,
      bodyCheck: route.body ? TypeCompiler.Compile(route.body) : undefined,
      queryCheck: route.query ? TypeCompiler.Compile(route.query) : undefined,
    });
    entry.allow = allowHeader(entry.methods.keys());
    this.routes.push(route);
  }

  match(path: string): Match | null {
    const entry = this.exact.get(path);
    if (entry) return { entry, values: null };
    for (const d of this.dynamic) {
      const m = d.regex.exec(path);
      if (m) return { entry: d.entry, values: m.slice(1) };
    }
    return null;
  }
}

function allowHeader(methods: Iterable<string>): string {
  const list = [...methods];
  if (list.includes('GET')) list.push('HEAD');
  list.push('OPTIONS');
  return list.join(', ');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const BODY_METHODS: ReadonlySet<Method> = new Set(['POST', 'PUT', 'PATCH']);
