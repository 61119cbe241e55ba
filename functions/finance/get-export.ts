import * as z from 'zod';
import { getExport } from '../../shared/use-cases/finance/export-invoices.ts';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { awsExportDeps } from '../aws-export-runtime.ts';
import { apiHandler, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';
import { ExportResponse } from '../http/response-schemas.ts';
import type { RouteContract } from '../http/route-contract.ts';

export const getExportContract = {
  summary: 'An export: its state, its totals, and time-limited download links once written',
  tag: 'finance',
  access: 'user',
  params: z.object({ exportId: resourceId }),
  status: 200,
  response: { json: ExportResponse, description: 'The export' },
  errors: [400, 403, 404],
} satisfies RouteContract;

/** GET /v1/exports/{exportId}: its state, and time-limited links once written (only for the one who asked, or finance). */
export function makeGetExportHandler(deps: Omit<FinanceDeps, 'renderer' | 'eInvoices' | 'archive'>, logger?: Logger) {
  return apiHandler({ auth: true, params: getExportContract.params, logger, rateLimiter: deps.rateLimiter }, ({ actor, params }) => getExport(deps, params.exportId, actor));
}

export const handler = lazyLambda(awsExportDeps, makeGetExportHandler);
