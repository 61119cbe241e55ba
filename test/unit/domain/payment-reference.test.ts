import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  creditorReference,
  creditorReferenceFor,
  formatReference,
  isCreditorReference,
  isQrReference,
  mod10Recursive,
  paymentReferenceFor,
  qrReferenceFor,
} from '../../../shared/domain/payment-reference.ts';

describe('QR references (modulo 10 recursive)', () => {
  it('computes the check digit of the Swiss Payment Standards example', () => {
    expect(mod10Recursive('21000000000313947143000901')).toBe(7);
    expect(isQrReference('21 00000 00003 13947 14300 09017')).toBe(true);
    expect(isQrReference('210000000003139471430009018')).toBe(false);
  });

  it('derives a valid reference per document, with the bank prefix first', () => {
    const ref = qrReferenceFor({ series: 'PRO', year: 2026, sequence: 42 });
    expect(ref).toBe('000000000000220260000000429');
    expect(isQrReference(ref)).toBe(true);
    expect(formatReference(ref)).toMatch(/^\d{2}( \d{5}){5}$/);
    const withPrefix = qrReferenceFor({ series: 'INV', year: 2026, sequence: 7 }, '123456');
    expect(withPrefix.startsWith('123456')).toBe(true);
    expect(isQrReference(withPrefix)).toBe(true);
  });

  it('keeps the documents of split number ranges apart', () => {
    const a = qrReferenceFor({ series: 'INV', year: 2026, sequence: 7, range: 3 });
    const b = qrReferenceFor({ series: 'INV', year: 2026, sequence: 7, range: 4 });
    expect(a).not.toBe(b);
    expect([a, b].every(isQrReference)).toBe(true);
    expect(creditorReferenceFor({ series: 'INV', year: 2026, sequence: 7, range: 3 })).not.toBe(creditorReferenceFor({ series: 'INV', year: 2026, sequence: 7 }));
  });

  it('gives different documents different references', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999 }), fc.integer({ min: 1, max: 999_999_999 }), (a, b) => {
        fc.pre(a !== b);
        expect(qrReferenceFor({ series: 'PRO', year: 2026, sequence: a })).not.toBe(qrReferenceFor({ series: 'PRO', year: 2026, sequence: b }));
      }),
    );
  });
});

describe('creditor references (ISO 11649)', () => {
  it('accepts the ISO example and refuses a changed digit', () => {
    expect(isCreditorReference('RF18 5390 0754 7034')).toBe(true);
    expect(isCreditorReference('RF18 5390 0754 7035')).toBe(false);
    expect(creditorReference('539007547034')).toBe('RF18539007547034');
  });

  it('derives a valid reference per document', () => {
    const ref = creditorReferenceFor({ series: 'PRO', year: 2026, sequence: 1 });
    expect(isCreditorReference(ref)).toBe(true);
    expect(ref.slice(4)).toBe('PRO2026000001');
  });

  it('is always valid for any body it accepts', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z0-9]{1,21}$/), (body) => {
        expect(isCreditorReference(creditorReference(body))).toBe(true);
      }),
    );
  });
});

describe('references as the bank and the printer see them', () => {
  // Check digits below were worked out by hand with the published algorithms (SPS Annex B mod 10
  // recursive; ISO 7064 mod 97-10), not with this code.
  it('recognises the Swiss Payment Standards sample QR reference, with or without its spaces, and nothing else', () => {
    expect(isQrReference('21 00000 00003 13947 14300 09017')).toBe(true);
    expect(isQrReference('210000000003139471430009017')).toBe(true);
    expect(isQrReference('210000000003139471430009016')).toBe(false);
    expect(isQrReference('21000000000313947143000901')).toBe(false);
    expect(isQrReference('2100000000031394714300090170')).toBe(false);
    expect(isQrReference('x210000000003139471430009017')).toBe(false);
    expect(isQrReference('210000000003139471430009017x')).toBe(false);
  });

  it('recognises the ISO 11649 sample creditor reference in any case and spacing, and nothing else', () => {
    expect(isCreditorReference('RF18 5390 0754 7034')).toBe(true);
    expect(isCreditorReference('rf18539007547034')).toBe(true);
    expect(isCreditorReference('RF18539007547035')).toBe(false);
    expect(isCreditorReference('RF18')).toBe(false);
    expect(isCreditorReference('RF1853900754703')).toBe(false);
    expect(isCreditorReference('XRF18539007547034')).toBe(false);
    expect(isCreditorReference('RF18539007547034-')).toBe(false);
    expect(isCreditorReference('RF1A539007547034')).toBe(false);
    expect(isCreditorReference(`RF18${'1'.repeat(22)}`)).toBe(false);
  });

  it('prints a QR reference in groups of five after the first two digits, a creditor reference in groups of four', () => {
    expect(formatReference('210000000003139471430009017')).toBe('21 00000 00003 13947 14300 09017');
    expect(formatReference('21 0000000003139471430009017')).toBe('21 00000 00003 13947 14300 09017');
    expect(formatReference('RF18539007547034')).toBe('RF18 5390 0754 7034');
    expect(formatReference('RF05CN2026000007')).toBe('RF05 CN20 2600 0007');
    expect(formatReference('RF44INVR032026000005')).toBe('RF44 INVR 0320 2600 0005');
  });

  it("derives each document's reference from its series, range, year and number", () => {
    expect(qrReferenceFor({ series: 'INV', year: 2026, sequence: 5 })).toBe('000000000000120260000000056');
    expect(qrReferenceFor({ series: 'PRO', year: 2026, sequence: 42 })).toBe('000000000000220260000000429');
    expect(qrReferenceFor({ series: 'INV', year: 2026, sequence: 5, range: 3 })).toBe('000000000003120260000000053');
    expect(qrReferenceFor({ series: 'INV', year: 2026, sequence: 5 }, '123456')).toBe('123456000000120260000000057');
    expect(creditorReferenceFor({ series: 'CN', year: 2026, sequence: 7 })).toBe('RF05CN2026000007');
    expect(creditorReferenceFor({ series: 'INV', year: 2026, sequence: 5, range: 3 })).toBe('RF44INVR032026000005');
  });

  it('prints a QR reference with a QR-IBAN and a creditor reference without, the range read from the series id', () => {
    const doc = { series: 'INV' as const, year: 2026, sequence: 5, seriesId: 'ch03' };
    expect(paymentReferenceFor({ id: 'ch', qrIban: 'CH4431999123000889012' }, doc)).toBe('000000000003120260000000053');
    expect(paymentReferenceFor({ id: 'ch', qrIban: 'CH4431999123000889012', qrReferencePrefix: '123456' }, { ...doc, seriesId: 'ch' })).toBe('123456000000120260000000057');
    expect(paymentReferenceFor({ id: 'ch' }, doc)).toBe('RF44INVR032026000005');
    expect(paymentReferenceFor({ id: 'ch' }, { series: 'CN', year: 2026, sequence: 7 })).toBe('RF05CN2026000007');
  });

  it('refuses what cannot be a reference, and says what it takes', () => {
    expect(() => qrReferenceFor({ series: 'INV', year: 2026, sequence: 1 }, '1234567')).toThrow('the QR reference prefix takes up to 6 digits, got "1234567"');
    expect(() => qrReferenceFor({ series: 'INV', year: 2026, sequence: 1 }, '12a')).toThrow('the QR reference prefix takes up to 6 digits, got "12a"');
    expect(() => qrReferenceFor({ series: 'INV', year: 2026, sequence: 1 }, 'x1')).toThrow(/takes up to 6 digits/);
    expect(() => creditorReference('')).toThrow('a creditor reference takes 1 to 21 letters and digits, got ""');
    expect(() => creditorReference('-AB')).toThrow(/1 to 21 letters/);
    expect(() => creditorReference('AB-')).toThrow(/1 to 21 letters/);
    expect(() => creditorReference('A'.repeat(22))).toThrow(/1 to 21 letters/);
    expect(creditorReference('a'.repeat(21))).toMatch(/^RF\d{2}A{21}$/);
  });
});
