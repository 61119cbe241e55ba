import { describe, expect, it } from 'vitest';
import { makeApplyLifecycleHandler } from '../../functions/lifecycle/apply-lifecycle.ts';
import { makeSweepLifecycleHandler } from '../../functions/lifecycle/sweep-lifecycle.ts';
import { makeSettlePaymentHandler } from '../../functions/checkout/settle-payment.ts';
import { runNight } from '../../functions/local-runtime.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

// A customer pays a blocked product; the settlement worker commits (invoice, renewal, the unblock
// command) and dies before queueing the unblock. The sweep, not the next night, unblocks it.
const db = useDynamoDbLocal();
const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });
const at = (iso: string): Clock => ({ today: () => iso.slice(0, 10), now: () => iso });

describe('lifecycle commands committed with a payment', () => {
  it('are delivered by the 5-minute sweep when the worker that committed them died before sending', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-30' });
    const { org } = await anOrg(rt);
    await aProduct(rt, org.id, { id: 'late', typeId: 'web-hosting', expiry: '2026-12-31', autoRenew: false });
    // Web hosting is blocked 3 days after expiry.
    await runNight(rt, '2027-01-03');
    expect((await rt.store.getProduct(org.id, 'late'))!.status).toBe('blocked');
    expect(rt.provisioning.calls.map((c) => c.action)).toEqual(['block']);

    rt.clock.day = '2027-01-04';
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'late' }], method: 'card', requestId: 'req-late-sweep' }, owner(org.id));
    // The provider's webhook is stored and queued; its settlement worker then dies right after its commit.
    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_visa');
    const dying = {
      ...rt.deps,
      lifecycleQueue: {
        send: async () => {
          throw new Error('worker killed after its commit');
        },
      },
    };
    await rt.settlementQueue.drain(makeSettlePaymentHandler(dying, false));
    expect((await rt.store.getProduct(org.id, 'late'))!.expiry).toBe('2027-12-31');
    expect(rt.lifecycleQueue.depth).toBe(0);

    // Within the grace of 2 minutes the sweep leaves the command to its worker; 5 minutes on it sends it.
    const sweep = (iso: string) => makeSweepLifecycleHandler({ ...rt.deps, clock: at(iso) })({}, {} as never);
    expect(await sweep('2027-01-04T02:01:00.000Z')).toEqual({ sent: 0 });
    expect(await sweep('2027-01-04T02:05:00.000Z')).toEqual({ sent: 1 });
    await rt.lifecycleQueue.drain(makeApplyLifecycleHandler(rt.deps, false));
    expect(rt.provisioning.calls.map((c) => c.action)).toEqual(['block', 'unblock']);
    expect((await rt.store.getProduct(org.id, 'late'))!.status).toBe('active');
    // Applied once: a later sweep finds nothing pending.
    expect(await sweep('2027-01-04T02:10:00.000Z')).toEqual({ sent: 0 });
    await rt.close();
  });
});
