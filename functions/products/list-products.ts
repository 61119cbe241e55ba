import { z } from 'zod';
import { listSelectableProducts } from '../../shared/use-cases/manage-products.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { awsDeps } from '../aws-runtime.ts';
import { apiHandler, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';
import { ProductListResponse } from '../http/response-schemas.ts';
import type { RouteContract } from '../http/route-contract.ts';

export const listProductsContract = {
  summary: 'Products the customer can select for payment, with their prices and periods',
  description: 'By default the products due in the next 2 months (docs/domain.md R-13); `due=all` lists every product that is not terminated.',
  tag: 'products',
  access: 'user',
  params: z.object({ orgId: resourceId }),
  query: z.object({ due: z.enum(['2m', 'all']).default('2m') }),
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
      products: await listSelectableProducts(deps, params.orgId, query.due, actor),
    }),
  );
}

export const handler = lazyLambda(awsDeps, makeListProductsHandler);
