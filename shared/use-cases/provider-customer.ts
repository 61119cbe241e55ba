import type { Organisation } from '../domain/organisation.ts';
import type { PaymentGateway } from '../ports/payment-gateway.ts';
import type { UnitOfWork } from '../ports/unit-of-work.ts';

/**
 * The organisation's customer at the provider, created once (keyed by the
 * organisation, so two callers get the same one) and remembered on the
 * organisation. Saved methods belong to it, and an off-session charge names it.
 */
export async function ensureCustomer(deps: { store: UnitOfWork; gateway: PaymentGateway }, org: Organisation): Promise<string> {
  if (org.gatewayCustomerRef) return org.gatewayCustomerRef;
  const ref = await deps.gateway.ensureCustomer({
    orgId: org.id,
    name: org.name,
    ...(org.billingContacts[0] ? { email: org.billingContacts[0] } : {}),
    idempotencyKey: `customer/${org.id}`,
  });
  await deps.store.commit([{ type: 'customerRef', orgId: org.id, ref }]);
  org.gatewayCustomerRef = ref;
  return ref;
}
