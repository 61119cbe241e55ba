import * as z from 'zod';
import { API_SCHEMAS } from './response-schemas.ts';
import type { RouteContract } from './route-contract.ts';

/** A route as the document needs it: its method, path and contract. */
export interface DocumentedRoute {
  method: string;
  path: string;
  contract: RouteContract;
}

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a zod schema, as a request is sent (`input`) or an answer read (`output`). */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const COMPONENTS = '#/components/schemas/';

/** The named answer schemas, each once, referring to one another by `$ref`. */
function components(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(API_SCHEMAS, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', uri: (id) => `${COMPONENTS}${id}` }) as {
    schemas: Record<string, JsonSchema>;
  };
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _d, $id: _i, ...rest }]) => [id, rest]));
}

/** An answer: a reference to its component when it has a name, else inline. */
function answerSchema(schema: z.ZodType): JsonSchema {
  const id = API_SCHEMAS.get(schema)?.id;
  return id ? { $ref: `${COMPONENTS}${id}` } : schemaOf(schema, 'output');
}

const optional = (schema: z.ZodType) => schema.safeParse(undefined).success;

function parameters(location: 'path' | 'query' | 'header', object: z.ZodObject | undefined): JsonSchema[] {
  if (!object) return [];
  return Object.entries(object.shape as Record<string, z.ZodType>).map(([name, schema]) => ({
    name,
    in: location,
    required: location === 'path' || !optional(schema),
    schema: schemaOf(schema, 'input'),
  }));
}

/** `GET /v1/orgs/{orgId}/invoices` → `getOrgsInvoices`: unique per route, stable across releases. */
function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s && s !== 'v1' && !s.startsWith('{'))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  const tail = path.endsWith('}') ? 'One' : '';
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') + tail;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is invalid: the message says which field and why',
  401: 'No valid bearer token',
  403: 'The token does not allow this (role, organisation or scope)',
  404: 'Not found (or not visible to this caller)',
  409: 'A conflict with the current state (an id taken, a method in use, a key reused)',
  413: 'The body is larger than this route takes',
  415: 'The body is not in a format this route reads',
  422: 'Refused by a business rule (the message gives the rule)',
  429: 'Over the rate limit: retry after the `Retry-After` seconds',
  500: 'An internal error (nothing is revealed)',
};

/**
 * The OpenAPI 3.1 document of the API, made from each route's contract:
 * its operation, parameters, request and answer schemas, and the one error
 * shape for every error status it may answer.
 */
export function openApiDocument(routes: readonly DocumentedRoute[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path, contract } of routes) {
    const errors = [...new Set([...contract.errors, ...(contract.access === 'public' ? [] : [401, 429]), 500])].sort((a, b) => a - b);
    const responses: Record<string, unknown> = {
      [String(contract.status)]:
        'json' in contract.response
          ? { description: contract.response.description, content: { 'application/json': { schema: answerSchema(contract.response.json) } } }
          : {
              description: contract.response.description,
              content: Object.fromEntries(
                (typeof contract.response.file === 'string' ? [contract.response.file] : contract.response.file).map((type) => [
                  type,
                  { schema: { type: 'string', contentMediaType: type } },
                ]),
              ),
            },
    };
    for (const status of errors) {
      responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
    }
    const request = contract.request;
    (paths[path] ??= {})[method.toLowerCase()] = {
      operationId: operationId(method, path),
      summary: contract.summary,
      ...(contract.description ? { description: contract.description } : {}),
      tags: [contract.tag],
      security: contract.access === 'public' ? [] : [{ bearerAuth: contract.scope ? [contract.scope] : [] }],
      parameters: [...parameters('path', contract.params), ...parameters('query', contract.query), ...parameters('header', contract.headers)],
      ...(request
        ? {
            requestBody: {
              required: true,
              content:
                'json' in request
                  ? { 'application/json': { schema: schemaOf(request.json, 'input') } }
                  : Object.fromEntries(Object.entries(request.raw).map(([type, description]) => [type, { schema: { type: 'string', description } }])),
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Renewal billing engine API',
      version: info.version,
      description:
        'Customers (their organisation and role decide what they see and pay), finance staff (scope `billing:finance`) and the provider back-office (scope `billing:backoffice`). Amounts are decimal strings. Every error has the shape `{ error: { code, message, status } }`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'products', description: "The customer's products and their renewal" },
      { name: 'checkout', description: 'Paying a selection, and the orders waiting for their payment' },
      { name: 'account', description: 'Invoices, balance and saved payment methods' },
      { name: 'finance', description: 'Exports for finance' },
      { name: 'webhooks', description: "The payment provider's events" },
      { name: 'back-office', description: "The provider's own systems (scope billing:backoffice), every call audited" },
      { name: 'meta', description: 'This document' },
    ],
    paths,
    components: {
      schemas: components(),
      responses: Object.fromEntries(
        Object.entries(ERROR_TEXT).map(([status, description]) => [`Error${status}`, { description, content: { 'application/json': { schema: { $ref: `${COMPONENTS}Error` } } } }]),
      ),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT of the provider identity service. Scopes (`billing:finance`, `billing:backoffice`) are listed where a route needs one.',
        },
      },
    },
  };
}
