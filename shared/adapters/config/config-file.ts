import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { BillingConfigSchema, engineConfig, type BillingConfigFile, type EngineConfig } from '../../config/billing-config.ts';

/** One thing wrong with a configuration file, where it is. */
export interface ConfigProblem {
  line: number;
  column: number;
  /** The setting, as a dotted path: `catalogue.2.prices.CHF`. */
  path: string;
  message: string;
}

export type ConfigCheck = { ok: true; file: BillingConfigFile } | { ok: false; problems: ConfigProblem[] };

/** The node at `path`, or the closest one above it that exists (a missing key is reported on its parent). */
function nodeAt(doc: Document, path: readonly PropertyKey[]): { range?: [number, number, number] | null | undefined; keyRange?: number } {
  let node: unknown = doc.contents;
  let keyStart: number | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
      if (!pair) break;
      keyStart = isNode(pair.key) ? pair.key.range?.[0] : undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key] !== undefined) {
      node = node.items[key];
      keyStart = undefined;
    } else break;
  }
  return { range: isNode(node) ? node.range : undefined, ...(keyStart !== undefined ? { keyRange: keyStart } : {}) };
}

/**
 * Parses and validates a configuration's text (YAML, or JSON, which YAML
 * reads too). Every problem is reported, each with its line and column, so
 * one run of `billing config check` lists them all.
 */
export function checkConfigText(text: string): ConfigCheck {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { line: pos.line, column: pos.col, path: '', message: e.message.split('\n')[0]! };
      }),
    };
  }
  const result = BillingConfigSchema.safeParse(doc.toJS());
  if (result.success) return { ok: true, file: result.data };
  const problems = result.error.issues.flatMap((issue) => {
    // An unknown key is reported at the key itself, one problem per key.
    const located =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => ({ path: [...issue.path, k], message: 'not a setting here (unknown key: a typo?)' }))
        : [{ path: issue.path, message: issue.message }];
    return located.map(({ path, message }) => {
      const at = nodeAt(doc, path);
      const pos = lineCounter.linePos(at.keyRange ?? at.range?.[0] ?? 0);
      return { line: pos.line, column: pos.col, path: path.map(String).join('.'), message };
    });
  });
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, problems };
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} problem(s) in the configuration\n${formatProblems(file, problems)}`);
    this.name = 'ConfigError';
  }
}

/** `file:line:column  path: message`, one per line, as compilers print them (editors jump to each). */
export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${file}:${p.line}:${p.column}  ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n');
}

/** Reads, validates and converts a stage's configuration file; a logo's path is taken relative to the file. */
export function loadConfigFile(file: string): EngineConfig {
  const check = checkConfigText(readFileSync(file, 'utf8'));
  if (!check.ok) throw new ConfigError(file, check.problems);
  const dir = dirname(resolve(file));
  return engineConfig(check.file, (p) => resolve(dir, p));
}
