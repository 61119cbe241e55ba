import { applyLifecycle } from '../../shared/use-cases/apply-lifecycle.ts';
import type { BillingDeps } from '../../shared/use-cases/renewal-deps.ts';
import { awsStoreDeps } from '../aws-store-runtime.ts';
import { parseLifecycleMessage } from '../messages.ts';
import { lazyHandler, sqsConsumer } from '../entry-points.ts';
import { countLifecycle, logSink, metricsSink } from '../observability.ts';
import type { Reporting } from '../renewal/renew-product.ts';

export function makeApplyLifecycleHandler(deps: Pick<BillingDeps, 'store' | 'provisioning' | 'clock'>, logFailures = true, reporting?: Reporting) {
  return sqsConsumer(
    async (body) => {
      const msg = parseLifecycleMessage(body);
      const result = await applyLifecycle(deps, msg);
      if (reporting) {
        // The command id is `<product>#<action>`.
        const [productId, action] = [msg.commandId.slice(0, msg.commandId.lastIndexOf('#')), msg.commandId.slice(msg.commandId.lastIndexOf('#') + 1)];
        countLifecycle(reporting.metrics, action, result);
        reporting.log.info('lifecycle command', { night: msg.date, productId, action, status: result.status });
      }
      return result;
    },
    logFailures,
    reporting?.metrics,
  );
}

export const handler = lazyHandler(() => makeApplyLifecycleHandler(awsStoreDeps(), true, { metrics: metricsSink(), log: logSink() }));
