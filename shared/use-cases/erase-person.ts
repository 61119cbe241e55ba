import { Decimal } from 'decimal.js';
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import type { Member, Organisation } from '../domain/organisation.ts';
import type { CheckoutReads, DocumentReads, OrganisationReads, ProductReads } from '../ports/billing-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Change, UnitOfWork } from '../ports/unit-of-work.ts';

export interface ErasureDeps {
  store: UnitOfWork & OrganisationReads & Pick<ProductReads, 'listProducts'> & Pick<DocumentReads, 'listInvoices'> & Pick<CheckoutReads, 'listCheckouts'>;
  clock: Clock;
}

/** What erasing a person did in each organisation, and what stays, with the reason. */
export interface ErasureReport {
  userId: string;
  erasedAt: string;
  organisations: { orgId: string; outcome: 'membership-removed' | 'organisation-erased'; membersRemoved: number; paymentMethodsRemoved: number }[];
  kept: string[];
}

/** The name an erased organisation keeps: what finance needs to tell it apart, and nothing of the person. */
export const erasedName = (orgId: string) => `Erased customer ${orgId}`;

const KEPT = [
  'invoices, pro-formas and credit notes, with the buyer as issued: kept for the legal retention (docs/domain.md R-30)',
  'payments, the balance ledger and bank credits: accounting records of the same retention',
  'audit entries and business events, which name the user and organisation ids only',
  'products, terminated, for the history of what was billed',
];

/** An organisation is the person's own when they are its last legal owner: it goes with them. */
function ownsAlone(members: readonly Member[], userId: string): boolean {
  return members.some((m) => m.userId === userId && m.role === 'legal-owner') && !members.some((m) => m.userId !== userId && m.role === 'legal-owner');
}

/** Why an organisation's data cannot be erased yet: what is still running, owed or held. */
async function blockers(deps: ErasureDeps, org: Organisation): Promise<string[]> {
  const out: string[] = [];
  const live = (await deps.store.listProducts(org.id)).filter((p) => p.status !== 'terminated');
  if (live.length > 0) out.push(`${live.length} product(s) not terminated (${live.map((p) => p.name).join(', ')})`);
  if (!new Decimal(org.balance).isZero()) out.push(`a balance of ${org.currency} ${org.balance} to refund or settle`);
  const open = (await deps.store.listInvoices(org.id)).filter((d) => d.series === 'PRO' && d.status === 'open');
  if (open.length > 0) out.push(`open pro-forma(s) ${open.map((d) => d.number).join(', ')}`);
  const pending = (await deps.store.listCheckouts(org.id)).filter((c) => c.status === 'awaiting_payment' || c.status === 'held' || c.status === 'refunding');
  if (pending.length > 0) out.push(`checkout(s) under way ${pending.map((c) => c.id).join(', ')}`);
  const clients = await deps.store.listPartnerClients(org.id);
  if (clients.length > 0) out.push(`partner of ${clients.length} organisation(s)`);
  return out;
}

/**
 * docs/domain.md R-51: erases a person (a user) at their request. Their memberships go. An organisation of
 * which they are the last legal owner is theirs: its personal data goes with them (name, address, contacts,
 * VAT number, e-invoice settings, members, saved payment methods), its documents and accounting records stay
 * for the legal retention. Refused, changing nothing, while such an organisation still has products running,
 * a balance, an open pro-forma, a checkout under way or partner clients: each is named. Run again, it finds
 * nothing left of the person (404).
 */
export async function erasePerson(deps: ErasureDeps, userId: string): Promise<ErasureReport> {
  const orgIds = await deps.store.listMembershipsOf(userId);
  if (orgIds.length === 0) throw new NotFoundError(`${userId} is a member of no organisation: nothing to erase`, 'person_not_found');
  const plans: { org: Organisation; members: Member[]; owned: boolean }[] = [];
  const refused: string[] = [];
  for (const orgId of [...orgIds].sort()) {
    const org = await deps.store.getOrganisation(orgId);
    if (!org) continue;
    const members = await deps.store.listMembers(orgId);
    const owned = ownsAlone(members, userId);
    if (owned) for (const why of await blockers(deps, org)) refused.push(`${orgId}: ${why}`);
    plans.push({ org, members, owned });
  }
  if (refused.length > 0) {
    throw new ConflictError(`${userId} cannot be erased yet, their organisation still has ${refused.join('; ')}`, 'erasure_blocked');
  }
  const erasedAt = deps.clock.now();
  const report: ErasureReport = { userId, erasedAt, organisations: [], kept: KEPT };
  for (const { org, members, owned } of plans) {
    if (!owned) {
      await deps.store.commit([{ type: 'memberRemoved', orgId: org.id, userId }]);
      report.organisations.push({ orgId: org.id, outcome: 'membership-removed', membersRemoved: 1, paymentMethodsRemoved: 0 });
      continue;
    }
    const methods = await deps.store.listPaymentMethods(org.id);
    const changes: Change[] = [
      { type: 'orgErased', orgId: org.id, name: erasedName(org.id), erasedAt, expectedBalance: org.balance },
      ...members.map((m): Change => ({ type: 'memberRemoved', orgId: org.id, userId: m.userId })),
      ...methods.map((m): Change => ({ type: 'paymentMethodRemoved', orgId: org.id, methodId: m.id, gatewayRef: m.gatewayRef })),
    ];
    // One transaction per organisation: its data goes all at once, or not at all (a concurrent top-up fails it).
    await deps.store.commit(changes);
    report.organisations.push({ orgId: org.id, outcome: 'organisation-erased', membersRemoved: members.length, paymentMethodsRemoved: methods.length });
  }
  return report;
}
