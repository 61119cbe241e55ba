import { describe, expect, it } from 'vitest';
import { drainQueues, runNight } from '../../functions/local-runtime.ts';
import { type BillingStore } from '../../shared/ports/billing-store.ts';
import { WriteConflict, type Change } from '../../shared/ports/unit-of-work.ts';
import type { Actor } from '../../shared/use-cases/actor.ts';
import { getCheckout } from '../../shared/use-cases/checkout/get-checkout.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { aProduct, anOrg, heldRenewal, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

// A customer pays a product by hand while the night wants to charge it: whichever takes the
// product first (the checkout's mark, or the night's held attempt) has it, the other leaves it alone.
const db = useDynamoDbLocal();

const owner = (orgId: string): Actor => ({ kind: 'user', userId: `owner-${orgId}` });

type Rt = Awaited<ReturnType<typeof runtime>>;

async function setUp(rt: Rt, id: string) {
  const { org, method } = await anOrg(rt, { method: 'pm_card_visa' });
  await aProduct(rt, org.id, { id, expiry: '2026-12-31', paymentMethodId: method!.id });
  const product = (await rt.store.getProduct(org.id, id))!;
  // What the night's worker writes before it calls the provider (pay-renewal's hold): 14.05 = 13.00 + 8.1 %.
  const { attempt, hold } = heldRenewal(product, method!.id, '14.05', '2026-12-17');
  return { org, product, attempt, hold };
}

describe('a checkout and the night racing for one product', () => {
  it('refuses the hold of a night worker that read the product before the checkout took it', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    const { org, hold } = await setUp(rt, 'stale');
    // The customer opens a checkout; a night worker holding the product as it was read before then tries its attempt.
    const view = await startCheckout(rt.deps, org.id, { items: [{ productId: 'stale' }], method: 'card', requestId: 'req-stale-001' }, owner(org.id));
    await expect(rt.store.commit(hold)).rejects.toBeInstanceOf(WriteConflict);
    // The night itself, run now, leaves the product to the checkout.
    await runNight(rt, '2026-12-17');
    expect(rt.sandbox.calls).toHaveLength(0);

    await rt.sandbox.confirmPayment(view.payment!.paymentRef, 'pm_card_visa');
    await drainQueues(rt);
    expect(await getCheckout(rt.deps, org.id, view.checkoutId, owner(org.id))).toMatchObject({ status: 'paid', invoiceNumber: 'INV-CH-2026-000001' });
    expect((await rt.store.getProduct(org.id, 'stale'))!.expiry).toBe('2027-12-31');
    // The provider took 14.05 once (13.00 + 8.1 % VAT).
    expect(rt.sandbox.chargeList().map((c) => [c.received, c.refunded])).toEqual([['14.05', '0.00']]);
    await rt.close();
  });

  it("answers 409 to a checkout while the night's attempt is in flight", async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    const { org, hold } = await setUp(rt, 'busy');
    await rt.store.commit(hold);
    await expect(startCheckout(rt.deps, org.id, { items: [{ productId: 'busy' }], method: 'card', requestId: 'req-busy-0001' }, owner(org.id))).rejects.toMatchObject({
      status: 409,
      code: 'payment_in_progress',
    });
    expect(await rt.store.listCheckouts(org.id)).toEqual([]);
    await rt.close();
  });

  it('sees an attempt held between its look for one and its commit, and takes nothing', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-12-17' });
    const { org, attempt, hold } = await setUp(rt, 'race');
    // The night holds its attempt just before the checkout commits (holding does not move the product's version).
    let held = false;
    const racing: BillingStore = Object.create(rt.store, {
      commit: {
        value: async (changes: Change[]) => {
          if (!held && changes.some((c) => c.type === 'noPendingAttempt')) {
            held = true;
            await rt.store.commit(hold);
          }
          return rt.store.commit(changes);
        },
      },
    });
    await expect(
      startCheckout({ ...rt.deps, store: racing }, org.id, { items: [{ productId: 'race' }], method: 'card', requestId: 'req-race-0001' }, owner(org.id)),
    ).rejects.toMatchObject({ status: 409, code: 'payment_in_progress' });
    expect(held).toBe(true);
    expect(await rt.store.listCheckouts(org.id)).toEqual([]);
    expect((await rt.store.getProduct(org.id, 'race'))!.openCheckoutId).toBeUndefined();
    expect(await rt.store.getAttempt(org.id, attempt.id)).toMatchObject({ status: 'pending' });
    await rt.close();
  });
});
