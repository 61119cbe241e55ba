import { describe, expect, it } from 'vitest';
import { parseRenewalMessage } from '../../../functions/messages.ts';

describe("the renewal queue's messages", () => {
  const base = { orgId: 'fr', productId: 'dom-fr', night: '2027-01-15' };

  it("takes one with the night's CHF rate, with none imported (null), or without", () => {
    const rate = { currency: 'EUR', period: '2027-01', chf: '0.9412' };
    expect(parseRenewalMessage(JSON.stringify({ ...base, chfRate: rate }))).toEqual({ ...base, chfRate: rate });
    expect(parseRenewalMessage(JSON.stringify({ ...base, chfRate: null }))).toEqual({ ...base, chfRate: null });
    expect(parseRenewalMessage(JSON.stringify(base))).toEqual(base);
  });

  it('refuses a rate in another currency, of no period, or not a decimal', () => {
    for (const chfRate of [
      { currency: 'CHF', period: '2027-01', chf: '1' },
      { currency: 'EUR', period: 'January', chf: '0.9412' },
      { currency: 'EUR', period: '2027-01', chf: '0,9412' },
      { currency: 'EUR', period: '2027-01', chf: 0.9412 },
    ]) {
      expect(() => parseRenewalMessage(JSON.stringify({ ...base, chfRate }))).toThrow();
    }
  });
});
