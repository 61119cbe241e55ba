import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';

import { creditNoteFor, creditNoteForPart, formatInvoiceNumber, priceRenewal, toInvoice, uncredited, type Invoice } from '../../../shared/domain/invoice.ts';
import { Money } from '../../../shared/domain/money.ts';
import type { Organisation } from '../../../shared/domain/organisation.ts';
import { priceInvoice } from '../../../shared/domain/pricing.ts';
import type { Product } from '../../../shared/domain/product.ts';
import { DEFAULT_SELLER, SAMPLE_CONFIG } from '../../support/sample-config.ts';
import { vatTreatment } from '../../../shared/domain/vat.ts';

// Every expected figure below is worked out by hand in the comment beside it.
const catalogue = SAMPLE_CONFIG.catalogue;
const domain = catalogue.get('domain-ch')!;
const hosting = catalogue.get('web-hosting')!;
const chf = (s: string) => Money.of(s, 'CHF');

function org(over: Partial<Organisation> = {}): Organisation {
  return { id: 'acme', name: 'Acme Sàrl', currency: 'CHF', country: 'CH', balance: '0.00', billingContacts: [], createdAt: '2026-01-01T00:00:00Z', ...over };
}

function product(over: Partial<Product> = {}): Product {
  return {
    id: 'acme-ch',
    orgId: 'acme',
    typeId: 'domain-ch',
    name: 'acme.ch',
    expiry: '2026-12-31',
    periodMonths: 12,
    autoRenew: true,
    status: 'active',
    failedAttempts: 0,
    createdAt: '2026-01-01T00:00:00Z',
    version: 1,
    ...over,
  };
}

const ids = { series: 'INV' as const, seller: DEFAULT_SELLER, year: 2026, sequence: 42 };

describe('invoice numbers', () => {
  it('are series, range in capitals, year and a six-digit sequence', () => {
    expect(formatInvoiceNumber('INV', 'ch', 2026, 42)).toBe('INV-CH-2026-000042');
    expect(formatInvoiceNumber('CN', 'ch03', 2027, 123456)).toBe('CN-CH03-2027-123456');
  });
});

describe('the priced renewal of a product', () => {
  it('covers the period from the expiry, for the periods chosen, at the billed organisation', () => {
    // 3 years of .ch at 13.00: 39.00 net, VAT 8.1 % = 3.159 -> 3.16, 42.16 gross.
    const priced = priceRenewal(product(), domain, org(), DEFAULT_SELLER, '2026-12-17', 36);
    expect(priced.lines).toHaveLength(1);
    const [line] = priced.lines;
    expect(line!.description).toBe('.ch domain name: acme.ch');
    expect(line!.productId).toBe('acme-ch');
    expect([line!.periodFrom, line!.periodTo]).toEqual(['2026-12-31', '2029-12-31']);
    expect(line!.quantity).toBe(3);
    expect([line!.net.toString(), line!.vat.toString(), line!.gross.toString()]).toEqual(['39.00', '3.16', '42.16']);
    expect(line!.discountPercent).toBeUndefined();
    expect(line!.discount.toString()).toBe('0.00');
  });

  it("names the client on a partner's invoice and takes the partner's discount off", () => {
    // 12 months of hosting at 9.90 = 118.80; 20 % = 23.76; net 95.04; VAT 8.1 % = 7.698 -> 7.70; 102.74.
    const partner = org({ id: 'reseller', name: 'Reseller AG' });
    const priced = priceRenewal(product({ typeId: 'web-hosting', name: 'acme.ch hosting', periodMonths: 12 }), hosting, partner, DEFAULT_SELLER, '2026-12-17', 12, {
      discountPercent: new Decimal(20),
      client: org(),
    });
    const [line] = priced.lines;
    expect(line!.description).toBe('Web hosting: acme.ch hosting (Acme Sàrl)');
    expect(line!.quantity).toBe(12);
    expect([line!.discount.toString(), line!.net.toString(), line!.vat.toString(), line!.gross.toString()]).toEqual(['23.76', '95.04', '7.70', '102.74']);
    expect(line!.discountPercent?.toString()).toBe('20');
  });

  it('does not name the client when the client is the organisation billed', () => {
    const priced = priceRenewal(product(), domain, org(), DEFAULT_SELLER, '2026-12-17', 12, { client: org() });
    expect(priced.lines[0]!.description).toBe('.ch domain name: acme.ch');
  });

  it("applies the buyer's VAT: an EU business reverse-charges", () => {
    // 13.50 EUR, reverse charge: no VAT.
    const priced = priceRenewal(product(), domain, org({ currency: 'EUR', country: 'DE', vatNumber: 'DE129273398' }), DEFAULT_SELLER, '2026-12-17');
    expect([priced.total.toString(), priced.totalVat.toString(), priced.currency]).toEqual(['13.50', '0.00', 'EUR']);
    expect(priced.vat.mention).toBeTruthy();
  });
});

describe('an invoice as stored', () => {
  const buyer = org({
    address: 'Rue 1, 1000 Lausanne',
    postal: { street: 'Rue', buildingNumber: '1', zip: '1000', city: 'Lausanne', country: 'CH' },
    vatNumber: 'CHE-116.281.710 TVA',
    language: 'de',
  });

  it('carries the buyer, lines, totals and the non-zero payments, paid by default', () => {
    // 13.00 + 8.1 % = 14.05: 5.00 from the balance, 9.05 by card, a zero part left out.
    const priced = priceRenewal(product(), domain, buyer, DEFAULT_SELLER, '2026-12-17');
    const inv = toInvoice(priced, ids, buyer, '2026-12-17', [
      { method: 'balance', amount: chf('5.00') },
      { method: 'card', amount: chf('9.05'), ref: 'pi_1' },
      { method: 'twint', amount: chf('0.00') },
    ]);
    expect(inv).toMatchObject({
      number: 'INV-CH-2026-000042',
      series: 'INV',
      sellerId: 'ch',
      year: 2026,
      sequence: 42,
      orgId: 'acme',
      issueDate: '2026-12-17',
      currency: 'CHF',
      language: 'de',
      status: 'paid',
      totalNet: '13.00',
      totalVat: '1.05',
      total: '14.05',
      vatBreakdown: [{ rate: '8.1', net: '13.00', vat: '1.05' }],
    });
    expect(inv.seriesId).toBeUndefined();
    expect(inv.buyer).toEqual({ name: 'Acme Sàrl', country: 'CH', address: 'Rue 1, 1000 Lausanne', postal: buyer.postal, vatNumber: 'CHE-116.281.710 TVA' });
    expect(inv.lines).toEqual([
      {
        description: '.ch domain name: acme.ch',
        productId: 'acme-ch',
        periodFrom: '2026-12-31',
        periodTo: '2027-12-31',
        unitPrice: '13.00',
        quantity: 1,
        net: '13.00',
        vatRate: '8.1',
        vat: '1.05',
        gross: '14.05',
      },
    ]);
    expect(inv.payments).toEqual([
      { method: 'balance', amount: '5.00' },
      { method: 'card', amount: '9.05', ref: 'pi_1' },
    ]);
    expect(inv.vatMention).toBeUndefined();
    expect(inv.refersTo).toBeUndefined();
    expect(inv.checkoutId).toBeUndefined();
  });

  it('prints in French when the organisation chose no language, and leaves out what the buyer lacks', () => {
    const inv = toInvoice(priceRenewal(product(), domain, org(), DEFAULT_SELLER, '2026-12-17'), ids, org(), '2026-12-17', []);
    expect(inv.language).toBe('fr');
    expect(inv.buyer).toEqual({ name: 'Acme Sàrl', country: 'CH' });
    expect(inv.payments).toEqual([]);
  });

  it('names its own number range when the seller splits them, and keeps status, pro-forma and checkout given', () => {
    const inv = toInvoice(priceRenewal(product(), domain, org(), DEFAULT_SELLER, '2026-12-17'), { ...ids, series: 'PRO', seriesId: 'ch02' }, org(), '2026-12-17', [], {
      status: 'open',
      refersTo: 'PRO-CH-2026-000001',
      checkoutId: 'co_1',
    });
    expect(inv).toMatchObject({ number: 'PRO-CH02-2026-000042', seriesId: 'ch02', status: 'open', refersTo: 'PRO-CH-2026-000001', checkoutId: 'co_1' });
    // The seller's own id as the range is no split range.
    const same = toInvoice(priceRenewal(product(), domain, org(), DEFAULT_SELLER, '2026-12-17'), { ...ids, seriesId: 'ch' }, org(), '2026-12-17', []);
    expect(same.seriesId).toBeUndefined();
    expect(same.number).toBe('INV-CH-2026-000042');
  });

  it('keeps the discount of a line and the VAT mention of the treatment', () => {
    const eu = org({ currency: 'EUR', country: 'DE', vatNumber: 'DE129273398' });
    const priced = priceRenewal(product(), domain, eu, DEFAULT_SELLER, '2026-12-17', 12, { discountPercent: new Decimal('12.5') });
    // 13.50 less 12.5 % = 1.6875 -> 1.69: 11.81 net, no VAT.
    const inv = toInvoice(priced, ids, eu, '2026-12-17', []);
    expect(inv.lines[0]).toMatchObject({ unitPrice: '13.50', discountPercent: '12.5', discount: '1.69', net: '11.81', vat: '0.00', gross: '11.81' });
    expect(inv.vatMention).toBe(priced.vat.mention);
    expect(inv.vatMention).toBeTruthy();
  });
});

/** Two lines at one rate: 13.00 (14.05 gross) and 118.80 (VAT 9.6228 -> 9.62, 128.42 gross): 142.47. */
function twoLineInvoice(): Invoice {
  const vat = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'CH', date: '2026-12-17' });
  const priced = priceInvoice(
    [
      { description: 'a', productId: 'a', unitPrice: chf('13.00'), quantity: 1 },
      { description: 'b', productId: 'b', unitPrice: chf('9.90'), quantity: 12 },
    ],
    vat,
    'CHF',
  );
  return toInvoice(priced, ids, org(), '2026-12-17', [{ method: 'card', amount: priced.total, ref: 'pi_2' }]);
}

describe('credit notes', () => {
  it('reverse an invoice in full with the signs turned, referring to it, its number from the CN series', () => {
    const inv = { ...twoLineInvoice(), paymentReference: 'RF18', amountDue: '0.00' };
    expect(inv.total).toBe('142.47');
    const cn = creditNoteFor(inv, { seller: DEFAULT_SELLER, year: 2027, sequence: 3 }, '2027-01-05', [
      { method: 'card', amount: chf('142.47'), ref: 're_1' },
      { method: 'balance', amount: chf('0') },
    ]);
    expect(cn).toMatchObject({
      number: 'CN-CH-2027-000003',
      series: 'CN',
      year: 2027,
      sequence: 3,
      issueDate: '2027-01-05',
      status: 'paid',
      refersTo: inv.number,
      total: '-142.47',
      totalNet: '-131.80',
      totalVat: '-10.67',
    });
    expect(cn.lines.map((l) => [l.quantity, l.net, l.vat, l.gross])).toEqual([
      [-1, '-13.00', '-1.05', '-14.05'],
      [-12, '-118.80', '-9.62', '-128.42'],
    ]);
    expect(cn.vatBreakdown).toEqual([{ rate: '8.1', net: '-131.80', vat: '-10.67' }]);
    expect(cn.payments).toEqual([{ method: 'card', amount: '-142.47', ref: 're_1' }]);
    expect(cn.paymentReference).toBeUndefined();
    expect(cn.amountDue).toBeUndefined();
    expect(cn.seriesId).toBeUndefined();
  });

  it('turn the sign of a discount and keep a zero amount unsigned', () => {
    const inv = twoLineInvoice();
    const discounted: Invoice = {
      ...inv,
      lines: [
        { ...inv.lines[0]!, discountPercent: '10', discount: '1.30' },
        { ...inv.lines[1]!, vat: '0.00' },
      ],
    };
    const cn = creditNoteFor(discounted, { seller: DEFAULT_SELLER, year: 2027, sequence: 1, seriesId: 'ch01' }, '2027-01-05', []);
    expect(cn.lines[0]).toMatchObject({ discountPercent: '10', discount: '-1.30' });
    expect(cn.lines[1]!.vat).toBe('0.00');
    expect(cn).toMatchObject({ number: 'CN-CH01-2027-000001', seriesId: 'ch01' });
    // A credit note of a credit note would turn the signs back.
    expect(creditNoteFor(cn, { seller: DEFAULT_SELLER, year: 2027, sequence: 2 }, '2027-01-06', []).total).toBe('142.47');
  });

  it('share a part in proportion to the lines, cents by largest remainder, VAT taken out at each rate', () => {
    const inv = twoLineInvoice();
    // 50.00 of 142.47: 5000 x 1405 / 14247 = 493.086 -> 493; 5000 x 12842 / 14247 = 4506.914 -> 4506; one cent left,
    // to the larger remainder (0.914): 4.93 and 45.07. VAT 4.93 x 8.1/108.1 = 0.3694 -> 0.37; 45.07 x 8.1/108.1 = 3.3771 -> 3.38.
    const cn = creditNoteForPart(inv, [], { seller: DEFAULT_SELLER, year: 2026, sequence: 7 }, '2026-12-20', chf('50.00'), [{ method: 'card', amount: chf('50.00'), ref: 're_2' }]);
    expect(cn.lines.map((l) => [l.unitPrice, l.quantity, l.net, l.vat, l.gross])).toEqual([
      ['4.56', -1, '-4.56', '-0.37', '-4.93'],
      ['41.69', -1, '-41.69', '-3.38', '-45.07'],
    ]);
    expect(cn).toMatchObject({ number: 'CN-CH-2026-000007', total: '-50.00', totalNet: '-46.25', totalVat: '-3.75', refersTo: inv.number });
    expect(cn.vatBreakdown).toEqual([{ rate: '8.1', net: '-46.25', vat: '-3.75' }]);
    expect(cn.payments).toEqual([{ method: 'card', amount: '-50.00', ref: 're_2' }]);

    // What is left: 14.05 - 4.93 = 9.12 and 128.42 - 45.07 = 83.35, 92.47 in all.
    const left = uncredited(inv, [cn]);
    expect(left.lines.map((l) => [l.net.toString(), l.vat.toString(), l.gross.toString()])).toEqual([
      ['8.44', '0.68', '9.12'],
      ['77.11', '6.24', '83.35'],
    ]);
    expect(left.total.toString()).toBe('92.47');

    // Crediting the rest reverses exactly what is left, line by line: the invoice and its notes net to zero.
    const rest = creditNoteForPart(inv, [cn], { seller: DEFAULT_SELLER, year: 2026, sequence: 8 }, '2026-12-21', chf('92.47'), []);
    expect(rest.lines.map((l) => [l.net, l.vat, l.gross])).toEqual([
      ['-8.44', '-0.68', '-9.12'],
      ['-77.11', '-6.24', '-83.35'],
    ]);
    expect(uncredited(inv, [cn, rest]).total.toString()).toBe('0.00');
  });

  it('hand the cents left by largest remainder, not by size, and the first line on a tie', () => {
    const inv = twoLineInvoice();
    const at = (gross: string) => ({ ...inv.lines[0]!, gross, net: gross, vat: '0.00', vatRate: '0' });
    const ids = { seller: DEFAULT_SELLER, year: 2026, sequence: 9 };
    // 1.00 over 10.00 / 20.00 / 30.00: 100 x 1000 / 6000 = 16.67 -> 16, 33.33 -> 33, 50 -> 50; one cent left, to the
    // largest remainder, the first line's (0.67; the others 0.33 and 0): 0.17, 0.33, 0.50.
    const three = { ...inv, lines: [at('10.00'), at('20.00'), at('30.00')], total: '60.00' };
    const cn = creditNoteForPart(three, [], ids, '2026-12-20', chf('1.00'), []);
    expect(cn.lines.map((l) => l.gross)).toEqual(['-0.17', '-0.33', '-0.50']);
    // 1.00 over three lines of 10.00: 33 each, the same remainder: the cent goes to the first line.
    const tie = { ...inv, lines: [at('10.00'), at('10.00'), at('10.00')], total: '30.00' };
    expect(creditNoteForPart(tie, [], ids, '2026-12-20', chf('1.00'), []).lines.map((l) => l.gross)).toEqual(['-0.34', '-0.33', '-0.33']);
    // 2.00 over 10.00 / 10.00 / 10.00: 66 each, two cents left, to the first two lines.
    expect(creditNoteForPart(tie, [], ids, '2026-12-20', chf('2.00'), []).lines.map((l) => l.gross)).toEqual(['-0.67', '-0.67', '-0.66']);
  });

  it('give each rate its own breakdown when lines differ in rate', () => {
    const inv = twoLineInvoice();
    // The second line at 0 %: 118.80 gross with no VAT (as if exported).
    const mixed: Invoice = { ...inv, lines: [inv.lines[0]!, { ...inv.lines[1]!, vatRate: '0', vat: '0.00', gross: '118.80' }], total: '132.85' };
    // 13.28 of 132.85: 1328 x 1405 / 13285 = 140.45 -> 140; 1328 x 11880 / 13285 = 1187.55 -> 1187; the cent to the second (0.55 > 0.45).
    const cn = creditNoteForPart(mixed, [], { seller: DEFAULT_SELLER, year: 2026, sequence: 9 }, '2026-12-20', chf('13.28'), []);
    expect(cn.lines.map((l) => l.gross)).toEqual(['-1.40', '-11.88']);
    // 1.40 x 8.1/108.1 = 0.1049 -> 0.10.
    expect(cn.vatBreakdown).toEqual([
      { rate: '8.1', net: '-1.30', vat: '-0.10' },
      { rate: '0', net: '-11.88', vat: '0.00' },
    ]);
  });

  it('count only credit notes that refer to the invoice', () => {
    const inv = twoLineInvoice();
    const cn = creditNoteForPart(inv, [], { seller: DEFAULT_SELLER, year: 2026, sequence: 7 }, '2026-12-20', chf('50.00'), []);
    const other = { ...cn, refersTo: 'INV-CH-2026-000001' };
    const notCn = { ...cn, series: 'INV' as const };
    expect(uncredited(inv, [other, notCn]).total.toString()).toBe('142.47');
  });

  it('refuse a part that is not positive or more than is left', () => {
    const inv = twoLineInvoice();
    const at = { seller: DEFAULT_SELLER, year: 2026, sequence: 7 };
    expect(() => creditNoteForPart(inv, [], at, '2026-12-20', chf('0.00'), [])).toThrow(/0\.00 on INV-CH-2026-000042, of which CHF 142\.47|of which/);
    expect(() => creditNoteForPart(inv, [], at, '2026-12-20', chf('142.48'), [])).toThrow(/of which CHF 142.47 is not credited yet/);
    expect(creditNoteForPart(inv, [], at, '2026-12-20', chf('142.47'), []).total).toBe('-142.47');
  });
});
