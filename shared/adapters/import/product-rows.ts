import { parse } from 'csv-parse/sync';

/** A row of an import file: the fields read, or why the line could not be read at all. */
export type ImportLine = { line: number; fields: Record<string, unknown> } | { line: number; error: string };

/** The columns a CSV import may have (the fields of a new product); others are refused by the row's validation. */
const NUMERIC = new Set(['periodMonths']);
const BOOLEAN = new Set(['autoRenew']);

/**
 * Reads an import file posted or dropped by the provider's systems: NDJSON
 * (one JSON object per line) or CSV with a header line. Each line stands on
 * its own: one that cannot be read is reported with its line number, and the
 * others are still read. Blank lines are skipped (a trailing newline is not
 * a row).
 */
export function readImportFile(text: string, format: 'ndjson' | 'csv'): ImportLine[] {
  return format === 'ndjson' ? readNdjson(text) : readCsv(text);
}

function readNdjson(text: string): ImportLine[] {
  const out: ImportLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) out.push({ line, error: 'not a JSON object' });
      else out.push({ line, fields: value as Record<string, unknown> });
    } catch {
      out.push({ line, error: 'not valid JSON' });
    }
  });
  return out;
}

function readCsv(text: string): ImportLine[] {
  // Header once, then each record on its own: a broken record must not hide the others.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) return [];
  const header = (parse(lines[headerAt]!, { relax_quotes: false }) as string[][])[0]!.map((h) => h.trim());
  const out: ImportLine[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const line = i + 1;
    let cells: string[];
    try {
      cells = (parse(raw) as string[][])[0] ?? [];
    } catch (err) {
      out.push({ line, error: `not a CSV record: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    if (cells.length !== header.length) {
      out.push({ line, error: `${cells.length} columns where the header has ${header.length}` });
      continue;
    }
    const fields: Record<string, unknown> = {};
    header.forEach((name, k) => {
      const cell = cells[k]!.trim();
      if (cell === '') return;
      fields[name] = NUMERIC.has(name) && /^\d+$/.test(cell) ? Number(cell) : BOOLEAN.has(name) && /^(true|false)$/i.test(cell) ? cell.toLowerCase() === 'true' : cell;
    });
    out.push({ line, fields });
  }
  return out;
}
