import * as z from 'zod';
import { BillingConfigSchema } from './billing-config.ts';

/**
 * The published JSON Schema of the file (draft 2020-12), as users write it (defaults may be left out).
 * A module of its own: zod's JSON Schema writer stays out of the functions, which only read the file.
 */
export function billingConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(BillingConfigSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
    title: 'Renewal billing engine: a stage configuration',
  };
}
