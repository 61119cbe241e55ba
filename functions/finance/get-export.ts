import { z } from 'zod';
import { getExport } from '../../shared/use-cases/finance/export-invoices.ts';
import type { FinanceDeps } from '../../shared/use-cases/finance/finance-deps.ts';
import { awsExportDeps } from '../aws-export-runtime.ts';
import { apiHandler, lazyLambda, resourceId, type Logger } from '../http/api-handler.ts';

/** GET /v1/exports/{exportId}: its state, and time-limited links once written (only for the one who asked, or finance). */
export function makeGetExportHandler(deps: Omit<FinanceDeps, 'renderer'>, logger?: Logger) {
  return apiHandler({ auth: true, params: z.object({ exportId: resourceId }), logger, rateLimiter: deps.rateLimiter }, ({ actor, params }) =>
    getExport(deps, params.exportId, actor),
  );
}

export const handler = lazyLambda(awsExportDeps, makeGetExportHandler);
