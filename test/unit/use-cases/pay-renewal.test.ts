import { describe, expect, it } from 'vitest';
import { Money } from '../../../shared/domain/money.ts';
import { WriteConflict } from '../../../shared/ports/unit-of-work.ts';
import type { PaymentAttempt } from '../../../shared/domain/records.ts';
import { addPaymentMethod } from '../../../shared/use-cases/manage-organisation.ts';
import { payRenewal, type RenewalPaymentInput } from '../../../shared/use-cases/pay-renewal.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

// One renewal's payment on the in-memory store, every outcome with the writes it hands back, to the field.
// By hand: a .ch domain renews for CHF 13.00 + 8.1 % VAT = 14.05; a balance of 5.00 leaves 9.05 to charge.

type Rt = Awaited<ReturnType<typeof runtime>>;
const NIGHT = '2026-12-17';
const NOW = `${NIGHT}T02:00:00.000Z`;
const ATTEMPT = 'dom-ch#2026-12-31#1';

async function setUp(opts: { balance?: string; method?: string; currency?: 'CHF' | 'EUR'; kind?: 'card' | 'twint' } = {}) {
  const rt = await runtime('memory', { today: NIGHT });
  const { org } = await anOrg(rt, { id: 'acme', ...(opts.balance ? { balance: opts.balance } : {}), ...(opts.currency ? { currency: opts.currency } : {}) });
  const product = await aProduct(rt, org.id, { id: 'dom-ch', expiry: '2026-12-31' });
  const method = opts.method ? await addPaymentMethod(rt.deps, org.id, { kind: opts.kind ?? 'card', label: opts.method, gatewayRef: opts.method }) : undefined;
  const input = async (extra: Partial<RenewalPaymentInput> = {}): Promise<RenewalPaymentInput> => ({
    org: (await rt.store.getOrganisation(org.id))!,
    product: (await rt.store.getProduct(org.id, product.id))!,
    type: rt.deps.catalogue.get('domain-ch')!,
    night: NIGHT,
    periodMonths: 12,
    attemptId: ATTEMPT,
    ...(method ? { method } : {}),
    ...extra,
  });
  return { rt, orgId: org.id, method, input };
}

const pending = (extra: Partial<PaymentAttempt> = {}): PaymentAttempt => ({
  id: ATTEMPT,
  orgId: 'acme',
  productId: 'dom-ch',
  periodStart: '2026-12-31',
  attempt: 1,
  night: NIGHT,
  idempotencyKey: `renewal/${ATTEMPT}`,
  currency: 'CHF',
  total: '14.05',
  balancePart: '0.00',
  chargePart: '14.05',
  paymentMethodId: 'pm-pm_card_visa',
  status: 'pending',
  createdAt: NOW,
  ...extra,
});

const charges = (rt: Rt) => rt.sandbox.chargeList();

describe('paying a renewal from the balance', () => {
  it('takes 14.05 of 20.00 in one ledger entry naming the invoice', async () => {
    const { rt, input } = await setUp({ balance: '20.00' });
    const out = await payRenewal(rt.deps, await input());
    expect(out.kind).toBe('paid');
    if (out.kind !== 'paid') return;
    expect(out.collected.toString()).toBe('14.05');
    expect(out.product).toMatchObject({ expiry: '2027-12-31' });
    expect(out.invoice).toMatchObject({ number: 'INV-CH-2026-000001', total: '14.05', payments: [{ method: 'balance', amount: '14.05' }] });
    expect(out.changes).toEqual([
      {
        type: 'balance',
        orgId: 'acme',
        from: '20.00',
        to: '5.95',
        entry: {
          id: `renewal-${ATTEMPT}`,
          orgId: 'acme',
          date: NIGHT,
          amount: '-14.05',
          currency: 'CHF',
          reason: 'renewal',
          ref: 'INV-CH-2026-000001',
          balanceAfter: '5.95',
          createdAt: NOW,
        },
      },
      { type: 'invoice', invoice: out.invoice },
    ]);
    expect(charges(rt)).toEqual([]);
  });

  it('numbers the invoice after those issued before it this year, and pays in full even when charges are deferred', async () => {
    const { rt, input } = await setUp({ balance: '40.00' });
    const first = await payRenewal(rt.deps, await input());
    if (first.kind !== 'paid') throw new Error(first.kind);
    await rt.store.commit([{ type: 'invoice', invoice: first.invoice }]);
    const second = await payRenewal(rt.deps, await input({ attemptId: 'dom-ch#2027-12-31#1', deferCharge: true }));
    expect(second).toMatchObject({ kind: 'paid', invoice: { number: 'INV-CH-2026-000002' } });
  });

  it('records the attempt as settled when asked, for a replayed request to find', async () => {
    const { rt, input } = await setUp({ balance: '14.05' });
    const out = await payRenewal(rt.deps, await input({ recordBalanceAttempt: true }));
    if (out.kind !== 'paid') throw new Error(out.kind);
    expect(out.changes[0]).toEqual({
      type: 'attempt',
      attempt: {
        id: ATTEMPT,
        orgId: 'acme',
        productId: 'dom-ch',
        periodStart: '2026-12-31',
        attempt: 1,
        night: NIGHT,
        idempotencyKey: `renewal/${ATTEMPT}`,
        currency: 'CHF',
        total: '14.05',
        balancePart: '14.05',
        chargePart: '0.00',
        status: 'succeeded',
        invoiceNumber: 'INV-CH-2026-000001',
        createdAt: NOW,
      },
      expectedStatus: null,
    });
    expect(out.changes[1]).toMatchObject({ type: 'balance', from: '14.05', to: '0.00' });
  });

  it('fails without a method when the balance is short, or below zero, saying both amounts', async () => {
    for (const [balance, shown] of [
      ['5.00', 'CHF 5.00'],
      [undefined, 'CHF 0.00'],
    ] as const) {
      const { rt, input } = await setUp(balance ? { balance } : {});
      expect(await payRenewal(rt.deps, await input())).toEqual({
        kind: 'failed',
        changes: [],
        code: 'insufficient_balance',
        message: `The prepaid balance (${shown}) does not cover CHF 14.05 and no payment method is saved for automatic renewal`,
        requiresCustomer: false,
      });
      expect(await rt.store.listAttempts('acme', 'dom-ch')).toEqual([]);
    }
    const { rt, input } = await setUp();
    const org = (await rt.store.getOrganisation('acme'))!;
    // A balance below zero (a bank took a deposit back) pays nothing: all of it is due.
    const out = await payRenewal(rt.deps, await input({ org: { ...org, balance: '-3.00' } }));
    expect(out).toMatchObject({ kind: 'failed', message: 'The prepaid balance (CHF -3.00) does not cover CHF 14.05 and no payment method is saved for automatic renewal' });
  });

  it('refuses a saved method that does not take the currency', async () => {
    const { rt, input } = await setUp({ method: 'pm_twint', kind: 'twint', currency: 'CHF' });
    const org = (await rt.store.getOrganisation('acme'))!;
    const out = await payRenewal(rt.deps, await input({ org: { ...org, currency: 'EUR', balance: '0.00' } }));
    expect(out).toMatchObject({ kind: 'failed', changes: [], code: 'method_currency_not_supported', requiresCustomer: false });
    expect(charges(rt)).toEqual([]);
  });
});

describe('paying a renewal with the saved method', () => {
  it('holds the balance part and records the attempt before charging the rest, then hands back the settling writes', async () => {
    const { rt, input, method } = await setUp({ balance: '5.00', method: 'pm_card_visa' });
    const product = (await rt.store.getProduct('acme', 'dom-ch'))!;
    const withFailures = { ...product, failedAttempts: 1 };
    const attemptId = 'dom-ch#2026-12-31#2';
    const given = await input({ product: withFailures, attemptId });
    const out = await payRenewal(rt.deps, given);
    // Before the call to the provider, in the store: the attempt and the hold.
    const recorded = pending({ id: attemptId, attempt: 2, idempotencyKey: `renewal/${attemptId}`, balancePart: '5.00', chargePart: '9.05', paymentMethodId: method!.id });
    expect(await rt.store.listAttempts('acme', 'dom-ch')).toEqual([recorded]);
    expect((await rt.store.listLedger('acme')).find((e) => e.reason === 'renewal-hold')).toEqual({
      id: `renewal-hold-${attemptId}`,
      orgId: 'acme',
      date: NIGHT,
      amount: '-5.00',
      currency: 'CHF',
      reason: 'renewal-hold',
      ref: attemptId,
      balanceAfter: '0.00',
      createdAt: NOW,
    });
    expect(given.org.balance).toBe('0.00');
    // At the provider: one charge of the rest, under the attempt's key.
    const [charge] = charges(rt);
    expect(charges(rt)).toEqual([
      {
        paymentRef: charge!.paymentRef,
        currency: 'CHF',
        received: '9.05',
        refunded: '0.00',
        metadata: { orgId: 'acme', productId: 'dom-ch', attemptId, periodStart: '2026-12-31' },
      },
    ]);
    if (out.kind !== 'paid') throw new Error(out.kind);
    expect(out.collected.toString()).toBe('14.05');
    expect(out.invoice.payments).toEqual([
      { method: 'balance', amount: '5.00' },
      { method: 'card', amount: '9.05', ref: charge!.paymentRef },
    ]);
    expect(out.changes).toEqual([
      { type: 'attempt', attempt: { ...recorded, status: 'succeeded', gatewayRef: charge!.paymentRef, invoiceNumber: 'INV-CH-2026-000001' }, expectedStatus: 'pending' },
      { type: 'invoice', invoice: out.invoice },
      {
        type: 'payment',
        payment: {
          id: charge!.paymentRef,
          orgId: 'acme',
          date: NIGHT,
          method: 'card',
          amount: '9.05',
          currency: 'CHF',
          gatewayRef: charge!.paymentRef,
          invoiceNumber: 'INV-CH-2026-000001',
          productId: 'dom-ch',
          createdAt: NOW,
        },
      },
    ]);
    // The same key replayed at the provider finds the same charge: the key was the attempt's.
    const replay = await rt.sandbox
      .charge({
        orgId: 'acme',
        customerRef: 'x',
        paymentMethodRef: 'pm_card_visa',
        methodKind: 'card',
        amount: Money.of('9.05', 'CHF'),
        idempotencyKey: `renewal/${attemptId}`,
        description: `Renewal of dom-ch.ch from 2026-12-31`,
        metadata: { orgId: 'acme', productId: 'dom-ch', attemptId, periodStart: '2026-12-31' },
      })
      .catch((e: Error) => e);
    expect(replay).toMatchObject({ paymentRef: charge!.paymentRef });
  });

  it('fails a declined charge, giving the held balance back, and one needing the customer says so', async () => {
    for (const [ref, code, requiresCustomer] of [
      ['pm_card_chargeDeclined', 'card_declined', false],
      ['pm_card_authenticationRequired', 'authentication_required', true],
    ] as const) {
      const { rt, input, method } = await setUp({ balance: '5.00', method: ref });
      const out = await payRenewal(rt.deps, await input());
      if (out.kind !== 'failed') throw new Error(out.kind);
      expect(out).toMatchObject({ code, requiresCustomer });
      expect(out.message.length).toBeGreaterThan(0);
      // The failed PaymentIntent, as the provider knows it, is named on the attempt.
      const gatewayRef = (out.changes[0] as { attempt: PaymentAttempt }).attempt.gatewayRef!;
      expect(await rt.sandbox.retrieve(gatewayRef)).toMatchObject({ status: requiresCustomer ? 'requires_action' : 'declined', code });
      expect(out.changes).toEqual([
        {
          type: 'attempt',
          attempt: pending({ balancePart: '5.00', chargePart: '9.05', paymentMethodId: method!.id, status: 'failed', failureCode: code, gatewayRef }),
          expectedStatus: 'pending',
        },
        {
          type: 'balance',
          orgId: 'acme',
          from: '0.00',
          to: '5.00',
          entry: {
            id: `hold-release-${ATTEMPT}`,
            orgId: 'acme',
            date: NIGHT,
            amount: '5.00',
            currency: 'CHF',
            reason: 'hold-release',
            ref: ATTEMPT,
            balanceAfter: '5.00',
            createdAt: NOW,
          },
        },
      ]);
    }
  });

  it('fails a decline with no balance held without a balance write', async () => {
    const { rt, input } = await setUp({ method: 'pm_card_chargeDeclined' });
    const out = await payRenewal(rt.deps, await input());
    expect(out.kind === 'failed' && out.changes.map((c) => c.type)).toEqual(['attempt']);
    expect(await rt.store.listLedger('acme')).toEqual([]);
  });

  it('hands a charge to the charge queue without writing anything, the first time and when resumed', async () => {
    const { rt, input } = await setUp({ balance: '5.00', method: 'pm_card_visa' });
    expect(await payRenewal(rt.deps, await input({ deferCharge: true }))).toEqual({ kind: 'deferred' });
    expect(await rt.store.listAttempts('acme', 'dom-ch')).toEqual([]);
    expect((await rt.store.getOrganisation('acme'))!.balance).toBe('5.00');
    await rt.store.commit([{ type: 'attempt', attempt: pending(), expectedStatus: null }]);
    expect(await payRenewal(rt.deps, await input({ deferCharge: true }))).toEqual({ kind: 'deferred' });
    expect(charges(rt)).toEqual([]);
  });
});

describe('an attempt met again', () => {
  it('re-reads the product when its attempt already succeeded', async () => {
    const { rt, input } = await setUp({ method: 'pm_card_visa' });
    await rt.store.commit([{ type: 'attempt', attempt: pending({ status: 'succeeded' }), expectedStatus: null }]);
    await expect(payRenewal(rt.deps, await input())).rejects.toMatchObject({ conflicts: ['attempt'] });
    await expect(payRenewal(rt.deps, await input())).rejects.toBeInstanceOf(WriteConflict);
  });

  it('reports the failure of an attempt that already failed and moves nothing', async () => {
    for (const [failureCode, code, requiresCustomer] of [
      ['card_declined', 'card_declined', false],
      ['authentication_required', 'authentication_required', true],
      [undefined, 'payment_failed', false],
    ] as const) {
      const { rt, input } = await setUp({ method: 'pm_card_visa' });
      await rt.store.commit([{ type: 'attempt', attempt: pending({ status: 'failed', ...(failureCode ? { failureCode } : {}) }), expectedStatus: null }]);
      expect(await payRenewal(rt.deps, await input())).toEqual({ kind: 'failed', changes: [], code, message: `Payment attempt ${ATTEMPT} already failed`, requiresCustomer });
      expect(charges(rt)).toEqual([]);
    }
  });

  it('finds the charge a crashed worker made instead of charging again', async () => {
    const { rt, input, method } = await setUp({ method: 'pm_card_visa' });
    await rt.store.commit([{ type: 'attempt', attempt: pending({ paymentMethodId: method!.id }), expectedStatus: null }]);
    const first = await rt.sandbox.charge({
      orgId: 'acme',
      customerRef: 'cus',
      paymentMethodRef: 'pm_card_visa',
      methodKind: 'card',
      amount: Money.of('14.05', 'CHF'),
      idempotencyKey: 'another-key',
      description: 'x',
      metadata: { attemptId: ATTEMPT },
    });
    const out = await payRenewal(rt.deps, await input());
    expect(out).toMatchObject({ kind: 'paid', invoice: { payments: [{ method: 'card', amount: '14.05', ref: first.paymentRef }] } });
    expect(charges(rt)).toHaveLength(1);
  });

  it('ends an attempt with the method it started with, and names one no longer saved', async () => {
    const { rt, input, method } = await setUp({ method: 'pm_card_visa' });
    const other = await addPaymentMethod(rt.deps, 'acme', { kind: 'twint', label: 'Twint', gatewayRef: 'pm_twint' });
    await rt.store.commit([{ type: 'attempt', attempt: pending({ paymentMethodId: method!.id }), expectedStatus: null }]);
    const out = await payRenewal(rt.deps, await input({ method: other }));
    expect(out).toMatchObject({ kind: 'paid', invoice: { payments: [{ method: 'card', amount: '14.05' }] } });

    const lost = await setUp({ method: 'pm_card_visa' });
    await lost.rt.store.commit([{ type: 'attempt', attempt: pending({ paymentMethodId: 'pm-gone' }), expectedStatus: null }]);
    await expect(payRenewal(lost.rt.deps, await lost.input())).rejects.toThrow(`attempt ${ATTEMPT} was started with payment method pm-gone, which is not saved for acme`);
  });
});
