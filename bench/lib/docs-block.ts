/**
 * The benchmark figures have one home: the block of docs/benchmarks.md between the two markers below,
 * rendered from bench/results.json. `npm run bench` rewrites it after each run, `npm run bench:report`
 * renders it again from the file, and a unit test fails when the two disagree.
 */
import { renderMarkdown, type Output } from './report.ts';

export const BLOCK_START = '<!-- bench:results (generated from bench/results.json by `npm run bench:report`; do not edit) -->';
export const BLOCK_END = '<!-- /bench:results -->';

/** The run's tables one heading level down, to sit under the page's own title. */
export function resultsBlock(results: Output): string {
  const body = renderMarkdown(results)
    .trimEnd()
    .split('\n')
    .map((l) => (l.startsWith('#') ? `#${l}` : l))
    .join('\n');
  return `${BLOCK_START}\n${body}\n${BLOCK_END}`;
}

/** The page with its block replaced by the one rendered from `results`. */
export function withResultsBlock(page: string, results: Output): string {
  const start = page.indexOf(BLOCK_START);
  const end = page.indexOf(BLOCK_END);
  if (start < 0 || end < start) throw new Error('docs/benchmarks.md has no bench:results block');
  return `${page.slice(0, start)}${resultsBlock(results)}${page.slice(end + BLOCK_END.length)}`;
}
