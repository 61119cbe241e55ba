import { createHash } from 'node:crypto';
import * as z from 'zod';
import { assertCamt054Size, parseCamt054 } from '../../shared/adapters/bank/camt054.ts';
import { DomainError } from '../../shared/domain/errors.ts';
import { FINANCE_SCOPE } from '../../shared/use-cases/actor.ts';
import type { AuditLog } from '../../shared/ports/audit-log.ts';
import type { BillingStore, OperationReads } from '../../shared/ports/billing-store.ts';
import { importBankStatement } from '../../shared/use-cases/bank/import-bank-statement.ts';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { viewOf } from '../../shared/use-cases/checkout/checkout-view.ts';
import { cancelHold, releaseHold } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { loadOrg } from '../../shared/use-cases/renewal-deps.ts';
import { storeAuditTrail } from '../backoffice/store-audit-trail.ts';
import { apiHandler, resourceId, type ApiLambda, type Logger } from '../http/api-handler.ts';
import { BankCreditListResponse, BankImportResponse, CheckoutResponse, HeldOrdersResponse, OssReturnResponse } from '../http/response-schemas.ts';
import { quarterlyOssReturn } from '../../shared/use-cases/finance/oss-return.ts';
import type { RouteContract } from '../http/route-contract.ts';

/**
 * What the finance console does besides exports: bank files in, the credits
 * to look at, and the orders held for an identity check. Finance staff only
 * (scope billing:finance, checked by API Gateway and here); every call is in
 * the audit trail. Served by the back-office function, whose grants these
 * routes need (bank records, refunds at Stripe, lifecycle commands).
 */
type FinanceConsoleDeps = Omit<CheckoutDeps, 'store'> & {
  store: CheckoutDeps['store'] &
    AuditLog &
    Pick<OperationReads, 'getBankCredit' | 'getBankStatement' | 'listBankCreditsToReview'> &
    Pick<BillingStore, 'iterateDocuments' | 'listExchangeRates'>;
};

const xmlTypes = new Set(['application/xml', 'text/xml']);
const orderParams = z.object({ orgId: resourceId, checkoutId: resourceId });

const contract = <C extends Omit<RouteContract, 'access' | 'scope' | 'tag'>>(c: C) =>
  ({ ...c, access: 'back-office', scope: FINANCE_SCOPE, tag: 'finance' }) as const satisfies RouteContract;

export const FINANCE_CONSOLE_CONTRACTS = {
  'POST /v1/finance/bank-statements': contract({
    summary: 'Import a camt.054 bank notification: settle what its credits pay, set the rest aside for review',
    description:
      'The same import as `billing bank import`: the file known by its content (posting it twice settles nothing twice), each credit settled in one transaction with its record, part payments kept open, unknown references, other currencies and reversals listed for review. At most 1 MB.',
    headers: z.object({ 'content-type': z.string().optional() }),
    request: { raw: { 'application/xml': 'A camt.054 (ISO 20022) document' } },
    status: 200,
    response: { json: BankImportResponse, description: 'What became of each credit' },
    errors: [400, 403, 413, 415],
  }),
  'GET /v1/finance/bank-credits': contract({
    summary: 'Bank credits finance must look at: unknown reference, other currency, paid twice, reversals',
    status: 200,
    response: { json: BankCreditListResponse, description: 'The credits to review, oldest first' },
    errors: [403],
  }),
  'GET /v1/finance/held-orders': contract({
    summary: 'Orders paid but held for an identity check, oldest first',
    status: 200,
    response: { json: HeldOrdersResponse, description: 'The held orders' },
    errors: [403],
  }),
  'GET /v1/finance/oss-return': contract({
    summary: "A seller's quarterly OSS return: its sales to EU consumers per member state and rate, in euros",
    description:
      "The same return as `billing invoice oss`: Union scheme for an EU seller, non-Union for a Swiss one, francs converted at the ECB rate of the quarter's last day (imported with the CHF rates). The stage's default seller unless `seller` names another.",
    query: z.object({
      quarter: z.string().regex(/^\d{4}-Q[1-4]$/, 'must read YYYY-Qn, n from 1 to 4'),
      seller: z.string().min(1).max(8).optional(),
    }),
    status: 200,
    response: { json: OssReturnResponse, description: 'The return' },
    errors: [400, 403, 404],
  }),
  'POST /v1/finance/orgs/{orgId}/orders/{checkoutId}/release': contract({
    summary: 'The identity check passed: fulfil the held order now',
    params: orderParams,
    status: 200,
    response: { json: CheckoutResponse, description: 'The checkout, paid and fulfilled' },
    errors: [403, 404, 422],
  }),
  'POST /v1/finance/orgs/{orgId}/orders/{checkoutId}/cancel': contract({
    summary: 'The identity check failed: cancel the held order and give the money back',
    params: orderParams,
    status: 200,
    response: { json: CheckoutResponse, description: 'The checkout, refunded' },
    errors: [403, 404, 422],
  }),
} as const satisfies Record<string, RouteContract>;

type Key = keyof typeof FINANCE_CONSOLE_CONTRACTS;

export function makeFinanceConsoleHandlers(deps: FinanceConsoleDeps, logger?: Logger): Record<Key, ApiLambda> {
  const base = { auth: true as const, scope: FINANCE_SCOPE, logger, rateLimiter: deps.rateLimiter, audit: storeAuditTrail(deps.store, deps.clock) };
  return {
    'POST /v1/finance/bank-statements': apiHandler(
      { ...base, headers: FINANCE_CONSOLE_CONTRACTS['POST /v1/finance/bank-statements'].headers, body: 'raw' },
      async ({ headers, body }) => {
        const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (!xmlTypes.has(type)) throw new DomainError('unsupported_media_type', `Content-Type must be application/xml or text/xml, got ${type || 'none'}`, 415);
        assertCamt054Size(Buffer.byteLength(body), 'the request body');
        const statement = parseCamt054(body);
        const report = await importBankStatement(deps, statement, createHash('sha256').update(body).digest('hex'));
        return {
          ...report,
          entries: { credits: statement.credits.length, reversals: statement.reversals.length, unreadable: statement.unreadable.length, ignored: statement.ignored.length },
        };
      },
    ),
    'GET /v1/finance/bank-credits': apiHandler(base, async () => ({ credits: await deps.store.listBankCreditsToReview() })),
    'GET /v1/finance/held-orders': apiHandler(base, async () => {
      const held = await deps.store.listCheckoutsInStatus('held', deps.clock.today());
      const orders = [];
      for (const ref of held) {
        const [checkout, org] = await Promise.all([deps.store.getCheckout(ref.orgId, ref.checkoutId), deps.store.getOrganisation(ref.orgId)]);
        if (checkout?.status !== 'held' || !org) continue;
        orders.push({ orgId: org.id, orgName: org.name, heldSince: checkout.heldSince ?? ref.date, checkout: viewOf(checkout) });
      }
      return { orders };
    }),
    'GET /v1/finance/oss-return': apiHandler({ ...base, query: FINANCE_CONSOLE_CONTRACTS['GET /v1/finance/oss-return'].query }, ({ query, actor }) =>
      quarterlyOssReturn(deps, query.quarter, actor, query.seller),
    ),
    'POST /v1/finance/orgs/{orgId}/orders/{checkoutId}/release': apiHandler({ ...base, params: orderParams }, async ({ params }) => {
      await loadOrg(deps.store, params.orgId);
      return viewOf(await releaseHold(deps, params.orgId, params.checkoutId));
    }),
    'POST /v1/finance/orgs/{orgId}/orders/{checkoutId}/cancel': apiHandler({ ...base, params: orderParams }, async ({ params }) => {
      await loadOrg(deps.store, params.orgId);
      return viewOf(await cancelHold(deps, params.orgId, params.checkoutId));
    }),
  };
}
