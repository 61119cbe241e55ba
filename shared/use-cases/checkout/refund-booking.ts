import type { IsoDate } from '../../domain/calendar.ts';
import { sellerOfDocument, type SellerDeps } from '../sellers.ts';
import { creditNoteForPart, uncredited, type Invoice, type InvoicePayment } from '../../domain/invoice.ts';
import { Money, type Currency } from '../../domain/money.ts';
import { seriesIdFor } from '../../domain/seller.ts';
import { WriteConflict } from '../../ports/unit-of-work.ts';
import type { PaymentRecord } from '../../domain/records.ts';
import type { DocumentReads } from '../../ports/billing-store.ts';

/** What the records already book as given back of one provider payment, as a positive amount. */
export function refundsBooked(payments: readonly PaymentRecord[], paymentRef: string, currency: Currency): Money {
  return Money.sum(
    payments.filter((p) => p.refundOf === paymentRef).map((p) => Money.of(p.amount, currency).negate()),
    currency,
  );
}

/**
 * The provider reports the total refunded of a payment, not each refund; two
 * refunds of a third each read 1/3 then 2/3. Only the part not yet booked is
 * booked. The record is named after the booked total it starts from, so two
 * workers booking from the same total collide on one record (one retries and
 * finds nothing left) instead of both booking.
 */
export function nextRefundRecordId(paymentRef: string, booked: Money): string {
  return `refund-${paymentRef}-after-${booked.toMinorUnits()}`;
}

/**
 * The next credit note on an invoice: `amount` of what it has not credited
 * yet (all of it reverses the rest exactly), numbered next in the seller's CN
 * series. The number is checked at commit like any other.
 */
export async function nextCreditNote(
  deps: { store: DocumentReads } & SellerDeps,
  invoice: Invoice,
  today: IsoDate,
  amount: Money | 'rest',
  refunds: { method: InvoicePayment['method']; amount: Money; ref?: string }[],
): Promise<Invoice> {
  const year = Number(today.slice(0, 4));
  // A credit note comes from the seller of the invoice it credits.
  const seller = sellerOfDocument(deps, invoice);
  const seriesId = seriesIdFor(seller, invoice.orgId);
  const sequence = (await deps.store.lastInvoiceSequence('CN', seriesId, year)) + 1;
  const earlier = (await deps.store.listInvoices(invoice.orgId)).filter((i) => i.series === 'CN' && i.refersTo === invoice.number);
  const left = uncredited(invoice, earlier).total;
  const credit = amount === 'rest' ? left : amount;
  // Less left than the refund to credit: another worker booked it since this one read the payments; read again.
  if (!credit.isPositive() || credit.gt(left)) throw new WriteConflict(['invoice']);
  return creditNoteForPart(invoice, earlier, { seller, seriesId, year, sequence }, today, credit, refunds);
}
