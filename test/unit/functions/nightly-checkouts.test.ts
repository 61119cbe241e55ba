import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeNightlyCheckoutsHandler, RECONCILE_RESERVE_MS } from '../../../functions/checkout/nightly-checkouts.ts';
import type { PaymentGateway } from '../../../shared/ports/payment-gateway.ts';
import { runtime } from '../../support/local-stack.ts';

async function setUp() {
  const rt = await runtime('memory', { today: '2026-12-17' });
  const windows: [number, number | undefined][] = [];
  const gateway = Object.create(rt.deps.gateway) as PaymentGateway;
  gateway.listEvents = async (since, _types, until) => {
    windows.push([since, until]);
    return [];
  };
  return { handler: makeNightlyCheckoutsHandler({ ...rt.deps, gateway, settlementQueue: { send: async () => {} } }), windows };
}

const context = (remaining: () => number) => ({ getRemainingTimeInMillis: remaining }) as unknown as Context;

describe('the nightly checkouts function', () => {
  it('reconciles only, without the chores, when the hourly schedule asks', async () => {
    const { handler, windows } = await setUp();
    const out = await handler(
      { night: '2026-12-17', reconcileOnly: true },
      context(() => 900_000),
    );
    expect(Object.keys(out).sort()).toEqual(['night', 'reconciled']);
    expect(out.reconciled.complete).toBe(true);
    expect(windows.length).toBeGreaterThan(1);
  });

  it('stops listing when the time left is its reserve, says so, and still does the chores', async () => {
    const { handler, windows } = await setUp();
    // Each window listed costs a minute of the run's 15: after ten, 5 minutes are left, the reserve, not less;
    // after the eleventh, 4: it stops there.
    expect(RECONCILE_RESERVE_MS).toBe(5 * 60_000);
    const out = await handler(
      { night: '2026-12-17' },
      context(() => 900_000 - 60_000 * windows.length),
    );
    expect(out.reconciled.complete).toBe(false);
    expect(out.reconciled.windows).toBe(11);
    expect(windows).toHaveLength(out.reconciled.windows);
    expect(out.checkouts).toEqual({ holdsRefunded: 0, checkoutsCanceled: 0, checkoutsSettled: 0 });
  });
});
