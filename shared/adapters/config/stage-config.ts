import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '../../config/billing-config.ts';
import { loadConfigFile } from './config-file.ts';

/**
 * The configuration file a local process runs with: `BILLING_CONFIG` when
 * set, otherwise the sample kept in the repository (config/sample.yaml). The
 * CLI's launcher names the package root (`BILLING_PACKAGE_ROOT`), since its
 * build runs from a cache folder; from the sources the root is found from here.
 */
export function defaultConfigPath(): string {
  if (process.env.BILLING_CONFIG) return process.env.BILLING_CONFIG;
  const root = process.env.BILLING_PACKAGE_ROOT ?? fileURLToPath(new URL('../../../', import.meta.url));
  return join(root, 'config', 'sample.yaml');
}

const loaded = new Map<string, EngineConfig>();

/** Loaded once per process and file: a test file opens many runtimes on the same configuration. */
export function loadStageConfig(file: string = defaultConfigPath()): EngineConfig {
  let config = loaded.get(file);
  if (!config) {
    config = loadConfigFile(file);
    loaded.set(file, config);
  }
  return config;
}
