import { CHARGE_INLINE } from '../../shared/use-cases/renewal-deps.ts';
import { awsDeps } from '../aws-runtime.ts';
import { metricsSink, logSink } from '../observability.ts';
import { makeRenewProductHandler } from './renew-product.ts';
import { lazyHandler } from '../entry-points.ts';

/**
 * The charge queue's consumer: the same product-night as renew-product, with
 * the provider charged inline. Its event source's maximum concurrency keeps
 * the provider under its rate limit; balance-paid renewals never come here.
 */
function makeChargeRenewalHandler() {
  return makeRenewProductHandler({ ...awsDeps(), charges: CHARGE_INLINE }, true, { metrics: metricsSink(), log: logSink() });
}

export const handler = lazyHandler(() => makeChargeRenewalHandler());
