/** The API's answers the pages read (docs/openapi.json has them all). */
export interface Membership {
  orgId: string;
  name: string;
  currency: string;
  country: string;
  language: 'fr' | 'de' | 'it' | 'en';
  role: 'legal-owner' | 'administrator' | 'collaborator' | 'external';
  billingRights: boolean;
  wholeOrganisation: boolean;
  viaPartner?: string;
  methods: string[];
}
export interface Me {
  userId: string;
  finance: boolean;
  organisations: Membership[];
}
export interface SelectableProduct {
  id: string;
  name: string;
  typeId: string;
  typeName: string;
  status: 'active' | 'pending' | 'blocked' | 'terminated';
  expiry: string;
  autoRenew: boolean;
  currency: string;
  periodMonths: number;
  price: string;
  periods: { months: number; price: string }[];
}
export interface Quote {
  currency: string;
  totalNet: string;
  totalVat: string;
  total: string;
  vatRate: string;
  vatMention?: string;
  balance: string;
  balanceUsed: string;
  amountDue: string;
  methods: string[];
}
export interface Checkout {
  checkoutId: string;
  purpose: 'renewal' | 'top-up';
  status: 'awaiting_payment' | 'paid' | 'held' | 'canceled' | 'refunding' | 'refunded';
  currency: string;
  items: { productId: string; productName: string; periodMonths: number; kind: string }[];
  total: string;
  balanceUsed: string;
  amountDue: string;
  method: string;
  payment?: { paymentRef: string; url?: string; clientSecret?: string };
  proformaNumber?: string;
  paymentReference?: string;
  invoiceNumber?: string;
  lastFailure?: { code: string; message: string };
}
export interface InvoiceSummary {
  number: string;
  series: 'INV' | 'PRO' | 'CN';
  issueDate: string;
  currency: string;
  total: string;
  status: 'paid' | 'open' | 'void';
  amountDue: string;
  paymentReference?: string;
  pdf: string;
  xml?: string;
}
export interface Balance {
  currency: string;
  balance: string;
  ledger: { id: string; date: string; amount: string; reason: string; ref: string; balanceAfter: string }[];
}
export interface SavedMethod {
  id: string;
  kind: 'card' | 'twint' | 'paypal' | 'postfinance';
  label: string;
  renews: string[];
}
export interface ExportJob {
  exportId: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  totals?: { documents: number; rows: number; byCurrency: Record<string, { net: string; vat: string; gross: string }> };
  csvUrl?: string;
  zipUrl?: string;
  error?: string;
}
export interface BankCredit {
  id: string;
  amount: string;
  currency: string;
  outcome: string;
  reference?: string;
  documentNumber?: string;
  note?: string;
  bookingDate?: string;
  debtorName?: string;
}
export interface BankImport {
  statementId: string;
  alreadyImported: boolean;
  credits: (BankCredit & { duplicate: boolean })[];
  settled: Record<string, string>;
  toReview: number;
}
export interface HeldOrder {
  orgId: string;
  orgName: string;
  heldSince: string;
  checkout: Checkout;
}
