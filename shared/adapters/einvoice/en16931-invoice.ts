/**
 * An issued invoice or credit note as an EN 16931 e-invoice, in the input
 * format of @e-invoice-eu/core (UBL's element names as JSON keys), which
 * writes it as UBL (Peppol BIS Billing 3.0, XRechnung 3.0) or CII.
 *
 * Everything comes from the stored document (its seller and buyer as they
 * were when it was issued), so the XML says what the PDF says; only the
 * buyer's electronic address and reference come from the organisation's
 * e-invoice settings.
 *
 * Credit notes are stored with negative amounts (so exports net to zero); a
 * UBL CreditNote and a CII 381 carry them positive, the type saying the sign.
 */
import { Decimal } from 'decimal.js';
import type { Invoice as EInvoice } from '@e-invoice-eu/core';
import { addDays, type IsoDate } from '../../domain/calendar.ts';
import { ValidationError } from '../../domain/errors.ts';
import { assertEInvoiceable, openAmount, vatCaseOf, type Invoice } from '../../domain/invoice.ts';
import type { PostalAddress } from '../../domain/seller.ts';
import type { EInvoiceBuyer, EInvoiceProfile } from '../../ports/documents.ts';

/** A Peppol participant id ("scheme:id") as an electronic address. */
function participant(peppolId: string): { scheme: string; id: string } {
  const [scheme = '', id = ''] = peppolId.split(/:(.*)/s);
  return { scheme, id };
}

const PEPPOL_BIS = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';
const XRECHNUNG = 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0';
const PEPPOL_PROCESS = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0';

type Category = 'S' | 'AE' | 'G' | 'Z';

/**
 * The VAT category (UNCL 5305) of the document's zero-rated lines follows from the mention the
 * pricing put on it (docs/domain.md R-25): reverse charge → AE, outside the seller's VAT area → G.
 */
function categoryOf(invoice: Invoice, rate: string): { id: Category; reasonCode?: string; reason?: string } {
  if (!new Decimal(rate).isZero()) return { id: 'S' };
  const vatCase = vatCaseOf(invoice);
  if (vatCase === 'reverse-charge') return { id: 'AE', reasonCode: 'VATEX-EU-AE', reason: invoice.vatMention! };
  if (vatCase === 'export') return { id: 'G', reasonCode: 'VATEX-EU-G', reason: invoice.vatMention! };
  return { id: 'Z' };
}

/** Amounts as EN 16931 wants them: two decimals, positive on a credit note. */
function amounts(invoice: Invoice) {
  const sign = invoice.series === 'CN' ? -1 : 1;
  return (value: string | number) => new Decimal(value).times(sign).toFixed(2);
}

/** A rate as a percentage without trailing zeros ("8.1", "20"). */
const percent = (rate: string) => new Decimal(rate).toString();

function address(postal: PostalAddress | undefined, country: string) {
  if (!postal) return { 'cac:Country': { 'cbc:IdentificationCode': country } };
  return {
    'cbc:StreetName': [postal.street, postal.buildingNumber].filter(Boolean).join(' '),
    'cbc:CityName': postal.city,
    'cbc:PostalZone': postal.zip,
    'cac:Country': { 'cbc:IdentificationCode': postal.country },
  };
}

/**
 * The VAT identifier as EN 16931 wants it (BR-CO-9: the country prefix first): an EU number without
 * spaces or dots; a Swiss one as registered (CHE-123.456.788 MWST), the form Swiss receivers read.
 */
function vatIdentifier(vatNumber: string, country: string): string {
  if (/^CHE[-\s]?\d/.test(vatNumber.trim())) return vatNumber.trim();
  const compact = vatNumber.replace(/[\s.-]/g, '').toUpperCase();
  return /^[A-Z]{2}/.test(compact) ? compact : `${country === 'GR' ? 'EL' : country}${compact}`;
}

/**
 * The document in @e-invoice-eu/core's input format; a pro-forma is refused.
 */
export function en16931Invoice(invoice: Invoice, buyer: EInvoiceBuyer, profile: EInvoiceProfile): EInvoice {
  assertEInvoiceable(invoice);
  const seller = invoice.seller;
  if (!seller.email) throw new ValidationError(`seller ${seller.id} has no e-mail address, which an e-invoice needs as its electronic address`, 'seller_incomplete');
  if (profile === 'xrechnung' && !seller.phone) {
    throw new ValidationError(`seller ${seller.id} has no telephone number, which XRechnung requires (BR-DE-6)`, 'seller_incomplete');
  }
  if (profile === 'xrechnung' && !invoice.buyer.postal) {
    throw new ValidationError(
      `${invoice.number} was issued without the buyer's structured address, which XRechnung requires: ask for the peppol or cii profile`,
      'buyer_incomplete',
    );
  }
  // The Peppol network knows its participants only; XRechnung and CII also accept an e-mail address (scheme EM).
  if (profile === 'peppol' && !seller.peppolId) throw new ValidationError(`seller ${seller.id} has no Peppol participant id`, 'seller_incomplete');
  if (profile === 'peppol' && !buyer.peppolId) {
    throw new ValidationError(`organisation ${invoice.orgId} has no Peppol participant id: set eInvoice.peppolId to receive Peppol invoices`, 'buyer_incomplete');
  }
  const sellerEndpoint = seller.peppolId ? participant(seller.peppolId) : { scheme: 'EM', id: seller.email };
  const endpoint = buyer.peppolId ? participant(buyer.peppolId) : buyer.email ? { scheme: 'EM', id: buyer.email } : undefined;
  if (!endpoint) throw new ValidationError(`organisation ${invoice.orgId} has no electronic address for e-invoices`, 'buyer_incomplete');
  const amount = amounts(invoice);
  const cur = invoice.currency;
  const isCredit = invoice.series === 'CN';

  const total = new Decimal(invoice.total);
  const payable = openAmount(invoice);
  const prepaid = isCredit ? total.negated() : total.minus(payable);

  const reference = invoice.paymentReference;
  const account = reference && !reference.startsWith('RF') && seller.qrIban ? seller.qrIban : seller.iban;
  // One note at most (Peppol R002); a credit note names its invoice in BillingReference.
  const notes = invoice.vatMention ? [invoice.vatMention] : [];

  const vatTotal = {
    'cbc:TaxAmount': amount(invoice.totalVat),
    'cbc:TaxAmount@currencyID': cur as never,
    'cac:TaxSubtotal': invoice.vatBreakdown.map((b) => {
      const category = categoryOf(invoice, b.rate);
      return {
        'cbc:TaxableAmount': amount(b.net),
        'cbc:TaxableAmount@currencyID': cur as never,
        'cbc:TaxAmount': amount(b.vat),
        'cbc:TaxAmount@currencyID': cur as never,
        'cac:TaxCategory': {
          'cbc:ID': category.id,
          'cbc:Percent': percent(b.rate),
          ...(category.reasonCode ? { 'cbc:TaxExemptionReasonCode': category.reasonCode, 'cbc:TaxExemptionReason': category.reason } : {}),
          'cac:TaxScheme': { 'cbc:ID': 'VAT' },
        },
      };
    }),
  };

  const doc: EInvoice['ubl:Invoice'] = {
    'cbc:CustomizationID': profile === 'xrechnung' ? XRECHNUNG : PEPPOL_BIS,
    'cbc:ProfileID': PEPPOL_PROCESS,
    'cbc:ID': invoice.number,
    'cbc:IssueDate': invoice.issueDate,
    // Final invoices are due when issued (they are issued paid, or for what a payment left open).
    ...(isCredit ? {} : { 'cbc:DueDate': invoice.issueDate }),
    'cbc:InvoiceTypeCode': isCredit ? '381' : '380',
    ...(notes.length > 0 ? { 'cbc:Note': notes } : {}),
    'cbc:DocumentCurrencyCode': cur as EInvoice['ubl:Invoice']['cbc:DocumentCurrencyCode'],
    // BT-6 and BT-111: a Swiss seller's VAT in CHF, at the rate the document was issued at.
    ...(invoice.chf ? { 'cbc:TaxCurrencyCode': 'CHF' as EInvoice['ubl:Invoice']['cbc:DocumentCurrencyCode'] } : {}),
    'cbc:BuyerReference': buyer.reference ?? invoice.orgId,
    ...(isCredit && invoice.refersTo ? { 'cac:BillingReference': [{ 'cac:InvoiceDocumentReference': { 'cbc:ID': invoice.refersTo } }] } : {}),
    'cac:AccountingSupplierParty': {
      'cac:Party': {
        'cbc:EndpointID': sellerEndpoint.id,
        'cbc:EndpointID@schemeID': sellerEndpoint.scheme as never,
        'cac:PartyName': { 'cbc:Name': seller.name },
        'cac:PostalAddress': address(seller.postal, seller.country) as never,
        'cac:PartyTaxScheme': [{ 'cbc:CompanyID': vatIdentifier(seller.vatNumber, seller.country), 'cac:TaxScheme': { 'cbc:ID': 'VAT' } }],
        'cac:PartyLegalEntity': { 'cbc:RegistrationName': seller.name },
        'cac:Contact': {
          'cbc:Name': seller.name,
          ...(seller.phone ? { 'cbc:Telephone': seller.phone } : {}),
          'cbc:ElectronicMail': seller.email,
        },
      },
    },
    'cac:AccountingCustomerParty': {
      'cac:Party': {
        'cbc:EndpointID': endpoint.id,
        'cbc:EndpointID@schemeID': endpoint.scheme as never,
        'cac:PostalAddress': address(invoice.buyer.postal, invoice.buyer.country) as never,
        ...(invoice.buyer.vatNumber
          ? { 'cac:PartyTaxScheme': { 'cbc:CompanyID': vatIdentifier(invoice.buyer.vatNumber, invoice.buyer.country), 'cac:TaxScheme': { 'cbc:ID': 'VAT' } } }
          : {}),
        'cac:PartyLegalEntity': { 'cbc:RegistrationName': invoice.buyer.name },
      },
    },
    'cac:PaymentMeans': [
      {
        // SEPA credit transfer for euros, a plain credit transfer otherwise (Swiss francs).
        'cbc:PaymentMeansCode': cur === 'EUR' ? '58' : '30',
        ...(reference ? { 'cbc:PaymentID': reference } : {}),
        'cac:PayeeFinancialAccount': { 'cbc:ID': account.replace(/\s/g, ''), 'cbc:Name': seller.name },
      },
    ],
    'cac:TaxTotal': invoice.chf ? [vatTotal, { 'cbc:TaxAmount': amount(invoice.chf.totalVat), 'cbc:TaxAmount@currencyID': 'CHF' as never }] : [vatTotal],
    'cac:LegalMonetaryTotal': {
      'cbc:LineExtensionAmount': amount(invoice.totalNet),
      'cbc:LineExtensionAmount@currencyID': cur as never,
      'cbc:TaxExclusiveAmount': amount(invoice.totalNet),
      'cbc:TaxExclusiveAmount@currencyID': cur as never,
      'cbc:TaxInclusiveAmount': amount(invoice.total),
      'cbc:TaxInclusiveAmount@currencyID': cur as never,
      ...(prepaid.isZero() ? {} : { 'cbc:PrepaidAmount': prepaid.toFixed(2), 'cbc:PrepaidAmount@currencyID': cur as never }),
      'cbc:PayableAmount': payable.toFixed(2),
      'cbc:PayableAmount@currencyID': cur as never,
    },
    'cac:InvoiceLine': invoice.lines.map((line, i) => {
      const quantity = new Decimal(line.quantity).abs();
      const gross = new Decimal(line.unitPrice).times(quantity);
      const discount = line.discount ? new Decimal(line.discount).abs() : undefined;
      return {
        'cbc:ID': String(i + 1),
        'cbc:InvoicedQuantity': quantity.toString(),
        'cbc:InvoicedQuantity@unitCode': 'C62',
        'cbc:LineExtensionAmount': amount(line.net),
        'cbc:LineExtensionAmount@currencyID': cur as never,
        ...(line.periodFrom && line.periodTo ? { 'cac:InvoicePeriod': { 'cbc:StartDate': line.periodFrom, 'cbc:EndDate': lastDay(line.periodFrom, line.periodTo) } } : {}),
        ...(discount && !discount.isZero()
          ? {
              'cac:AllowanceCharge': [
                {
                  'cbc:ChargeIndicator': 'false',
                  'cbc:AllowanceChargeReasonCode': '95',
                  'cbc:AllowanceChargeReason': 'Discount',
                  ...(line.discountPercent ? { 'cbc:MultiplierFactorNumeric': line.discountPercent } : {}),
                  'cbc:Amount': discount.toFixed(2),
                  'cbc:Amount@currencyID': cur as never,
                  'cbc:BaseAmount': gross.toFixed(2),
                  'cbc:BaseAmount@currencyID': cur as never,
                },
              ],
            }
          : {}),
        'cac:Item': {
          'cbc:Name': line.description,
          ...(line.productId ? { 'cac:SellersItemIdentification': { 'cbc:ID': line.productId } } : {}),
          'cac:ClassifiedTaxCategory': { 'cbc:ID': categoryOf(invoice, line.vatRate).id, 'cbc:Percent': percent(line.vatRate), 'cac:TaxScheme': { 'cbc:ID': 'VAT' } },
        },
        'cac:Price': { 'cbc:PriceAmount': new Decimal(line.unitPrice).toString(), 'cbc:PriceAmount@currencyID': cur as never },
      };
    }) as unknown as EInvoice['ubl:Invoice']['cac:InvoiceLine'],
  };
  return { 'ubl:Invoice': doc };
}

/** A service period runs to the day before its end date (a renewal from 2026-12-31 for a year ends on 2027-12-30). */
function lastDay(from: IsoDate, to: IsoDate): IsoDate {
  return to <= from ? from : addDays(to, -1);
}
