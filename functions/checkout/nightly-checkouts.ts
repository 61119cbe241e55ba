import middy from '@middy/core';
import { addDays, isIsoDate, type IsoDate } from '../../shared/domain/calendar.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { reconcileGatewayEvents, type ReconcileResult } from '../../shared/use-cases/checkout/gateway-events.ts';
import { checkoutHousekeeping, type HousekeepingResult } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { republishPendingLifecycle } from '../../shared/use-cases/apply-lifecycle.ts';
import { lazyHandler } from '../entry-points.ts';

/** EventBridge Scheduler sends `{ "night": "YYYY-MM-DD" }` or nothing (tonight by the clock). */
export interface NightlyCheckoutsEvent {
  night?: IsoDate;
}

/** Stripe retries a webhook for 3 days; a day more of overlap costs little and misses nothing. */
const RECONCILE_DAYS = 4;

/**
 * The nightly checkout chores, scheduled beside plan-night: settle provider
 * events whose webhooks never arrived, refund orders held past 10 days,
 * release the balance held by abandoned checkouts, and queue again the
 * lifecycle commands a crashed worker recorded but never sent.
 */
export function makeNightlyCheckoutsHandler(deps: CheckoutDeps) {
  return middy<NightlyCheckoutsEvent, { night: IsoDate; reconciled: ReconcileResult; checkouts: HousekeepingResult; lifecycleRequeued: number }>().handler(async (event) => {
    const night = event?.night ?? deps.clock.today();
    if (!isIsoDate(night)) throw new Error(`night must be a date as YYYY-MM-DD, got ${String(night)}`);
    const since = Math.floor(Date.parse(`${addDays(night, -RECONCILE_DAYS)}T00:00:00Z`) / 1000);
    // From the watermark: a night lists the events since the last one, not the whole retry window again.
    const reconciled = await reconcileGatewayEvents(deps, since, { useWatermark: true });
    const checkouts = await checkoutHousekeeping(deps, night);
    const lifecycleRequeued = await republishPendingLifecycle(deps, night);
    return { night, reconciled, checkouts, lifecycleRequeued };
  });
}

export const handler = lazyHandler(() => makeNightlyCheckoutsHandler(awsCheckoutDeps()));
