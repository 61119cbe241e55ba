import type { IdGenerator } from '../../ports/ids.ts';
import type { MessageQueue } from '../../ports/message-queue.ts';
import type { WebhookVerifier } from '../../ports/payment-gateway.ts';
import type { RateLimiter } from '../../ports/rate-limiter.ts';
import type { CheckoutReads, DocumentReads, NightLog, OperationReads } from '../../ports/billing-store.ts';
import type { BillingDeps, RenewalStore } from '../renewal-deps.ts';

/** One unit of settlement work: a stored provider event to act on. */
export interface SettlementMessage {
  eventId: string;
}

/** What checkout, webhooks and settlement read beyond a renewal: every document read, checkouts, provider events. */
export type CheckoutStore = RenewalStore &
  DocumentReads &
  CheckoutReads &
  Pick<OperationReads, 'getGatewayEvent' | 'getGatewayEvents'> &
  Pick<NightLog, 'getReconcileWatermark' | 'putReconcileWatermark'>;

/** What checkout, webhooks and settlement need beyond the nightly renewal's ports. */
export interface CheckoutDeps extends Omit<BillingDeps, 'store'> {
  store: CheckoutStore;
  ids: IdGenerator;
  settlementQueue: MessageQueue<SettlementMessage>;
  verifier: WebhookVerifier;
  /** The public API's per-client request limit; absent where no HTTP request arrives (workers, CLI). */
  rateLimiter?: RateLimiter;
}
