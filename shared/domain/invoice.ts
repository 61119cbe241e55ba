import type { IsoDate } from './calendar.ts';
import { ValidationError } from './errors.ts';
import { chfEquivalentOf, declaresInChf, type ChfEquivalent, type ExchangeRate } from './exchange-rates.ts';
import type { ProductType } from './catalogue.ts';
import { Decimal } from 'decimal.js';
import type { Currency, Money } from './money.ts';
import { Money as M } from './money.ts';
import type { Language, Organisation } from './organisation.ts';
import type { PaymentMethodKind } from './payment-methods.ts';
import { priceInvoice, type PricedInvoice } from './pricing.ts';
import { renewalPeriod, type Product } from './product.ts';
import type { PostalAddress, Seller } from './seller.ts';
import { BUILT_IN_VAT_RATES, EXPORT_MENTION, REVERSE_CHARGE_MENTION, sameVatArea, SWISS_EXPORT_MENTION, vatTreatment, type VatRateTable, type VatTreatment } from './vat.ts';

/** Final invoices, pro-formas (bank transfer) and credit notes: each series gapless on its own. */
export type InvoiceSeries = 'INV' | 'PRO' | 'CN';

/** How one part of an invoice was paid. */
export interface InvoicePayment {
  method: 'balance' | 'transfer' | PaymentMethodKind;
  amount: string;
  /** The provider's payment id for a charged part. */
  ref?: string;
}

/** A final invoice as stored: amounts are decimal strings, never floats. */
export interface Invoice {
  number: string;
  series: InvoiceSeries;
  sellerId: string;
  /** The number range the document's number comes from (see `seriesIdFor`); the seller's id when ranges are not split. */
  seriesId?: string;
  year: number;
  sequence: number;
  orgId: string;
  issueDate: IsoDate;
  currency: Currency;
  seller: Seller;
  buyer: { name: string; address?: string; postal?: PostalAddress; country: string; vatNumber?: string };
  /** The language the document is printed in. */
  language?: Language;
  lines: {
    description: string;
    productId?: string;
    periodFrom?: IsoDate;
    periodTo?: IsoDate;
    unitPrice: string;
    quantity: number;
    /** Partner discount: percentage and amount taken off unit price x quantity. */
    discountPercent?: string;
    discount?: string;
    net: string;
    vatRate: string;
    vat: string;
    gross: string;
  }[];
  vatBreakdown: { rate: string; net: string; vat: string }[];
  totalNet: string;
  totalVat: string;
  total: string;
  vatMention?: string;
  payments: InvoicePayment[];
  /** A pro-forma stays open until the transfer arrives; a final invoice is issued paid. */
  status: 'paid' | 'open' | 'void';
  /** Credit note: the invoice it reverses. Final invoice: the pro-forma it settles. */
  refersTo?: string;
  /** What is still to pay (pro-forma, or an invoice paid in part); printed as the QR-bill amount. */
  amountDue?: string;
  /** QR reference or creditor reference of this document, for bank transfers. */
  paymentReference?: string;
  checkoutId?: string;
  /** A bank reversal took back a transfer that paid it: paying it again renews its products again. */
  reopenedBy?: string;
  /**
   * docs/domain.md R-50: a Swiss seller's document in another currency, with the CHF rate known when it was
   * issued, carries its VAT in CHF at that rate (printed, in the e-invoice and in the exports).
   */
  chf?: ChfEquivalent;
}

/** How the document was taxed, read from what it carries (vat.ts put the mention there): R-25's four cases. */
export function vatCaseOf(invoice: Pick<Invoice, 'vatMention' | 'seller' | 'buyer'>): VatTreatment['kind'] {
  if (invoice.vatMention === REVERSE_CHARGE_MENTION) return 'reverse-charge';
  if (invoice.vatMention === EXPORT_MENTION || invoice.vatMention === SWISS_EXPORT_MENTION) return 'export';
  return sameVatArea(invoice.seller.country, invoice.buyer.country) ? 'domestic' : 'eu-b2c';
}

/** What is still to pay on the document: nothing on a credit note; its open amount when set, else the total less its payments. */
export function openAmount(invoice: Pick<Invoice, 'series' | 'total' | 'amountDue' | 'payments'>): Decimal {
  if (invoice.series === 'CN') return new Decimal(0);
  if (invoice.amountDue !== undefined) return new Decimal(invoice.amountDue);
  const paid = invoice.payments.reduce((sum, p) => sum.plus(p.amount), new Decimal(0));
  return Decimal.max(new Decimal(invoice.total).minus(paid), 0);
}

/** EN 16931 e-invoices exist for final invoices and credit notes; a pro-forma asks for money and is no invoice. */
export function assertEInvoiceable(invoice: Pick<Invoice, 'number' | 'series'>): void {
  if (invoice.series === 'PRO') throw new ValidationError(`${invoice.number} is a pro-forma: e-invoices exist for final invoices and credit notes`, 'not_an_invoice');
}

/** Gapless numbers per series, seller and year: INV-CH-2026-000042. */
export function formatInvoiceNumber(series: InvoiceSeries, seriesId: string, year: number, sequence: number): string {
  return `${series}-${seriesId.toUpperCase()}-${year}-${String(sequence).padStart(6, '0')}`;
}

/**
 * The priced renewal of one product for one period, VAT by the billed
 * organisation's situation on the issue day (the product's own organisation,
 * or the partner billed for it), with the partner's discount if any.
 */
export function priceRenewal(
  product: Product,
  type: ProductType,
  org: Organisation,
  seller: Seller,
  issueDate: IsoDate,
  periodMonths = product.periodMonths,
  opts: { discountPercent?: Decimal; client?: Organisation; vatRates?: VatRateTable } = {},
): PricedInvoice {
  const period = renewalPeriod(product, periodMonths);
  const vat = vatTreatment({
    sellerCountry: seller.country,
    buyerCountry: org.country,
    buyerVatNumber: org.vatNumber,
    date: issueDate,
    rates: opts.vatRates,
  });
  return priceInvoice(
    [
      {
        description: `${type.name}: ${product.name}${opts.client && opts.client.id !== org.id ? ` (${opts.client.name})` : ''}`,
        productId: product.id,
        periodFrom: period.from,
        periodTo: period.to,
        unitPrice: M.of(type.prices[org.currency], org.currency),
        quantity: periodMonths / type.basePeriodMonths,
        ...(opts.discountPercent ? { discountPercent: opts.discountPercent } : {}),
      },
    ],
    vat,
    org.currency,
    // docs/domain.md R-26: a renewal's period pays the rates in force over it, each on its part.
    { rates: opts.vatRates ?? BUILT_IN_VAT_RATES },
  );
}

export function toInvoice(
  priced: PricedInvoice,
  ids: { series: InvoiceSeries; seller: Seller; year: number; sequence: number; seriesId?: string },
  org: Organisation,
  issueDate: IsoDate,
  payments: { method: InvoicePayment['method']; amount: Money; ref?: string }[],
  extra: { status?: Invoice['status']; refersTo?: string; checkoutId?: string; chfRate?: ExchangeRate } = {},
): Invoice {
  const invoice: Invoice = {
    number: formatInvoiceNumber(ids.series, ids.seriesId ?? ids.seller.id, ids.year, ids.sequence),
    series: ids.series,
    sellerId: ids.seller.id,
    ...(ids.seriesId && ids.seriesId !== ids.seller.id ? { seriesId: ids.seriesId } : {}),
    year: ids.year,
    sequence: ids.sequence,
    orgId: org.id,
    issueDate,
    currency: priced.currency,
    seller: ids.seller,
    buyer: {
      name: org.name,
      country: org.country,
      ...(org.address ? { address: org.address } : {}),
      ...(org.postal ? { postal: org.postal } : {}),
      ...(org.vatNumber ? { vatNumber: org.vatNumber } : {}),
    },
    language: org.language ?? 'fr',
    lines: priced.lines.map((l) => ({
      description: l.description,
      ...(l.productId ? { productId: l.productId } : {}),
      ...(l.periodFrom ? { periodFrom: l.periodFrom } : {}),
      ...(l.periodTo ? { periodTo: l.periodTo } : {}),
      unitPrice: l.unitPrice.toString(),
      quantity: l.quantity,
      ...(l.discountPercent ? { discountPercent: l.discountPercent.toString(), discount: l.discount.toString() } : {}),
      net: l.net.toString(),
      vatRate: l.vatRate.toString(),
      vat: l.vat.toString(),
      gross: l.gross.toString(),
    })),
    vatBreakdown: priced.vatBreakdown.map((b) => ({ rate: b.rate.toString(), net: b.net.toString(), vat: b.vat.toString() })),
    totalNet: priced.totalNet.toString(),
    totalVat: priced.totalVat.toString(),
    total: priced.total.toString(),
    payments: payments.filter((p) => !p.amount.isZero()).map((p) => ({ method: p.method, amount: p.amount.toString(), ...(p.ref ? { ref: p.ref } : {}) })),
    status: extra.status ?? 'paid',
    ...(extra.refersTo ? { refersTo: extra.refersTo } : {}),
    ...(extra.checkoutId ? { checkoutId: extra.checkoutId } : {}),
  };
  if (priced.vat.mention) invoice.vatMention = priced.vat.mention;
  if (extra.chfRate && declaresInChf(ids.seller.country, priced.currency)) invoice.chf = chfEquivalentOf(invoice.vatBreakdown, extra.chfRate);
  return invoice;
}

/**
 * What of an invoice is still not credited, per line and in all: the invoice
 * less the credit notes that already refer to it (their lines follow the
 * invoice's, in the same order).
 */
export function uncredited(invoice: Invoice, creditNotes: readonly Invoice[]): { lines: { net: Money; vat: Money; gross: Money }[]; total: Money } {
  const cur = invoice.currency;
  const notes = creditNotes.filter((n) => n.series === 'CN' && n.refersTo === invoice.number);
  const lines = invoice.lines.map((l, i) => {
    const less = (field: 'net' | 'vat' | 'gross') => notes.reduce((acc, n) => acc.plus(M.of(n.lines[i]?.[field] ?? '0', cur)), M.of(l[field], cur));
    return { net: less('net'), vat: less('vat'), gross: less('gross') };
  });
  return {
    lines,
    total: M.sum(
      lines.map((l) => l.gross),
      cur,
    ),
  };
}

/**
 * A credit note for part of an invoice (a partial refund): `amount`, gross,
 * shared over the lines still uncredited in proportion to their gross (cents
 * by largest remainder, so they add up exactly), VAT taken out of each part
 * at its line's rate. Crediting all that is left reverses the rest exactly,
 * line by line, so an invoice and all its credit notes net to zero.
 */
export function creditNoteForPart(
  invoice: Invoice,
  earlier: readonly Invoice[],
  ids: { seller: Seller; year: number; sequence: number; seriesId?: string },
  issueDate: IsoDate,
  amount: Money,
  refunds: { method: InvoicePayment['method']; amount: Money; ref?: string }[],
): Invoice {
  const cur = invoice.currency;
  const left = uncredited(invoice, earlier);
  if (!amount.isPositive() || amount.gt(left.total)) {
    throw new Error(`a credit of ${amount.format()} on ${invoice.number}, of which ${left.total.format()} is not credited yet`);
  }
  let parts: { net: Money; vat: Money; gross: Money }[];
  if (amount.equals(left.total)) {
    parts = left.lines;
  } else {
    const cents = amount.toMinorUnits();
    const weights = left.lines.map((l) => l.gross.toMinorUnits());
    const weightSum = weights.reduce((a, b) => a + b, 0);
    // Integer cents shared by largest remainder: floor each share, then hand out the cents left one by one.
    const shares = weights.map((w) => Math.floor((cents * w) / weightSum));
    const order = weights.map((w, i) => ({ i, rest: (cents * w) % weightSum })).sort((a, b) => b.rest - a.rest || a.i - b.i);
    for (let k = 0, missing = cents - shares.reduce((a, b) => a + b, 0); k < missing; k++) shares[order[k % order.length]!.i]! += 1;
    parts = shares.map((c, i) => {
      const gross = M.fromMinorUnits(c, cur);
      const rate = invoice.lines[i]!.vatRate;
      // The part is gross: its VAT is gross x rate / (100 + rate), rounded like a line's.
      const vat = M.round(gross.amount.times(rate).dividedBy(new Decimal(rate).plus(100)), cur);
      return { net: gross.minus(vat), vat, gross };
    });
  }
  const lines = invoice.lines.map((l, i) => {
    const p = parts[i]!;
    const { discountPercent: _pct, discount: _disc, ...line } = l;
    return { ...line, unitPrice: p.net.toString(), quantity: -1, net: p.net.negate().toString(), vat: p.vat.negate().toString(), gross: p.gross.negate().toString() };
  });
  const rates = [...new Set(invoice.lines.map((l) => l.vatRate))];
  const vatBreakdown = rates.map((rate) => {
    const of = parts.filter((_, i) => invoice.lines[i]!.vatRate === rate);
    return {
      rate,
      net: M.sum(
        of.map((p) => p.net),
        cur,
      )
        .negate()
        .toString(),
      vat: M.sum(
        of.map((p) => p.vat),
        cur,
      )
        .negate()
        .toString(),
    };
  });
  const full = creditNoteFor(invoice, ids, issueDate, refunds);
  return {
    ...full,
    lines,
    vatBreakdown,
    ...(full.chf ? { chf: chfEquivalentOf(vatBreakdown, { chf: full.chf.rate, period: full.chf.ratePeriod }) } : {}),
    totalNet: M.sum(
      parts.map((p) => p.net),
      cur,
    )
      .negate()
      .toString(),
    totalVat: M.sum(
      parts.map((p) => p.vat),
      cur,
    )
      .negate()
      .toString(),
    total: amount.negate().toString(),
  };
}

const neg = (amount: string) => (amount.startsWith('-') ? amount.slice(1) : amount === '0.00' ? amount : `-${amount}`);

/**
 * A credit note that reverses an invoice in full: the same lines, VAT rates
 * and mention with opposite signs, so an export that adds documents nets to zero.
 */
export function creditNoteFor(
  invoice: Invoice,
  ids: { seller: Seller; year: number; sequence: number; seriesId?: string },
  issueDate: IsoDate,
  refunds: { method: InvoicePayment['method']; amount: Money; ref?: string }[],
): Invoice {
  // Nothing is due on a credit note: the invoice's reference and open amount do not carry over.
  const { paymentReference: _ref, amountDue: _due, seriesId: _range, chf: _chf, ...reversed } = invoice;
  const vatBreakdown = invoice.vatBreakdown.map((b) => ({ rate: b.rate, net: neg(b.net), vat: neg(b.vat) }));
  return {
    ...reversed,
    number: formatInvoiceNumber('CN', ids.seriesId ?? ids.seller.id, ids.year, ids.sequence),
    series: 'CN',
    sellerId: ids.seller.id,
    ...(ids.seriesId && ids.seriesId !== ids.seller.id ? { seriesId: ids.seriesId } : {}),
    year: ids.year,
    sequence: ids.sequence,
    issueDate,
    lines: invoice.lines.map((l) => ({ ...l, quantity: -l.quantity, ...(l.discount ? { discount: neg(l.discount) } : {}), net: neg(l.net), vat: neg(l.vat), gross: neg(l.gross) })),
    vatBreakdown,
    totalNet: neg(invoice.totalNet),
    totalVat: neg(invoice.totalVat),
    total: neg(invoice.total),
    payments: refunds.filter((p) => !p.amount.isZero()).map((p) => ({ method: p.method, amount: p.amount.negate().toString(), ...(p.ref ? { ref: p.ref } : {}) })),
    status: 'paid',
    refersTo: invoice.number,
    // A credit note takes back VAT declared at the invoice's rate: it is converted at that rate too.
    ...(invoice.chf ? { chf: chfEquivalentOf(vatBreakdown, { chf: invoice.chf.rate, period: invoice.chf.ratePeriod }) } : {}),
  };
}
