import { Money, type Currency } from '../../domain/money.ts';
import type { PaymentRecord } from '../../ports/billing-store.ts';

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
