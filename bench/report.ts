/** `npm run bench:report`: renders the figures of bench/results.json into docs/benchmarks.md again, without running anything. */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withResultsBlock } from './lib/docs-block.ts';
import type { Output } from './lib/report.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const page = join(root, 'docs', 'benchmarks.md');
const results = JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8')) as Output;
writeFileSync(page, withResultsBlock(readFileSync(page, 'utf8'), results));
process.stderr.write('docs/benchmarks.md: figures rendered from bench/results.json\n');
