import { ForbiddenError } from '../domain/errors.ts';
import { assertBillingRights, hasBillingRights, type Member } from '../domain/organisation.ts';
import type { OrganisationReads } from '../ports/billing-store.ts';

/**
 * Who asks: the operator's own tools (CLI, scheduler) or a signed-in user.
 * `finance`: the provider's finance staff (OAuth scope `billing:finance`),
 * who export every organisation's documents but pay for none.
 */
export type Actor = { kind: 'system' } | { kind: 'user'; userId: string; finance?: boolean };

/** The OAuth 2 scope that makes a user the provider's finance staff. */
export const FINANCE_SCOPE = 'billing:finance';

export function isFinance(actor: Actor): boolean {
  return actor.kind === 'system' || actor.finance === true;
}

export const SYSTEM: Actor = { kind: 'system' };

/** What deciding who may act reads: members, and the organisation (for its partner). */
type MemberReads = Pick<OrganisationReads, 'getMember' | 'getOrganisation'>;

/** docs/domain.md R-2 rights: billing actions need billing rights in the organisation (and access to the product). */
export async function authoriseBilling(store: MemberReads, actor: Actor, orgId: string, productId?: string): Promise<Member | undefined> {
  if (actor.kind === 'system') return undefined;
  const member = await memberFor(store, actor.userId, orgId);
  assertBillingRights(member, productId);
  return member;
}

/**
 * docs/domain.md R-2 seeing: any member may look at the organisation's products (a
 * collaborator or an external only at those given to them), with or without billing rights;
 * a partner's user with billing rights sees its clients'. Paying is authoriseBilling's.
 */
export async function authoriseView(store: MemberReads, actor: Actor, orgId: string): Promise<Member | undefined> {
  if (actor.kind === 'system') return undefined;
  const member = await memberFor(store, actor.userId, orgId);
  if (!member) throw new ForbiddenError('Not a member of this organisation');
  return member;
}

/**
 * docs/domain.md R-5: a partner manages its clients' products. A partner's user with
 * billing rights acts on a client as that client's administrator would.
 */
async function asPartner(store: MemberReads, userId: string, orgId: string): Promise<Member | undefined> {
  const org = await store.getOrganisation(orgId);
  if (!org?.partnerId) return undefined;
  const partnerMember = await store.getMember(org.partnerId, userId);
  if (!partnerMember || !hasBillingRights(partnerMember)) return undefined;
  return asClientAdministrator(partnerMember, orgId);
}

/** A user of the organisation, or of its partner acting on it. */
async function memberFor(store: MemberReads, userId: string, orgId: string): Promise<Member | undefined> {
  return (await store.getMember(orgId, userId)) ?? (await asPartner(store, userId, orgId));
}

/** What a partner's user with billing rights is in a client organisation: its administrator. */
export function asClientAdministrator(partnerMember: Member, clientOrgId: string): Member {
  return { ...partnerMember, orgId: clientOrgId, role: 'administrator', billingRights: true, productIds: [] };
}
