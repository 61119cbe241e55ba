import middy from '@middy/core';
import { isIsoDate, type IsoDate } from '../../shared/domain/calendar.ts';
import { planNight, type PlanNightResult } from '../../shared/use-cases/plan-night.ts';
import { awsStoreDeps } from '../aws-store-runtime.ts';
import { lazyHandler } from '../entry-points.ts';

/** EventBridge Scheduler sends `{ "night": "YYYY-MM-DD" }` or nothing (tonight by the clock). */
export interface PlanNightEvent {
  night?: IsoDate;
}

type Deps = Parameters<typeof planNight>[0];

export function makePlanNightHandler(deps: Deps) {
  return middy<PlanNightEvent, PlanNightResult>().handler(async (event) => {
    const night = event?.night ?? deps.clock.today();
    if (!isIsoDate(night)) throw new Error(`night must be a date as YYYY-MM-DD, got ${String(night)}`);
    return planNight(deps, night);
  });
}

export const handler = lazyHandler(() => makePlanNightHandler(awsStoreDeps()));
