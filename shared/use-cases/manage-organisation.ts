import * as z from 'zod';
import { assertKnownSeller, type SellerDeps } from './sellers.ts';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { Money } from '../domain/money.ts';
import { assertCanAssignRole, assertKeepsALegalOwner, E_INVOICE_FORMATS, LANGUAGES, type Member, type Organisation } from '../domain/organisation.ts';
import { assertMethodAcceptsCurrency, savedMethodId, type SavedPaymentMethod } from '../domain/payment-methods.ts';
import { isValidVatNumber } from '../domain/vat.ts';
import { PEPPOL_ID, PEPPOL_ID_MESSAGE, peppolIdProblem } from '../domain/peppol-id.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdGenerator } from '../ports/ids.ts';
import { authoriseBilling, SYSTEM, type Actor } from './actor.ts';
import { loadOrg } from './renewal-deps.ts';
import { parseInput } from './validation.ts';
import type { OrganisationReads } from '../ports/billing-store.ts';
import type { Change, UnitOfWork } from '../ports/unit-of-work.ts';

const email = z.string().trim().email('must be an e-mail address');

/** The structured billing address: the QR-bill's debtor and the e-invoice's buyer address (XRechnung requires city and post code). */
const peppolId = z
  .string()
  .trim()
  .regex(PEPPOL_ID, PEPPOL_ID_MESSAGE)
  .superRefine((id, ctx) => {
    const problem = peppolIdProblem(id);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const PostalAddressInput = z.strictObject({
  street: z.string().trim().min(1, 'is required').max(70),
  buildingNumber: z.string().trim().max(16).optional(),
  zip: z.string().trim().min(1, 'is required').max(16),
  city: z.string().trim().min(1, 'is required').max(35),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO country code such as CH'),
});

/** Which e-invoices the organisation receives; a Peppol invoice needs its participant id. */
const EInvoiceInput = z
  .strictObject({
    formats: z.array(z.enum(E_INVOICE_FORMATS, { message: 'must be one of peppol, xrechnung, facturx' })).max(3),
    peppolId: peppolId.optional(),
    buyerReference: z.string().trim().min(1).max(100).optional(),
    byEmail: z.boolean().optional().describe('Attach each document, as kept (PDF, Factur-X if chosen, and the e-invoices), to the e-mail that announces it'),
  })
  .refine((e) => !e.formats.includes('peppol') || e.peppolId, { message: "Peppol invoices need the organisation's Peppol participant id (peppolId)", path: ['peppolId'] });

export const NewOrganisation = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes, 2 to 41 characters')
    .optional(),
  name: z.string().trim().min(1, 'is required').max(200),
  currency: z.enum(['CHF', 'EUR'], { message: 'must be CHF or EUR' }),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO country code such as CH'),
  vatNumber: z.string().trim().min(4).optional(),
  address: z.string().trim().max(500).optional(),
  owner: z.object({ userId: z.string().min(1), email, name: z.string().min(1) }),
  billingContacts: z.array(email).optional(),
  reminderDaysBefore: z.array(z.number().int().min(1).max(120)).max(10).optional(),
  /** The seller of the stage's configuration that bills it; the default seller when absent. */
  sellerId: z.string().min(1).max(8).optional(),
  /** Invoices and e-mails; French when absent. */
  language: z.enum(LANGUAGES, { message: 'must be one of fr, de, it, en' }).optional(),
  postal: PostalAddressInput.optional(),
  eInvoice: EInvoiceInput.optional(),
});

/** XRechnung wants the buyer's post code and city (BR-DE-8, BR-DE-9): refused when asked for without a structured address. */
function assertEInvoiceReady(org: Pick<Organisation, 'eInvoice' | 'postal'>): void {
  if (org.eInvoice?.formats.includes('xrechnung') && !org.postal) {
    throw new ValidationError("XRechnung invoices need the organisation's structured address (postal): street, zip, city, country", 'postal_address_required');
  }
}

/** Creates an organisation with its first legal owner, in one transaction. */
export async function createOrganisation(
  deps: { store: OrganisationReads & UnitOfWork; clock: Clock; ids: IdGenerator } & Partial<SellerDeps>,
  raw: unknown,
): Promise<Organisation> {
  const input = parseInput(NewOrganisation, raw);
  if (input.sellerId) assertKnownSeller(deps, input.sellerId);
  if (input.vatNumber && !isValidVatNumber(input.country, input.vatNumber)) {
    throw new ValidationError(`VAT number ${input.vatNumber} is not valid for ${input.country}`, 'invalid_vat_number');
  }
  const id = input.id ?? deps.ids.next('org');
  if (await deps.store.getOrganisation(id)) throw new ConflictError(`Organisation ${id} already exists`, 'org_exists');
  const org: Organisation = {
    id,
    name: input.name,
    currency: input.currency,
    country: input.country,
    balance: Money.zero(input.currency).toString(),
    billingContacts: input.billingContacts ?? [input.owner.email],
    createdAt: deps.clock.now(),
    ...(input.vatNumber ? { vatNumber: input.vatNumber } : {}),
    ...(input.address ? { address: input.address } : {}),
    ...(input.reminderDaysBefore ? { reminderDaysBefore: input.reminderDaysBefore } : {}),
    ...(input.sellerId ? { sellerId: input.sellerId } : {}),
    ...(input.language ? { language: input.language } : {}),
    ...(input.postal ? { postal: input.postal } : {}),
    ...(input.eInvoice ? { eInvoice: input.eInvoice } : {}),
  };
  assertEInvoiceReady(org);
  const owner: Member = { orgId: id, ...input.owner, role: 'legal-owner', billingRights: true, productIds: [] };
  await deps.store.commit([
    { type: 'organisation', org, isNew: true },
    { type: 'member', member: owner },
  ]);
  return org;
}

export const MemberInput = z.object({
  userId: z.string().min(1),
  email,
  name: z.string().min(1),
  role: z.enum(['legal-owner', 'administrator', 'collaborator', 'external']),
  billingRights: z.boolean().default(false),
  productIds: z.array(z.string()).default([]),
});

/**
 * Adds or changes a member (docs/domain.md ): only a legal owner
 * makes legal owners, the last legal owner is never demoted, and the member
 * is told by e-mail in the same commit. `actor` is whoever asks: a member of
 * the organisation (their role decides), or the provider's own systems.
 */
export async function setMember(deps: { store: OrganisationReads & UnitOfWork; clock?: Clock }, actor: Actor, orgId: string, raw: unknown): Promise<Member> {
  const input = parseInput(MemberInput, raw);
  const members = await deps.store.listMembers(orgId);
  if (actor.kind === 'user')
    assertCanAssignRole(
      members.find((m) => m.userId === actor.userId),
      input.role,
    );
  const org = await loadOrg(deps.store, orgId);
  assertKeepsALegalOwner(members, { userId: input.userId, newRole: input.role });
  const member: Member = {
    orgId,
    ...input,
    billingRights: input.role === 'legal-owner' || input.role === 'administrator' ? true : input.role === 'collaborator' && input.billingRights,
    productIds: input.role === 'collaborator' || input.role === 'external' ? input.productIds : [],
  };
  const before = members.find((m) => m.userId === input.userId);
  const unchanged = before && JSON.stringify(before) === JSON.stringify(member);
  await deps.store.commit([{ type: 'member', member }, ...(unchanged || !deps.clock ? [] : [memberEmail(org, member, 'granted', deps.clock)])]);
  return member;
}

/**
 * Removes a member: a legal owner only by a legal owner, and never the last
 * one; the member is told by e-mail. A member may leave on their own.
 */
export async function removeMember(deps: { store: OrganisationReads & UnitOfWork; clock: Clock }, actor: Actor, orgId: string, userId: string): Promise<Member> {
  const members = await deps.store.listMembers(orgId);
  const target = members.find((m) => m.userId === userId);
  if (actor.kind === 'user' && actor.userId !== userId) {
    assertCanAssignRole(
      members.find((m) => m.userId === actor.userId),
      target?.role ?? 'collaborator',
    );
  }
  const org = await loadOrg(deps.store, orgId);
  if (!target) throw new NotFoundError(`${userId} is not a member of organisation ${orgId}`, 'member_not_found');
  assertKeepsALegalOwner(members, { userId });
  await deps.store.commit([{ type: 'memberRemoved', orgId, userId }, memberEmail(org, target, 'removed', deps.clock)]);
  return target;
}

function memberEmail(org: Organisation, member: Member, change: 'granted' | 'removed', clock: Clock): Change {
  const now = clock.now();
  return {
    type: 'email',
    email: {
      // One e-mail per change of access: the same change saved twice in one instant tells once; the same
      // user let into two organisations at once gets both.
      id: `member#${org.id}#${member.userId}#${change}#${now}`,
      date: clock.today(),
      orgId: org.id,
      to: [member.email],
      template: 'member-access',
      data: {
        orgName: org.name,
        change,
        role: member.role,
        billingRights: member.billingRights ? 'yes' : 'no',
        ...(member.productIds.length > 0 ? { products: member.productIds.join(', ') } : {}),
      },
      createdAt: now,
    },
  };
}

/** What the provider's systems may change of an organisation (never its currency, country, balance or seller: they fix issued documents). */
export const OrganisationUpdate = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200).optional(),
    address: z.string().trim().max(500).optional(),
    vatNumber: z.string().trim().min(4).optional(),
    language: z.enum(LANGUAGES, { message: 'must be one of fr, de, it, en' }).optional(),
    billingContacts: z.array(email).min(1, 'needs at least one address').max(10).optional(),
    reminderDaysBefore: z.array(z.number().int().min(1).max(120)).max(10).optional(),
    postal: PostalAddressInput.optional(),
    eInvoice: EInvoiceInput.optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), 'give at least one field to change');

/** Changes an organisation's profile fields; the balance and the references are left alone (a field update). */
export async function updateOrganisation(deps: { store: OrganisationReads & UnitOfWork }, orgId: string, raw: unknown): Promise<Organisation> {
  const input = parseInput(OrganisationUpdate, raw);
  const org = await loadOrg(deps.store, orgId);
  if (input.vatNumber && !isValidVatNumber(org.country, input.vatNumber)) {
    throw new ValidationError(`VAT number ${input.vatNumber} is not valid for ${org.country}`, 'invalid_vat_number');
  }
  assertEInvoiceReady({ ...org, ...input });
  await deps.store.commit([{ type: 'orgProfile', orgId, fields: input }]);
  return (await deps.store.getOrganisation(orgId)) ?? { ...org, ...input };
}

export const PaymentMethodInput = z.object({
  kind: z.enum(['card', 'postfinance', 'twint', 'paypal']),
  brand: z.enum(['visa', 'mastercard', 'cb']).optional(),
  label: z.string().min(1).max(100),
  gatewayRef: z.string().regex(/^pm_[A-Za-z0-9_]+$/, 'must be a payment method reference such as pm_card_visa'),
});

/** Saves a reference to a method held by the payment provider (never card data). */
export async function addPaymentMethod(
  deps: { store: OrganisationReads & UnitOfWork; clock: Clock; ids: IdGenerator },
  orgId: string,
  raw: unknown,
  actor: Actor = SYSTEM,
): Promise<SavedPaymentMethod> {
  const input = parseInput(PaymentMethodInput, raw);
  await authoriseBilling(deps.store, actor, orgId);
  const org = await loadOrg(deps.store, orgId);
  assertMethodAcceptsCurrency(input.kind, org.currency);
  const method: SavedPaymentMethod = {
    // Named after the provider's method, as a method saved at payment is: saving it again is the same method.
    id: savedMethodId(input.gatewayRef),
    orgId,
    kind: input.kind,
    label: input.label,
    gatewayRef: input.gatewayRef,
    createdAt: deps.clock.now(),
    ...(input.brand ? { brand: input.brand } : {}),
  };
  await deps.store.commit([{ type: 'paymentMethod', method }]);
  return method;
}

/**
 * docs/domain.md R-34: an organisation whose identity must be checked has its
 * paid orders held; once the check passes, new orders are fulfilled at once
 * (the held ones are released one by one).
 */
export async function setIdentityCheck(deps: { store: OrganisationReads & UnitOfWork }, orgId: string, state: 'required' | 'passed'): Promise<void> {
  const org = await loadOrg(deps.store, orgId);
  await deps.store.commit([{ type: 'identityCheck', orgId: org.id, state }]);
}
