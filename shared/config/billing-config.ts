/**
 * A stage's configuration: its sellers, its catalogue and its VAT rate
 * table, in one file (config/*.yaml), validated here at load. Nothing of it
 * is compiled in: a price, a reminder day or an IBAN changes by editing the
 * file, and invoices already issued keep what they were issued with (each
 * stores its lines, prices, VAT and a copy of its seller).
 *
 * The JSON Schema published beside the sample (config/billing-config.schema.json)
 * is generated from this schema (`npm run config:schema`), so editors and the
 * provider's own tooling check the same rules.
 */
import { electronicFormatIBAN, isQRIBAN, validateIBAN, ValidationErrorsIBAN } from 'ibantools';
import * as z from 'zod';
import { PEPPOL_ID, PEPPOL_ID_MESSAGE, peppolIdProblem } from '../domain/peppol-id.ts';
import { isIsoDate } from '../domain/calendar.ts';
import { DEFAULT_ACCOUNTING, type AccountingMap } from '../domain/journal.ts';
import { Catalogue, FIRST_ATTEMPT_DAYS_BEFORE_EXPIRY, type ProductType } from '../domain/catalogue.ts';
import { CURRENCIES } from '../domain/money.ts';
import type { Seller } from '../domain/seller.ts';
import { isValidVatNumber, type VatRateTable } from '../domain/vat.ts';

const isoDate = z.string().refine(isIsoDate, 'must be a calendar date YYYY-MM-DD');
const country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 country code in capitals, e.g. CH');
const days = z.number().int('must be a whole number of days').min(0, 'must not be negative');
// Amounts and rates are quoted: a YAML number would be a float, and 13.10 would read as 13.1.
const AMOUNT = "must be an amount as a quoted string with at most 2 decimals, e.g. '13.00'";
const price = z.string({ error: AMOUNT }).regex(/^\d{1,7}(\.\d{1,2})?$/, AMOUNT);
const PERCENT = "must be a percentage as a quoted string, e.g. '8.1'";
const percent = z.string({ error: PERCENT }).regex(/^\d{1,2}(\.\d{1,2})?$/, PERCENT);
/** Refinements run even when other settings of the same object are wrong, so one check lists every problem. */
const ALWAYS = { when: () => true };
const isInt = (x: unknown): x is number => Number.isInteger(x);

/** Why ibantools refused an IBAN, in words. */
function ibanProblem(value: string): string | undefined {
  const iban = electronicFormatIBAN(value) ?? '';
  const result = validateIBAN(iban);
  if (result.valid) return undefined;
  const reasons: Partial<Record<ValidationErrorsIBAN, string>> = {
    [ValidationErrorsIBAN.NoIBANProvided]: 'no IBAN given',
    [ValidationErrorsIBAN.NoIBANCountry]: 'the IBAN does not start with a known country code',
    [ValidationErrorsIBAN.WrongBBANLength]: 'the IBAN has the wrong length for its country',
    [ValidationErrorsIBAN.WrongBBANFormat]: "the IBAN's account part has the wrong format for its country",
    [ValidationErrorsIBAN.ChecksumNotNumber]: "the IBAN's check digits are not digits",
    [ValidationErrorsIBAN.WrongIBANChecksum]: "the IBAN's check digits are wrong (a typo?)",
    [ValidationErrorsIBAN.WrongAccountBankBranchChecksum]: "the IBAN's national check digit is wrong",
    [ValidationErrorsIBAN.QRIBANNotAllowed]: 'a QR-IBAN cannot be used here',
  };
  return `not a valid IBAN: ${result.errorCodes.map((c) => reasons[c] ?? `error ${c}`).join('; ')}`;
}

const iban = z.string().superRefine((value, ctx) => {
  const problem = ibanProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const peppolId = z
  .string()
  .trim()
  .regex(PEPPOL_ID, PEPPOL_ID_MESSAGE)
  .superRefine((id, ctx) => {
    const problem = peppolIdProblem(id);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const PostalAddressSchema = z.strictObject({
  street: z.string().min(1).max(70),
  buildingNumber: z.string().max(16).optional(),
  zip: z.string().min(1).max(16),
  city: z.string().min(1).max(35),
  country,
});

const SellerSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9]{0,7}$/, 'must be 1 to 8 lower-case letters or digits, starting with a letter (it is part of every invoice number)'),
    name: z.string().min(1).max(70),
    address: PostalAddressSchema,
    letterhead: z.string().min(1).optional().describe("The letterhead's one line; by default made from the address."),
    vatNumber: z.string().min(1),
    bank: z.strictObject({
      iban: iban.describe('Account for transfers with a creditor reference (RF...); never a QR-IBAN. Checked with its check digits.'),
      qrIban: iban.optional().describe('QR-IBAN (institution id 30000-31999): when set, documents carry a QR reference.'),
      qrReferencePrefix: z
        .string()
        .regex(/^\d{1,10}$/, 'must be digits only')
        .optional()
        .describe('Customer-number prefix some banks put at the start of QR references.'),
    }),
    numbering: z
      .strictObject({
        ranges: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(1)
          .describe('Parallel number ranges per document type, each gapless: 1 numbers INV-CH-2026-000001; n > 1 gives INV-CH00-... to INV-CH<n-1>-...'),
        by: z
          .enum(['organisation', 'process'])
          .default('organisation')
          .describe(
            "Who draws from which range: 'organisation' (each always from its own) or 'process' (each renewal process leases a range of its own, so processes never race for a counter; give at least as many ranges as renewal processes run at once)",
          ),
      })
      .default({ ranges: 1, by: 'organisation' }),
    transferTolerance: price.default('0.00').describe('How much a bank transfer may fall short of a pro-forma and still settle it (bank fees the seller bears).'),
    email: z.email().optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9][0-9 ()-]{5,30}$/, 'must be a telephone number such as +41 22 555 01 00')
      .optional()
      .describe('The contact telephone e-invoices carry (XRechnung requires one).'),
    peppolId: peppolId.optional().describe('Its Peppol participant id, "scheme:id" (e.g. 0183:CHE123456788, the Swiss UID): the sender of Peppol e-invoices.'),
    website: z.string().min(1).optional(),
    retentionYears: z
      .number()
      .int()
      .min(1)
      .max(30)
      .optional()
      .describe("Years its issued documents stay locked after the end of their year (S3 Object Lock); by default its country's (CH, LI, FR 10, DE 8, else 10)."),
    logo: z.string().min(1).optional().describe('PNG or JPEG printed in the letterhead, relative to the configuration file.'),
  })
  .superRefine((s, ctx) => {
    const sellerCountry: unknown = s.address?.country;
    if (typeof s.vatNumber === 'string' && typeof sellerCountry === 'string' && /^[A-Z]{2}$/.test(sellerCountry)) {
      const vatNumber = s.vatNumber.replace(/\s*(MWST|TVA|IVA|VAT)$/i, '');
      if (!isValidVatNumber(sellerCountry, vatNumber)) {
        ctx.addIssue({ code: 'custom', path: ['vatNumber'], message: `not a valid VAT number of ${sellerCountry} (check digit or format)` });
      }
    }
    const bank = s.bank ?? {};
    const valid = (x: unknown): string | undefined => {
      const plain = typeof x === 'string' ? (electronicFormatIBAN(x) ?? '') : '';
      return validateIBAN(plain).valid ? plain : undefined;
    };
    const plain = valid(bank.iban);
    if (plain && isQRIBAN(plain)) {
      ctx.addIssue({ code: 'custom', path: ['bank', 'iban'], message: 'is a QR-IBAN: give it as bank.qrIban, and the ordinary IBAN here' });
    }
    const qr = valid(bank.qrIban);
    if (qr && !isQRIBAN(qr)) {
      ctx.addIssue({ code: 'custom', path: ['bank', 'qrIban'], message: 'is not a QR-IBAN (its institution id must be 30000-31999)' });
    }
    if (bank.qrReferencePrefix !== undefined && bank.qrIban === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bank', 'qrReferencePrefix'], message: 'needs bank.qrIban: only QR references carry a prefix' });
    }
  }, ALWAYS);

const ProductTypeSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes (at most 40)'),
    name: z.string().min(1).max(80),
    prices: z
      .strictObject(Object.fromEntries(CURRENCIES.map((c) => [c, price])) as Record<(typeof CURRENCIES)[number], typeof price>)
      .describe('Price without VAT of one base period, per currency.'),
    basePeriodMonths: z.number().int().min(1).max(120).describe('The period the price is for, in months.'),
    allowedPeriodsMonths: z
      .array(z.number().int().min(1).max(120))
      .min(1, 'needs at least one period')
      .describe('Periods a customer may buy at once, in months, each a multiple of the base period (domains: up to 120).'),
    reminderDaysBefore: z.array(days.max(365)).describe('Reminder e-mails this many days before expiry (an organisation may set its own).'),
    retryDaysAfterFirstAttempt: z.array(days).describe('Retries of a failed automatic payment, in days after the first attempt (made 14 days before expiry): 1 to 14.'),
    blockDaysAfterExpiry: days.max(365).describe('Unpaid this many days after expiry: the product is blocked.'),
    terminateDaysAfterExpiry: days.max(730).describe('Unpaid this many days after expiry: the product is terminated (not before it is blocked).'),
    autoRenewable: z.boolean().default(true).describe('Whether products of this type may renew on their own (a saved method charged 14 days before expiry).'),
  })
  .superRefine((t, ctx) => {
    const base = t.basePeriodMonths;
    if (isInt(base) && base > 0 && Array.isArray(t.allowedPeriodsMonths)) {
      t.allowedPeriodsMonths.forEach((p, i) => {
        if (isInt(p) && p % base !== 0) {
          ctx.addIssue({ code: 'custom', path: ['allowedPeriodsMonths', i], message: `${p} months is not a multiple of the base period (${base} months)` });
        }
      });
    }
    if (Array.isArray(t.retryDaysAfterFirstAttempt)) {
      t.retryDaysAfterFirstAttempt.forEach((d, i) => {
        if (isInt(d) && (d < 1 || d > FIRST_ATTEMPT_DAYS_BEFORE_EXPIRY)) {
          ctx.addIssue({
            code: 'custom',
            path: ['retryDaysAfterFirstAttempt', i],
            message: `must fall between the first attempt (${FIRST_ATTEMPT_DAYS_BEFORE_EXPIRY} days before expiry) and expiry: 1 to ${FIRST_ATTEMPT_DAYS_BEFORE_EXPIRY}`,
          });
        }
      });
    }
    if (isInt(t.terminateDaysAfterExpiry) && isInt(t.blockDaysAfterExpiry) && t.terminateDaysAfterExpiry < t.blockDaysAfterExpiry) {
      ctx.addIssue({ code: 'custom', path: ['terminateDaysAfterExpiry'], message: `must not come before blockDaysAfterExpiry (${t.blockDaysAfterExpiry})` });
    }
  }, ALWAYS);

const RateEntrySchema = z.strictObject({ from: isoDate, rate: percent });

const VatSchema = z.strictObject({
  rates: z
    .record(country, z.array(RateEntrySchema).min(1))
    .superRefine((table, ctx) => {
      for (const [c, entries] of Object.entries(table ?? {})) {
        if (!Array.isArray(entries)) continue;
        entries.forEach((e, i) => {
          const before = entries[i - 1];
          if (typeof before?.from === 'string' && typeof e?.from === 'string' && before.from >= e.from) {
            ctx.addIssue({ code: 'custom', path: [c, i, 'from'], message: `must come after ${before.from}: entries are in date order` });
          }
        });
      }
    }, ALWAYS)
    .describe('Standard VAT rates per country (ISO 3166), each entry from its date until the next; a future change is written ahead with its date.'),
});

function uniqueIds(what: string) {
  return (list: { id: string }[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const id: unknown = item?.id;
      if (typeof id !== 'string') return;
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `${what} ${id} is listed twice` });
      seen.add(id);
    });
  };
}

const VAT_CODE_KEY = /^(domestic:[\d.]+|eu-b2c:[A-Z]{2}:[\d.]+|reverse-charge|export)$/;
const account = z.string().regex(/^[A-Za-z0-9.-]{1,20}$/, 'must be an account number such as 1100');
const AccountingSchema = z
  .strictObject({
    accounts: z
      .strictObject({
        receivables: z.strictObject({ CHF: account, EUR: account }).default(DEFAULT_ACCOUNTING.accounts.receivables),
        revenue: z
          .strictObject({ domestic: account, 'eu-b2c': account, 'reverse-charge': account, export: account })
          .default(DEFAULT_ACCOUNTING.accounts.revenue)
          .describe('Revenue by VAT case: domestic, EU consumers (OSS), reverse charge, outside the VAT area.'),
        vat: account.default(DEFAULT_ACCOUNTING.accounts.vat).describe('VAT owed.'),
        payments: z
          .strictObject({ balance: account, transfer: account, card: account, twint: account, postfinance: account, paypal: account })
          .default(DEFAULT_ACCOUNTING.accounts.payments)
          .describe('Where each way of paying books its money: the prepaid balance (a liability), the bank, the provider clearing accounts.'),
      })
      .default(DEFAULT_ACCOUNTING.accounts),
    vatCodes: z
      .record(z.string(), z.string().min(1).max(20))
      // Checked here rather than as the record's key type, whose error would not say what a key must look like.
      .superRefine((codes, ctx) => {
        for (const key of Object.keys(codes)) {
          if (!VAT_CODE_KEY.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'must be domestic:<rate>, eu-b2c:<country>:<rate>, reverse-charge or export' });
        }
      })
      .default({})
      .describe('VAT codes of the journal; without one: V<rate digits> (V81), OSS-<country>-<rate>, RC, EXP.'),
  })
  .default(DEFAULT_ACCOUNTING)
  .describe("The journal export's chart of accounts and VAT codes (docs/finance.md); a Swiss SME chart by default.");

const MailSchema = z
  .strictObject({
    from: z.email('must be an e-mail address').optional().describe("The sender of sellers that have no e-mail address of their own (each seller's `email` is its sender)."),
    portalUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) address' })
      .default('http://127.0.0.1:8787')
      .describe("The customer portal's address: the buttons of the e-mails lead there."),
  })
  .default({ portalUrl: 'http://127.0.0.1:8787' })
  .describe('How e-mails are sent.');

export const BillingConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,19}$/)
      .describe('dev, prod, demo...: compared with the stage the CDK app deploys the file to.'),
    defaultSeller: z.string().describe('The id of the seller of organisations that name none.'),
    sellers: z
      .array(SellerSchema)
      .min(1, 'needs at least one seller')
      .superRefine(uniqueIds('seller'), ALWAYS)
      .describe('The legal entities that issue invoices; each has its own number series.'),
    catalogue: z
      .array(ProductTypeSchema)
      .min(1, 'needs at least one product type')
      .superRefine(uniqueIds('product type'), ALWAYS)
      .describe('The product types and their prices, periods and non-payment schedule.'),
    vat: VatSchema,
    mail: MailSchema,
    accounting: AccountingSchema,
  })
  .superRefine((c, ctx) => {
    const sellers = Array.isArray(c.sellers) ? c.sellers : [];
    const rates: Record<string, unknown> = c.vat?.rates ?? {};
    if (typeof c.defaultSeller === 'string' && sellers.length > 0 && !sellers.some((s) => s?.id === c.defaultSeller)) {
      ctx.addIssue({ code: 'custom', path: ['defaultSeller'], message: `names no seller of the list (${sellers.map((s) => s?.id).join(', ')})` });
    }
    sellers.forEach((s, i) => {
      if (s && typeof s === 'object' && !s.email && !c.mail?.from) {
        ctx.addIssue({ code: 'custom', path: ['sellers', i, 'email'], message: 'the seller needs an address to send e-mails from (or set mail.from)' });
      }
      const sellerCountry: unknown = s?.address?.country;
      if (typeof sellerCountry === 'string' && c.vat?.rates && !rates[sellerCountry]) {
        ctx.addIssue({ code: 'custom', path: ['sellers', i, 'address', 'country'], message: `vat.rates has no rates for ${sellerCountry}, the seller's country` });
      }
    });
  }, ALWAYS);

export type BillingConfigInput = z.input<typeof BillingConfigSchema>;
export type BillingConfigFile = z.output<typeof BillingConfigSchema>;

/** What the engine takes from a stage's configuration. */
export interface EngineConfig {
  stage: string;
  /** The seller of organisations that name none. */
  seller: Seller;
  sellers: ReadonlyMap<string, Seller>;
  catalogue: Catalogue;
  vatRates: VatRateTable;
  mail: { from?: string; portalUrl: string };
  accounting: AccountingMap;
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

function toSeller(s: BillingConfigFile['sellers'][number], resolvePath: (p: string) => string): Seller {
  const a = s.address;
  const street = [a.street, a.buildingNumber].filter(Boolean).join(' ');
  return {
    id: s.id,
    name: s.name,
    address: s.letterhead ?? `${street}, ${a.zip} ${a.city}, ${countryNames.of(a.country) ?? a.country}`,
    postal: { street: a.street, ...(a.buildingNumber ? { buildingNumber: a.buildingNumber } : {}), zip: a.zip, city: a.city, country: a.country },
    country: a.country,
    vatNumber: s.vatNumber,
    iban: electronicFormatIBAN(s.bank.iban)!,
    ...(s.bank.qrIban ? { qrIban: electronicFormatIBAN(s.bank.qrIban)! } : {}),
    ...(s.bank.qrReferencePrefix ? { qrReferencePrefix: s.bank.qrReferencePrefix } : {}),
    ...(s.logo ? { logoPath: resolvePath(s.logo) } : {}),
    ...(s.email ? { email: s.email } : {}),
    ...(s.phone ? { phone: s.phone } : {}),
    ...(s.peppolId ? { peppolId: s.peppolId } : {}),
    ...(s.website ? { website: s.website } : {}),
    ...(s.retentionYears ? { retentionYears: s.retentionYears } : {}),
    ...(s.numbering.ranges > 1 ? { invoiceSeriesShards: s.numbering.ranges } : {}),
    ...(s.numbering.ranges > 1 && s.numbering.by === 'process' ? { numberRangesBy: 'process' as const } : {}),
    ...(s.transferTolerance !== '0.00' ? { transferTolerance: s.transferTolerance } : {}),
  };
}

function toProductType(t: BillingConfigFile['catalogue'][number]): ProductType {
  return {
    id: t.id,
    name: t.name,
    prices: t.prices,
    basePeriodMonths: t.basePeriodMonths,
    allowedPeriodsMonths: t.allowedPeriodsMonths,
    reminderDaysBefore: t.reminderDaysBefore,
    retryDaysAfterFirstAttempt: t.retryDaysAfterFirstAttempt,
    blockDaysAfterExpiry: t.blockDaysAfterExpiry,
    terminateDaysAfterExpiry: t.terminateDaysAfterExpiry,
    ...(t.autoRenewable ? {} : { autoRenewable: false }),
  };
}

/** The engine's view of a validated file; `resolvePath` turns a path of the file (a logo) into one the process can open. */
export function engineConfig(file: BillingConfigFile, resolvePath: (p: string) => string = (p) => p): EngineConfig {
  const sellers = new Map(file.sellers.map((s) => [s.id, toSeller(s, resolvePath)]));
  return {
    stage: file.stage,
    seller: sellers.get(file.defaultSeller)!,
    sellers,
    catalogue: new Catalogue(file.catalogue.map(toProductType)),
    vatRates: file.vat.rates,
    mail: { portalUrl: file.mail.portalUrl, ...(file.mail.from ? { from: file.mail.from } : {}) },
    accounting: file.accounting,
  };
}
