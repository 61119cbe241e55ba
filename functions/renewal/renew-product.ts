import { renewProduct } from '../../shared/use-cases/renew-product.ts';
import type { BillingDeps } from '../../shared/use-cases/renewal-deps.ts';
import { awsDeps } from '../aws-runtime.ts';
import { parseRenewalMessage } from '../messages.ts';
import { lazyHandler, sqsConsumer } from '../entry-points.ts';

/** SQS consumer: each record settles on its own; failed ones come back, then go to the DLQ. */
export function makeRenewProductHandler(deps: BillingDeps, logFailures = true) {
  return sqsConsumer((body) => renewProduct(deps, parseRenewalMessage(body)), logFailures);
}

export const handler = lazyHandler(() => makeRenewProductHandler(awsDeps()));
