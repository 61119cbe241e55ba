import { renewProduct } from '../../shared/use-cases/renew-product.ts';
import type { BillingDeps } from '../../shared/use-cases/renewal-deps.ts';
import { awsStoreDeps } from '../aws-store-runtime.ts';
import { parseRenewalMessage } from '../messages.ts';
import { lazyHandler, sqsConsumer } from '../entry-points.ts';
import { countRenewal, logSink, metricsSink, type LogSink, type MetricsSink } from '../observability.ts';

/** What a deployed consumer reports beside its work: metrics, and one log line per product-night with its ids. */
export interface Reporting {
  metrics: MetricsSink;
  log: LogSink;
}

/** SQS consumer: each record settles on its own; failed ones come back, then go to the DLQ. */
export function makeRenewProductHandler(deps: BillingDeps, logFailures = true, reporting?: Reporting) {
  return sqsConsumer(
    async (body) => {
      const msg = parseRenewalMessage(body);
      const result = await renewProduct(deps, msg);
      if (reporting) {
        countRenewal(reporting.metrics, result);
        reporting.log.info('product-night', {
          orgId: msg.orgId,
          productId: msg.productId,
          night: msg.night,
          status: result.status,
          ...(result.status === 'done' ? { outcome: result.outcome } : result.status === 'skipped' ? { reason: result.reason } : {}),
        });
      }
      return result;
    },
    logFailures,
    reporting?.metrics,
  );
}

export const handler = lazyHandler(() => makeRenewProductHandler(awsStoreDeps(), true, { metrics: metricsSink(), log: logSink() }));
