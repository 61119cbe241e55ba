import { assertBillingRights, type Member } from '../domain/organisation.ts';
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
  const member = await store.getMember(orgId, actor.userId);
  assertBillingRights(member, productId);
  return member;
}
