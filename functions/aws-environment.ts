import { resolve } from 'node:path';
import { loadConfigJson } from '../shared/adapters/config/config-json.ts';
import type { EngineConfig } from '../shared/config/billing-config.ts';

/**
 * What every Lambda wiring reads from its container, apart from the
 * clients: a module of its own, so a function that never calls Stripe
 * (the mail functions) does not bundle aws-runtime.ts's Stripe adapter.
 */
export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

let config: EngineConfig | undefined;

/**
 * The stage's configuration, deployed inside each function's bundle by the
 * CDK app (`BILLING_CONFIG_FILE`, relative to the bundle's folder).
 */
export function awsConfig(): EngineConfig {
  config ??= loadConfigJson(resolve(process.env.LAMBDA_TASK_ROOT ?? '.', env('BILLING_CONFIG_FILE')));
  return config;
}
