import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  creditorReference,
  creditorReferenceFor,
  formatReference,
  isCreditorReference,
  isQrReference,
  mod10Recursive,
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
