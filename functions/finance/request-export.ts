import { requestExport } from '../../shared/use-cases/finance/export-invoices.ts';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { awsExportDeps } from '../aws-export-runtime.ts';
import { apiHandler, lazyLambda, type Logger } from '../http/api-handler.ts';

/**
 * POST /v1/exports: finance staff (scope billing:finance) export everything,
 * a partner its clients, an organisation itself. Answers 202 with the export's
 * id; the exports queue's worker writes it, GET /v1/exports/{id} links it.
 */
export function makeRequestExportHandler(deps: Omit<FinanceDeps, 'renderer'>, logger?: Logger) {
  return apiHandler({ auth: true, body: 'json', status: 202, logger, rateLimiter: deps.rateLimiter }, ({ actor, body }) => requestExport(deps, body, actor));
}

export const handler = lazyLambda(awsExportDeps, makeRequestExportHandler);
