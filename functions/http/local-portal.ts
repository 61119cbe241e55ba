import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { FileDocumentStore } from '../../shared/adapters/local/file-document-store.ts';
import { SandboxPaymentGateway } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { ValidationError } from '../../shared/domain/errors.ts';
import { GatewayRequestError } from '../../shared/ports/payment-gateway.ts';
import { FINANCE_SCOPE } from '../../shared/use-cases/actor.ts';
import { parseInput } from '../../shared/use-cases/validation.ts';
import type { LocalRuntime } from '../local-runtime.ts';
import { apiHandler, errorResponse, resourceId, type ApiEvent, type ApiLambda, type ApiResult, type Logger } from './api-handler.ts';
import { signLocalToken } from './local-tokens.ts';
import { portalAssets } from './portal-assets.ts';
import { portalHeaders } from './portal-headers.ts';
import type { HttpMethod } from './routes.ts';
import { sandboxCheckoutAction, sandboxCheckoutPage } from './sandbox-checkout-page.ts';

/**
 * What `billing serve` adds to the API for a person with a browser: the
 * portal's pages (any path without a file extension answers index.html, so
 * the e-mails' `/pay?org=…` links work), a demo sign-in standing in for the
 * provider's OAuth 2 server, the sandbox's hosted payment page, and
 * download links for exports that expire as S3's presigned links do.
 * None of it is deployed: in AWS, CloudFront serves the pages and Stripe the
 * payment page.
 */
export interface LocalPortal {
  routes: { method: HttpMethod; path: string; handler: ApiLambda }[];
  /** A page or file of the portal for a GET, if the path is one. */
  file(url: URL): Promise<ApiResult | undefined>;
  /** The server's address, once it listens: download links are made on it. */
  listening(baseUrl: string): void;
}

/** A demo session lasts a working day. */
const DEMO_TOKEN_SECONDS = 8 * 3600;
const DemoLogin = z.object({ userId: resourceId, finance: z.boolean().default(false) }).strict();

export async function localPortal(rt: LocalRuntime, home: string, logger: Logger): Promise<LocalPortal> {
  const assets = await portalAssets({ apiUrl: '', login: { kind: 'demo' } });
  const headers = portalHeaders({ connect: [] });
  const linkKey = randomBytes(32);
  const sign = (key: string, expires: number) => createHmac('sha256', linkKey).update(`${key}\n${expires}`).digest('base64url');
  const documents = rt.deps.documents;

  const sandbox = () => {
    if (!(rt.gateway instanceof SandboxPaymentGateway)) throw new ValidationError('The sandbox payment page needs the sandbox gateway', 'sandbox_unavailable');
    return rt.gateway;
  };
  const html = (make: (event: ApiEvent) => Promise<ApiResult> | ApiResult): ApiLambda => {
    return async (event) => {
      try {
        const result = await make(event);
        return { ...result, headers: { ...headers, ...result.headers } };
      } catch (err) {
        if (err instanceof GatewayRequestError || err instanceof ValidationError) return errorResponse(400, err.code, err.message);
        throw err;
      }
    };
  };

  const routes: LocalPortal['routes'] = [
    {
      method: 'GET',
      path: '/sandbox/checkout/{ref}',
      handler: html((e) => sandboxCheckoutPage(sandbox(), e.pathParameters?.ref ?? '', e.queryStringParameters?.step)),
    },
    {
      method: 'POST',
      path: '/sandbox/checkout/{ref}',
      handler: html((e) =>
        sandboxCheckoutAction(sandbox(), e.pathParameters?.ref ?? '', e.isBase64Encoded ? Buffer.from(e.body ?? '', 'base64').toString('utf8') : (e.body ?? '')),
      ),
    },
    {
      method: 'GET',
      path: '/local/demo-users',
      handler: apiHandler({ auth: false, logger }, async () => ({ users: await demoUsers(rt) })),
    },
    {
      method: 'POST',
      path: '/local/demo-login',
      handler: apiHandler({ auth: false, logger, body: 'json' }, async ({ body }) => {
        const input = parseInput(DemoLogin, body);
        const token = await signLocalToken(home, { userId: input.userId, ttlSeconds: DEMO_TOKEN_SECONDS, ...(input.finance ? { scope: FINANCE_SCOPE } : {}) });
        return { token };
      }),
    },
  ];

  return {
    routes,
    listening(baseUrl) {
      if (documents instanceof FileDocumentStore) {
        documents.serveLinks((key, ttl) => {
          const expires = Math.floor(Date.now() / 1000) + ttl;
          return `${baseUrl}/local/documents/${key.split('/').map(encodeURIComponent).join('/')}?expires=${expires}&signature=${sign(key, expires)}`;
        });
      }
    },
    async file(url) {
      if (url.pathname.startsWith('/local/documents/')) {
        const key = url.pathname.slice('/local/documents/'.length).split('/').map(decodeURIComponent).join('/');
        const expires = Number(url.searchParams.get('expires'));
        const given = Buffer.from(url.searchParams.get('signature') ?? '');
        const wanted = Buffer.from(sign(key, expires));
        if (!Number.isSafeInteger(expires) || expires < Date.now() / 1000 || given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
          return errorResponse(403, 'link_expired', 'This download link is not valid any more; ask for the export again');
        }
        const body = await documents.get(key);
        if (!body) return errorResponse(404, 'document_not_found', 'No such document');
        const name = key.split('/').at(-1)!;
        return {
          statusCode: 200,
          headers: { 'content-type': contentTypeOf(name), 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' },
          body: body.toString('base64'),
          isBase64Encoded: true,
        };
      }
      const asset = assets.get(url.pathname);
      const page = asset ?? (/\.[a-z0-9]+$/i.test(url.pathname) ? undefined : assets.get('/index.html'));
      if (!page) return undefined;
      return {
        statusCode: 200,
        headers: { ...headers, 'content-type': page.type, 'cache-control': url.pathname.startsWith('/assets/') ? 'public, max-age=300' : 'no-cache' },
        body: page.body.toString('base64'),
        isBase64Encoded: true,
      };
    },
  };
}

/** The demo's users, each with the organisations they may open, and a finance staff member. */
async function demoUsers(rt: LocalRuntime) {
  const users = new Map<
    string,
    { userId: string; name: string; email: string; finance: boolean; organisations: { orgId: string; name: string; role: string; billingRights: boolean }[] }
  >();
  for (const org of (await rt.store.listOrganisations()).slice(0, 50)) {
    for (const m of await rt.store.listMembers(org.id)) {
      const user = users.get(m.userId) ?? { userId: m.userId, name: m.name, email: m.email, finance: false, organisations: [] };
      user.organisations.push({ orgId: org.id, name: org.name, role: m.role, billingRights: m.role === 'legal-owner' || m.role === 'administrator' || m.billingRights });
      users.set(m.userId, user);
    }
  }
  return [...users.values(), { userId: 'finance', name: 'Finance', email: 'finance@provider.example', finance: true, organisations: [] }];
}

function contentTypeOf(name: string): string {
  if (name.endsWith('.csv')) return 'text/csv; charset=utf-8';
  if (name.endsWith('.zip')) return 'application/zip';
  if (name.endsWith('.pdf')) return 'application/pdf';
  return 'application/octet-stream';
}
