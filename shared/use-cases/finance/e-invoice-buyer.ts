import type { Organisation } from '../../domain/organisation.ts';
import type { EInvoiceBuyer } from '../../ports/documents.ts';

/** Where the organisation receives e-invoices and the reference it asked for. */
export function eInvoiceBuyer(org: Organisation): EInvoiceBuyer {
  return {
    ...(org.eInvoice?.peppolId ? { peppolId: org.eInvoice.peppolId } : {}),
    ...(org.billingContacts[0] ? { email: org.billingContacts[0] } : {}),
    ...(org.eInvoice?.buyerReference ? { reference: org.eInvoice.buyerReference } : {}),
  };
}
