/**
 * docs/domain.md R-50: a Swiss seller's documents in euros carry their VAT in CHF at the rate known when
 * they were issued (the day's rate, else the month's), printed, in the e-invoice and in both exports; a
 * credit note is converted at its invoice's rate. Every figure is worked out by hand from the prices of
 * config/sample.yaml (a .ch domain: EUR 13.50 a year) and the rates file below.
 */
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { extractText } from 'unpdf';
import { describe, expect, it } from 'vitest';
import { eInvoiceXml } from '../../shared/adapters/einvoice/e-invoice-xml.ts';
import { renderInvoicePdf } from '../../shared/adapters/pdf/invoice-pdf.ts';
import { Money } from '../../shared/domain/money.ts';
import type { Invoice } from '../../shared/domain/invoice.ts';
import { startCheckout } from '../../shared/use-cases/checkout/start-checkout.ts';
import { nextCreditNote } from '../../shared/use-cases/checkout/refund-booking.ts';
import { getExport, requestExport, runExport } from '../../shared/use-cases/finance/export-invoices.ts';
import { eInvoiceBuyer } from '../../shared/use-cases/finance/invoice-documents.ts';
import { importExchangeRates, journalExport } from '../../shared/use-cases/finance/journal-export.ts';
import { renewProduct } from '../../shared/use-cases/renew-product.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();
const FINANCE = { kind: 'user' as const, userId: 'finance-1', finance: true };

// January's average 0.9412, and a day rate for the 15th, 0.9300; February 0.9500.
const RATES = 'period,currency,chf\n2027-01,EUR,0.9412\n2027-01-15,EUR,0.9300\n2027-02,EUR,0.9500\n';

/**
 * - 2027-01-15, fr (French consumer): domain renewed from the balance, EUR 13.50 + 20 % = 2.70, at the day's
 *   0.9300: net 12.555 → 12.56, VAT 2.511 → 2.51.
 * - 2027-01-16, de (German business): domain renewed on its card, reverse charge, at January's 0.9412:
 *   net 12.7062 → 12.71, VAT 0.00.
 * - 2027-01-16, ch: CHF, nothing to convert.
 * - 2027-01-20, fr: a second domain paid from the balance through a checkout, at 0.9412: net 12.71, VAT 2.54124 → 2.54.
 * - 2027-02-03: fr's first invoice credited in full, at its own 0.9300 (not February's 0.9500): −12.56, −2.51;
 *   and EUR 5.00 of the checkout's invoice, VAT 5.00 × 20 / 120 = 0.8333 → 0.83, net 4.17, at its 0.9412:
 *   −3.924804 → −3.92, −0.781196 → −0.78.
 */
async function januaryInEuros() {
  const rt = await runtime(db.endpoint(), { today: '2027-01-14' });
  await importExchangeRates(rt.deps, RATES, FINANCE);
  await anOrg(rt, { id: 'fr', currency: 'EUR', country: 'FR', balance: '100.00' });
  const { method } = await anOrg(rt, { id: 'de', currency: 'EUR', country: 'DE', vatNumber: 'DE136695976', method: 'pm_card_visa' });
  await anOrg(rt, { id: 'ch', currency: 'CHF', country: 'CH', balance: '100.00' });
  await aProduct(rt, 'fr', { id: 'dom-fr', expiry: '2027-01-29' });
  await aProduct(rt, 'fr', { id: 'dom-fr-2', expiry: '2027-03-01', autoRenew: false });
  await aProduct(rt, 'de', { id: 'dom-de', expiry: '2027-01-30', paymentMethodId: method!.id });
  await aProduct(rt, 'ch', { id: 'dom-ch', expiry: '2027-01-30' });
  rt.clock.day = '2027-01-15';
  expect((await renewProduct(rt.deps, { orgId: 'fr', productId: 'dom-fr', night: '2027-01-15' })).status).toBe('done');
  rt.clock.day = '2027-01-16';
  for (const id of ['de', 'ch']) expect((await renewProduct(rt.deps, { orgId: id, productId: `dom-${id}`, night: '2027-01-16' })).status).toBe('done');
  rt.clock.day = '2027-01-20';
  const view = await startCheckout(rt.deps, 'fr', { items: [{ productId: 'dom-fr-2' }], method: 'card', requestId: 'req-chf-0001' }, { kind: 'user', userId: 'owner-fr' });
  expect(view.status).toBe('paid');
  rt.clock.day = '2027-02-03';
  const fr = await rt.store.listInvoices('fr');
  const renewal = fr.find((d) => d.issueDate === '2027-01-15')!;
  const checkout = fr.find((d) => d.issueDate === '2027-01-20')!;
  const notes: Invoice[] = [];
  for (const [invoice, amount] of [
    [renewal, 'rest'],
    [checkout, Money.of('5.00', 'EUR')],
  ] as const) {
    const note = await nextCreditNote(rt.deps, invoice, '2027-02-03', amount, []);
    await rt.store.commit([{ type: 'invoice', invoice: note }]);
    notes.push(note);
  }
  const de = (await rt.store.listInvoices('de'))[0]!;
  const ch = (await rt.store.listInvoices('ch'))[0]!;
  return { rt, renewal, checkout, de, ch, full: notes[0]!, part: notes[1]! };
}

describe('CHF VAT on documents in euros (R-50)', () => {
  it('issues each document with the VAT in CHF at the rate of its day, else its month, and credits at the invoice rate', async () => {
    const { rt, renewal, checkout, de, ch, full, part } = await januaryInEuros();
    expect(renewal.chf).toEqual({ rate: '0.9300', ratePeriod: '2027-01-15', vatBreakdown: [{ rate: '20', net: '12.56', vat: '2.51' }], totalNet: '12.56', totalVat: '2.51' });
    expect(de.chf).toEqual({ rate: '0.9412', ratePeriod: '2027-01', vatBreakdown: [{ rate: '0', net: '12.71', vat: '0.00' }], totalNet: '12.71', totalVat: '0.00' });
    expect(de.payments.map((p) => p.method)).toEqual(['card']);
    expect(checkout.chf).toMatchObject({ rate: '0.9412', totalNet: '12.71', totalVat: '2.54' });
    expect(ch.chf).toBeUndefined();
    expect(full.chf).toEqual({ rate: '0.9300', ratePeriod: '2027-01-15', vatBreakdown: [{ rate: '20', net: '-12.56', vat: '-2.51' }], totalNet: '-12.56', totalVat: '-2.51' });
    expect(part.chf).toEqual({ rate: '0.9412', ratePeriod: '2027-01', vatBreakdown: [{ rate: '20', net: '-3.92', vat: '-0.78' }], totalNet: '-3.92', totalVat: '-0.78' });
    await rt.close();
  });

  it('prints the CHF VAT with its rate, and carries it in the e-invoice as the VAT accounting currency', async () => {
    const { rt, renewal } = await januaryInEuros();
    const { text } = await extractText(new Uint8Array(await renderInvoicePdf(renewal, rt.deps.seller)), { mergePages: true });
    expect(text).toContain('TVA en CHF');
    expect(text).toContain('Cours 2027-01-15: 1 EUR = CHF 0.9300');
    expect(text).toContain('TVA 20 % sur CHF 12.56: CHF 2.51');
    expect(text).toContain('Total TVA: CHF 2.51');
    const org = (await rt.store.getOrganisation('fr'))!;
    const ubl = await eInvoiceXml(renewal, { ...eInvoiceBuyer(org), peppolId: '9957:FR40303265045' }, 'peppol');
    expect(ubl).toContain('<cbc:TaxCurrencyCode>CHF</cbc:TaxCurrencyCode>');
    expect(ubl).toMatch(/<cac:TaxTotal>\s*<cbc:TaxAmount currencyID="CHF">2\.51<\/cbc:TaxAmount>\s*<\/cac:TaxTotal>/);
    const cii = await eInvoiceXml(renewal, eInvoiceBuyer(org), 'cii');
    expect(cii).toContain('<ram:TaxCurrencyCode>CHF</ram:TaxCurrencyCode>');
    expect(cii).toContain('<ram:TaxTotalAmount currencyID="CHF">2.51</ram:TaxTotalAmount>');
    await rt.close();
  });

  it('books the journal at the rate each document was issued at, whatever the rates file says later, and the CSV export carries CHF', async () => {
    const { rt } = await januaryInEuros();
    // Finance replaces January's rate after the fact: the documents keep theirs, and so do the books.
    await importExchangeRates(rt.deps, 'period,currency,chf\n2027-01,EUR,0.9999\n', FINANCE);
    const { totals } = await journalExport(rt.deps, { from: '2027-01-01', to: '2027-02-28' }, FINANCE);
    // OSS France: 2.70 + 2.70 − 2.70 − 0.83 = 1.87 EUR; in CHF 2.51 + 2.54 − 2.51 − 0.78 = 1.76, what the documents print.
    expect(totals.vatByCode['OSS-FR-20 EUR']).toEqual({ net: '9.33', vat: '1.87', vatChf: '1.76' });
    expect(totals.vatByCode['RC EUR']).toEqual({ net: '13.50', vat: '0.00', vatChf: '0.00' });

    const queued = await requestExport(rt.deps, { from: '2027-01-01', to: '2027-02-28' }, FINANCE);
    expect(await runExport(rt.deps, queued.exportId)).toBe('done');
    const view = await getExport(rt.deps, queued.exportId, FINANCE);
    const rows = parse(readFileSync(view.csvUrl!, 'utf8'), { columns: true, bom: true }) as Record<string, string>[];
    const cells = (r: Record<string, string>) => [r.org_id, r.document_type, r.currency, r.chf_rate, r.chf_rate_period, r.chf_net, r.chf_vat];
    expect(rows.map(cells).sort()).toEqual(
      [
        ['ch', 'invoice', 'CHF', '1', '', '13.00', '1.05'],
        ['de', 'invoice', 'EUR', '0.9412', '2027-01', '12.71', '0.00'],
        ['fr', 'invoice', 'EUR', '0.9300', '2027-01-15', '12.56', '2.51'],
        ['fr', 'invoice', 'EUR', '0.9412', '2027-01', '12.71', '2.54'],
        ['fr', 'credit_note', 'EUR', '0.9300', '2027-01-15', '-12.56', '-2.51'],
        ['fr', 'credit_note', 'EUR', '0.9412', '2027-01', '-3.92', '-0.78'],
      ].sort(),
    );
    await rt.close();
  });

  it('issues without CHF figures when no rate was imported for the day or its month, and sees a rate imported later at once', async () => {
    const rt = await runtime(db.endpoint(), { today: '2027-03-01' });
    await anOrg(rt, { id: 'fr', currency: 'EUR', country: 'FR', balance: '100.00' });
    await aProduct(rt, 'fr', { id: 'dom-a', expiry: '2027-03-15' });
    await aProduct(rt, 'fr', { id: 'dom-b', expiry: '2027-03-15' });
    expect((await renewProduct(rt.deps, { orgId: 'fr', productId: 'dom-a', night: '2027-03-01' })).status).toBe('done');
    expect((await rt.store.listInvoices('fr'))[0]!.chf).toBeUndefined();
    // Imported through the same store, the rate is seen at once by the next renewal of the process.
    await importExchangeRates(rt.deps, 'period,currency,chf\n2027-03,EUR,0.9600\n', FINANCE);
    expect((await renewProduct(rt.deps, { orgId: 'fr', productId: 'dom-b', night: '2027-03-01' })).status).toBe('done');
    const second = (await rt.store.listInvoices('fr')).find((d) => d.lines.some((l) => l.productId === 'dom-b'))!;
    // 13.50 × 0.96 = 12.96; 2.70 × 0.96 = 2.592 → 2.59.
    expect(second.chf).toMatchObject({ rate: '0.9600', ratePeriod: '2027-03', totalNet: '12.96', totalVat: '2.59' });
    await rt.close();
  });
});
