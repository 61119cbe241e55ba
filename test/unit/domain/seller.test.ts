import { isValidIBAN, electronicFormatIBAN } from 'ibantools';
import { checkVAT, switzerland } from 'jsvat';
import { describe, expect, it } from 'vitest';
import { seriesIdFor } from '../../../shared/domain/seller.ts';
import { DEFAULT_SELLER } from '../../support/sample-config.ts';

describe('the demo seller', () => {
  it('has accounts a Swiss bank accepts: an IBAN and a QR-IBAN (institution id 30000-31999)', () => {
    expect(isValidIBAN(DEFAULT_SELLER.iban)).toBe(true);
    expect(isValidIBAN(DEFAULT_SELLER.qrIban!)).toBe(true);
    expect(electronicFormatIBAN(DEFAULT_SELLER.iban)!.slice(0, 2)).toBe('CH');
    const iid = Number(DEFAULT_SELLER.qrIban!.slice(4, 9));
    expect(iid).toBeGreaterThanOrEqual(30000);
    expect(iid).toBeLessThanOrEqual(31999);
    // A plain IBAN is no QR-IBAN: its institution id is outside that range.
    expect(Number(DEFAULT_SELLER.iban.slice(4, 9))).toBeLessThan(30000);
  });

  it('has a Swiss VAT number with a valid check digit, and a structured address that is its letterhead line', () => {
    expect(DEFAULT_SELLER.country).toBe('CH');
    expect(checkVAT(DEFAULT_SELLER.vatNumber.replace(/\s*(TVA|MWST|IVA)$/, ''), [switzerland]).isValid).toBe(true);
    const { street, buildingNumber, zip, city, country } = DEFAULT_SELLER.postal;
    expect(country).toBe('CH');
    expect(zip).toMatch(/^\d{4}$/);
    expect(street.length * city.length).toBeGreaterThan(0);
    expect(DEFAULT_SELLER.address.startsWith(`${street} ${buildingNumber}, ${zip} ${city}`)).toBe(true);
    expect(DEFAULT_SELLER.name).toMatch(/\S/);
    expect(DEFAULT_SELLER.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/);
    expect(DEFAULT_SELLER.website).toMatch(/^www\.[^\s]+\.[a-z]{2,}$/);
    expect(DEFAULT_SELLER.id).toBe('ch');
  });
});

describe('number ranges', () => {
  it('are the seller id alone when ranges are not split', () => {
    for (const shards of [undefined, 0, 1]) expect(seriesIdFor({ id: 'ch', ...(shards === undefined ? {} : { invoiceSeriesShards: shards }) }, 'acme')).toBe('ch');
  });

  it('follow FNV-1a of the organisation id, so an organisation always draws from the same range', () => {
    // Published FNV-1a (32-bit) test vectors: "a" = 0xe40c292c, "foobar" = 0xbf9cf968.
    // 0xe40c292c = 3826002220, mod 97 = 83; 0xbf9cf968 = 3214735720, mod 97 = 35.
    expect(seriesIdFor({ id: 'ch', invoiceSeriesShards: 97 }, 'a')).toBe('ch83');
    expect(seriesIdFor({ id: 'ch', invoiceSeriesShards: 97 }, 'foobar')).toBe('ch35');
    // mod 4 = 0: the range suffix is two digits.
    expect(seriesIdFor({ id: 'ch', invoiceSeriesShards: 4 }, 'a')).toBe('ch00');
    expect(seriesIdFor({ id: 'ch', invoiceSeriesShards: 2 }, '')).toBe('ch01');
  });

  it('spread organisations over every range', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => seriesIdFor({ id: 'ch', invoiceSeriesShards: 4 }, `org-${i}`)));
    expect([...used].sort()).toEqual(['ch00', 'ch01', 'ch02', 'ch03']);
  });
});
