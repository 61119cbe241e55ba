import { z } from 'zod';
import { listSelectableProducts } from '../../shared/use-cases/manage-products.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { awsDeps } from '../aws-runtime.ts';
import { apiHandler, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';

/** GET /v1/orgs/{orgId}/products?due=2m|all: what the customer can select for payment, with prices and periods. */
export function makeListProductsHandler(deps: Pick<CheckoutDeps, 'store' | 'clock' | 'catalogue' | 'rateLimiter'>, logger?: Logger) {
  return apiHandler(
    {
      auth: true,
      params: z.object({ orgId: resourceId }),
      query: z.object({ due: z.enum(['2m', 'all']).default('2m') }),
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
