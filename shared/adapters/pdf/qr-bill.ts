/**
 * The Swiss QR-bill of a document that is still to be paid: which documents
 * get one, the data swissqrbill renders, and the text of the QR code.
 *
 * swissqrbill builds the QR text internally (generateQRData) but does not
 * export it, so `qrBillPayload` builds it here, field by field in the order of
 * the Swiss Implementation Guidelines QR-bill v2.3 (section 4.3), from the
 * same data the renderer hands to swissqrbill, after swissqrbill's own
 * validation has accepted that data.
 */
import type { Data, Debtor } from 'swissqrbill/types';
import { SwissQRBill } from 'swissqrbill/pdf';
import type { Invoice } from '../../domain/invoice.ts';
import { Money } from '../../domain/money.ts';
import { isCreditorReference, isQrReference } from '../../domain/payment-reference.ts';
import type { PostalAddress, Seller } from '../../domain/seller.ts';

/** Everything a QR-bill needs, with the amount still as the stored decimal string. */
export interface QrBillInput {
  /** What swissqrbill renders (and validates in its constructor). */
  data: Data;
  /** The amount due as a 2-decimal string, exactly as stored. */
  amount: string;
  referenceType: 'QRR' | 'SCOR' | 'NON';
}

/**
 * Characters the QR-bill accepts (IG v2.3, 4.1.1): Basic Latin, Latin-1
 * Supplement, Latin Extended-A, Ș ș Ț ț and €. Others lose their accent if
 * that makes them acceptable, else become ".".
 */
const ALLOWED = /^[\u0020-\u007E\u00A0-\u00FF\u0100-\u017F\u0218-\u021B\u20AC]$/u;

function qrText(value: string, max: number): string {
  const chars = [...value.replace(/[\r\n\t]+/g, ' ').trim()].map((c) => {
    if (ALLOWED.test(c)) return c;
    const base = c.normalize('NFD').replace(/\p{M}/gu, '');
    return base.length > 0 && [...base].every((b) => ALLOWED.test(b)) ? base : '.';
  });
  return chars.slice(0, max).join('').trim();
}

function address(name: string, postal: PostalAddress): Debtor {
  return {
    name: qrText(name, 70),
    address: qrText(postal.street, 70),
    ...(postal.buildingNumber ? { buildingNumber: qrText(postal.buildingNumber, 16) } : {}),
    zip: qrText(postal.zip, 16),
    city: qrText(postal.city, 35),
    country: postal.country.trim().toUpperCase(),
  };
}

const compact = (s: string) => s.replace(/\s+/g, '').toUpperCase();

/**
 * The QR-bill of a document, or undefined when it gets none: only an open
 * document with something left to pay, in CHF or EUR, from a seller whose
 * account is Swiss or Liechtenstein (the only accounts a QR-bill can name).
 * Throws when the document should have one but the data cannot make one
 * (a QR reference and no QR-IBAN, a reference of unknown kind).
 */
export function qrBillInput(invoice: Invoice, seller: Seller): QrBillInput | undefined {
  if (invoice.status !== 'open' || invoice.amountDue === undefined) return undefined;
  if (invoice.currency !== 'CHF' && invoice.currency !== 'EUR') return undefined;
  const due = Money.of(invoice.amountDue, invoice.currency);
  if (!due.isPositive()) return undefined;

  const reference = invoice.paymentReference ? compact(invoice.paymentReference) : undefined;
  let account: string;
  let referenceType: QrBillInput['referenceType'];
  if (reference === undefined) {
    account = seller.iban;
    referenceType = 'NON';
  } else if (isQrReference(reference)) {
    if (!seller.qrIban) throw new Error(`${invoice.number}: a QR reference needs the seller's QR-IBAN, and seller ${seller.id} has none`);
    account = seller.qrIban;
    referenceType = 'QRR';
  } else if (isCreditorReference(reference)) {
    account = seller.iban;
    referenceType = 'SCOR';
  } else {
    throw new Error(`${invoice.number}: payment reference "${invoice.paymentReference}" is neither a QR nor a creditor reference`);
  }
  account = compact(account);
  if (!account.startsWith('CH') && !account.startsWith('LI')) return undefined;

  const amount = due.toString();
  const data: Data = {
    creditor: { ...address(seller.name, seller.postal), account },
    currency: invoice.currency,
    // swissqrbill wants a JS number here. This boundary is the only place the
    // amount leaves its decimal string: Number() of a 2-decimal string of at
    // most 12 characters gives back exactly that string with toFixed(2).
    amount: Number(amount),
    ...(reference !== undefined ? { reference } : {}),
    message: qrText(invoice.number, 140),
    ...(invoice.buyer.postal ? { debtor: address(invoice.buyer.name, invoice.buyer.postal) } : {}),
  };
  return { data, amount, referenceType };
}

/** Whether the document is printed with a QR-bill. */
export function hasQrBill(invoice: Invoice, seller: Seller): boolean {
  return qrBillInput(invoice, seller) !== undefined;
}

/** The QR code's data elements, IG QR-bill v2.3 section 4.3, one per line. */
function payloadOf(input: QrBillInput): string {
  const { data } = input;
  const c = data.creditor;
  const d = data.debtor;
  const structured = (a: Debtor | undefined) =>
    a ? ['S', a.name, a.address, a.buildingNumber !== undefined ? String(a.buildingNumber) : '', String(a.zip), a.city, a.country] : ['', '', '', '', '', '', ''];
  return [
    'SPC', // QRType
    '0200', // Version
    '1', // Coding: UTF-8 restricted to the Latin character set
    c.account, // IBAN or QR-IBAN, no spaces
    ...structured(c), // Cdtr: AdrTp, Name, StrtNmOrAdrLine1, BldgNbOrAdrLine2, PstCd, TwnNm, Ctry
    '',
    '',
    '',
    '',
    '',
    '',
    '', // UltmtCdtr: reserved, 7 empty fields
    input.amount, // Amt: 2 decimals, from the stored string
    data.currency, // Ccy
    ...structured(d), // UltmtDbtr: 7 fields, empty when unknown
    input.referenceType, // RmtInf Tp: QRR, SCOR or NON
    data.reference ?? '', // Ref
    data.message ?? '', // AddInf Ustrd
    'EPD', // Trailer
  ].join('\n');
}

/**
 * The text of the QR code printed on the document's QR-bill. The data goes
 * through swissqrbill's own validation (its constructor) first, so a payload
 * is only ever returned for a bill swissqrbill would also render.
 */
export function qrBillPayload(invoice: Invoice, seller: Seller): string {
  const input = qrBillInput(invoice, seller);
  if (!input) throw new Error(`${invoice.number} carries no QR-bill (status ${invoice.status}, amount due ${invoice.amountDue ?? 'none'}, ${invoice.currency})`);
  new SwissQRBill(input.data);
  return payloadOf(input);
}
