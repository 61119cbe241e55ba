import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BillingConfigSchema, engineConfig, type EngineConfig } from '../../config/billing-config.ts';

/**
 * A configuration already checked and turned into JSON at synth (the CDK app
 * does it, so a broken file never deploys). Validated again at cold start:
 * the function trusts no file it did not check, and needs no YAML parser.
 */
export function loadConfigJson(file: string): EngineConfig {
  const result = BillingConfigSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.map(String).join('.') || '(file)'}: ${i.message}`);
    throw new Error(`${file}: the configuration is not valid\n${lines.join('\n')}`);
  }
  const dir = dirname(resolve(file));
  return engineConfig(result.data, (p) => resolve(dir, p));
}
