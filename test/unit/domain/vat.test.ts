import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../../shared/domain/calendar.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import {
  EU_COUNTRIES,
  EXPORT_MENTION,
  isEuCountry,
  isValidVatNumber,
  REVERSE_CHARGE_MENTION,
  standardRate,
  SWISS_EXPORT_MENTION,
  vatTreatment,
} from '../../../shared/domain/vat.ts';

const RUNS = { numRuns: 300 };

const rate = (country: string, date: string) => standardRate(country, date).toString();

// Numbers with a correct check digit (public examples of registered companies).
const VALID_DE = 'DE129273398';
const VALID_AT = 'ATU13585627';
const VALID_FR = 'FR40303265045';
const VALID_CH = 'CHE-116.281.710 MWST';

describe('standard VAT rates', () => {
  it('applies 7.7 % to Swiss invoices dated before 2024-01-01', () => {
    expect(rate('CH', '2023-12-31')).toBe('7.7');
    expect(rate('CH', '2018-01-01')).toBe('7.7');
  });

  it('applies 8.1 % to Swiss invoices from 2024-01-01', () => {
    expect(rate('CH', '2024-01-01')).toBe('8.1');
    expect(rate('CH', '2026-06-30')).toBe('8.1');
  });

  it('applies 8.0 % to Swiss invoices from 2011 to 2017', () => {
    expect(rate('CH', '2011-01-01')).toBe('8');
    expect(rate('CH', '2017-12-31')).toBe('8');
  });

  it('gives Liechtenstein the Swiss rates', () => {
    for (const d of ['2015-05-05', '2023-12-31', '2024-01-01']) expect(rate('LI', d)).toBe(rate('CH', d));
  });

  it('knows the current standard rates of EU member states', () => {
    const expected: Record<string, string> = {
      DE: '19',
      FR: '20',
      IT: '22',
      AT: '20',
      BE: '21',
      NL: '21',
      ES: '21',
      LU: '17',
      PT: '23',
      IE: '23',
      DK: '25',
      SE: '25',
      PL: '23',
      CZ: '21',
      HU: '27',
      HR: '25',
      GR: '24',
      CY: '19',
      MT: '18',
      SI: '22',
      LT: '21',
      LV: '21',
      BG: '20',
    };
    for (const [c, r] of Object.entries(expected)) expect(rate(c, '2025-06-01'), c).toBe(r);
  });

  it('has a rate for every one of the 27 member states', () => {
    expect(EU_COUNTRIES).toHaveLength(27);
    for (const c of EU_COUNTRIES) expect(standardRate(c, '2025-06-01').gt(0), c).toBe(true);
  });

  it('switches Finland from 24 % to 25.5 % on 2024-09-01', () => {
    expect(rate('FI', '2024-08-31')).toBe('24');
    expect(rate('FI', '2024-09-01')).toBe('25.5');
  });

  it('applies the temporary German 16 % in the second half of 2020 only', () => {
    expect(rate('DE', '2020-06-30')).toBe('19');
    expect(rate('DE', '2020-07-01')).toBe('16');
    expect(rate('DE', '2020-12-31')).toBe('16');
    expect(rate('DE', '2021-01-01')).toBe('19');
  });

  it('follows the recent changes in Luxembourg, Estonia, Slovakia and Romania', () => {
    expect(rate('LU', '2023-06-01')).toBe('16');
    expect(rate('LU', '2024-01-01')).toBe('17');
    expect(rate('EE', '2023-12-31')).toBe('20');
    expect(rate('EE', '2024-01-01')).toBe('22');
    expect(rate('EE', '2025-07-01')).toBe('24');
    expect(rate('SK', '2024-12-31')).toBe('20');
    expect(rate('SK', '2025-01-01')).toBe('23');
    expect(rate('RO', '2025-07-31')).toBe('19');
    expect(rate('RO', '2025-08-01')).toBe('21');
  });

  it('returns a Decimal usable for exact arithmetic', () => {
    expect(Decimal.isDecimal(standardRate('CH', '2024-01-01'))).toBe(true);
    expect(standardRate('CH', '2024-01-01').equals(new Decimal('8.1'))).toBe(true);
  });

  it('accepts lower-case codes and EL for Greece', () => {
    expect(rate('ch', '2024-01-01')).toBe('8.1');
    expect(rate('EL', '2024-01-01')).toBe('24');
  });

  it("follows every standard-rate change since 2011 of the European Commission's published history, to the day", () => {
    // Standard rates by country: the rate from 2011-01-01, then [first day, new rate] per change.
    const history: Record<string, [string, ...[string, string][]]> = {
      CH: ['8.0', ['2018-01-01', '7.7'], ['2024-01-01', '8.1']],
      LI: ['8.0', ['2018-01-01', '7.7'], ['2024-01-01', '8.1']],
      AT: ['20'],
      BE: ['21'],
      BG: ['20'],
      DK: ['25'],
      LT: ['21'],
      MT: ['18'],
      PL: ['23'],
      PT: ['23'],
      SE: ['25'],
      CY: ['15', ['2012-03-01', '17'], ['2013-01-14', '18'], ['2014-01-13', '19']],
      CZ: ['20', ['2013-01-01', '21']],
      DE: ['19', ['2020-07-01', '16'], ['2021-01-01', '19']],
      EE: ['20', ['2024-01-01', '22'], ['2025-07-01', '24']],
      ES: ['18', ['2012-09-01', '21']],
      FI: ['23', ['2013-01-01', '24'], ['2024-09-01', '25.5']],
      FR: ['19.6', ['2014-01-01', '20']],
      GR: ['23', ['2016-06-01', '24']],
      HR: ['23', ['2012-03-01', '25']],
      HU: ['25', ['2012-01-01', '27']],
      IE: ['21', ['2012-01-01', '23'], ['2020-09-01', '21'], ['2021-03-01', '23']],
      IT: ['20', ['2011-09-17', '21'], ['2013-10-01', '22']],
      LU: ['15', ['2015-01-01', '17'], ['2023-01-01', '16'], ['2024-01-01', '17']],
      LV: ['22', ['2012-07-01', '21']],
      NL: ['19', ['2012-10-01', '21']],
      RO: ['24', ['2016-01-01', '20'], ['2017-01-01', '19'], ['2025-08-01', '21']],
      SI: ['20', ['2013-07-01', '22']],
      SK: ['20', ['2025-01-01', '23']],
    };
    for (const [country, [first, ...changes]] of Object.entries(history)) {
      expect(rate(country, '2011-01-01'), `${country} 2011-01-01`).toBe(new Decimal(first).toString());
      let before = first;
      for (const [from, to] of changes) {
        expect(rate(country, addDays(from, -1)), `${country} the day before ${from}`).toBe(new Decimal(before).toString());
        expect(rate(country, from), `${country} on ${from}`).toBe(new Decimal(to).toString());
        before = to;
      }
      expect(rate(country, '2026-12-01'), `${country} today`).toBe(new Decimal(before).toString());
      expect(() => standardRate(country, '2010-12-31')).toThrow(`no VAT rate known for ${country} before 2011-01-01 (asked for 2010-12-31)`);
    }
    expect(Object.keys(history).sort()).toEqual(['CH', 'LI', ...EU_COUNTRIES].sort());
  });

  it('names what it does not know in its refusals', () => {
    expect(() => standardRate('US', '2024-01-01')).toThrow('no VAT rates known for country US');
    expect(() => standardRate(' us ', '2024-01-01')).toThrow('no VAT rates known for country  us ');
    expect(() => standardRate('CH', '2024-02-30')).toThrow('not a calendar date (YYYY-MM-DD): 2024-02-30');
    expect(rate(' ch ', '2024-01-01')).toBe('8.1');
    expect(() => vatTreatment({ sellerCountry: 'US', buyerCountry: 'CH', date: '2024-01-01' })).toThrow('seller country US is not in a supported VAT area');
    expect(() => vatTreatment({ sellerCountry: 'CH', buyerCountry: 'Germany', date: '2024-01-01' })).toThrow('buyer country must be an ISO country code: "Germany"');
    expect(() => vatTreatment({ sellerCountry: 'CH', buyerCountry: 'DE', date: '2025-13-01' })).toThrow('not a calendar date (YYYY-MM-DD): 2025-13-01');
    expect(() => vatTreatment({ sellerCountry: 'CH', buyerCountry: 'US', date: '2025-13-01' })).toThrow('not a calendar date (YYYY-MM-DD): 2025-13-01');
  });

  it('throws for an unknown country', () => {
    expect(() => standardRate('US', '2024-01-01')).toThrow(ValidationError);
    expect(() => standardRate('XX', '2024-01-01')).toThrow(/no VAT rates known/);
  });

  it('throws for a date before the first known rate', () => {
    expect(() => standardRate('CH', '2010-12-31')).toThrow(ValidationError);
  });

  it('throws for a malformed date', () => {
    expect(() => standardRate('CH', '2024-02-30')).toThrow(ValidationError);
    expect(() => standardRate('CH', '24-01-01')).toThrow(ValidationError);
  });
});

describe('EU membership', () => {
  it('includes member states and excludes CH, LI, GB and NO', () => {
    expect(isEuCountry('DE')).toBe(true);
    expect(isEuCountry('GR')).toBe(true);
    expect(isEuCountry('EL')).toBe(true);
    for (const c of ['CH', 'LI', 'GB', 'NO', 'US', '']) expect(isEuCountry(c), c).toBe(false);
  });
});

describe('VAT number validation', () => {
  it('checks an all-digit French number by its key alone, as the official rule does', () => {
    // Key = (12 + 3 x (SIREN mod 97)) mod 97: SIREN 123456789 gives 32. That SIREN fails Luhn,
    // which only numbers whose key holds a letter are checked against (their key has no check).
    expect(isValidVatNumber('FR', 'FR32123456789')).toBe(true);
    expect(isValidVatNumber('FR', 'FR33123456789')).toBe(false);
    // SIREN 123456782 passes Luhn, 123456789 does not.
    expect(isValidVatNumber('FR', 'FRA1123456782')).toBe(true);
    expect(isValidVatNumber('FR', 'FRA1123456789')).toBe(false);
  });

  it('accepts numbers with a correct check digit', () => {
    expect(isValidVatNumber('DE', VALID_DE)).toBe(true);
    expect(isValidVatNumber('AT', VALID_AT)).toBe(true);
    expect(isValidVatNumber('FR', VALID_FR)).toBe(true);
    expect(isValidVatNumber('CH', VALID_CH)).toBe(true);
  });

  it('rejects a number of the right shape with a wrong check digit', () => {
    expect(isValidVatNumber('DE', 'DE129273399')).toBe(false);
    expect(isValidVatNumber('AT', 'ATU13585626')).toBe(false);
    expect(isValidVatNumber('CH', 'CHE-116.281.711 MWST')).toBe(false);
  });

  it('accepts the usual Swiss forms with MWST, TVA or IVA and with or without punctuation', () => {
    for (const v of ['CHE-116.281.710 MWST', 'CHE-116.281.710 TVA', 'CHE-116.281.710 IVA', 'CHE116281710', '116.281.710 MWST']) {
      expect(isValidVatNumber('CH', v), v).toBe(true);
    }
  });

  it('accepts a number typed without its country prefix or with spaces', () => {
    expect(isValidVatNumber('DE', '129 273 398')).toBe(true);
    expect(isValidVatNumber('DE', 'de 129273398')).toBe(true);
  });

  it('rejects a valid number given for another country', () => {
    expect(isValidVatNumber('AT', VALID_DE)).toBe(false);
    expect(isValidVatNumber('FR', VALID_DE)).toBe(false);
  });

  it('checks the SIREN of French numbers whose key contains letters', () => {
    expect(isValidVatNumber('FR', 'FRAB303265045')).toBe(true);
    expect(isValidVatNumber('FR', 'FRAB303265046')).toBe(false);
  });

  it('accepts Greek numbers with the EL prefix, the GR prefix or none', () => {
    expect(isValidVatNumber('GR', 'EL094259216')).toBe(true);
    expect(isValidVatNumber('GR', 'GR094259216')).toBe(true);
    expect(isValidVatNumber('EL', '094259216')).toBe(true);
    expect(isValidVatNumber('GR', 'EL094259217')).toBe(false);
  });

  it('rejects empty input and countries without a checksum algorithm', () => {
    expect(isValidVatNumber('DE', '')).toBe(false);
    expect(isValidVatNumber('DE', '  ')).toBe(false);
    expect(isValidVatNumber('US', '123456789')).toBe(false);
    expect(isValidVatNumber('LI', '12345')).toBe(false);
    expect(isValidVatNumber('AD', 'AD123456A')).toBe(false);
    expect(isValidVatNumber('EU', 'EU372000041')).toBe(false);
  });
});

describe('VAT treatment', () => {
  const date = '2025-03-15';

  it('charges Swiss VAT to a Swiss consumer', () => {
    const t = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'CH', date });
    expect(t.kind).toBe('domestic');
    expect(t.rate.toString()).toBe('8.1');
    expect(t.country).toBe('CH');
    expect(t.mention).toBeUndefined();
  });

  it('keeps a Swiss business buyer with a valid UID domestic', () => {
    const t = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'CH', buyerVatNumber: VALID_CH, date });
    expect(t.kind).toBe('domestic');
    expect(t.rate.toString()).toBe('8.1');
  });

  it('uses the Swiss rate of the invoice date, 7.7 % on 2023-12-31', () => {
    expect(vatTreatment({ sellerCountry: 'CH', buyerCountry: 'CH', date: '2023-12-31' }).rate.toString()).toBe('7.7');
    expect(vatTreatment({ sellerCountry: 'CH', buyerCountry: 'CH', date: '2024-01-01' }).rate.toString()).toBe('8.1');
  });

  it('treats Switzerland and Liechtenstein as one VAT area', () => {
    const toLi = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'LI', date });
    expect(toLi.kind).toBe('domestic');
    expect(toLi.rate.toString()).toBe('8.1');
    const toCh = vatTreatment({ sellerCountry: 'LI', buyerCountry: 'CH', date });
    expect(toCh.kind).toBe('domestic');
  });

  it('reverse-charges a German business with a valid VAT number, at 0 % with the Art. 196 mention', () => {
    const t = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'DE', buyerVatNumber: VALID_DE, date });
    expect(t.kind).toBe('reverse-charge');
    expect(t.rate.isZero()).toBe(true);
    expect(t.country).toBe('DE');
    expect(t.mention).toBe('Reverse charge: VAT to be accounted for by the recipient (Art. 196 Council Directive 2006/112/EC)');
    expect(t.mention).toBe(REVERSE_CHARGE_MENTION);
  });

  it('charges the buyer country rate to an EU consumer of a Swiss seller (non-Union OSS)', () => {
    const t = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'DE', date });
    expect(t.kind).toBe('eu-b2c');
    expect(t.rate.toString()).toBe('19');
    expect(t.country).toBe('DE');
    expect(vatTreatment({ sellerCountry: 'CH', buyerCountry: 'FI', date: '2024-09-01' }).rate.toString()).toBe('25.5');
  });

  it('treats a buyer whose VAT number fails the checksum as a consumer', () => {
    const t = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'DE', buyerVatNumber: 'DE129273399', date });
    expect(t.kind).toBe('eu-b2c');
    expect(t.rate.toString()).toBe('19');
  });

  it('does not reverse-charge with a valid number of another country than the buyer', () => {
    const t = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'AT', buyerVatNumber: VALID_DE, date });
    expect(t.kind).toBe('eu-b2c');
    expect(t.rate.toString()).toBe('20');
  });

  it('treats a blank VAT number as absent', () => {
    expect(vatTreatment({ sellerCountry: 'CH', buyerCountry: 'DE', buyerVatNumber: '  ', date }).kind).toBe('eu-b2c');
  });

  it('reverse-charges between two EU member states when the buyer number is valid', () => {
    const t = vatTreatment({ sellerCountry: 'FR', buyerCountry: 'DE', buyerVatNumber: VALID_DE, date });
    expect(t.kind).toBe('reverse-charge');
    expect(t.rate.isZero()).toBe(true);
    expect(t.mention).toBe(REVERSE_CHARGE_MENTION);
  });

  it('charges the buyer country rate between two EU member states without a valid number (OSS)', () => {
    const t = vatTreatment({ sellerCountry: 'FR', buyerCountry: 'AT', date });
    expect(t.kind).toBe('eu-b2c');
    expect(t.rate.toString()).toBe('20');
    expect(t.country).toBe('AT');
    expect(vatTreatment({ sellerCountry: 'FR', buyerCountry: 'IT', date }).rate.toString()).toBe('22');
  });

  it('charges the seller rate to a buyer in the same EU member state, business or not', () => {
    const b2c = vatTreatment({ sellerCountry: 'DE', buyerCountry: 'DE', date });
    const b2b = vatTreatment({ sellerCountry: 'DE', buyerCountry: 'DE', buyerVatNumber: VALID_DE, date });
    expect(b2c.kind).toBe('domestic');
    expect(b2b.kind).toBe('domestic');
    expect(b2b.rate.toString()).toBe('19');
  });

  it('does not charge Swiss VAT to a buyer outside Switzerland and the EU', () => {
    const t = vatTreatment({ sellerCountry: 'CH', buyerCountry: 'US', date });
    expect(t.kind).toBe('export');
    expect(t.rate.isZero()).toBe(true);
    expect(t.country).toBe('US');
    expect(t.mention).toBe('Not subject to Swiss VAT: place of supply abroad (Art. 8 MWSTG)');
    expect(t.mention).toBe(SWISS_EXPORT_MENTION);
    expect(vatTreatment({ sellerCountry: 'CH', buyerCountry: 'GB', date }).kind).toBe('export');
  });

  it("treats an EU seller's supply to a Swiss buyer as an export with the generic mention", () => {
    const t = vatTreatment({ sellerCountry: 'DE', buyerCountry: 'CH', buyerVatNumber: VALID_CH, date });
    expect(t.kind).toBe('export');
    expect(t.rate.isZero()).toBe(true);
    expect(t.mention).toBe("Service not subject to VAT: place of supply outside the seller's VAT area");
    expect(t.mention).toBe(EXPORT_MENTION);
  });

  it('uses the generic export mention for a Liechtenstein seller', () => {
    expect(vatTreatment({ sellerCountry: 'LI', buyerCountry: 'US', date }).mention).toBe(EXPORT_MENTION);
  });

  it('refuses a seller outside the supported VAT areas, a malformed buyer country or date', () => {
    expect(() => vatTreatment({ sellerCountry: 'US', buyerCountry: 'CH', date })).toThrow(ValidationError);
    expect(() => vatTreatment({ sellerCountry: 'CH', buyerCountry: '', date })).toThrow(ValidationError);
    expect(() => vatTreatment({ sellerCountry: 'CH', buyerCountry: 'Germany', date })).toThrow(ValidationError);
    expect(() => vatTreatment({ sellerCountry: 'CH', buyerCountry: 'DE', date: '2025-13-01' })).toThrow(ValidationError);
  });

  it('refuses a date before the known rates rather than guessing', () => {
    expect(() => vatTreatment({ sellerCountry: 'CH', buyerCountry: 'CH', date: '2005-01-01' })).toThrow(ValidationError);
  });
});

describe('VAT treatment properties', () => {
  const seller = fc.constantFrom('CH', 'LI', 'DE', 'FR', 'AT', 'IT', 'NL');
  const buyer = fc.constantFrom('CH', 'LI', ...EU_COUNTRIES, 'US', 'GB', 'NO', 'JP');
  const day = fc.integer({ min: 0, max: 365 * 15 }).map((n) => addDays('2011-01-01', n));
  // Arbitrary strings, shapes of real numbers with random digits, and the real valid ones.
  const vatNumber = fc.oneof(fc.string(), fc.stringMatching(/^[A-Z]{2}[0-9A-Z]{8,12}$/), fc.constantFrom(VALID_DE, VALID_AT, VALID_FR, VALID_CH));

  it('never gives reverse charge unless the number is valid for the buyer country', () => {
    fc.assert(
      fc.property(seller, buyer, fc.option(vatNumber, { nil: undefined }), day, (s, b, v, d) => {
        const t = vatTreatment({ sellerCountry: s, buyerCountry: b, buyerVatNumber: v, date: d });
        if (t.kind === 'reverse-charge') {
          expect(v !== undefined && isValidVatNumber(b, v)).toBe(true);
          expect(isEuCountry(b)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('never yields a negative rate, and zero-rated treatments always carry a mention', () => {
    fc.assert(
      fc.property(seller, buyer, fc.option(vatNumber, { nil: undefined }), day, (s, b, v, d) => {
        const t = vatTreatment({ sellerCountry: s, buyerCountry: b, buyerVatNumber: v, date: d });
        expect(t.rate.isNegative()).toBe(false);
        if (t.kind === 'reverse-charge' || t.kind === 'export') {
          expect(t.rate.isZero()).toBe(true);
          expect(t.mention).toBeTruthy();
        } else {
          expect(t.rate.gt(0)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('detects any single mistyped digit in a valid number', () => {
    // [country, prefix, digits]: formats whose checksum covers every digit.
    const valid = fc.constantFrom(
      ['DE', 'DE', '129273398'],
      ['AT', 'ATU', '13585627'],
      ['CH', 'CHE', '116281710'],
      ['FR', 'FR', '40303265045'],
      ['IT', 'IT', '00743110157'],
      ['PL', 'PL', '5261040828'],
    );
    fc.assert(
      fc.property(valid, fc.nat(), fc.integer({ min: 1, max: 9 }), ([country, prefix, digits], pos, delta) => {
        expect(isValidVatNumber(country, prefix + digits)).toBe(true);
        const i = pos % digits.length;
        const typo = digits.slice(0, i) + String((Number(digits[i]) + delta) % 10) + digits.slice(i + 1);
        expect(isValidVatNumber(country, prefix + typo)).toBe(false);
      }),
      RUNS,
    );
  });
});
