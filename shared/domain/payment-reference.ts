/**
 * Payment references printed on a QR-bill, one per document, so a bank
 * credit can be matched to what it pays without reading free text.
 *
 * - QR reference (QRR): 27 digits, the last a modulo-10 recursive check digit
 *   (Swiss Payment Standards, "Annex B"). Only with a QR-IBAN.
 * - Creditor reference (SCOR, ISO 11649): "RF", two check digits (ISO 7064
 *   mod 97-10), then up to 21 letters and digits. With an ordinary IBAN.
 *
 * Both are derived from the document's series, number range, year and
 * sequence, which are unique per seller, so the reference is unique too and
 * can be recomputed; the engine finds the document through a pointer keyed
 * by the reference, never by decoding it.
 */
import { ValidationError } from './errors.ts';
import type { InvoiceSeries } from './invoice.ts';
import type { Seller } from './seller.ts';

const MOD10_TABLE = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5];

/** The check digit of the modulo-10 recursive method. */
export function mod10Recursive(digits: string): number {
  let carry = 0;
  for (const ch of digits) carry = MOD10_TABLE[(carry + Number(ch)) % 10]!;
  return (10 - carry) % 10;
}

export function isQrReference(ref: string): boolean {
  const r = ref.replace(/\s+/g, '');
  return /^\d{27}$/.test(r) && mod10Recursive(r.slice(0, 26)) === Number(r[26]);
}

/** Letters count as 10..35 in ISO 7064 mod 97-10. */
function toDigits(s: string): string {
  return [...s.toUpperCase()].map((c) => (/[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c)).join('');
}

function mod97(digits: string): number {
  let rest = 0;
  for (const ch of digits) rest = (rest * 10 + Number(ch)) % 97;
  return rest;
}

export function isCreditorReference(ref: string): boolean {
  const r = ref.replace(/\s+/g, '').toUpperCase();
  if (!/^RF\d{2}[A-Z0-9]{1,21}$/.test(r)) return false;
  return mod97(toDigits(r.slice(4) + r.slice(0, 4))) === 1;
}

export function creditorReference(body: string): string {
  const b = body.toUpperCase();
  if (!/^[A-Z0-9]{1,21}$/.test(b)) throw new ValidationError(`a creditor reference takes 1 to 21 letters and digits, got "${body}"`, 'invalid_reference');
  const check = 98 - mod97(toDigits(`${b}RF00`));
  return `RF${String(check).padStart(2, '0')}${b}`;
}

const SERIES_CODE: Record<InvoiceSeries, string> = { INV: '1', PRO: '2', CN: '3' };

/**
 * The document's QR reference: a customer-number prefix of the provider's
 * bank (often required by the bank, up to 6 digits, default none), then
 * series, year and sequence, zero-padded to 26 digits, then the check digit.
 */
export function qrReferenceFor(doc: { series: InvoiceSeries; year: number; sequence: number; range?: number }, bankPrefix = ''): string {
  if (!/^\d{0,6}$/.test(bankPrefix)) throw new ValidationError(`the QR reference prefix takes up to 6 digits, got "${bankPrefix}"`, 'invalid_reference');
  // Split number ranges each count from 1: the range's two digits keep references unique.
  const range = doc.range === undefined ? '' : String(doc.range).padStart(2, '0');
  const own = `${range}${SERIES_CODE[doc.series]}${doc.year}${String(doc.sequence).padStart(9, '0')}`;
  const body = (bankPrefix + own.padStart(26 - bankPrefix.length, '0')).slice(-26);
  return body + String(mod10Recursive(body));
}

/** The document's creditor reference, e.g. RF18PRO2026000001. */
export function creditorReferenceFor(doc: { series: InvoiceSeries; year: number; sequence: number; range?: number }): string {
  const range = doc.range === undefined ? '' : `R${String(doc.range).padStart(2, '0')}`;
  return creditorReference(`${doc.series}${range}${doc.year}${String(doc.sequence).padStart(6, '0')}`);
}

/** Groups of 5 from the right for a QR reference, of 4 for a creditor reference, as printed. */
export function formatReference(ref: string): string {
  const r = ref.replace(/\s+/g, '');
  if (/^\d{27}$/.test(r)) return `${r.slice(0, 2)} ${r.slice(2).match(/.{5}/g)!.join(' ')}`;
  return r.match(/.{1,4}/g)!.join(' ');
}

/** The reference a seller prints: a QR reference with a QR-IBAN, a creditor reference otherwise. */
export function paymentReferenceFor(
  seller: Pick<Seller, 'id' | 'qrIban' | 'qrReferencePrefix'>,
  doc: { series: InvoiceSeries; year: number; sequence: number; seriesId?: string },
): string {
  const suffix = doc.seriesId?.slice(seller.id.length);
  const ref = { series: doc.series, year: doc.year, sequence: doc.sequence, ...(suffix ? { range: Number(suffix) } : {}) };
  return seller.qrIban ? qrReferenceFor(ref, seller.qrReferencePrefix) : creditorReferenceFor(ref);
}
