import { describe, expect, it } from 'vitest';
import { formatAmount, formatDate, formatReference } from '../../../web/src/format.ts';
import { LANGS, periodText, TEXTS, translate } from '../../../web/src/i18n.ts';

/** The portal's Swiss formats and its four languages; expected texts written by hand. */
describe('Swiss formats of the portal', () => {
  it("writes amounts with the apostrophe between thousands and two decimals, from the API's decimal strings", () => {
    expect(formatAmount('1234.5', 'CHF')).toBe("CHF 1'234.50");
    expect(formatAmount('1234.50', 'CHF')).toBe("CHF 1'234.50");
    expect(formatAmount('1234567.05', 'EUR')).toBe("EUR 1'234'567.05");
    expect(formatAmount('999', 'CHF')).toBe('CHF 999.00');
    expect(formatAmount('0', 'CHF')).toBe('CHF 0.00');
    expect(formatAmount('-0.00', 'CHF')).toBe('CHF 0.00');
    expect(formatAmount('-12.3', 'CHF')).toBe('CHF -12.30');
    // A third decimal the API may give (a unit price) is kept, never rounded away.
    expect(formatAmount('0.125', 'CHF')).toBe('CHF 0.125');
    // Beyond what a float holds exactly: still exact.
    expect(formatAmount('90071992547409931.99', 'CHF')).toBe("CHF 90'071'992'547'409'931.99");
  });

  it('writes dates as day.month.year and QR references in their groups', () => {
    expect(formatDate('2026-12-31')).toBe('31.12.2026');
    expect(formatDate('2027-01-05')).toBe('05.01.2027');
    expect(formatReference('210000000003139471430009017')).toBe('21 00000 00003 13947 14300 09017');
    expect(formatReference('RF18539007547034')).toBe('RF18 5390 0754 7034');
  });
});

describe('the four languages of the portal', () => {
  it('has every text in French, German, Italian and English, none left empty', () => {
    for (const [key, texts] of Object.entries(TEXTS)) {
      expect(texts, key).toHaveLength(4);
      for (const text of texts) expect(text.trim(), key).not.toBe('');
      // The same placeholders in every language.
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const text of texts) expect(names(text), key).toEqual(names(texts[0]));
    }
  });

  it('fills placeholders and says periods as the Manager does', () => {
    expect(translate('fr', 'sum.vat', { rate: '8.1' })).toBe('TVA 8.1 %');
    expect(translate('de', 'sum.vat', { rate: '8.1' })).toBe('MWST 8.1 %');
    expect(LANGS.map((l) => periodText(l, 12))).toEqual(['1 an', '1 Jahr', '1 anno', '1 year']);
    expect(periodText('fr', 36)).toBe('3 ans');
    expect(periodText('de', 3)).toBe('3 Monate');
    expect(periodText('en', 1)).toBe('1 month');
  });
});
