import { mkdtempSync } from 'node:fs';
import type { EngineConfig } from '../../shared/config/billing-config.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../shared/adapters/local/dynamodb-local.ts';
import { SandboxPaymentGateway } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import type { IsoDate } from '../../shared/domain/calendar.ts';
import type { Product } from '../../shared/domain/product.ts';
import type { PaymentAttempt } from '../../shared/domain/records.ts';
import type { Change } from '../../shared/ports/unit-of-work.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { PaymentGateway } from '../../shared/ports/payment-gateway.ts';
import { addPaymentMethod, createOrganisation } from '../../shared/use-cases/manage-organisation.ts';
import { addProduct } from '../../shared/use-cases/manage-products.ts';
import { topUpBalance } from '../../shared/use-cases/top-up-balance.ts';
import { openLocalRuntime, type LocalRuntime } from '../../functions/local-runtime.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * Whether the use-case tests run on the in-memory store instead of DynamoDB Local
 * (`BILLING_TEST_STORE=memory`: the mutation tier, where a JVM per run is too slow).
 * The contract suite (test/contract) holds the two stores to the same behaviour.
 */
export const IN_MEMORY = process.env.BILLING_TEST_STORE === 'memory';

/**
 * The DynamoDB Local of the run (test/global-setup.ts), or one of this file's own
 * when a file runs without it; each test gets its own table.
 */
export function useDynamoDbLocal(): { endpoint: () => string } {
  if (IN_MEMORY) return { endpoint: () => 'memory' };
  const shared = process.env.BILLING_TEST_DYNAMODB_ENDPOINT;
  if (shared) return { endpoint: () => shared };
  let db: DynamoDbLocal | undefined;
  beforeAll(async () => {
    db = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await db?.stop();
  });
  return { endpoint: () => db!.endpoint };
}

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(public day: IsoDate) {}
  today() {
    return this.day;
  }
  now() {
    return `${this.day}T02:00:00.000Z`;
  }
}

let tables = 0;

export async function runtime(
  endpoint: string,
  opts: { today?: IsoDate; gateway?: PaymentGateway; duplicateDeliveries?: boolean; separateCharges?: boolean; config?: EngineConfig } = {},
): Promise<LocalRuntime & { clock: TestClock; sandbox: SandboxPaymentGateway }> {
  const clock = new TestClock(opts.today ?? '2026-11-01');
  const sandbox = new SandboxPaymentGateway();
  const rt = await openLocalRuntime({
    // PDFs and exports of a test go to a folder of its own, never into the checkout's out/.
    outDir: mkdtempSync(join(tmpdir(), 'billing-out-')),
    ...(endpoint === 'memory' ? { memory: true } : { endpoint }),
    tableName: `t${process.pid}-${++tables}`,
    clock,
    gateway: opts.gateway ?? sandbox,
    duplicateDeliveries: opts.duplicateDeliveries ?? false,
    separateCharges: opts.separateCharges ?? false,
    ...(opts.config ? { config: opts.config } : {}),
  });
  return Object.assign(rt, { clock, sandbox });
}

let ids = 0;

/** An organisation with a saved method (or none) and an optional prepaid balance. */
export async function anOrg(rt: LocalRuntime, opts: { currency?: 'CHF' | 'EUR'; country?: string; vatNumber?: string; method?: string; balance?: string; id?: string } = {}) {
  const id = opts.id ?? `org-${++ids}`;
  const org = await createOrganisation(rt.deps, {
    id,
    name: `Org ${id}`,
    currency: opts.currency ?? 'CHF',
    country: opts.country ?? (opts.currency === 'EUR' ? 'DE' : 'CH'),
    ...(opts.vatNumber ? { vatNumber: opts.vatNumber } : {}),
    owner: { userId: `owner-${id}`, email: `owner@${id}.ch`, name: 'Owner' },
  });
  const method = opts.method
    ? await addPaymentMethod(rt.deps, id, { kind: opts.method === 'pm_twint' ? 'twint' : 'card', label: opts.method, gatewayRef: opts.method })
    : undefined;
  if (opts.balance) await topUpBalance(rt.deps, id, { amount: opts.balance, reference: `seed-${id}` });
  return { org, method };
}

export async function aProduct(
  rt: LocalRuntime,
  orgId: string,
  opts: { id?: string; typeId?: string; expiry: IsoDate; autoRenew?: boolean; paymentMethodId?: string; periodMonths?: number },
) {
  return addProduct(rt.deps, orgId, {
    id: opts.id ?? `prd-${++ids}`,
    typeId: opts.typeId ?? 'domain-ch',
    name: `${opts.id ?? 'example'}.ch`,
    expiry: opts.expiry,
    autoRenew: opts.autoRenew ?? true,
    ...(opts.paymentMethodId ? { paymentMethodId: opts.paymentMethodId } : {}),
    ...(opts.periodMonths ? { periodMonths: opts.periodMonths } : {}),
  });
}

/**
 * What a charge worker writes before it calls the provider (pay-renewal's hold), written out here: the
 * product's first automatic attempt of its period, pending, all of `total` on the saved method and nothing
 * held from the balance, and the product's mark naming it. `total` is the caller's, worked out by hand.
 */
export function heldRenewal(product: Product, methodId: string, total: string, night: IsoDate): { attempt: PaymentAttempt; hold: Change[] } {
  const id = `${product.id}#${product.expiry}#1`;
  const attempt: PaymentAttempt = {
    id,
    orgId: product.orgId,
    productId: product.id,
    periodStart: product.expiry,
    attempt: 1,
    night,
    idempotencyKey: `renewal/${id}`,
    currency: 'CHF',
    total,
    balancePart: '0.00',
    chargePart: total,
    paymentMethodId: methodId,
    status: 'pending',
    createdAt: `${night}T02:00:00.000Z`,
  };
  return {
    attempt,
    hold: [
      { type: 'attempt', attempt, expectedStatus: null },
      { type: 'productAttemptMark', orgId: product.orgId, productId: product.id, version: product.version, attemptId: id },
    ],
  };
}
