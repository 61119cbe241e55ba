/**
 * Every word printed on an invoice PDF, in the four languages documents are
 * written in. French is the default, like the rest of the provider's texts.
 */
import type { InvoicePayment, InvoiceSeries } from '../../domain/invoice.ts';
import type { Language } from '../../domain/organisation.ts';
import { EXPORT_MENTION, REVERSE_CHARGE_MENTION, SWISS_EXPORT_MENTION } from '../../domain/vat.ts';

export interface InvoiceLabels {
  title: Record<InvoiceSeries, string>;
  number: string;
  date: string;
  buyer: string;
  vatNumber: string;
  /** "Refers to invoice", "Refers to pro-forma invoice": followed by the number. */
  refersToInvoice: string;
  refersToProforma: string;
  paymentReference: string;
  columns: { description: string; period: string; unitPrice: string; quantity: string; vatRate: string; vat: string; net: string };
  /** "VAT 8.1 % on CHF 100.00" */
  vatOn: (rate: string, net: string) => string;
  totalNet: string;
  totalVat: string;
  total: string;
  payments: string;
  refunds: string;
  amountDue: string;
  method: Record<InvoicePayment['method'], string>;
  stamp: { paid: string; refunded: string; void: string };
  payByTransfer: string;
  /** The CHF equivalent of a Swiss seller's VAT on a document in another currency: title, and "1 EUR = CHF 0.9412 (2026-11)". */
  chfVat: string;
  chfRate: (currency: string, rate: string, period: string) => string;
  account: string;
  continued: string;
  page: string;
  months: readonly string[];
  /** Known VAT mentions, translated; others print as stored. */
  vatMentions: Record<string, string>;
}

const TWINT = 'TWINT';
const PAYPAL = 'PayPal';
const POSTFINANCE = 'PostFinance';

export const LABELS: Record<Language, InvoiceLabels> = {
  fr: {
    title: { INV: 'Facture', PRO: 'Facture pro forma', CN: 'Note de crédit' },
    number: 'Numéro',
    date: 'Date',
    buyer: 'Client',
    vatNumber: 'N° TVA',
    refersToInvoice: 'Se réfère à la facture',
    refersToProforma: 'Se réfère à la facture pro forma',
    paymentReference: 'Référence de paiement',
    columns: { description: 'Description', period: 'Période', unitPrice: 'Prix unit. HT', quantity: 'Qté', vatRate: 'Taux TVA', vat: 'TVA', net: 'Montant HT' },
    vatOn: (rate, net) => `TVA ${rate} sur ${net}`,
    totalNet: 'Total HT',
    totalVat: 'Total TVA',
    total: 'Total TTC',
    payments: 'Paiements',
    refunds: 'Remboursements',
    amountDue: 'Montant dû',
    method: { balance: 'Solde prépayé', card: 'Carte de crédit', twint: TWINT, paypal: PAYPAL, postfinance: POSTFINANCE, transfer: 'Virement bancaire' },
    stamp: { paid: 'PAYÉE', refunded: 'REMBOURSÉE', void: 'ANNULÉE' },
    payByTransfer: 'Paiement par virement bancaire',
    chfVat: 'TVA en CHF',
    chfRate: (currency, rate, period) => `Cours ${period}: 1 ${currency} = CHF ${rate}`,
    account: 'Compte',
    continued: '(suite)',
    page: 'Page',
    months: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
    vatMentions: {
      [REVERSE_CHARGE_MENTION]: 'Autoliquidation : TVA due par le preneur (art. 196 de la directive 2006/112/CE du Conseil)',
      [EXPORT_MENTION]: 'Prestation non soumise à la TVA : lieu de la prestation hors du territoire TVA du vendeur',
      [SWISS_EXPORT_MENTION]: 'Non soumis à la TVA suisse : lieu de la prestation à l’étranger (art. 8 LTVA)',
    },
  },
  de: {
    title: { INV: 'Rechnung', PRO: 'Proforma-Rechnung', CN: 'Gutschrift' },
    number: 'Nummer',
    date: 'Datum',
    buyer: 'Kunde',
    vatNumber: 'MWST-Nr.',
    refersToInvoice: 'Bezieht sich auf Rechnung',
    refersToProforma: 'Bezieht sich auf Proforma-Rechnung',
    paymentReference: 'Zahlungsreferenz',
    columns: { description: 'Beschreibung', period: 'Zeitraum', unitPrice: 'Preis exkl. MWST', quantity: 'Menge', vatRate: 'MWST-Satz', vat: 'MWST', net: 'Netto' },
    vatOn: (rate, net) => `MWST ${rate} auf ${net}`,
    totalNet: 'Total exkl. MWST',
    totalVat: 'Total MWST',
    total: 'Total inkl. MWST',
    payments: 'Zahlungen',
    refunds: 'Rückerstattungen',
    amountDue: 'Zu bezahlen',
    method: { balance: 'Guthaben', card: 'Kreditkarte', twint: TWINT, paypal: PAYPAL, postfinance: POSTFINANCE, transfer: 'Banküberweisung' },
    stamp: { paid: 'BEZAHLT', refunded: 'ERSTATTET', void: 'STORNIERT' },
    payByTransfer: 'Zahlung per Banküberweisung',
    chfVat: 'MWST in CHF',
    chfRate: (currency, rate, period) => `Kurs ${period}: 1 ${currency} = CHF ${rate}`,
    account: 'Konto',
    continued: '(Fortsetzung)',
    page: 'Seite',
    months: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
    vatMentions: {
      [REVERSE_CHARGE_MENTION]: 'Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Art. 196 der Richtlinie 2006/112/EG des Rates)',
      [EXPORT_MENTION]: 'Nicht der MWST unterstellt: Ort der Leistung ausserhalb des MWST-Gebiets des Verkäufers',
      [SWISS_EXPORT_MENTION]: 'Nicht der schweizerischen MWST unterstellt: Ort der Leistung im Ausland (Art. 8 MWSTG)',
    },
  },
  it: {
    title: { INV: 'Fattura', PRO: 'Fattura proforma', CN: 'Nota di credito' },
    number: 'Numero',
    date: 'Data',
    buyer: 'Cliente',
    vatNumber: 'N. IVA',
    refersToInvoice: 'Si riferisce alla fattura',
    refersToProforma: 'Si riferisce alla fattura proforma',
    paymentReference: 'Riferimento di pagamento',
    columns: { description: 'Descrizione', period: 'Periodo', unitPrice: 'Prezzo IVA escl.', quantity: 'Qtà', vatRate: 'Aliquota IVA', vat: 'IVA', net: 'Netto' },
    vatOn: (rate, net) => `IVA ${rate} su ${net}`,
    totalNet: 'Totale IVA esclusa',
    totalVat: 'Totale IVA',
    total: 'Totale IVA inclusa',
    payments: 'Pagamenti',
    refunds: 'Rimborsi',
    amountDue: 'Importo dovuto',
    method: { balance: 'Saldo prepagato', card: 'Carta di credito', twint: TWINT, paypal: PAYPAL, postfinance: POSTFINANCE, transfer: 'Bonifico bancario' },
    stamp: { paid: 'PAGATA', refunded: 'RIMBORSATA', void: 'ANNULLATA' },
    payByTransfer: 'Pagamento tramite bonifico bancario',
    chfVat: 'IVA in CHF',
    chfRate: (currency, rate, period) => `Cambio ${period}: 1 ${currency} = CHF ${rate}`,
    account: 'Conto',
    continued: '(continua)',
    page: 'Pagina',
    months: ['gennaio', 'febbraio', 'marzo', 'aprile', 'maggio', 'giugno', 'luglio', 'agosto', 'settembre', 'ottobre', 'novembre', 'dicembre'],
    vatMentions: {
      [REVERSE_CHARGE_MENTION]: 'Inversione contabile: IVA dovuta dal destinatario (art. 196 della direttiva 2006/112/CE del Consiglio)',
      [EXPORT_MENTION]: 'Prestazione non soggetta all’IVA: luogo della prestazione fuori dal territorio IVA del venditore',
      [SWISS_EXPORT_MENTION]: 'Non soggetto all’IVA svizzera: luogo della prestazione all’estero (art. 8 LIVA)',
    },
  },
  en: {
    title: { INV: 'Invoice', PRO: 'Pro-forma invoice', CN: 'Credit note' },
    number: 'Number',
    date: 'Date',
    buyer: 'Customer',
    vatNumber: 'VAT No.',
    refersToInvoice: 'Refers to invoice',
    refersToProforma: 'Refers to pro-forma invoice',
    paymentReference: 'Payment reference',
    columns: { description: 'Description', period: 'Period', unitPrice: 'Unit price excl. VAT', quantity: 'Qty', vatRate: 'VAT rate', vat: 'VAT', net: 'Net' },
    vatOn: (rate, net) => `VAT ${rate} on ${net}`,
    totalNet: 'Total excl. VAT',
    totalVat: 'Total VAT',
    total: 'Total incl. VAT',
    payments: 'Payments',
    refunds: 'Refunds',
    amountDue: 'Amount due',
    method: { balance: 'Prepaid balance', card: 'Card', twint: TWINT, paypal: PAYPAL, postfinance: POSTFINANCE, transfer: 'Bank transfer' },
    stamp: { paid: 'PAID', refunded: 'REFUNDED', void: 'VOID' },
    payByTransfer: 'Payment by bank transfer',
    chfVat: 'VAT in CHF',
    chfRate: (currency, rate, period) => `Rate ${period}: 1 ${currency} = CHF ${rate}`,
    account: 'Account',
    continued: '(continued)',
    page: 'Page',
    months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
    vatMentions: {},
  },
};

export function labelsFor(language: Language | undefined): InvoiceLabels {
  return LABELS[language ?? 'fr'] ?? LABELS.fr;
}

/** 2026-12-10 -> 10.12.2026 (fr, de, it), 10 December 2026 (en). Dates are calendar strings, no time zone. */
export function formatDate(date: string, language: Language | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return date;
  const [, y, mo, d] = m;
  if ((language ?? 'fr') === 'en') return `${Number(d)} ${LABELS.en.months[Number(mo) - 1] ?? mo} ${y}`;
  return `${d}.${mo}.${y}`;
}

/**
 * An amount as stored (a decimal string with 2 decimals) printed with its
 * currency: "CHF 1234.50". The string is printed as is, never through a float.
 */
export function formatAmount(amount: string, currency: string): string {
  return `${currency} ${amount}`;
}

const DECIMAL = /^(-?)(\d+)(\.\d+)?$/;

/**
 * The same with Swiss thousands grouping, "CHF 1'234.50", for what people
 * read in running text (e-mails); on the stored string, never a float.
 * The invoice tables keep formatAmount's plain digits.
 */
/** "1234.50", "CHF" -> "CHF 1'234.50": the Swiss grouping, on the stored string (never a float). */
export function formatSwissAmount(amount: string, currency: string): string {
  const m = DECIMAL.exec(amount);
  if (!m) return `${currency} ${amount}`;
  const [, sign, whole, fraction] = m;
  return `${currency} ${sign}${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, "'")}${fraction ?? ''}`;
}

/** "8.1" -> "8.1 %", "0" -> "0 %". */
export function formatRate(rate: string): string {
  return `${rate} %`;
}

/** The country's name in the document's language, or the code if the runtime does not know it. */
export function countryName(code: string, language: Language | undefined): string {
  try {
    return new Intl.DisplayNames([language ?? 'fr'], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** A stored VAT mention in the document's language, when it is one we know. */
export function vatMentionText(mention: string, language: Language | undefined): string {
  return labelsFor(language).vatMentions[mention] ?? mention;
}
