import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

/**
 * Checks an answer of the local server against the published OpenAPI
 * document (docs/openapi.json), as a client generated from it would read
 * it: the route and status must be documented, and a JSON body must match
 * the schema documented for that status. The HTTP tests run every answer
 * through it, so a schema that drifts from what the API really sends fails.
 */
type Operation = { responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }> };

const document = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { content: Record<string, { schema: unknown }> }> };
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(document, 'api');

const templates = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  // A literal segment wins over a parameter (`/invoices` over `/invoices/{file}` is not ambiguous, `{file}` vs `openapi.json` might be).
  literals: template.split('/').filter((s) => s && !s.startsWith('{')).length,
}));
const validators = new Map<string, ReturnType<typeof ajv.getSchema>>();

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Why the answer does not conform, or undefined when it does (and for routes outside the document, such as the sandbox's). */
export function nonConformance(method: string, url: string, status: number, contentType: string | null, text: string): string | undefined {
  const path = new URL(url, 'http://x').pathname;
  const match = templates.filter((t) => t.pattern.test(path)).sort((a, b) => b.literals - a.literals)[0];
  if (!match) return path.startsWith('/v1/') && status !== 404 ? `${method} ${path} → ${status}: no such path in docs/openapi.json` : undefined;
  const operation = document.paths[match.template]![method.toLowerCase()];
  if (!operation) return status === 404 || status === 405 ? undefined : `${method} ${match.template}: not documented`;
  const response = operation.responses[String(status)];
  if (!response) return `${method} ${match.template} answered ${status}, which the document does not list`;
  const content = response.$ref ? document.components.responses[response.$ref.split('/').at(-1)!]!.content : response.content!;
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (!content[type]) return `${method} ${match.template} → ${status}: content type ${type} is not documented (${Object.keys(content).join(', ')})`;
  if (type !== 'application/json') return undefined;
  const where = response.$ref
    ? `api#/components/responses/${pointer(response.$ref.split('/').at(-1)!)}/content/${pointer('application/json')}/schema`
    : `api#/paths/${pointer(match.template)}/${method.toLowerCase()}/responses/${status}/content/${pointer('application/json')}/schema`;
  let validate = validators.get(where);
  if (!validate) {
    validate = ajv.compile({ $ref: where });
    validators.set(where, validate);
  }
  const body: unknown = JSON.parse(text);
  if (validate(body)) return undefined;
  return `${method} ${match.template} → ${status} does not match its documented schema: ${ajv.errorsText(validate.errors)}; body ${text.slice(0, 400)}`;
}
