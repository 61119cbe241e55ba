/**
 * docs/domain.md R-50 and the performance issue: the night's CHF rate for documents in euros is read once,
 * by the night's plan, and carried on each renewal's message, so no renewal reads it. The figures are
 * worked out by hand from config/sample.yaml (a .ch domain: EUR 13.50 a year; a French consumer pays 20 %).
 */
import { describe, expect, it } from 'vitest';
import type { ExchangeRate } from '../../../shared/domain/exchange-rates.ts';
import type { Seller } from '../../../shared/domain/seller.ts';
import type { RenewalMessage } from '../../../shared/ports/message-queue.ts';
import { importExchangeRates } from '../../../shared/use-cases/finance/journal-export.ts';
import { planNight } from '../../../shared/use-cases/plan-night.ts';
import { renewProduct } from '../../../shared/use-cases/renew-product.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

const FINANCE = { kind: 'user' as const, userId: 'finance-1', finance: true };
const NIGHT = '2027-01-15';

/** A French consumer's domain (EUR) and a Swiss one's (CHF), both due on the night; the store counts its rate reads. */
async function night(rates?: string) {
  const rt = await runtime('memory', { today: NIGHT });
  if (rates) await importExchangeRates(rt.deps, rates, FINANCE);
  await anOrg(rt, { id: 'fr', currency: 'EUR', country: 'FR', balance: '100.00' });
  await anOrg(rt, { id: 'ch', currency: 'CHF', country: 'CH', balance: '100.00' });
  await aProduct(rt, 'fr', { id: 'dom-fr', expiry: '2027-01-29' });
  await aProduct(rt, 'ch', { id: 'dom-ch', expiry: '2027-01-29' });
  const reads: string[] = [];
  const store = rt.deps.store;
  const counting = Object.assign(Object.create(store) as typeof store, {
    exchangeRateOn: (currency: ExchangeRate['currency'], date: string) => {
      reads.push(`${currency} ${date}`);
      return store.exchangeRateOn(currency, date);
    },
  });
  const plan = async (seller: Seller = rt.deps.seller) => {
    const sent: RenewalMessage[] = [];
    await planNight({ clock: rt.deps.clock, seller, store: counting, renewalQueue: { send: async (m) => void sent.push(...m) } }, NIGHT);
    return sent;
  };
  return { rt, deps: { ...rt.deps, store: counting }, reads, plan };
}

describe("the night's CHF rate, read once for all its renewals (R-50)", () => {
  it("plans each renewal with the night's rate when the seller declares Swiss VAT: the day's, else the month's, else none", async () => {
    const withDay = await night('period,currency,chf\n2027-01,EUR,0.9412\n2027-01-15,EUR,0.9300\n');
    const sent = await withDay.plan();
    expect(sent.map((m) => m.productId).sort()).toEqual(['dom-ch', 'dom-fr']);
    for (const m of sent) expect(m.chfRate).toEqual({ currency: 'EUR', period: '2027-01-15', chf: '0.9300' });
    expect(withDay.reads).toEqual(['EUR 2027-01-15']);

    const monthOnly = await night('period,currency,chf\n2027-01,EUR,0.9412\n');
    for (const m of await monthOnly.plan()) expect(m.chfRate).toEqual({ currency: 'EUR', period: '2027-01', chf: '0.9412' });

    const none = await night();
    for (const m of await none.plan()) expect(m.chfRate).toBeNull();
  });

  it('reads no rate and carries none for a stage whose sellers do not declare Swiss VAT', async () => {
    const n = await night('period,currency,chf\n2027-01,EUR,0.9412\n');
    const german = { ...n.rt.deps.seller, country: 'DE' };
    for (const m of await n.plan(german)) expect(m).not.toHaveProperty('chfRate');
    expect(n.reads).toEqual([]);
  });

  it("issues the renewal's CHF figures at the rate its message carries, reading none", async () => {
    // The store has the day's 0.9300; the message carries January's 0.9412: EUR 13.50 → 12.7062 → 12.71,
    // VAT 2.70 → 2.54124 → 2.54.
    const n = await night('period,currency,chf\n2027-01,EUR,0.9412\n2027-01-15,EUR,0.9300\n');
    const carried: ExchangeRate = { currency: 'EUR', period: '2027-01', chf: '0.9412' };
    expect((await renewProduct(n.deps, { orgId: 'fr', productId: 'dom-fr', night: NIGHT, chfRate: carried })).status).toBe('done');
    const [invoice] = await n.rt.store.listInvoices('fr');
    expect(invoice!.chf).toEqual({ rate: '0.9412', ratePeriod: '2027-01', vatBreakdown: [{ rate: '20', net: '12.71', vat: '2.54' }], totalNet: '12.71', totalVat: '2.54' });
    expect(n.reads).toEqual([]);
  });

  it('issues a renewal whose message says no rate was imported without CHF figures, reading none; one without a rate reads it', async () => {
    const n = await night('period,currency,chf\n2027-01-15,EUR,0.9300\n');
    await aProduct(n.rt, 'fr', { id: 'dom-fr-2', expiry: '2027-01-29' });
    expect((await renewProduct(n.deps, { orgId: 'fr', productId: 'dom-fr', night: NIGHT, chfRate: null })).status).toBe('done');
    expect(n.reads).toEqual([]);
    expect((await renewProduct(n.deps, { orgId: 'fr', productId: 'dom-fr-2', night: NIGHT })).status).toBe('done');
    expect(n.reads).toEqual(['EUR 2027-01-15']);
    const invoices = await n.rt.store.listInvoices('fr');
    const of = (id: string) => invoices.find((i) => i.lines.some((l) => l.productId === id))!;
    expect(of('dom-fr').chf).toBeUndefined();
    // EUR 13.50 at 0.9300: 12.555 → 12.56; VAT 2.70 → 2.511 → 2.51.
    expect(of('dom-fr-2').chf).toMatchObject({ rate: '0.9300', totalNet: '12.56', totalVat: '2.51' });
  });
});
