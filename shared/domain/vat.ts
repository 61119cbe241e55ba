/**
 * VAT: effective-dated standard rates and the treatment of a supply.
 *
 * The provider sells electronically supplied services (hosting, domains), so
 * the place of supply is where the buyer is (B2B: Art. 44 Directive
 * 2006/112/EC and Art. 8 para. 1 MWSTG; B2C in the EU: Art. 58). Treatment,
 * decided in this order:
 *
 *  1. Buyer in the seller's VAT area -> `domestic` at the seller country's
 *     rate on the invoice date, B2B or B2C alike. Switzerland and
 *     Liechtenstein form one VAT area (customs treaty), so CH <-> LI is
 *     domestic; each EU member state is its own area.
 *  2. Seller in CH/LI, buyer in the EU with a VAT number that passes
 *     `isValidVatNumber` -> `reverse-charge`, rate 0, with the Art. 196 mention.
 *  3. Seller in CH/LI, buyer in the EU without a valid VAT number (a consumer)
 *     -> `eu-b2c` at the buyer country's rate, declared through the non-Union
 *     OSS scheme.
 *  4. Seller in the EU, buyer in another member state: valid VAT number ->
 *     `reverse-charge`; otherwise -> `eu-b2c` at the buyer country's rate
 *     (Union OSS). The EUR 10,000 micro-business threshold, under which the
 *     seller's own rate could apply, is deliberately not modelled.
 *  5. Anything else (buyer outside both the seller's area and the EU, or an
 *     EU seller and a Swiss buyer) -> `export`, rate 0, with a mention saying
 *     the supply is outside the seller's VAT.
 *
 * A VAT number that is present but fails the checksum counts as absent: an
 * invalid number must never remove VAT from an invoice, so it falls back to
 * the B2C treatment rather than reverse charge.
 *
 * `country` in a treatment is the country whose VAT law taxes the supply:
 * the seller's for `domestic`, the buyer's otherwise.
 */
import { Decimal } from 'decimal.js';
import { checkVAT, countries as jsvatCountries, type Country } from 'jsvat';
import { isIsoDate, type IsoDate } from './calendar.ts';
import { ValidationError } from './errors.ts';

export interface VatTreatment {
  kind: 'domestic' | 'eu-b2c' | 'reverse-charge' | 'export';
  /** Percentage, e.g. 8.1 for 8.1 %. */
  rate: Decimal;
  country: string;
  /** The legal wording the invoice must carry, when there is one. */
  mention?: string;
}

export const REVERSE_CHARGE_MENTION = 'Reverse charge: VAT to be accounted for by the recipient (Art. 196 Council Directive 2006/112/EC)';
export const EXPORT_MENTION = "Service not subject to VAT: place of supply outside the seller's VAT area";
export const SWISS_EXPORT_MENTION = 'Not subject to Swiss VAT: place of supply abroad (Art. 8 MWSTG)';

export interface RateEntry {
  from: IsoDate;
  rate: string;
}

/** Standard rates per country (ISO 3166), each list ascending by `from`. */
export type VatRateTable = Readonly<Record<string, readonly RateEntry[]>>;

/**
 * Standard rates; each entry applies from `from` until the next entry.
 * Every country's history starts on 2011-01-01 (the start of the Swiss 8.0 %
 * period): the engine never prices earlier supplies, and an error is better
 * than a guessed rate. Temporary rates (DE 2020, IE 2020/21, LU 2023) are
 * listed with the entry that restored the normal rate.
 */
export const BUILT_IN_VAT_RATES: VatRateTable = {
  CH: [
    { from: '2011-01-01', rate: '8.0' },
    { from: '2018-01-01', rate: '7.7' },
    { from: '2024-01-01', rate: '8.1' },
  ],
  LI: [
    { from: '2011-01-01', rate: '8.0' },
    { from: '2018-01-01', rate: '7.7' },
    { from: '2024-01-01', rate: '8.1' },
  ],
  AT: [{ from: '2011-01-01', rate: '20' }],
  BE: [{ from: '2011-01-01', rate: '21' }],
  BG: [{ from: '2011-01-01', rate: '20' }],
  CY: [
    { from: '2011-01-01', rate: '15' },
    { from: '2012-03-01', rate: '17' },
    { from: '2013-01-14', rate: '18' },
    { from: '2014-01-13', rate: '19' },
  ],
  CZ: [
    { from: '2011-01-01', rate: '20' },
    { from: '2013-01-01', rate: '21' },
  ],
  DE: [
    { from: '2011-01-01', rate: '19' },
    { from: '2020-07-01', rate: '16' },
    { from: '2021-01-01', rate: '19' },
  ],
  DK: [{ from: '2011-01-01', rate: '25' }],
  EE: [
    { from: '2011-01-01', rate: '20' },
    { from: '2024-01-01', rate: '22' },
    { from: '2025-07-01', rate: '24' },
  ],
  ES: [
    { from: '2011-01-01', rate: '18' },
    { from: '2012-09-01', rate: '21' },
  ],
  FI: [
    { from: '2011-01-01', rate: '23' },
    { from: '2013-01-01', rate: '24' },
    { from: '2024-09-01', rate: '25.5' },
  ],
  FR: [
    { from: '2011-01-01', rate: '19.6' },
    { from: '2014-01-01', rate: '20' },
  ],
  GR: [
    { from: '2011-01-01', rate: '23' },
    { from: '2016-06-01', rate: '24' },
  ],
  HR: [
    { from: '2011-01-01', rate: '23' },
    { from: '2012-03-01', rate: '25' },
  ],
  HU: [
    { from: '2011-01-01', rate: '25' },
    { from: '2012-01-01', rate: '27' },
  ],
  IE: [
    { from: '2011-01-01', rate: '21' },
    { from: '2012-01-01', rate: '23' },
    { from: '2020-09-01', rate: '21' },
    { from: '2021-03-01', rate: '23' },
  ],
  IT: [
    { from: '2011-01-01', rate: '20' },
    { from: '2011-09-17', rate: '21' },
    { from: '2013-10-01', rate: '22' },
  ],
  LT: [{ from: '2011-01-01', rate: '21' }],
  LU: [
    { from: '2011-01-01', rate: '15' },
    { from: '2015-01-01', rate: '17' },
    { from: '2023-01-01', rate: '16' },
    { from: '2024-01-01', rate: '17' },
  ],
  LV: [
    { from: '2011-01-01', rate: '22' },
    { from: '2012-07-01', rate: '21' },
  ],
  MT: [{ from: '2011-01-01', rate: '18' }],
  NL: [
    { from: '2011-01-01', rate: '19' },
    { from: '2012-10-01', rate: '21' },
  ],
  PL: [{ from: '2011-01-01', rate: '23' }],
  PT: [{ from: '2011-01-01', rate: '23' }],
  RO: [
    { from: '2011-01-01', rate: '24' },
    { from: '2016-01-01', rate: '20' },
    { from: '2017-01-01', rate: '19' },
    { from: '2025-08-01', rate: '21' },
  ],
  SE: [{ from: '2011-01-01', rate: '25' }],
  SI: [
    { from: '2011-01-01', rate: '20' },
    { from: '2013-07-01', rate: '22' },
  ],
  SK: [
    { from: '2011-01-01', rate: '20' },
    { from: '2025-01-01', rate: '23' },
  ],
};

export const EU_COUNTRIES = [
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
] as const;

const SWISS_AREA = new Set(['CH', 'LI']);

/** ISO 3166 codes, with Greece's VAT prefix EL accepted for GR. */
function normaliseCountry(country: string): string {
  const c = country.trim().toUpperCase();
  return c === 'EL' ? 'GR' : c;
}

export function isEuCountry(country: string): boolean {
  return (EU_COUNTRIES as readonly string[]).includes(normaliseCountry(country));
}

/** Switzerland and Liechtenstein: one VAT area outside the EU. */
export function isSwissArea(country: string): boolean {
  return SWISS_AREA.has(normaliseCountry(country));
}

/** Each member state is its own VAT area; Switzerland and Liechtenstein share one. */
export function sameVatArea(a: string, b: string): boolean {
  return normaliseCountry(a) === normaliseCountry(b) || (isSwissArea(a) && isSwissArea(b));
}

/**
 * The standard VAT rate (a percentage) of `country` on `date`, from the
 * stage's rate table (its configuration file) or the table built in.
 */
export function standardRate(country: string, date: IsoDate, rates: VatRateTable = BUILT_IN_VAT_RATES): Decimal {
  const c = normaliseCountry(country);
  const entries = rates[c];
  if (!entries) throw new ValidationError(`no VAT rates known for country ${country}`, 'unknown_vat_country');
  if (!isIsoDate(date)) throw new ValidationError(`not a calendar date (YYYY-MM-DD): ${date}`, 'invalid_date');
  let current: RateEntry | undefined;
  // ISO dates order as strings; entries are ascending.
  for (const e of entries) if (e.from <= date) current = e;
  if (!current) {
    throw new ValidationError(`no VAT rate known for ${c} before ${entries[0]?.from ?? '?'} (asked for ${date})`, 'unknown_vat_rate');
  }
  return new Decimal(current.rate);
}

export interface RatePeriod {
  from: IsoDate;
  /** Exclusive. */
  to: IsoDate;
  rate: Decimal;
}

/**
 * The standard rates of a country in force over a service period [from, to):
 * one period per rate, cut on the day a new rate starts. VAT follows the
 * period of the service, not the invoice date (Art. 115 MWSTG for a Swiss
 * rate change; the same rule for an EU consumer's member state): a
 * prepayment that spans a change pays each rate on its part.
 */
export function ratePeriods(country: string, from: IsoDate, to: IsoDate, rates: VatRateTable = BUILT_IN_VAT_RATES): RatePeriod[] {
  const c = normaliseCountry(country);
  const entries = rates[c];
  if (!entries) throw new ValidationError(`no VAT rates known for country ${country}`, 'unknown_vat_country');
  if (!isIsoDate(from) || !isIsoDate(to)) throw new ValidationError(`not a calendar period (YYYY-MM-DD): ${from} to ${to}`, 'invalid_date');
  const out: RatePeriod[] = [];
  let start = from;
  for (const e of entries) {
    if (e.from > start && e.from < to) {
      out.push({ from: start, to: e.from, rate: standardRate(c, start, rates) });
      start = e.from;
    }
  }
  out.push({ from: start, to: to > start ? to : start, rate: standardRate(c, start, rates) });
  return out;
}

/** The prefix a number carries in that country, added when the customer typed it without. */
function vatPrefix(country: string): string {
  if (country === 'CH') return 'CHE';
  if (country === 'GR') return 'EL';
  return country;
}

/**
 * jsvat entries whose rule is a shape check only: "EU" (the non-Union OSS
 * identification, not a country) and Andorra.
 */
const SHAPE_ONLY = new Set(['EU', 'AD']);

function jsvatCountry(country: string): Country | undefined {
  if (SHAPE_ONLY.has(country)) return undefined;
  return jsvatCountries.find((c) => c.codes[0] === country);
}

/** Luhn over the digits, as used by the French SIREN. */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * jsvat accepts French numbers whose 2-character key contains a letter
 * without any check; their last 9 digits are still a SIREN, which carries a
 * Luhn check digit, so at least that part is verified.
 */
function passesExtraChecks(country: string, cleaned: string): boolean {
  if (country === 'FR' && !/^FR\d{11}$/.test(cleaned)) return luhn(cleaned.slice(-9));
  return true;
}

/**
 * Whether `vatNumber` is a well-formed number of `country` with a correct
 * check digit. Offline only: it does not ask VIES or the UID register whether
 * the number is currently registered. Countries without a checksum rule
 * (notably LI, which jsvat does not know) are never valid, since a
 * shape-only check would let a typo remove VAT from an invoice.
 */
export function isValidVatNumber(country: string, vatNumber: string): boolean {
  const c = normaliseCountry(country);
  const spec = jsvatCountry(c);
  if (!spec) return false;
  let cleaned = vatNumber.toUpperCase().replace(/[\s.\-/]+/g, '');
  if (cleaned === '') return false;
  if (c === 'GR' && cleaned.startsWith('GR')) cleaned = `EL${cleaned.slice(2)}`;
  const prefix = vatPrefix(c);
  if (!cleaned.startsWith(prefix)) cleaned = prefix + cleaned;
  // Only this country's rules are given, so a number of another country cannot pass.
  return checkVAT(cleaned, [spec]).isValid && passesExtraChecks(c, cleaned);
}

export function vatTreatment(ctx: {
  sellerCountry: string;
  buyerCountry: string;
  buyerVatNumber?: string | undefined;
  date: IsoDate;
  rates?: VatRateTable | undefined;
}): VatTreatment {
  const seller = normaliseCountry(ctx.sellerCountry);
  const buyer = normaliseCountry(ctx.buyerCountry);
  const rates = ctx.rates ?? BUILT_IN_VAT_RATES;
  if (!rates[seller]) {
    throw new ValidationError(`seller country ${ctx.sellerCountry} is not in a supported VAT area`, 'unknown_vat_country');
  }
  // An empty or garbled buyer country would otherwise land in `export`, i.e. silently no VAT.
  if (!/^[A-Z]{2}$/.test(buyer)) {
    throw new ValidationError(`buyer country must be an ISO country code: "${ctx.buyerCountry}"`, 'invalid_country');
  }
  if (!isIsoDate(ctx.date)) throw new ValidationError(`not a calendar date (YYYY-MM-DD): ${ctx.date}`, 'invalid_date');

  if (sameVatArea(seller, buyer)) {
    return { kind: 'domestic', rate: standardRate(seller, ctx.date, rates), country: seller };
  }

  if (isEuCountry(buyer) && (isSwissArea(seller) || isEuCountry(seller))) {
    const vatNumber = ctx.buyerVatNumber?.trim();
    if (vatNumber && isValidVatNumber(buyer, vatNumber)) {
      return { kind: 'reverse-charge', rate: new Decimal(0), country: buyer, mention: REVERSE_CHARGE_MENTION };
    }
    return { kind: 'eu-b2c', rate: standardRate(buyer, ctx.date, rates), country: buyer };
  }

  return {
    kind: 'export',
    rate: new Decimal(0),
    country: buyer,
    mention: seller === 'CH' ? SWISS_EXPORT_MENTION : EXPORT_MENTION,
  };
}
