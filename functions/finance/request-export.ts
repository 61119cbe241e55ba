import { ExportInput, requestExport } from '../../shared/use-cases/finance/export-invoices.ts';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { awsExportDeps } from '../aws-export-runtime.ts';
import { apiHandler, lazyLambda, type Logger } from '../http/api-handler.ts';
import { ExportResponse } from '../http/response-schemas.ts';
import type { RouteContract } from '../http/route-contract.ts';

export const requestExportContract = {
  summary: "Export a period's documents (CSV of documents, CSV of lines, PDFs as a zip)",
  description:
    'Finance staff (scope `billing:finance`) export every organisation, a partner its clients, an organisation itself. Answers 202; `GET /v1/exports/{exportId}` links the files once written.',
  tag: 'finance',
  access: 'user',
  request: { json: ExportInput },
  status: 202,
  response: { json: ExportResponse, description: 'The export, queued' },
  errors: [400, 403, 404],
} satisfies RouteContract;

/**
 * POST /v1/exports: finance staff (scope billing:finance) export everything,
 * a partner its clients, an organisation itself. Answers 202 with the export's
 * id; the exports queue's worker writes it, GET /v1/exports/{id} links it.
 */
export function makeRequestExportHandler(deps: Omit<FinanceDeps, 'renderer' | 'eInvoices' | 'archive'>, logger?: Logger) {
  return apiHandler({ auth: true, body: 'json', status: requestExportContract.status, logger, rateLimiter: deps.rateLimiter }, ({ actor, body }) =>
    requestExport(deps, body, actor),
  );
}

export const handler = lazyLambda(awsExportDeps, makeRequestExportHandler);
