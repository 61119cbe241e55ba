import type { Catalogue, ProductType } from '../domain/catalogue.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { Organisation } from '../domain/organisation.ts';
import type { Product } from '../domain/product.ts';
import type { Seller } from '../domain/seller.ts';
import type { VatRateTable } from '../domain/vat.ts';
import { WriteConflict } from '../ports/unit-of-work.ts';
import type { Clock } from '../ports/clock.ts';
import type { LifecycleMessage, MessageQueue, RenewalMessage } from '../ports/message-queue.ts';
import type { PaymentGateway } from '../ports/payment-gateway.ts';
import type { Provisioning } from '../ports/provisioning.ts';
import type { CheckoutReads, DocumentReads, NightLog, OperationReads, OrganisationReads, PaymentReads, ProductReads } from '../ports/billing-store.ts';
import type { UnitOfWork } from '../ports/unit-of-work.ts';
import type { NumberRangeLeases } from './numbering.ts';

/**
 * What a product's night, a manual renewal and the lifecycle read and write: organisations, products and
 * payments whole; of the documents only a number's invoice and the counters; of checkouts, the one a product
 * is in; of the operations, lifecycle commands. Never an export, a bank credit, a provider event or the outbox.
 */
export type RenewalStore = UnitOfWork &
  OrganisationReads &
  ProductReads &
  PaymentReads &
  Pick<DocumentReads, 'findInvoice' | 'lastInvoiceSequence' | 'exchangeRateOn'> &
  Pick<CheckoutReads, 'getCheckout'> &
  Pick<OperationReads, 'getLifecycleCommand' | 'listPendingLifecycle'>;

/** The nightly plan: the date index, the log of nights and the night's CHF rate, nothing else. */
export type PlanStore = Pick<ProductReads, 'listDueProducts'> & Pick<NightLog, 'lastNightRun' | 'putNightRun'> & Pick<DocumentReads, 'exchangeRateOn'>;

/** Everything the billing use cases need from the outside world. */
export interface BillingDeps {
  store: RenewalStore;
  gateway: PaymentGateway;
  catalogue: Catalogue;
  /** The stage's default seller; `sellers` holds every seller of its configuration by id (see sellers.ts). */
  seller: Seller;
  sellers?: ReadonlyMap<string, Seller>;
  /** The stage's VAT rate table (its configuration file). */
  vatRates: VatRateTable;
  clock: Clock;
  lifecycleQueue: MessageQueue<LifecycleMessage>;
  provisioning: Provisioning;
  /** How a renewal that needs a provider charge is charged: a setting of each deployment, never implied. */
  charges: ChargeMode;
  /** The number ranges this process leased, for sellers whose renewals are numbered by process (numbering.ts). */
  numberRanges?: NumberRangeLeases;
  /**
   * Store each product-night's outcome with its commit, for `summariseNight` (this machine's night
   * report). AWS sets false: there the handler logs the outcome and nothing reads a stored one, so it
   * would be an item written per renewal for no reader. Unset means stored.
   */
  storeNightOutcomes?: boolean;
}

export type ChargeMode =
  /** The renewal worker charges the provider itself. */
  | { mode: 'inline' }
  /** The renewal worker hands the product-night to a queue consumed at the provider's rate limit, whose worker charges inline. */
  | { mode: 'deferred'; queue: MessageQueue<RenewalMessage> };

export const CHARGE_INLINE: ChargeMode = { mode: 'inline' };

export async function loadOrg(store: Pick<OrganisationReads, 'getOrganisation'>, orgId: string): Promise<Organisation> {
  const org = await store.getOrganisation(orgId);
  if (!org) throw new NotFoundError(`Organisation ${orgId} not found`, 'org_not_found');
  return org;
}

export async function loadProduct(store: Pick<ProductReads, 'getProduct'>, orgId: string, productId: string): Promise<Product> {
  const product = await store.getProduct(orgId, productId);
  if (!product) throw new NotFoundError(`Product ${productId} not found in organisation ${orgId}`, 'product_not_found');
  return product;
}

export function typeOf(catalogue: Catalogue, product: Product): ProductType {
  const type = catalogue.get(product.typeId);
  if (!type) throw new Error(`product ${product.id} has unknown type ${product.typeId}`);
  return type;
}

/**
 * Re-runs a unit of work that lost a race (balance, invoice counter, product
 * version). Each run re-reads its state, so the winner's write is seen.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 12): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof WriteConflict) || i >= attempts) throw err;
      await conflictPause(i);
    }
  }
}

/** A random wait growing with the try, so racing workers spread out. */
const jitter = (attempt: number): Promise<void> => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 10 * attempt)));
let conflictPause: (attempt: number) => Promise<void> = jitter;

/**
 * Replaces the wait after a lost race (for the process) and returns what puts the jitter back: a simulation
 * waits in seeded turns instead of timers, so a seed replays the same interleaving (bench/chaos).
 */
export function setConflictPause(pause: (attempt: number) => Promise<void>): () => void {
  conflictPause = pause;
  return () => {
    conflictPause = jitter;
  };
}
