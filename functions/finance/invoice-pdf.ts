import * as z from 'zod';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { invoicePdf, invoiceXml } from '../../shared/use-cases/finance/invoice-documents.ts';
import { E_INVOICE_PROFILES } from '../../shared/ports/documents.ts';
import { awsFinanceDeps } from '../aws-finance-runtime.ts';
import { EInvoiceFileWriter } from '../../shared/adapters/einvoice/e-invoice-writer.ts';
import { apiHandler, FileBody, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';
import type { RouteContract } from '../http/route-contract.ts';

/** API Gateway takes whole path segments as parameters, so the `.pdf` or `.xml` is part of `{file}`. */
const documentFile = z.string().regex(/^(INV|PRO|CN)-[A-Z0-9]+-\d{4}-\d{6,9}\.(pdf|xml)$/, 'must be a document number followed by .pdf or .xml, such as INV-CH-2026-000001.pdf');

export const invoicePdfContract = {
  summary: 'An invoice, pro-forma or credit note as PDF (Factur-X when the organisation receives it), or a final invoice or credit note as EN 16931 XML',
  tag: 'account',
  access: 'user',
  params: z.object({ orgId: resourceId, file: documentFile }),
  query: z.object({
    profile: z
      .enum(E_INVOICE_PROFILES, { message: 'must be one of peppol, xrechnung, cii' })
      .optional()
      .describe("For .xml: Peppol BIS Billing 3.0 or XRechnung 3.0 (UBL), or CII; by default the organisation's choice, else CII"),
  }),
  status: 200,
  response: { file: ['application/pdf', 'application/xml'], description: 'The document' },
  errors: [400, 403, 404],
} satisfies RouteContract;

/** GET /v1/orgs/{orgId}/invoices/{number}.pdf|.xml: the document as PDF (with a QR-bill while unpaid), or as e-invoice XML. */
export function makeInvoicePdfHandler(deps: FinanceDeps, logger?: Logger) {
  return apiHandler({ auth: true, params: invoicePdfContract.params, query: invoicePdfContract.query, logger, rateLimiter: deps.rateLimiter }, async ({ actor, params, query }) => {
    const number = params.file.slice(0, -'.pdf'.length);
    if (params.file.endsWith('.xml')) {
      const { invoice, xml } = await invoiceXml(deps, params.orgId, number, actor, query.profile);
      return new FileBody(Buffer.from(xml, 'utf8'), 'application/xml', `${invoice.number}.xml`);
    }
    const { invoice, pdf } = await invoicePdf(deps, params.orgId, number, actor);
    return new FileBody(pdf, 'application/pdf', `${invoice.number}.pdf`);
  });
}

export const handler = lazyLambda(() => awsFinanceDeps(new EInvoiceFileWriter()), makeInvoicePdfHandler);
