import type { EInvoiceWriter } from '../../ports/documents.ts';

const refuse = () => Promise.reject(new Error('this function writes no e-invoices (shared/adapters/einvoice/no-e-invoices.ts)'));

/** For functions that serve no e-invoice (the export worker), so they carry none of its library; saying so by name if one is asked of them. */
export const NO_E_INVOICES: EInvoiceWriter = { xml: refuse, facturX: refuse };
