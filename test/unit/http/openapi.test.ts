import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../functions/http/openapi-document.ts';
import { ROUTES, routeKey } from '../../../functions/http/routes.ts';
import type { RouteContract } from '../../../functions/http/route-contract.ts';
import { nonConformance } from '../../support/openapi-conformance.ts';

type Operation = {
  operationId: string;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>;
  security: Record<string, string[]>[];
};
const published = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8')) as {
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
};
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
const operationOf = (method: string, path: string) => published.paths[path]?.[method.toLowerCase()];

/** POSTs that act on the path alone: nothing to send. */
const NO_BODY = new Set([
  'POST /v1/admin/orgs/{orgId}/orders/{checkoutId}/release',
  'POST /v1/finance/orgs/{orgId}/orders/{checkoutId}/release',
  'POST /v1/finance/orgs/{orgId}/orders/{checkoutId}/cancel',
  'POST /v1/orgs/{orgId}/checkouts/{checkoutId}/cancel',
  'POST /v1/admin/persons/{userId}/erasure',
]);

describe('the OpenAPI document (docs/openapi.json, GET /v1/openapi.json)', () => {
  it('is the document made from the routes as they are (run `npm run openapi` after changing a route)', () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(openApiDocument(ROUTES, { version: pkg.version }))));
  });

  it('is a valid OpenAPI 3.1 document by the maintained validator, its references resolving', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(published));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('has an operation for every route, with its request, its answer and the one error shape', () => {
    const ids = new Set<string>();
    for (const route of ROUTES) {
      const key = routeKey(route);
      const op = operationOf(route.method, route.path);
      expect(op, key).toBeDefined();
      ids.add(op!.operationId);
      const success = op!.responses[String(route.contract.status)];
      expect(success?.content, `${key}: its answer`).toBeDefined();
      for (const media of Object.values(success!.content!)) expect(media.schema, key).toBeDefined();
      if (['POST', 'PUT', 'PATCH'].includes(route.method) && !NO_BODY.has(key)) expect(op!.requestBody, `${key}: its request`).toBeDefined();
      const errors = Object.entries(op!.responses).filter(([status]) => Number(status) >= 400);
      expect(
        errors.map(([s]) => s),
        key,
      ).toContain('500');
      for (const [, r] of errors) expect(r.$ref, key).toMatch(/^#\/components\/responses\/Error\d{3}$/);
      if (route.auth)
        expect(
          errors.map(([s]) => s),
          key,
        ).toEqual(expect.arrayContaining(['401', '429']));
      expect(op!.security.length > 0, `${key}: security`).toBe(route.auth);
      if (route.contract.access === 'back-office') {
        expect(op!.security).toEqual([{ bearerAuth: [route.path.startsWith('/v1/finance/') ? 'billing:finance' : 'billing:backoffice'] }]);
      }
    }
    expect(ids.size).toBe(ROUTES.length);
    const documented = Object.entries(published.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('fails to describe a route that lacks its answer or its request', () => {
    const broken = { ...ROUTES[0]!, contract: { ...ROUTES[0]!.contract, response: undefined } as unknown as RouteContract };
    expect(() => openApiDocument([broken], { version: '0' })).toThrow();
  });

  it('is checked by a validator that refuses a broken document', async () => {
    const broken = structuredClone(published) as unknown as Record<string, unknown> & { paths: Record<string, Record<string, Record<string, unknown>>> };
    (broken.paths['/v1/orgs/{orgId}/balance']!.get!.parameters as { in: string }[])[0]!.in = 'body';
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('documents amounts as decimal strings, never numbers', () => {
    const text = JSON.stringify(published);
    for (const field of ['"total"', '"balance"', '"amountDue"', '"price"']) {
      const at = text.indexOf(`${field}:{`);
      expect(at, field).toBeGreaterThan(-1);
      expect(text.slice(at, at + 60), field).toContain('"type":"string"');
    }
  });

  it('finds an answer that strays from its schema, a status it does not list, and a path it does not have', () => {
    const ok = JSON.stringify({ removed: 'pm-1' });
    expect(nonConformance('DELETE', '/v1/orgs/acme/payment-methods/pm-1', 200, 'application/json', ok)).toBeUndefined();
    expect(nonConformance('DELETE', '/v1/orgs/acme/payment-methods/pm-1', 200, 'application/json', JSON.stringify({ removed: 1 }))).toMatch(/does not match/);
    expect(nonConformance('DELETE', '/v1/orgs/acme/payment-methods/pm-1', 200, 'application/json', JSON.stringify({ removed: 'x', extra: true }))).toMatch(/does not match/);
    expect(nonConformance('DELETE', '/v1/orgs/acme/payment-methods/pm-1', 201, 'application/json', ok)).toMatch(/does not list/);
    expect(nonConformance('GET', '/v1/orgs/acme/invoices/INV-CH-2026-000001.pdf', 200, 'application/pdf', '')).toBeUndefined();
    expect(nonConformance('GET', '/v1/orgs/acme/balance', 403, 'application/json', JSON.stringify({ error: { code: 'forbidden', message: 'no', status: 403 } }))).toBeUndefined();
    expect(nonConformance('GET', '/v1/orgs/acme/balance', 403, 'application/json', JSON.stringify({ message: 'no' }))).toMatch(/does not match/);
    expect(nonConformance('GET', '/v1/nowhere', 200, 'application/json', '{}')).toMatch(/no such path/);
  });
});
