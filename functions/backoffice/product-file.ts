import { readImportFile } from '../../shared/adapters/import/product-rows.ts';
import { ValidationError } from '../../shared/domain/errors.ts';
import { importProducts, type ImportRow } from '../../shared/use-cases/manage-products.ts';
import { loadOrg } from '../../shared/use-cases/renewal-deps.ts';

/** The formats a product file may come in, by content type (posted) or file name (dropped in S3). */
export type ProductFileFormat = 'ndjson' | 'csv';
export const MAX_IMPORT_ROWS = 5000;

export interface ProductFileReport {
  rows: number;
  added: number;
  unchanged: number;
  refused: number;
  report: ImportRow[];
}

/**
 * One file of products for one organisation, posted to the back-office or
 * dropped in the bucket: read, each row added or refused on its own, and
 * the per-row report. Importing the same file again adds nothing twice.
 */
export async function importProductFile(deps: Parameters<typeof importProducts>[0], orgId: string, text: string, format: ProductFileFormat): Promise<ProductFileReport> {
  const lines = readImportFile(text, format);
  if (lines.length === 0) throw new ValidationError('The file has no rows', 'empty_import');
  if (lines.length > MAX_IMPORT_ROWS) throw new ValidationError(`At most ${MAX_IMPORT_ROWS} rows per file, got ${lines.length}: split it`, 'import_too_large');
  await loadOrg(deps.store, orgId);
  const report = await importProducts(deps, orgId, lines);
  const count = (s: ImportRow['status']) => report.filter((r) => r.status === s).length;
  return { rows: report.length, added: count('added'), unchanged: count('unchanged'), refused: count('refused'), report };
}

/** A dropped file's format by its name: `.ndjson` / `.jsonl`, or `.csv`. */
export function formatOfFileName(name: string): ProductFileFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.csv')) return 'csv';
  return undefined;
}
