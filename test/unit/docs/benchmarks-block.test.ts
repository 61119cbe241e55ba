import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOCK_END, BLOCK_START, resultsBlock } from '../../../bench/lib/docs-block.ts';
import type { Output } from '../../../bench/lib/report.ts';

// The benchmark figures live in one place: the block of docs/benchmarks.md, rendered from bench/results.json.
const root = join(import.meta.dirname, '..', '..', '..');
const page = readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8');
const results = JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8')) as Output;

describe('the benchmark figures in the docs', () => {
  it('are the ones bench/results.json holds, rendered', () => {
    const start = page.indexOf(BLOCK_START);
    const end = page.indexOf(BLOCK_END) + BLOCK_END.length;
    expect(start).toBeGreaterThanOrEqual(0);
    expect(page.slice(start, end)).toBe(resultsBlock(results));
  });

  it('name the headline ratio of the file, and the README quotes no figure of its own', () => {
    const ratio = results.renewalsPerSecondRatio;
    expect(page).toContain(`| ${ratio} |`);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).not.toMatch(/engine ÷ floor|renewals\/s/);
  });
});
