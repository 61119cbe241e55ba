/**
 * The journal of a period, as files an accountant imports, read back here
 * with a CSV parser of its own: every figure expected is worked out by hand
 * from the prices of config/sample.yaml and the rates file below.
 */
import { parse } from 'csv-parse/sync';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { creditNoteFor } from '../../shared/domain/invoice.ts';
import { Money } from '../../shared/domain/money.ts';
import { importExchangeRates, journalExport } from '../../shared/use-cases/finance/journal-export.ts';
import { getExport, requestExport, runExport } from '../../shared/use-cases/finance/export-invoices.ts';
import { readFileSync } from 'node:fs';
import { renewProduct } from '../../shared/use-cases/renew-product.ts';
import { aProduct, anOrg, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();
const FINANCE = { kind: 'user' as const, userId: 'finance-1', finance: true };

// One night, 2027-01-15: a .ch domain renewed for each, paid from the balance.
// - ch: CHF 13.00 + 8.1 % (1.053 → 1.05) = 14.05;
// - fr (consumer): EUR 13.50 + 20 % = 16.20 (OSS);
// - de (business, valid VAT number): EUR 13.50, reverse charge; then credited in full on 2027-01-20.
// Rates file: EUR 0.9412 CHF for January. In CHF: 13.50 → 12.71, 2.70 → 2.54, 16.20 → 15.25 (Banana's gross line: 12.71 + 2.54).
async function month() {
  const rt = await runtime(db.endpoint(), { today: '2027-01-15' });
  for (const [id, currency, country, vatNumber] of [
    ['ch', 'CHF', 'CH', undefined],
    ['fr', 'EUR', 'FR', undefined],
    ['de', 'EUR', 'DE', 'DE136695976'],
  ] as const) {
    await anOrg(rt, { id, currency, country, ...(vatNumber ? { vatNumber } : {}), balance: '100.00' });
    await aProduct(rt, id, { id: `dom-${id}`, expiry: '2027-01-29' });
    expect((await renewProduct(rt.deps, { orgId: id, productId: `dom-${id}`, night: '2027-01-15' })).status).toBe('done');
  }
  const [de] = await rt.store.listInvoices('de');
  const note = creditNoteFor(de!, { seller: rt.deps.seller, year: 2027, sequence: 1 }, '2027-01-20', [{ method: 'balance', amount: Money.of('13.50', 'EUR') }]);
  await rt.store.commit([{ type: 'invoice', invoice: note }]);
  return rt;
}

type Row = Record<string, string>;

describe('the journal export', () => {
  it('balances, books each VAT code what the invoices charged, and gives CHF at the declared rate', async () => {
    const rt = await month();
    const rates = await importExchangeRates(rt.deps, 'period,currency,chf\n2027-01,EUR,0.9412\n2027-02,EUR,abc\n', FINANCE);
    expect(rates.imported).toHaveLength(1);
    expect(rates.rejected).toEqual([{ line: 3, text: '2027-02,EUR,abc', reason: 'rate "abc" must be a positive decimal with up to 6 places, CHF for one EUR' }]);

    const { key, totals } = await journalExport(rt.deps, { from: '2027-01-01', to: '2027-01-31' }, FINANCE);
    const rows = parse((await rt.deps.documents.get(key))!.toString('utf8'), { columns: true, bom: true }) as Row[];
    // Debits = credits, account by account over the file: receivables end with what is open (nothing), VAT owed with the VAT.
    const balance = new Map<string, number>();
    const cents = (s: string) => new Decimal(s).times(100).toNumber();
    for (const r of rows) {
      expect(r.debit_account).not.toBe(r.credit_account);
      balance.set(`${r.debit_account} ${r.currency}`, (balance.get(`${r.debit_account} ${r.currency}`) ?? 0) + cents(r.amount!));
      balance.set(`${r.credit_account} ${r.currency}`, (balance.get(`${r.credit_account} ${r.currency}`) ?? 0) - cents(r.amount!));
    }
    expect([...balance.values()].reduce((a, b) => a + b, 0)).toBe(0);
    expect(balance.get('1100 CHF')).toBe(0);
    expect(balance.get('1101 EUR')).toBe(0);
    // VAT owed (credited): CHF 1.05, EUR 2.70; revenue: CH 13.00, FR 13.50, DE 13.50 − 13.50.
    expect(balance.get('2200 CHF')).toBe(-105);
    expect(balance.get('2200 EUR')).toBe(-270);
    expect(balance.get('3400 CHF')).toBe(-1300);
    expect(balance.get('3410 EUR')).toBe(-1350);
    expect(balance.get('3420 EUR')).toBe(0);
    // The balance paid everything: 14.05 CHF, 16.20 + 13.50 EUR taken, 13.50 EUR given back.
    expect(balance.get('2030 CHF')).toBe(1405);
    expect(balance.get('2030 EUR')).toBe(1620);
    expect(totals.vatByCode).toEqual({
      'OSS-FR-20 EUR': { net: '13.50', vat: '2.70', vatChf: '2.54' },
      'RC EUR': { net: '0.00', vat: '0.00', vatChf: '0.00' },
      'V81 CHF': { net: '13.00', vat: '1.05', vatChf: '1.05' },
    });
    // CHF booked: 13.00 + 1.05 + 14.05 (ch) = 28.10; 12.71 + 2.54 + 15.25 (fr's payment: 16.20 × 0.9412 = 15.247… → 15.25)
    // = 30.50; 12.71 × 4 (de's revenue and payment, then both reversed) = 50.84; 109.44 in all.
    expect(totals.bookedChf).toBe('109.44');
    const fr = rows.filter((r) => r.vat_code === 'OSS-FR-20');
    expect(fr.map((r) => [r.kind, r.amount, r.chf_amount, r.exchange_rate])).toEqual([
      ['revenue', '13.50', '12.71', '0.9412'],
      ['vat', '2.70', '2.54', '0.9412'],
    ]);
    expect(rows.filter((r) => r.vat_code === 'RC').map((r) => [r.reverse_charge, r.export])).toEqual([
      ['yes', 'no'],
      ['yes', 'no'],
    ]);

    // Banana's import text: its column names, tab-separated, one gross line per document and code, CHF in Amount.
    const banana = await journalExport(rt.deps, { from: '2027-01-01', to: '2027-01-31', format: 'banana' }, FINANCE);
    const lines = (await rt.deps.documents.get(banana.key))!.toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('Date\tDoc\tDateDocument\tDescription\tAccountDebit\tAccountCredit\tAmount\tVatCode\tAmountCurrency\tExchangeCurrency\tExchangeRate');
    for (const l of lines) expect(l.split('\t')).toHaveLength(11);
    const frLine = lines.find((l) => l.includes('\tOSS-FR-20\t'))!.split('\t');
    expect([frLine[4], frLine[5], frLine[6], frLine[8], frLine[9]]).toEqual(['1101', '3410', '15.25', '16.20', 'EUR']);
  });

  it("comes with a period's export when asked for, written by the export worker and linked by the export", async () => {
    const rt = await month();
    await importExchangeRates(rt.deps, 'period,currency,chf\n2027-01,EUR,0.9412\n', FINANCE);
    const queued = await requestExport(rt.deps, { from: '2027-01-01', to: '2027-01-31', journal: 'banana' }, FINANCE);
    expect(queued.params).toMatchObject({ journal: 'banana' });
    expect(await runExport(rt.deps, queued.exportId)).toBe('done');
    const view = await getExport(rt.deps, queued.exportId, FINANCE);
    expect(view.journalUrl).toMatch(/-journal\.txt$/);
    expect(view.journalTotals?.vatByCode['V81 CHF']).toEqual({ net: '13.00', vat: '1.05', vatChf: '1.05' });
    const lines = readFileSync(view.journalUrl!, 'utf8').trimEnd().split('\n');
    expect(lines[0]!.split('\t')[0]).toBe('Date');
    // An organisation's own export carries its own bookings only: the Swiss one's invoice and its payment.
    const own = await requestExport(rt.deps, { from: '2027-01-01', to: '2027-01-31', orgId: 'ch', journal: 'csv' }, { kind: 'user', userId: 'owner-ch' });
    expect(await runExport(rt.deps, own.exportId)).toBe('done');
    const mine = await getExport(rt.deps, own.exportId, { kind: 'user', userId: 'owner-ch' });
    expect(mine.journalTotals).toMatchObject({ documents: 1, bookings: 3 });
    await expect(requestExport(rt.deps, { from: '2027-01-01', to: '2027-01-31', journal: 'xlsx' }, FINANCE)).rejects.toThrow('must be csv or banana');
  });

  it('stops at a document without its CHF rate, naming it, and leaves no file', async () => {
    const rt = await month();
    const key = 'exports/journal-2027-01-01-2027-01-31.csv';
    await expect(journalExport(rt.deps, { from: '2027-01-01', to: '2027-01-31' }, FINANCE)).rejects.toThrow(
      /no CHF rate for EUR on 2027-01-15 \(document INV-.+\): import the month's rate/,
    );
    expect(await rt.deps.documents.get(key)).toBeUndefined();
    // Asked for with an export: the export fails with the same reason, for the one who asked to read.
    const queued = await requestExport(rt.deps, { from: '2027-01-01', to: '2027-01-31', journal: 'csv' }, FINANCE);
    expect(await runExport(rt.deps, queued.exportId)).toBe('failed');
    expect((await getExport(rt.deps, queued.exportId, FINANCE)).error).toMatch(/^no CHF rate for EUR on 2027-01-15/);
    await expect(journalExport(rt.deps, { from: '2027-01-01', to: '2027-01-31' }, { kind: 'user', userId: 'someone' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(journalExport(rt.deps, { from: '2027-02-01', to: '2027-01-31' }, FINANCE)).rejects.toThrow('from must not be after to');
    await expect(importExchangeRates(rt.deps, 'period,currency,chf\n2027-01,EUR,0.94\n', { kind: 'user', userId: 'someone' })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
