import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { drainQueues, runNight } from '../../functions/local-runtime.ts';
import { datesBetween } from '../../shared/domain/calendar.ts';
import { addPaymentMethod, createOrganisation } from '../../shared/use-cases/manage-organisation.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { topUpBalance } from '../../shared/use-cases/top-up-balance.ts';
import { aProduct, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

/*
 * The month of the e-mail test (2026-12-01 to 12-30, .ch domains at CHF 13.00 + 8.1 % VAT = 14.05 a year;
 * first attempt 14 days before expiry, retries 3, 7, 10 and 13 days after it; blocked on the expiry date),
 * plus one checkout: c.ch, blocked on 12-25, paid from a top-up on 12-26, which unblocks it.
 * The events each night should publish, worked out by hand: [log file date, type, subject, data checked].
 */
const renewed = (org: string, product: string, from: string, to: string, invoice: string) => ({
  type: 'billing.product.renewed.v1',
  subject: `orgs/${org}/products/${product}`,
  data: { orgId: org, productId: product, periodFrom: from, periodTo: to, invoiceNumber: invoice, currency: 'CHF', gross: '14.05' },
});
const issued = (org: string, number: string, product: string) => ({
  type: 'billing.invoice.issued.v1',
  subject: `orgs/${org}/invoices/${number}`,
  data: { orgId: org, number, series: 'INV', currency: 'CHF', totalNet: '13.00', totalVat: '1.05', total: '14.05', productIds: [product] },
});
const failed = (attempt: number) => ({
  type: 'billing.payment.failed.v1',
  subject: 'orgs/org-de/products/b',
  data: { orgId: 'org-de', productId: 'b', attempt, currency: 'CHF', amount: '14.05', reason: 'card_declined' },
});
const state = (type: string, org: string, product: string, date: string) => ({
  type: `billing.product.${type}.v1`,
  subject: `orgs/${org}/products/${product}`,
  data: { orgId: org, productId: product, date },
});
const EXPECTED: Record<string, object[]> = {
  '2026-12-06': [failed(1)],
  '2026-12-09': [failed(2)],
  '2026-12-13': [failed(3)],
  // d.ch (2026-12-28) by card: the month's first final invoice.
  '2026-12-14': [issued('org-en', 'INV-CH-2026-000001', 'd'), renewed('org-en', 'd', '2026-12-28', '2027-12-28', 'INV-CH-2026-000001')],
  '2026-12-16': [failed(4)],
  // a.ch (2026-12-31) from the balance.
  '2026-12-17': [issued('org-fr', 'INV-CH-2026-000002', 'a'), renewed('org-fr', 'a', '2026-12-31', '2027-12-31', 'INV-CH-2026-000002')],
  '2026-12-19': [failed(5)],
  '2026-12-20': [state('blocked', 'org-de', 'b', '2026-12-20')],
  '2026-12-25': [state('blocked', 'org-it', 'c', '2026-12-25')],
  '2026-12-26': [
    {
      type: 'billing.checkout.paid.v1',
      subject: 'orgs/org-it/checkouts/',
      // Asked for by card, paid whole by the balance: the method that paid is the balance.
      data: { orgId: 'org-it', purpose: 'renewal', method: 'balance', currency: 'CHF', total: '14.05', productIds: ['c'], invoiceNumber: 'INV-CH-2026-000003' },
    },
    issued('org-it', 'INV-CH-2026-000003', 'c'),
    renewed('org-it', 'c', '2026-12-25', '2027-12-25', 'INV-CH-2026-000003'),
    state('unblocked', 'org-it', 'c', '2026-12-26'),
  ],
};

describe('a month of business events', () => {
  it('lands in the local event log (out/events/<date>.ndjson) as the documented schema says, each fact once, even with every delivery made twice', async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-11-30', duplicateDeliveries: true });
    const orgs: [string, string, string | undefined, string | undefined, boolean, string][] = [
      ['org-fr', 'a', undefined, '100.00', true, '2026-12-31'],
      ['org-de', 'b', 'pm_card_chargeDeclined', undefined, true, '2026-12-20'],
      ['org-it', 'c', undefined, undefined, false, '2026-12-25'],
      ['org-en', 'd', 'pm_card_visa', undefined, true, '2026-12-28'],
    ];
    for (const [org, product, card, balance, autoRenew, expiry] of orgs) {
      await createOrganisation(rt.deps, {
        id: org,
        name: `Kunde ${org}`,
        currency: 'CHF',
        country: 'CH',
        owner: { userId: `u-${org}`, email: `owner@${org}.example`, name: 'Owner' },
      });
      const method = card ? await addPaymentMethod(rt.deps, org, { kind: 'card', label: card, gatewayRef: card }) : undefined;
      if (balance) await topUpBalance(rt.deps, org, { amount: balance, reference: `dep-${org}` });
      await aProduct(rt, org, { id: product, expiry, autoRenew, ...(method ? { paymentMethodId: method.id } : {}) });
    }
    for (const night of datesBetween('2026-12-01', '2026-12-30')) {
      await runNight(rt, night);
      if (night === '2026-12-26') {
        // The customer of c.ch tops up and pays it in the portal that day: the balance covers it all.
        rt.clock.day = night;
        await topUpBalance(rt.deps, 'org-it', { amount: '20.00', reference: 'dep-it' });
        const view = await startCheckout(rt.deps, 'org-it', { items: [{ productId: 'c' }], method: 'card', requestId: 'req-c-000001' }, { kind: 'user', userId: 'u-org-it' });
        expect(view.status).toBe('paid');
        (EXPECTED['2026-12-26']![0] as { subject: string }).subject += view.checkoutId;
        await drainQueues(rt);
      }
    }

    const schema = JSON.parse(readFileSync('docs/events.schema.json', 'utf8')) as Record<string, unknown>;
    const validate = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
    const logDir = join((rt.deps.documents as unknown as { root: string }).root, 'events');
    const ids = new Set<string>();
    for (const date of datesBetween('2026-12-01', '2026-12-30')) {
      const file = join(logDir, `${date}.ndjson`);
      const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
      const events = lines.map((l) => JSON.parse(l) as { id: string; type: string; subject: string; time: string; data: Record<string, unknown> });
      for (const e of events) {
        expect(validate(e), `${date} ${e.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
        expect(e.time.slice(0, 10)).toBe(date);
        expect(ids.has(e.id), `${e.id} published twice`).toBe(false);
        ids.add(e.id);
      }
      // The reminders' nights publish nothing: a reminder is an e-mail, not a fact of the account.
      const expected = EXPECTED[date] ?? [];
      const sortKey = (e: { type: string; subject: string }) => `${e.type} ${e.subject}`;
      const byKey = <T extends { type: string; subject: string }>(list: T[]) => [...list].sort((x, y) => sortKey(x).localeCompare(sortKey(y)));
      const got = byKey(events.map((e) => ({ type: e.type, subject: e.subject, data: e.data })));
      const want = byKey(expected as { type: string; subject: string; data: object }[]);
      expect(got, date).toEqual(want.map((x) => ({ ...x, data: expect.objectContaining(x.data) })));
    }
    await rt.close();
  }, 300_000);
});
