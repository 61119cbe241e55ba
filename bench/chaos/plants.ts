import { addMonths } from '../../shared/domain/calendar.ts';
import { Money } from '../../shared/domain/money.ts';
import type { InvoiceSeries } from '../../shared/domain/invoice.ts';
import type { Seller } from '../../shared/domain/seller.ts';
import { withCommit } from './store-wrap.ts';
import type { BillingStore } from '../../shared/ports/billing-store.ts';
import type { Change } from '../../shared/ports/unit-of-work.ts';

/**
 * Bugs the chaos run can plant, one at a time, to prove its checks catch
 * them (`npm run chaos -- --small --plant NAME`; the e2e test runs each).
 * Each is planted at the engine's edges, in what it writes and what it asks
 * the provider, so that the engine's own records stay consistent with the
 * bug, as they would be if the engine's code had it: a check that only
 * compares the engine's records with each other cannot see it.
 */
export const PLANTED_BUGS = {
  overcharge: 'every card renewal charged and recorded 0.01 too much',
  'balance-twice': 'a renewal paid from the balance debits it twice',
  'period-twice': 'a paid renewal extends the product by two periods',
  'vat-rate': 'VAT at the rate of the wrong country',
  'number-skipped': 'an invoice number taken and never used',
  'refund-twice': 'a refund booked twice',
} as const;
export type PlantedBug = keyof typeof PLANTED_BUGS;

export function isPlantedBug(name: string): name is PlantedBug {
  return Object.hasOwn(PLANTED_BUGS, name);
}

const cent = (m: Money) => m.plus(Money.of('0.01', m.currency));

/** The engine's commits with the bug in them. */
/** Advances a series counter with no document written, straight in the store (what a lost write would leave). */
export type TakeNumber = (series: InvoiceSeries, range: string, year: number) => Promise<void>;

export function plantingStore(inner: BillingStore, bug: PlantedBug | undefined, takeNumber: TakeNumber): BillingStore {
  if (!bug) return inner;
  let skipped = false;
  const rewrite = (changes: Change[]): Change[] => {
    const out: Change[] = [];
    for (const c of changes) {
      if (bug === 'overcharge' && c.type === 'payment' && c.payment.productId && !c.payment.refundOf && c.payment.method !== 'transfer') {
        out.push({ type: 'payment', payment: { ...c.payment, amount: cent(Money.of(c.payment.amount, c.payment.currency)).toString() } });
        continue;
      }
      if (bug === 'balance-twice' && c.type === 'balance' && c.entry.reason === 'renewal') {
        const twice = Money.of(c.entry.amount, c.entry.currency).times(2);
        const to = Money.of(c.from, c.entry.currency).plus(twice).toString();
        out.push({ ...c, to, entry: { ...c.entry, amount: twice.toString(), balanceAfter: to } });
        continue;
      }
      if (bug === 'period-twice' && c.type === 'product') {
        const line = changes
          .flatMap((x) => (x.type === 'invoice' && x.invoice.series === 'INV' ? x.invoice.lines : []))
          .find((l) => l.productId === c.product.id && l.periodTo === c.product.expiry && l.periodFrom);
        if (line) {
          let months = 1;
          while (addMonths(line.periodFrom!, months) < line.periodTo!) months++;
          out.push({ ...c, product: { ...c.product, expiry: addMonths(c.product.expiry, months) } });
          continue;
        }
      }
      if (bug === 'refund-twice' && c.type === 'payment' && c.payment.refundOf) {
        out.push(c, { type: 'payment', payment: { ...c.payment, id: `${c.payment.id}-again` } });
        continue;
      }
      out.push(c);
    }
    return out;
  };
  const commit = async (changes: Change[]): Promise<void> => {
    await inner.commit(rewrite(changes));
    const invoice = changes.find((c): c is Extract<Change, { type: 'invoice' }> => c.type === 'invoice' && c.invoice.series === 'INV');
    if (bug === 'number-skipped' && invoice && !skipped) {
      // The next number is taken as if a document had been written with it, and none ever is.
      skipped = true;
      const inv = invoice.invoice;
      await takeNumber(inv.series, inv.seriesId ?? inv.sellerId, inv.year);
    }
  };
  return withCommit(inner, commit);
}

/** The seller as the engine sees it: with `vat-rate`, VAT is worked out as if it sat in Germany. */
export function plantedSeller(seller: Seller, bug: PlantedBug | undefined): Seller {
  return bug === 'vat-rate' ? { ...seller, country: 'DE' } : seller;
}

/** What the engine asks the provider to charge for a renewal: with `overcharge`, 0.01 more. */
export function plantedChargeAmount(amount: Money, bug: PlantedBug | undefined): Money {
  return bug === 'overcharge' ? cent(amount) : amount;
}
