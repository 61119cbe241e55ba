/** A postal address as the QR-bill wants it: structured, never one free line. */
export interface PostalAddress {
  street: string;
  buildingNumber?: string;
  zip: string;
  city: string;
  /** ISO 3166 alpha-2. */
  country: string;
}

/** The provider's legal entity that issues invoices; each has its own number series. */
export interface Seller {
  id: string;
  name: string;
  /** One line, as printed in the letterhead. */
  address: string;
  postal: PostalAddress;
  country: string;
  vatNumber: string;
  /** Account for bank transfers with a creditor reference (SCOR). */
  iban: string;
  /** QR-IBAN (IID 30000-31999): when set, documents carry a QR reference instead. */
  qrIban?: string;
  /** Customer-number prefix some banks require at the start of QR references. */
  qrReferencePrefix?: string;
  /** PNG or JPEG printed in the letterhead. */
  logoPath?: string;
  email?: string;
  /** The contact telephone e-invoices carry (XRechnung requires one). */
  phone?: string;
  /** Its Peppol participant id ("scheme:id", e.g. 0183:CHE123456788), the sender of Peppol e-invoices. */
  peppolId?: string;
  /** Years its issued documents are kept, locked, after the end of their year (docs/domain.md R-30); its country's by default. */
  retentionYears?: number;
  website?: string;
  /**
   * Parallel number ranges per document type: each is gapless and monotonic
   * on its own, so concurrent renewals do not all queue on one counter. An
   * organisation always draws from the same range. 1 (the default) means one
   * range, numbered INV-CH-2026-000001; n > 1 gives INV-CH00-… to INV-CH<n-1>-….
   */
  invoiceSeriesShards?: number;
  /**
   * Who draws from which range when there are several: `organisation` (the default: an organisation
   * always draws from its own, by a hash of its id) or `process` (the night's renewals are numbered from
   * a range each renewal process leases for itself, so processes never race for one counter; an
   * organisation's invoices then come from several ranges, each still gapless).
   */
  numberRangesBy?: 'organisation' | 'process';
  /**
   * How much a bank transfer may fall short of a pro-forma and still settle
   * it (bank fees the seller accepts to bear), as a decimal string; default
   * "0.00": a transfer settles only when what arrived reaches what is due.
   */
  transferTolerance?: string;
}

/** The number range an organisation's documents come from (the seller id, plus a range suffix when ranges are split). */
export function seriesIdFor(seller: Pick<Seller, 'id' | 'invoiceSeriesShards'>, orgId: string): string {
  const ranges = seriesIdsOf(seller);
  return ranges.length === 1 ? ranges[0]! : ranges[fnv1a(orgId) % ranges.length]!;
}

/** Every number range of a seller: its id alone, or its id with a two-digit suffix per range. */
export function seriesIdsOf(seller: Pick<Seller, 'id' | 'invoiceSeriesShards'>): string[] {
  const shards = seller.invoiceSeriesShards ?? 1;
  if (shards <= 1) return [seller.id];
  return Array.from({ length: shards }, (_, i) => `${seller.id}${String(i).padStart(2, '0')}`);
}

/** FNV-1a: stable, spread evenly. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * docs/domain.md R-30: how long the law of the seller's country keeps business records, counted from the end
 * of the year of the document: Switzerland (CO art. 958f) and Liechtenstein 10 years, Germany 8 for invoices
 * (AO § 147 as amended from 2025), France 10 (Code de commerce L123-22). Elsewhere 10, the longest of these.
 */
const RETENTION_YEARS_BY_COUNTRY: Readonly<Record<string, number>> = { CH: 10, LI: 10, DE: 8, FR: 10 };
export const DEFAULT_RETENTION_YEARS = 10;

export function retentionYearsOf(seller: Pick<Seller, 'country' | 'retentionYears'>): number {
  return seller.retentionYears ?? RETENTION_YEARS_BY_COUNTRY[seller.country] ?? DEFAULT_RETENTION_YEARS;
}

/** The first day a document issued on `issueDate` may be deleted: 1 January after its year plus the retention years. */
export function retainedUntil(seller: Pick<Seller, 'country' | 'retentionYears'>, issueDate: string): string {
  return `${Number(issueDate.slice(0, 4)) + 1 + retentionYearsOf(seller)}-01-01`;
}
