import { readFileSync } from 'node:fs';

/** The context (feature flags) of cdk.json, which `cdk synth` passes to the app. */
export const CDK_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;
