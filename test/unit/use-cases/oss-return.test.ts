import { describe, expect, it } from 'vitest';
import { creditNoteFor } from '../../../shared/domain/invoice.ts';
import { quarterPeriod } from '../../../shared/domain/oss-return.ts';
import { quarterlyOssReturn } from '../../../shared/use-cases/finance/oss-return.ts';
import { renewProduct } from '../../../shared/use-cases/renew-product.ts';
import { importExchangeRates } from '../../../shared/use-cases/finance/journal-export.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

const FINANCE = { kind: 'user' as const, userId: 'finance-1', finance: true };

// The stage's default seller is Swiss (non-Union scheme). One night, 2027-01-15, renews a .ch domain (EUR 13.50 a
// year without VAT) for each organisation, paid from its balance:
// - two French consumers: 20 % → VAT 2.70 each; the second's invoice is then credited in full;
// - a German consumer: 19 % → 13.50 × 0.19 = 2.565 → 2.57;
// - a German business with a valid VAT number: reverse charge, not an OSS sale;
// - a Swiss organisation: Swiss VAT, not an OSS sale.
// By hand, for 2027-Q1: DE 19 %: net 13.50, VAT 2.57, one document; FR 20 %: net 13.50 + 13.50 − 13.50 = 13.50,
// VAT 2.70 + 2.70 − 2.70 = 2.70, three documents.
async function night() {
  const rt = await runtime('memory', { today: '2027-01-15' });
  const orgs = [
    await anOrg(rt, { id: 'fr-1', currency: 'EUR', country: 'FR', balance: '100.00' }),
    await anOrg(rt, { id: 'fr-2', currency: 'EUR', country: 'FR', balance: '100.00' }),
    await anOrg(rt, { id: 'de-consumer', currency: 'EUR', country: 'DE', balance: '100.00' }),
    await anOrg(rt, { id: 'de-business', currency: 'EUR', country: 'DE', vatNumber: 'DE136695976', balance: '100.00' }),
    await anOrg(rt, { id: 'ch', currency: 'CHF', country: 'CH', balance: '100.00' }),
  ];
  for (const { org } of orgs) {
    await aProduct(rt, org.id, { id: `dom-${org.id}`, expiry: '2027-01-29' });
    expect((await renewProduct(rt.deps, { orgId: org.id, productId: `dom-${org.id}`, night: '2027-01-15' })).status).toBe('done');
  }
  const [credited] = await rt.store.listInvoices('fr-2');
  const note = creditNoteFor(credited!, { seller: rt.deps.seller, year: 2027, sequence: 1 }, '2027-02-03', []);
  await rt.store.commit([{ type: 'invoice', invoice: note }]);
  return rt;
}

describe('the quarterly OSS return', () => {
  it("adds up a Swiss seller's sales to EU consumers by member state and rate, credit notes netted, the rest left out", async () => {
    const rt = await night();
    const oss = await quarterlyOssReturn(rt.deps, '2027-Q1', FINANCE);
    expect(oss).toEqual({
      quarter: '2027-Q1',
      from: '2027-01-01',
      to: '2027-03-31',
      sellerId: rt.deps.seller.id,
      scheme: 'non-union',
      rows: [
        { memberState: 'DE', rate: '19', currency: 'EUR', net: '13.50', vat: '2.57', documents: 1, eurNet: '13.50', eurVat: '2.57' },
        { memberState: 'FR', rate: '20', currency: 'EUR', net: '13.50', vat: '2.70', documents: 3, eurNet: '13.50', eurVat: '2.70' },
      ],
      declared: [
        { memberState: 'DE', rate: '19', net: '13.50', vat: '2.57' },
        { memberState: 'FR', rate: '20', net: '13.50', vat: '2.70' },
      ],
    });
    // The quarter before holds none of them.
    expect((await quarterlyOssReturn(rt.deps, '2026-Q4', FINANCE)).rows).toEqual([]);
  });

  it("converts sales in francs to euros at the ECB rate of the quarter's last day, or of the next day it published one", async () => {
    const rt = await night();
    // A French consumer billed in francs: CHF 13.00 + 20 % = 2.60 VAT.
    await anOrg(rt, { id: 'fr-chf', currency: 'CHF', country: 'FR', balance: '100.00' });
    await aProduct(rt, 'fr-chf', { id: 'dom-fr-chf', expiry: '2027-01-29' });
    expect((await renewProduct(rt.deps, { orgId: 'fr-chf', productId: 'dom-fr-chf', night: '2027-01-15' })).status).toBe('done');
    await expect(quarterlyOssReturn(rt.deps, '2027-Q1', FINANCE)).rejects.toThrow("the return has sales in francs: it needs the ECB's EUR rate of 2027-03-31");
    // No publication on the 31st in this file: the 1st of April's, 0.9300 CHF for one EUR.
    await importExchangeRates(rt.deps, 'period,currency,chf\n2027-03,EUR,0.9400\n2027-04-01,EUR,0.9300\n', FINANCE);
    const oss = await quarterlyOssReturn(rt.deps, '2027-Q1', FINANCE);
    expect(oss.euroRate).toEqual({ date: '2027-04-01', chf: '0.93' });
    // 13.00 / 0.93 = 13.978… → 13.98; 2.60 / 0.93 = 2.7957… → 2.80; declared with the euro row: 27.48 and 5.50.
    expect(oss.rows.find((r) => r.currency === 'CHF')).toEqual({
      memberState: 'FR',
      rate: '20',
      currency: 'CHF',
      net: '13.00',
      vat: '2.60',
      documents: 1,
      eurNet: '13.98',
      eurVat: '2.80',
    });
    expect(oss.declared).toEqual([
      { memberState: 'DE', rate: '19', net: '13.50', vat: '2.57' },
      { memberState: 'FR', rate: '20', net: '27.48', vat: '5.50' },
    ]);
  });

  it('is for finance only, of a seller the configuration has, for a quarter written YYYY-Qn', async () => {
    const rt = await runtime('memory', { today: '2027-01-15' });
    await expect(quarterlyOssReturn(rt.deps, '2027-Q1', { kind: 'user', userId: 'someone' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(quarterlyOssReturn(rt.deps, '2027-Q1', FINANCE, 'nowhere')).rejects.toThrow('Seller nowhere is not in the configuration');
    for (const bad of ['2027-Q5', '2027Q1', '27-Q1', '']) expect(() => quarterPeriod(bad)).toThrow(`quarter must read YYYY-Qn (n from 1 to 4), got "${bad}"`);
    expect(quarterPeriod('2028-Q4')).toEqual({ from: '2028-10-01', to: '2028-12-31' });
  });
});
