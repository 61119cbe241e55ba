import { BusinessRuleError, ForbiddenError } from './errors.ts';
import type { Currency } from './money.ts';
import type { PostalAddress } from './seller.ts';

/** Languages invoices and e-mails are written in. */
export type Language = 'fr' | 'de' | 'it' | 'en';
export const LANGUAGES = ['fr', 'de', 'it', 'en'] as const satisfies readonly Language[];

/** The billing account: owns products, invoices, a currency and a prepaid balance. */
export interface Organisation {
  id: string;
  name: string;
  currency: Currency;
  /** ISO 3166 country of the billing address, decides VAT. */
  country: string;
  vatNumber?: string;
  address?: string;
  /** Structured billing address, printed as the debtor on QR-bills. */
  postal?: PostalAddress;
  /** Invoices and e-mails; French by default, like the provider's FAQ. */
  language?: Language;
  /** Prepaid balance, decimal string in the organisation's currency. */
  balance: string;
  billingContacts: string[];
  /** Billing-message settings: overrides the product types' reminder days. */
  reminderDaysBefore?: number[];
  /** Stripe customer id, once the organisation has one. */
  gatewayCustomerRef?: string;
  /**
   * Security screening: while an identity check is required, paid orders are
   * held (not fulfilled) and refunded after 10 days without reaction.
   */
  identityCheck?: 'required' | 'passed';
  /** The seller (of the stage's configuration) that bills it; the stage's default when absent. */
  sellerId?: string;
  /** A partner (reseller): the discount on its clients' invoice lines, and the method it renews them with. */
  partner?: { discountPercent: string; renewalMethodId?: string };
  /** The partner that manages this organisation's products. */
  partnerId?: string;
  /** This organisation lets its partner be invoiced (and charged) for its renewals. */
  billToPartner?: boolean;
  /** The EN 16931 e-invoices it receives with each final invoice and credit note (docs/domain.md R-48). */
  eInvoice?: EInvoiceSettings;
  createdAt: string;
  /** docs/domain.md R-51: when its personal data was erased; its documents are kept as issued. */
  erasedAt?: string;
}

/** Peppol BIS Billing 3.0 (UBL), XRechnung 3.0 (UBL), Factur-X / ZUGFeRD (PDF/A-3 with CII, EN 16931 profile). */
export const E_INVOICE_FORMATS = ['peppol', 'xrechnung', 'facturx'] as const;
export type EInvoiceFormat = (typeof E_INVOICE_FORMATS)[number];

export interface EInvoiceSettings {
  formats: EInvoiceFormat[];
  /** Its Peppol participant id, "scheme:id" (Peppol invoices need one). */
  peppolId?: string;
  /** BT-10, the reference the buyer wants on each invoice (XRechnung: the Leitweg-ID). */
  buyerReference?: string;
  /** The e-mail that announces a document carries it: its PDF (Factur-X if chosen) and its e-invoices, as kept. */
  byEmail?: boolean;
}

export type Role = 'legal-owner' | 'administrator' | 'collaborator' | 'external';

export interface Member {
  orgId: string;
  userId: string;
  email: string;
  name: string;
  role: Role;
  /** Collaborators only: whether they may pay and see invoices. */
  billingRights: boolean;
  /** Collaborators and externals: the products they were given access to. */
  productIds: string[];
}

/**
 * docs/domain.md R-2: only a legal owner, an administrator, or a collaborator with
 * billing rights may pay, change auto-renewal, top up or read invoices.
 */
export function hasBillingRights(member: Member): boolean {
  switch (member.role) {
    case 'legal-owner':
    case 'administrator':
      return true;
    case 'collaborator':
      return member.billingRights;
    case 'external':
      return false;
  }
}

export function canSeeProduct(member: Member, productId: string): boolean {
  return member.role === 'legal-owner' || member.role === 'administrator' || member.productIds.includes(productId);
}

/** Legal owners and administrators see the whole organisation; a collaborator only chosen products. */
export function seesWholeOrganisation(member: Member): boolean {
  return member.role === 'legal-owner' || member.role === 'administrator';
}

/**
 * Documents follow the product rights: a collaborator may read a document
 * only if every product it names is one of theirs, and a document that names
 * no product (a balance top-up) belongs to the whole organisation.
 */
export function assertCanSeeDocument(member: Member, productIds: readonly string[]): void {
  if (seesWholeOrganisation(member)) return;
  if (productIds.length === 0 || productIds.some((id) => !canSeeProduct(member, id))) {
    throw new ForbiddenError('This document covers products you do not have access to');
  }
}

export function assertBillingRights(member: Member | undefined, productId?: string): asserts member is Member {
  if (!member || !hasBillingRights(member) || (productId !== undefined && !canSeeProduct(member, productId))) {
    throw new ForbiddenError('This action needs billing rights in the organisation');
  }
}

/** Only a legal owner can make someone legal owner. */
export function assertCanAssignRole(actor: Member | undefined, role: Role): asserts actor is Member {
  if (!actor) throw new ForbiddenError('Not a member of this organisation');
  if (role === 'legal-owner' && actor.role !== 'legal-owner') {
    throw new ForbiddenError('Only a legal owner can make someone legal owner');
  }
  if (actor.role !== 'legal-owner' && actor.role !== 'administrator') {
    throw new ForbiddenError('Only a legal owner or an administrator can manage users');
  }
}

/** The last legal owner can be neither removed nor demoted. */
export function assertKeepsALegalOwner(members: Member[], change: { userId: string; newRole?: Role }): void {
  const owners = members.filter((m) => m.role === 'legal-owner');
  const target = members.find((m) => m.userId === change.userId);
  if (target?.role === 'legal-owner' && change.newRole !== 'legal-owner' && owners.length === 1) {
    throw new BusinessRuleError('The last legal owner of an organisation cannot be removed', 'last_legal_owner');
  }
}

/** Who receives administrative notices such as a termination. */
export function administrators(members: Member[]): Member[] {
  return members.filter((m) => m.role === 'legal-owner' || m.role === 'administrator');
}
