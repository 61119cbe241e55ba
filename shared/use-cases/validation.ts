import type * as z from 'zod';
import { ValidationError } from '../domain/errors.ts';

/** Validates input at the edge and turns zod's issues into one precise message. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const res = schema.safeParse(raw);
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new ValidationError(`${where}${issue?.message ?? 'invalid input'}`);
}
