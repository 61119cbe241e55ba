import * as z from 'zod';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { invoicePdf } from '../../shared/use-cases/finance/invoice-documents.ts';
import { awsFinanceDeps } from '../aws-finance-runtime.ts';
import { apiHandler, FileBody, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';
import type { RouteContract } from '../http/route-contract.ts';

/** API Gateway takes whole path segments as parameters, so the `.pdf` is part of `{file}`. */
const pdfFile = z.string().regex(/^(INV|PRO|CN)-[A-Z0-9]+-\d{4}-\d{6,9}\.pdf$/, 'must be a document number followed by .pdf, such as INV-CH-2026-000001.pdf');

export const invoicePdfContract = {
  summary: 'An invoice, pro-forma or credit note as PDF, with its QR-bill while unpaid',
  tag: 'account',
  access: 'user',
  params: z.object({ orgId: resourceId, file: pdfFile }),
  status: 200,
  response: { file: 'application/pdf', description: 'The document' },
  errors: [400, 403, 404],
} satisfies RouteContract;

/** GET /v1/orgs/{orgId}/invoices/{number}.pdf: the document as PDF, with a QR-bill while unpaid. */
export function makeInvoicePdfHandler(deps: FinanceDeps, logger?: Logger) {
  return apiHandler({ auth: true, params: invoicePdfContract.params, logger, rateLimiter: deps.rateLimiter }, async ({ actor, params }) => {
    const { invoice, pdf } = await invoicePdf(deps, params.orgId, params.file.slice(0, -'.pdf'.length), actor);
    return new FileBody(pdf, 'application/pdf', `${invoice.number}.pdf`);
  });
}

export const handler = lazyLambda(awsFinanceDeps, makeInvoicePdfHandler);
