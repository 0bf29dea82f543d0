import { STATUS_CODES } from 'node:http';
import { Kind, type TSchema, Type } from '@sinclair/typebox';
import { ErrorBody } from '../../protocol/errors.ts';
import type { ResponseDescription, Route } from './route.ts';
import { BODY_METHODS } from './router.ts';

// The OpenAPI 3.1 document is generated from the same route list the router serves, so
// it cannot describe an API other than the one that runs. TypeBox schemas are JSON Schema
// 2020-12 already, which is what OpenAPI 3.1 speaks.

export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
}

type JsonObject = Record<string, unknown>;

export const OPENAPI_PATH = '/api/v1/openapi.json';

export function buildOpenApi(routes: readonly Route[], info: ApiInfo): JsonObject {
  const schemas: JsonObject = {};
  const errorRef = toJsonSchema(ErrorBody, schemas);
  const paths: Record<string, Record<string, unknown>> = {};

  for (const route of routes) {
    if (route.hidden) continue;
    const oasPath = route.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    const parameters: JsonObject[] = [];
    for (const m of route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
      parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    }
    if (route.query) {
      const query = toJsonSchema(route.query, schemas) as { properties?: JsonObject; required?: string[] };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
      }
    }
    if (route.idempotency) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: route.idempotency === 'required',
        description:
          'Repeating a request with the same key returns the first reply instead of applying it again',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      });
    }

    const responses: JsonObject = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = describeResponse(Number(status), response, schemas);
    }
    const error = (status: number, description: string) => {
      responses[status] ??= { description, content: { 'application/json': { schema: errorRef } } };
    };
    const takesBody = route.body !== undefined || BODY_METHODS.has(route.method);
    if (takesBody || route.query || route.idempotency || parameters.length > 0) {
      error(400, 'Bad request: invalid_json, validation_failed, idempotency_key_required');
    }
    if (route.auth !== 'public') error(401, 'Missing or invalid bearer token');
    if (typeof route.auth === 'object') error(403, `Needs the ${route.auth.permission} permission`);
    if (takesBody) {
      error(413, 'Body larger than BODY_LIMIT_BYTES');
      error(415, 'Body is not application/json');
    }
    responses.default = { description: 'Error', content: { 'application/json': { schema: errorRef } } };

    const operation: JsonObject = {
      operationId: route.operationId ?? operationId(route),
      summary: route.summary,
    };
    if (route.description) operation.description = route.description;
    if (route.tags?.length) operation.tags = route.tags;
    if (parameters.length) operation.parameters = parameters;
    if (route.body) {
      operation.requestBody = {
        required: route.bodyOptional !== true,
        content: { 'application/json': { schema: toJsonSchema(route.body, schemas) } },
      };
    }
    operation.responses = responses;
    if (route.auth !== 'public') {
      operation.security = [{ bearer: [] }];
      if (typeof route.auth === 'object') operation['x-permission'] = route.auth.permission;
    }
    paths[oasPath] ??= {};
    paths[oasPath][route.method.toLowerCase()] = operation;
  }

  const document: JsonObject = {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'ABONENT_BOOTSTRAP_TOKEN for machine clients; later also staff and subscriber tokens',
        },
      },
    },
  };
  return document;
}

/** `GET /api/v1/openapi.json`; the document is rebuilt only when routes were added. */
export function openApiRoute(getRoutes: () => readonly Route[], info: ApiInfo): Route {
  let cached = '';
  let cachedFor = -1;
  return {
    method: 'GET',
    path: OPENAPI_PATH,
    summary: 'This document: the OpenAPI 3.1 description of the HTTP API',
    tags: ['system'],
    auth: 'public',
    responses: { 200: Type.Object({}, { additionalProperties: true, description: 'OpenAPI 3.1 document' }) },
    handler() {
      const routes = getRoutes();
      if (cachedFor !== routes.length) {
        cached = JSON.stringify(buildOpenApi(routes, info));
        cachedFor = routes.length;
      }
      return { status: 200, body: cached, contentType: 'application/json' };
    },
  };
}

function describeResponse(
  status: number,
  response: TSchema | ResponseDescription,
  schemas: JsonObject,
): JsonObject {
  if (!isSchema(response)) return { description: response.description };
  return {
    description: response.description ?? STATUS_CODES[status] ?? String(status),
    content: { 'application/json': { schema: toJsonSchema(response, schemas) } },
  };
}

function isSchema(value: TSchema | ResponseDescription): value is TSchema {
  return Kind in value;
}

/**
 * A plain JSON copy of a TypeBox schema. Schemas with an `$id` are moved to
 * components.schemas once and referenced; `Type.Ref('X')` becomes a reference to them.
 */
function toJsonSchema(schema: unknown, schemas: JsonObject): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, schemas));
  if (schema === null || typeof schema !== 'object') return schema;
  const node = schema as JsonObject;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$id') continue;
    if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) {
      out.$ref = `#/components/schemas/${value}`;
      continue;
    }
    out[key] = toJsonSchema(value, schemas);
  }
  if (typeof node.$id === 'string') {
    if (!(node.$id in schemas)) schemas[node.$id] = out;
    return { $ref: `#/components/schemas/${node.$id}` };
  }
  return out;
}

function operationId(route: Route): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((s) => (s.startsWith(':') ? `by_${s.slice(1)}` : s.replace(/[^A-Za-z0-9]+/g, '_')));
  return [route.method.toLowerCase(), ...words].join('_');
}
