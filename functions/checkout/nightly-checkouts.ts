import middy from '@middy/core';
import { addDays, isIsoDate, type IsoDate } from '../../shared/domain/calendar.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { reconcileGatewayEvents, type ReconcileResult } from '../../shared/use-cases/checkout/gateway-events.ts';
import { checkoutHousekeeping, type HousekeepingResult } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { republishPendingLifecycle } from '../../shared/use-cases/apply-lifecycle.ts';
import { lazyHandler } from '../entry-points.ts';

/**
 * EventBridge Scheduler sends `{ "night": "YYYY-MM-DD" }` or nothing (tonight by the clock); the hourly
 * schedule sends `{ "reconcileOnly": true }`: the provider's new events only, no chores.
 */
export interface NightlyCheckoutsEvent {
  night?: IsoDate;
  reconcileOnly?: boolean;
}

/**
 * What a run keeps of its 15 minutes for the hour it may be listing (under three minutes at the charge
 * queue's pace, gateway-events.ts) and the chores after it: a run that reaches it stops reconciling, and
 * the next hourly run goes on from the watermark.
 */
export const RECONCILE_RESERVE_MS = 5 * 60_000;

/** Stripe retries a webhook for 3 days; a day more of overlap costs little and misses nothing. */
const RECONCILE_DAYS = 4;

/**
 * The nightly checkout chores, scheduled beside plan-night: settle provider
 * events whose webhooks never arrived (hourly as well, so a night of a
 * million card renewals is listed as it goes), refund orders held past 10 days,
 * release the balance held by abandoned checkouts, and queue again the
 * lifecycle commands a crashed worker recorded but never sent.
 */
export function makeNightlyCheckoutsHandler(deps: CheckoutDeps) {
  return middy<NightlyCheckoutsEvent, { night: IsoDate; reconciled: ReconcileResult; checkouts?: HousekeepingResult; lifecycleRequeued?: number }>().handler(
    async (event, context) => {
      const night = event?.night ?? deps.clock.today();
      if (!isIsoDate(night)) throw new Error(`night must be a date as YYYY-MM-DD, got ${String(night)}`);
      const since = Math.floor(Date.parse(`${addDays(night, -RECONCILE_DAYS)}T00:00:00Z`) / 1000);
      // From the watermark: a run lists the events since the last one, not the whole retry window again.
      const shouldStop = typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() < RECONCILE_RESERVE_MS : undefined;
      const reconciled = await reconcileGatewayEvents(deps, since, { useWatermark: true, ...(shouldStop ? { shouldStop } : {}) });
      if (!reconciled.complete) console.warn(JSON.stringify({ msg: 'reconciliation stopped at its time limit; the next run goes on from the watermark', ...reconciled }));
      if (event?.reconcileOnly) return { night, reconciled };
      const checkouts = await checkoutHousekeeping(deps, night);
      const lifecycleRequeued = await republishPendingLifecycle(deps, night);
      return { night, reconciled, checkouts, lifecycleRequeued };
    },
  );
}

export const handler = lazyHandler(() => makeNightlyCheckoutsHandler(awsCheckoutDeps()));
