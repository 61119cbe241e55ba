import { assertBillingRights, hasBillingRights, type Member } from '../domain/organisation.ts';
import type { BillingStore } from '../ports/billing-store.ts';

/** Who asks: the operator's own tools (CLI, scheduler) or a signed-in user. */
export type Actor = { kind: 'system' } | { kind: 'user'; userId: string };

export const SYSTEM: Actor = { kind: 'system' };

/** DOMAIN.md rights: billing actions need billing rights in the organisation (and access to the product). */
export async function authoriseBilling(
  store: BillingStore,
  actor: Actor,
  orgId: string,
  productId?: string,
): Promise<Member | undefined> {
  if (actor.kind === 'system') return undefined;
  const member = (await store.getMember(orgId, actor.userId)) ?? (await asPartner(store, actor.userId, orgId));
  assertBillingRights(member, productId);
  return member;
}

/**
 * DOMAIN.md: a partner manages its clients' products. A partner's user with
 * billing rights acts on a client as that client's administrator would.
 */
async function asPartner(store: BillingStore, userId: string, orgId: string): Promise<Member | undefined> {
  const org = await store.getOrganisation(orgId);
  if (!org?.partnerId) return undefined;
  const partnerMember = await store.getMember(org.partnerId, userId);
  if (!partnerMember || !hasBillingRights(partnerMember)) return undefined;
  return { ...partnerMember, orgId, role: 'administrator', billingRights: true, productIds: [] };
}
