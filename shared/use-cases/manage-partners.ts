import { Decimal } from 'decimal.js';
import * as z from 'zod';
import { BusinessRuleError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.ts';
import type { Organisation } from '../domain/organisation.ts';
import { MAX_DISCOUNT_PERCENT } from '../domain/pricing.ts';
import { servesAutomaticRenewal } from '../domain/payment-methods.ts';
import { SYSTEM, type Actor } from './actor.ts';
import { loadOrg } from './renewal-deps.ts';
import { parseInput } from './validation.ts';
import type { OrganisationReads } from '../ports/billing-store.ts';
import type { UnitOfWork } from '../ports/unit-of-work.ts';

export const PartnerProfileInput = z.object({
  discountPercent: z
    .string()
    .regex(/^\d{1,2}(\.\d{1,2})?$/, 'must be a percentage such as 20 or 12.5')
    .refine((v) => new Decimal(v).lte(MAX_DISCOUNT_PERCENT), `must be at most ${MAX_DISCOUNT_PERCENT} %`),
  /** The partner's saved method that pays its clients' automatic renewals when they bill the partner. */
  renewalMethodId: z.string().min(1).optional(),
});

/** Makes an organisation a partner (the provider's decision, so the system actor only). */
export async function setPartnerProfile(deps: { store: OrganisationReads & UnitOfWork }, orgId: string, raw: unknown, actor: Actor = SYSTEM): Promise<Organisation> {
  if (actor.kind !== 'system') throw new ForbiddenError('Only the provider makes an organisation a partner');
  const input = parseInput(PartnerProfileInput, raw);
  const org = await loadOrg(deps.store, orgId);
  if (input.renewalMethodId) {
    const method = await deps.store.getPaymentMethod(orgId, input.renewalMethodId);
    if (!method || method.detachedAt || !servesAutomaticRenewal(method)) {
      throw new ValidationError(`Payment method ${input.renewalMethodId} of ${orgId} cannot pay automatic renewals`, 'unknown_payment_method');
    }
  }
  const partner = { discountPercent: new Decimal(input.discountPercent).toString(), ...(input.renewalMethodId ? { renewalMethodId: input.renewalMethodId } : {}) };
  await deps.store.commit([{ type: 'partnerProfile', orgId, partner }]);
  return { ...org, partner };
}

export const PartnerLinkInput = z.object({
  partnerId: z.string().min(1),
  /** Whether the partner is invoiced (and charged) for this organisation's renewals. */
  billToPartner: z.boolean().default(false),
});

/**
 * A client organisation entrusts its products to a partner, and may let the
 * partner be invoiced for them. Only the client's legal owner or an
 * administrator decides; billing the partner needs one currency for both.
 */
export async function linkToPartner(deps: { store: OrganisationReads & UnitOfWork }, orgId: string, raw: unknown, actor: Actor = SYSTEM): Promise<Organisation> {
  const input = parseInput(PartnerLinkInput, raw);
  if (actor.kind === 'user') {
    const member = await deps.store.getMember(orgId, actor.userId);
    if (!member || (member.role !== 'legal-owner' && member.role !== 'administrator')) {
      throw new ForbiddenError('Only a legal owner or an administrator can entrust the organisation to a partner');
    }
  }
  const org = await loadOrg(deps.store, orgId);
  const partner = await deps.store.getOrganisation(input.partnerId);
  if (!partner?.partner) throw new NotFoundError(`Partner ${input.partnerId} not found`, 'partner_not_found');
  if (partner.id === org.id) throw new ValidationError('An organisation cannot be its own partner', 'invalid_partner');
  if (input.billToPartner && partner.currency !== org.currency) {
    throw new BusinessRuleError(`The partner is invoiced in ${partner.currency} and this organisation in ${org.currency}: it cannot be billed for it`, 'partner_currency_mismatch');
  }
  await deps.store.commit([{ type: 'partnerLink', orgId, partnerId: partner.id, billToPartner: input.billToPartner }]);
  return { ...org, partnerId: partner.id, billToPartner: input.billToPartner };
}

/** Who pays an organisation's renewals, and at what discount. */
export interface BillingContext {
  /** The organisation invoiced and charged: itself, or its partner when it allows it. */
  payer: Organisation;
  /** The partner's discount on the lines, when a partner manages the organisation. */
  discountPercent?: Decimal;
}

export async function billingContext(store: OrganisationReads, org: Organisation): Promise<BillingContext> {
  if (!org.partnerId) return { payer: org };
  const partner = await store.getOrganisation(org.partnerId);
  if (!partner?.partner) return { payer: org };
  const discount = new Decimal(partner.partner.discountPercent);
  return {
    payer: org.billToPartner && partner.currency === org.currency ? partner : org,
    ...(discount.isZero() ? {} : { discountPercent: discount }),
  };
}
