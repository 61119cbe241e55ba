import type * as z from 'zod';

/** Who may call a route: a customer's or staff's token, the provider's back-office client, or anyone (a signature then authenticates). */
export type RouteAccess = 'user' | 'back-office' | 'public';

/**
 * What a route takes and answers, declared once beside its handler: the
 * handler validates with these very schemas, and the OpenAPI document
 * (openapi-document.ts) is made from them, so the two cannot disagree.
 */
export interface RouteContract {
  summary: string;
  description?: string;
  tag: 'products' | 'checkout' | 'account' | 'finance' | 'webhooks' | 'back-office' | 'meta';
  access: RouteAccess;
  /** OAuth 2 scope the token needs besides being valid (`billing:backoffice`); `billing:finance` widens, never gates. */
  scope?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Header names in lower case. */
  headers?: z.ZodObject;
  /** A JSON body (the schema the use case parses it with), or raw text in the listed content types. */
  request?: { json: z.ZodType } | { raw: Record<string, string> };
  /** Status of a success. */
  status: number;
  response: { json: z.ZodType; description: string } | { file: string | readonly string[]; description: string };
  /** Statuses of the errors it may answer, beyond 401 and 429 of every authenticated route and 500. */
  errors: number[];
}
