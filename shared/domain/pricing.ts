/**
 * The invoice price calculator: pure, no I/O, decimal only.
 *
 * Rounding rule (the one the invoice shows and the ledger books):
 *  - discount per line (partners) = unit price x quantity x discount %,
 *    rounded half-up to 0.01 on that line;
 *  - net per line = unit price (without VAT) x quantity - discount;
 *  - VAT per line = net x rate / 100, rounded half-up to 0.01 on that line;
 *  - gross per line = net + VAT;
 *  - totals and the per-rate VAT breakdown are plain sums of the rounded lines.
 *
 * Rounding per line rather than on the total means a reader can add up the
 * printed lines and land exactly on the printed total, and a credit note for
 * one line reverses exactly what that line charged. The cost is that the
 * breakdown's VAT can differ by a few cents from (breakdown net x rate); that
 * is accepted, not corrected.
 */
import { Decimal } from 'decimal.js';
import { daysBetween, isIsoDate, type IsoDate } from './calendar.ts';
import { ValidationError } from './errors.ts';
import { Money, isCurrency, type Currency } from './money.ts';
import { ratePeriods, type VatRateTable, type VatTreatment } from './vat.ts';

export interface PriceLineInput {
  description: string;
  productId?: string;
  periodFrom?: IsoDate;
  periodTo?: IsoDate;
  /** Without VAT. */
  unitPrice: Money;
  /** A positive whole number of periods. */
  quantity: number;
  /** Partner discount on this line, a percentage from 0 to 35 (docs/domain.md R-5). */
  discountPercent?: Decimal;
  /** Priced at the treatment's rate whatever its period: a new order quoted at one rate, before orders were quoted by period. */
  atOneRate?: boolean;
  /**
   * The line's price with VAT as the customer accepted and paid it: a new order quoted as if paid on the day
   * it was quoted, paid on a later day, which is when its period starts. If the rates of its real period
   * would give another total, that paid amount is what is shared by days, each part's VAT taken out of
   * its share (pricePeriodLine).
   */
  agreedGross?: Money;
}

/** docs/domain.md R-5: partners get discounts of up to 35 %. */
export const MAX_DISCOUNT_PERCENT = 35;

export interface PricedLine extends PriceLineInput {
  /** Zero when the line has no discount. */
  discount: Money;
  net: Money;
  vatRate: Decimal;
  vat: Money;
  gross: Money;
}

export interface PricedInvoice {
  currency: Currency;
  lines: PricedLine[];
  vatBreakdown: { rate: Decimal; net: Money; vat: Money }[];
  totalNet: Money;
  totalVat: Money;
  total: Money;
  vat: VatTreatment;
}

function validateLine(line: PriceLineInput, index: number, currency: Currency): void {
  const where = `line ${index + 1}`;
  if (line.unitPrice.currency !== currency) {
    throw new ValidationError(`${where}: unit price is in ${line.unitPrice.currency}, invoice is in ${currency}`, 'currency_mismatch');
  }
  if (line.unitPrice.isNegative()) {
    throw new ValidationError(`${where}: unit price must not be negative (${line.unitPrice.format()})`, 'invalid_price');
  }
  if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) {
    throw new ValidationError(`${where}: quantity must be a positive whole number, got ${line.quantity}`, 'invalid_quantity');
  }
  for (const d of [line.periodFrom, line.periodTo]) {
    if (d !== undefined && !isIsoDate(d)) throw new ValidationError(`${where}: not a calendar date: ${d}`, 'invalid_date');
  }
  const d = line.discountPercent;
  if (d !== undefined && (!Decimal.isDecimal(d) || !d.isFinite() || d.isNegative() || d.greaterThan(MAX_DISCOUNT_PERCENT))) {
    throw new ValidationError(`${where}: discount must be between 0 and ${MAX_DISCOUNT_PERCENT} %, got ${String(d)}`, 'invalid_discount');
  }
  if (line.periodFrom !== undefined && line.periodTo !== undefined && line.periodTo < line.periodFrom) {
    throw new ValidationError(`${where}: period ends (${line.periodTo}) before it starts (${line.periodFrom})`, 'invalid_period');
  }
}

function priceLine(line: PriceLineInput, rate: Decimal, currency: Currency): PricedLine {
  const gross = line.unitPrice.times(line.quantity);
  const discount = line.discountPercent ? Money.round(gross.amount.times(line.discountPercent).dividedBy(100), currency) : Money.zero(currency);
  const net = gross.minus(discount);
  const vat = Money.round(net.amount.times(rate).dividedBy(100), currency);
  return {
    description: line.description,
    ...(line.productId !== undefined ? { productId: line.productId } : {}),
    ...(line.periodFrom !== undefined ? { periodFrom: line.periodFrom } : {}),
    ...(line.periodTo !== undefined ? { periodTo: line.periodTo } : {}),
    unitPrice: line.unitPrice,
    quantity: line.quantity,
    ...(line.discountPercent !== undefined && !line.discountPercent.isZero() ? { discountPercent: line.discountPercent } : {}),
    discount,
    net,
    vatRate: rate,
    vat,
    gross: net.plus(vat),
  };
}

/**
 * A line of a service period, under a treatment with VAT, at the rates in
 * force over that period (ratePeriods): one line when one rate covers it,
 * at that rate (which may not be the invoice date's); otherwise one line per
 * rate period, each for its days. The line's price before discount and its
 * discount are shared by days, each part rounded to the cent and the last
 * taking what is left, so the parts add up to the line exactly; each part's
 * VAT is then its net at its rate, rounded on its own line.
 *
 * A line with an agreed gross whose real period gives another total (an
 * order paid days after its quote, its period then starting later) keeps
 * what was paid: the VAT is owed on the consideration received, so that
 * amount is shared by days and each part's VAT taken out of its share at its
 * rate (share x rate / (100 + rate), rounded); its net is the rest. The net
 * then differs from the list price by the cents the rates moved.
 */
function pricePeriodLine(line: PriceLineInput, vat: VatTreatment, currency: Currency, rates: VatRateTable): PricedLine[] {
  const taxed = vat.kind === 'domestic' || vat.kind === 'eu-b2c';
  if (!taxed || line.atOneRate || line.periodFrom === undefined || line.periodTo === undefined) return [priceLine(line, vat.rate, currency)];
  const periods = ratePeriods(vat.country, line.periodFrom, line.periodTo, rates);
  const parts = periods.length === 1 ? [priceLine(line, periods[0]!.rate, currency)] : sharedByDays(line, periods, currency);
  const agreed = line.agreedGross;
  const total = Money.sum(
    parts.map((p) => p.gross),
    currency,
  );
  return agreed === undefined || total.equals(agreed) ? parts : agreedByDays(line, periods, currency, agreed);
}

type Period = { from: IsoDate; to: IsoDate; rate: Decimal };

/** `total` shared by the periods' days: each part rounded to the cent, the last taking the rest. */
function byDays(total: Money, periods: Period[], currency: Currency): Money[] {
  const days = daysBetween(periods[0]!.from, periods.at(-1)!.to);
  let left = total;
  return periods.map((p, i) => {
    const part = i === periods.length - 1 ? left : Money.round(total.amount.times(daysBetween(p.from, p.to)).dividedBy(days), currency);
    left = left.minus(part);
    return part;
  });
}

function sharedByDays(line: PriceLineInput, periods: Period[], currency: Currency): PricedLine[] {
  const whole = priceLine(line, new Decimal(0), currency);
  const prices = byDays(line.unitPrice.times(line.quantity), periods, currency);
  const discounts = byDays(whole.discount, periods, currency);
  return periods.map((p, i) => {
    const net = prices[i]!.minus(discounts[i]!);
    const partVat = Money.round(net.amount.times(p.rate).dividedBy(100), currency);
    return {
      ...whole,
      periodFrom: p.from,
      periodTo: p.to,
      unitPrice: prices[i]!,
      quantity: 1,
      discount: discounts[i]!,
      net,
      vatRate: p.rate,
      vat: partVat,
      gross: net.plus(partVat),
    };
  });
}

function agreedByDays(line: PriceLineInput, periods: Period[], currency: Currency, agreed: Money): PricedLine[] {
  const whole = priceLine(line, new Decimal(0), currency);
  const grosses = byDays(agreed, periods, currency);
  const discounts = byDays(whole.discount, periods, currency);
  return periods.map((p, i) => {
    const gross = grosses[i]!;
    const partVat = Money.round(gross.amount.times(p.rate).dividedBy(p.rate.plus(100)), currency);
    const net = gross.minus(partVat);
    return { ...whole, periodFrom: p.from, periodTo: p.to, unitPrice: net.plus(discounts[i]!), quantity: 1, discount: discounts[i]!, net, vatRate: p.rate, vat: partVat, gross };
  });
}

/**
 * `rates`: the rate table (the stage's configuration) by which lines of a
 * service period are taxed at the rates of that period (pricePeriodLine);
 * without it every line takes the treatment's rate (the invoice date's).
 * Renewals give it, and checkouts the table they were quoted at.
 */
export function priceInvoice(lines: PriceLineInput[], vat: VatTreatment, currency: Currency, opts: { rates?: VatRateTable | undefined } = {}): PricedInvoice {
  if (!isCurrency(currency)) throw new ValidationError(`unsupported currency: ${String(currency)}`, 'invalid_currency');
  if (lines.length === 0) throw new ValidationError('an invoice needs at least one line', 'empty_invoice');
  // A negative or non-finite rate would turn VAT into a discount; reject the treatment instead.
  if (!Decimal.isDecimal(vat.rate) || !vat.rate.isFinite() || vat.rate.isNegative() || vat.rate.greaterThan(100)) {
    throw new ValidationError(`VAT rate must be between 0 and 100 %, got ${String(vat.rate)}`, 'invalid_vat_rate');
  }
  lines.forEach((line, i) => validateLine(line, i, currency));

  // With the stage's rates, lines of a service period pay the rates of that period; without, the treatment's (the invoice date's).
  const rates = opts.rates;
  const priced = lines.flatMap((line) => (rates ? pricePeriodLine(line, vat, currency, rates) : [priceLine(line, vat.rate, currency)]));

  // Keyed by the rate's canonical string so 8.1 and 8.10 are one group.
  const groups = new Map<string, { rate: Decimal; net: Money; vat: Money }>();
  for (const line of priced) {
    const key = line.vatRate.toString();
    const g = groups.get(key);
    if (g) {
      g.net = g.net.plus(line.net);
      g.vat = g.vat.plus(line.vat);
    } else {
      groups.set(key, { rate: line.vatRate, net: line.net, vat: line.vat });
    }
  }

  const totalNet = Money.sum(
    priced.map((l) => l.net),
    currency,
  );
  const totalVat = Money.sum(
    priced.map((l) => l.vat),
    currency,
  );
  return {
    currency,
    lines: priced,
    vatBreakdown: [...groups.values()],
    totalNet,
    totalVat,
    total: totalNet.plus(totalVat),
    vat,
  };
}
