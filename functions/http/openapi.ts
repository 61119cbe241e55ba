import * as z from 'zod';
import document from '../../docs/openapi.json' with { type: 'json' };
import { apiHandler, lazyLambda } from './api-handler.ts';
import type { RouteContract } from './route-contract.ts';

export const openApiContract = {
  summary: 'This API described in OpenAPI 3.1',
  tag: 'meta',
  access: 'public',
  status: 200,
  response: { json: z.object({ openapi: z.string() }).loose(), description: 'The OpenAPI document' },
  errors: [],
} satisfies RouteContract;

/**
 * GET /v1/openapi.json: the document made from the routes' contracts
 * (`npm run openapi`, checked equal in npm test), served as written so this
 * function carries no handler code.
 */
export function makeOpenApiHandler() {
  return apiHandler({ auth: false }, () => Promise.resolve(document));
}

export const handler = lazyLambda(() => undefined, makeOpenApiHandler);
