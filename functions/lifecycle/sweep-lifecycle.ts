import middy from '@middy/core';
import { sweepLifecycle } from '../../shared/use-cases/apply-lifecycle.ts';
import type { BillingDeps } from '../../shared/use-cases/renewal-deps.ts';
import { awsStoreDeps } from '../aws-store-runtime.ts';
import { lazyHandler } from '../entry-points.ts';

/**
 * Every 5 minutes (EventBridge Scheduler): lifecycle commands committed with a
 * payment whose worker died before queueing them are sent to the lifecycle
 * queue, so a paid product is unblocked within minutes whoever crashed.
 */
export function makeSweepLifecycleHandler(deps: Pick<BillingDeps, 'store' | 'lifecycleQueue' | 'clock'>) {
  return middy<unknown, { sent: number }>().handler(async (event) => {
    // The schedule sends {}: anything else is a mistaken target, refused before any read.
    if (event && typeof event === 'object' && Object.keys(event).length > 0) throw new Error(`the lifecycle sweep takes no input, got ${JSON.stringify(event)}`);
    return { sent: await sweepLifecycle(deps) };
  });
}

export const handler = lazyHandler(() => makeSweepLifecycleHandler(awsStoreDeps()));
