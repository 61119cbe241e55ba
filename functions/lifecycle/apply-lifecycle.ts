import { applyLifecycle } from '../../shared/use-cases/apply-lifecycle.ts';
import type { BillingDeps } from '../../shared/use-cases/renewal-deps.ts';
import { awsDeps } from '../aws-runtime.ts';
import { parseLifecycleMessage } from '../messages.ts';
import { lazyHandler, sqsConsumer } from '../entry-points.ts';

export function makeApplyLifecycleHandler(deps: Pick<BillingDeps, 'store' | 'provisioning' | 'clock'>, logFailures = true) {
  return sqsConsumer((body) => applyLifecycle(deps, parseLifecycleMessage(body)), logFailures);
}

export const handler = lazyHandler(() => makeApplyLifecycleHandler(awsDeps()));
