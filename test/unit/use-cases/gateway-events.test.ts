import { describe, expect, it } from 'vitest';
import { signWebhookPayload, SANDBOX_WEBHOOK_SECRET } from '../../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import type { GatewayEvent, PaymentGateway } from '../../../shared/ports/payment-gateway.ts';
import { reconcileGatewayEvents, receiveWebhook } from '../../../shared/use-cases/checkout/gateway-events.ts';
import type { CheckoutDeps, SettlementMessage } from '../../../shared/use-cases/checkout/checkout-deps.ts';
import { runtime } from '../../support/local-stack.ts';

// Events as the provider sends them: an off-session renewal's PaymentIntent carries the attempt (as
// pay-renewal.ts sets it), a checkout's carries the checkout.
const renewalPayment: GatewayEvent = {
  id: 'evt_renewal',
  type: 'payment_intent.succeeded',
  created: 1_900_000_000,
  object: { id: 'pi_r', object: 'payment_intent', metadata: { orgId: 'acme', productId: 'dom', attemptId: 'dom#2026-12-31#1', periodStart: '2026-12-31' } },
};
const checkoutPayment: GatewayEvent = {
  id: 'evt_checkout',
  type: 'payment_intent.succeeded',
  created: 1_900_000_001,
  object: { id: 'pi_c', object: 'payment_intent', metadata: { orgId: 'acme', checkoutId: 'chk_1', purpose: 'products' } },
};
const renewalRefund: GatewayEvent = {
  id: 'evt_refund',
  type: 'charge.refunded',
  created: 1_900_000_002,
  object: { id: 'ch_r', object: 'charge', payment_intent: 'pi_r', metadata: { orgId: 'acme', attemptId: 'dom#2026-12-31#1', reason: 'superseded_by_checkout' } },
};

async function setUp() {
  const rt = await runtime('memory', { today: '2026-12-17' });
  const queued: SettlementMessage[] = [];
  const deps: CheckoutDeps = { ...rt.deps, settlementQueue: { send: async (m) => void queued.push(...m) } };
  return { rt, deps, queued };
}

const signed = (e: GatewayEvent) => {
  const raw = JSON.stringify({ id: e.id, object: 'event', type: e.type, created: e.created, data: { object: e.object } });
  return { raw, sig: signWebhookPayload(raw, SANDBOX_WEBHOOK_SECRET, Math.floor(Date.now() / 1000)) };
};

describe('provider events at the intake', () => {
  it("acknowledges a renewal's own payment event without keeping or queueing it; keeps and queues a checkout's and a renewal's refund", async () => {
    const { rt, deps, queued } = await setUp();
    for (const e of [renewalPayment, checkoutPayment, renewalRefund]) {
      const { raw, sig } = signed(e);
      expect(await receiveWebhook(deps, raw, sig)).toEqual({ eventId: e.id, duplicate: false });
    }
    expect(await rt.store.getGatewayEvent('evt_renewal')).toBeUndefined();
    expect((await rt.store.getGatewayEvent('evt_checkout'))?.status).toBe('received');
    expect((await rt.store.getGatewayEvent('evt_refund'))?.status).toBe('received');
    expect(queued).toEqual([{ eventId: 'evt_checkout' }, { eventId: 'evt_refund' }]);
  });

  it('leaves renewal payment events out of the nightly reconciliation too', async () => {
    const { rt, deps } = await setUp();
    const gateway = Object.create(rt.deps.gateway) as PaymentGateway;
    gateway.listEvents = async (since, _types, until) => [renewalPayment, renewalRefund].filter((e) => e.created >= since && (until === undefined || e.created < until));
    const result = await reconcileGatewayEvents({ ...deps, gateway }, 4 * 86_400);
    expect(result).toMatchObject({ listed: 2, missing: 1 });
    expect(await rt.store.getGatewayEvent('evt_renewal')).toBeUndefined();
    expect(await rt.store.getGatewayEvent('evt_refund')).toBeDefined();
  });
});

describe('the nightly reconciliation, from its watermark', () => {
  const at = (n: number, created: number): GatewayEvent => ({ ...checkoutPayment, id: `evt_${n}`, created, object: { ...checkoutPayment.object, id: `pi_${n}` } });

  it('lists from the watermark less an hour, queues only what was never stored or processed, and moves the watermark', async () => {
    const { rt, deps, queued } = await setUp();
    const asked: number[] = [];
    const provider = [at(1, 1_900_000_000), at(2, 1_900_003_600), at(3, 1_900_007_200)];
    const gateway = Object.create(rt.deps.gateway) as PaymentGateway;
    gateway.listEvents = async (since) => {
      asked.push(since);
      return provider.filter((e) => e.created >= since);
    };
    const d = { ...deps, gateway };
    const since = 1_899_000_000;

    // First night: no watermark, the whole window; the three never arrived.
    // The clock is in 2026, the events in 2030: one window, open-ended, lists them.
    expect(await reconcileGatewayEvents(d, since, { useWatermark: true })).toEqual({ from: since, listed: 3, missing: 3, queued: 3, windows: 1, complete: true });
    expect(queued.map((m) => m.eventId)).toEqual(['evt_1', 'evt_2', 'evt_3']);
    // Not settled yet (queued only): the watermark stays at the oldest of them.
    expect(await rt.store.getReconcileWatermark()).toBe(1_900_000_000);

    // Settled meanwhile (marked processed as settlement does); a fourth arrives.
    for (const id of ['evt_1', 'evt_2', 'evt_3']) {
      const e = (await rt.store.getGatewayEvent(id))!;
      await rt.store.commit([{ type: 'gatewayEvent', event: { ...e, status: 'processed' }, expectedStatus: 'received' }]);
    }
    provider.push(at(4, 1_900_010_800));
    queued.length = 0;
    expect(await reconcileGatewayEvents(d, since, { useWatermark: true })).toEqual({ from: 1_900_000_000 - 3600, listed: 4, missing: 1, queued: 1, windows: 1, complete: true });
    expect(queued.map((m) => m.eventId)).toEqual(['evt_4']);
    expect(await rt.store.getReconcileWatermark()).toBe(1_900_010_800);

    // evt_4 settled: the next night lists from an hour before it, and queues nothing.
    const e4 = (await rt.store.getGatewayEvent('evt_4'))!;
    await rt.store.commit([{ type: 'gatewayEvent', event: { ...e4, status: 'processed' }, expectedStatus: 'received' }]);
    queued.length = 0;
    // evt_3 (created exactly an hour before) and evt_4.
    expect(await reconcileGatewayEvents(d, since, { useWatermark: true })).toEqual({ from: 1_900_010_800 - 3600, listed: 2, missing: 0, queued: 0, windows: 1, complete: true });
    expect(asked).toEqual([since, 1_900_000_000 - 3600, 1_900_010_800 - 3600]);
    // Asked by hand (billing stripe reconcile --since), the window is the one given, and the watermark is left alone.
    expect(await reconcileGatewayEvents(d, since)).toMatchObject({ from: since, listed: 4, queued: 0 });
    expect(await rt.store.getReconcileWatermark()).toBe(1_900_010_800);
  });

  it('lists an hour at a time, moving the watermark after each; a run stopped at its time limit is taken up by the next', async () => {
    const { rt, deps, queued } = await setUp();
    const now = Math.floor(Date.parse(rt.deps.clock.now()) / 1000);
    const hour = 3600;
    const provider = [at(1, now - 5 * hour + 10), at(2, now - 3 * hour + 20), at(3, now - hour / 2)];
    const asked: [number, number | undefined][] = [];
    const gateway = Object.create(rt.deps.gateway) as PaymentGateway;
    gateway.listEvents = async (since, _types, until) => {
      asked.push([since, until]);
      return provider.filter((e) => e.created >= since && (until === undefined || e.created < until));
    };
    const d = { ...deps, gateway };
    const since = now - 5 * hour;
    let checks = 0;
    // Out of time before the third hour: two hours listed, the first event queued, the watermark on it.
    expect(await reconcileGatewayEvents(d, since, { useWatermark: true, shouldStop: () => ++checks >= 2 })).toEqual({
      from: since,
      listed: 1,
      missing: 1,
      queued: 1,
      windows: 2,
      complete: false,
    });
    expect(asked).toEqual([
      [since, since + hour],
      [since + hour, since + 2 * hour],
    ]);
    expect(await rt.store.getReconcileWatermark()).toBe(now - 5 * hour + 10);

    // Settled meanwhile; the next run starts an hour before the watermark (never before the window asked) and ends
    // with an open hour: five whole hours, then the one from now on.
    const e1 = (await rt.store.getGatewayEvent('evt_1'))!;
    await rt.store.commit([{ type: 'gatewayEvent', event: { ...e1, status: 'processed' }, expectedStatus: 'received' }]);
    asked.length = 0;
    queued.length = 0;
    expect(await reconcileGatewayEvents(d, since, { useWatermark: true })).toEqual({ from: since, listed: 3, missing: 2, queued: 2, windows: 6, complete: true });
    expect(asked.at(-1)).toEqual([now, undefined]);
    expect(queued.map((m) => m.eventId)).toEqual(['evt_2', 'evt_3']);
    expect(await rt.store.getReconcileWatermark()).toBe(now - 3 * hour + 20);
  });

  it('never asks for more than the 30 days the provider keeps', async () => {
    const { rt, deps } = await setUp();
    const now = Math.floor(Date.parse(rt.deps.clock.now()) / 1000);
    const gateway = Object.create(rt.deps.gateway) as PaymentGateway;
    let first: number | undefined;
    gateway.listEvents = async (since) => {
      first ??= since;
      return [];
    };
    const result = await reconcileGatewayEvents({ ...deps, gateway }, 0);
    expect(first).toBe(now - 30 * 86_400);
    // 720 whole hours, and the open one.
    expect(result).toEqual({ from: now - 30 * 86_400, listed: 0, missing: 0, queued: 0, windows: 721, complete: true });
  });
});
