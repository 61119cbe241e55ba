import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// docs/domain.md is the one home of the business rules: this keeps its index to code and tests true.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const page = readFileSync(join(root, 'docs/domain.md'), 'utf8');

interface Rule {
  id: string;
  title: string;
  code: string[];
  tests: { file: string; title: string }[];
  open?: string;
}

function rules(text: string): Rule[] {
  const found: Rule[] = [];
  for (const block of text.split(/^### /m).slice(1)) {
    const heading = /^(R-\d+) · (.+)$/m.exec(block);
    if (!heading) throw new Error(`A rule heading is not "R-n · title": ${block.split('\n')[0]}`);
    const rule: Rule = { id: heading[1]!, title: heading[2]!, code: [], tests: [] };
    for (const line of block.split('\n')) {
      const code = /^- code: (.+)$/.exec(line);
      if (code) rule.code.push(...[...code[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
      const test = /^- tests: `([^`]+)` "(.+)"$/.exec(line);
      if (test) rule.tests.push({ file: test[1]!, title: test[2]! });
      const open = /^- status: open \(issue (\d+)\)$/.exec(line);
      if (open) rule.open = open[1];
    }
    found.push(rule);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

const all = rules(page);

describe('docs/domain.md', () => {
  it('numbers its rules R-1, R-2, ... in order, each once', () => {
    expect(all.length).toBeGreaterThanOrEqual(40);
    expect(all.map((r) => r.id)).toEqual(all.map((_, i) => `R-${i + 1}`));
  });

  it.each(all.map((r) => [r.id, r] as const))('%s names code that exists and tests found in their files', (_id, rule) => {
    expect(rule.code.length, `${rule.id} names no code`).toBeGreaterThan(0);
    expect(rule.tests.length, `${rule.id} names no test`).toBeGreaterThan(0);
    for (const file of rule.code) expect(existsSync(join(root, file)), `${rule.id}: ${file} does not exist`).toBe(true);
    for (const { file, title } of rule.tests) {
      expect(existsSync(join(root, file)), `${rule.id}: ${file} does not exist`).toBe(true);
      // Titles are quoted as they read, without the escapes of their source.
      const source = readFileSync(join(root, file), 'utf8').replace(/\\(['"`])/g, '$1');
      expect(source.includes(title), `${rule.id}: no test "${title}" in ${file}`).toBe(true);
    }
  });

  it('is cited by the code only with rule ids it has, and nothing cites a rules file outside the repository', () => {
    const ids = new Set(all.map((r) => r.id));
    const cited: string[] = [];
    const outside: string[] = [];
    for (const file of ['shared', 'functions', 'infra', 'bench', 'test'].flatMap(sourceFiles)) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(/docs\/domain\.md (R-\d+)/g)) if (!ids.has(m[1]!)) cited.push(`${file}: ${m[1]}`);
      if (/(?<!docs\/)DOMAIN\.md/.test(text)) outside.push(file);
    }
    expect(cited).toEqual([]);
    expect(outside).toEqual([]);
  });
});
