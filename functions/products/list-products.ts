import * as z from 'zod';
import { listSelectableProductsPage, MAX_PAGE } from '../../shared/use-cases/manage-products.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { awsStoreDeps } from '../aws-store-runtime.ts';
import { apiHandler, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';
import { ProductListResponse } from '../http/response-schemas.ts';
import type { RouteContract } from '../http/route-contract.ts';

export const listProductsContract = {
  summary: 'Products the customer can select for payment, with their prices and periods, a page at a time',
  description:
    'By default the products due in the next 2 months (docs/domain.md R-13); `due=all` lists every product that is not terminated. In expiry order, `limit` (default 100, at most 500) a page, one read each: `nextCursor` is where the next page starts (pass it as `cursor`); absent on the last page. A page may hold fewer products than `limit` (terminated ones, or those a collaborator was not given, are left out).',
  tag: 'products',
  access: 'user',
  params: z.object({ orgId: resourceId }),
  query: z.object({
    due: z.enum(['2m', 'all']).default('2m'),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
    cursor: z.string().min(1).max(300).optional(),
  }),
  status: 200,
  response: { json: ProductListResponse, description: 'The selectable products' },
  errors: [400, 403, 404],
} satisfies RouteContract;

/** GET /v1/orgs/{orgId}/products?due=2m|all: what the customer can select for payment, with prices and periods. */
export function makeListProductsHandler(deps: Pick<CheckoutDeps, 'store' | 'clock' | 'catalogue' | 'rateLimiter'>, logger?: Logger) {
  return apiHandler(
    {
      auth: true,
      params: listProductsContract.params,
      query: listProductsContract.query,
      logger,
      rateLimiter: deps.rateLimiter,
    },
    async ({ actor, params, query }) => ({
      due: query.due,
      ...(await listSelectableProductsPage(deps, params.orgId, query.due, actor, { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) })),
    }),
  );
}

export const handler = lazyLambda(awsStoreDeps, makeListProductsHandler);
