import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkConfigText, formatProblems } from '../shared/adapters/config/config-file.ts';
import { REPO_ROOT } from './billing-function.ts';
import type { Stage } from './stateful-stack.ts';

/**
 * The configuration file a stage deploys: `-c config=FILE`, else
 * config/<stage>.yaml, else (dev only) the sample. A production stage never
 * falls back to the sample's example seller and IBANs.
 */
export function stageConfigPath(stage: Stage, given: string | undefined): string {
  if (given) return given;
  const own = join(REPO_ROOT, 'config', `${stage}.yaml`);
  if (existsSync(own)) return own;
  if (stage === 'prod') throw new Error(`no configuration for prod: write config/prod.yaml or pass -c config=FILE (billing config check FILE validates it)`);
  return join(REPO_ROOT, 'config', 'sample.yaml');
}

/**
 * Checks a stage's configuration at synth (a broken file never deploys: the
 * error lists each problem with its line) and writes it as JSON for the
 * bundles. Returns the JSON file and the stage the file names.
 */
export function prepareStageConfig(file: string): { json: string; stage: string; senderDomains: string[] } {
  const text = readFileSync(file, 'utf8');
  const check = checkConfigText(text);
  if (!check.ok) throw new Error(`${file}: the configuration is not valid\n${formatProblems(file, check.problems)}`);
  // As written (defaults not filled in): the function validates it again at cold start.
  const content = JSON.stringify(parse(text));
  // Named by its content: synthesizing again (the tests do, many times) reuses the file instead of adding one.
  const dir = join(tmpdir(), 'billing-config');
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${createHash('sha256').update(content).digest('hex').slice(0, 16)}.json`);
  if (!existsSync(json)) {
    // Written aside and renamed: a synth running at the same time never copies half a file.
    const aside = `${json}.${process.pid}`;
    writeFileSync(aside, content);
    renameSync(aside, json);
  }
  // The domains e-mails are sent from (each seller's address, else mail.from): send-email may use these SES identities only.
  const senders = [...check.file.sellers.map((s) => s.email ?? check.file.mail.from), check.file.mail.from].filter((a): a is string => !!a);
  const senderDomains = [...new Set(senders.map((a) => a.slice(a.lastIndexOf('@') + 1).toLowerCase()))].sort();
  return { json, stage: check.file.stage, senderDomains };
}
