import { join, resolve } from 'node:path';
import type { BillingStore } from '../shared/ports/billing-store.ts';
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { InMemoryBillingStore } from '../shared/adapters/memory/in-memory-billing-store.ts';
import { InMemoryRateLimiter } from '../shared/adapters/memory/in-memory-rate-limiter.ts';
import { DynamoDbRateLimiter } from '../shared/adapters/dynamodb/dynamodb-rate-limiter.ts';
import { createTableIfMissing } from '../shared/adapters/dynamodb/table-schema.ts';
import { localClient, startDynamoDbLocal, type DynamoDbLocal } from '../shared/adapters/local/dynamodb-local.ts';
import { connectLocalStore } from '../shared/adapters/local/local-store.ts';
import { InProcessQueue, type DeadLetter } from '../shared/adapters/local/in-process-queue.ts';
import { RecordingProvisioning } from '../shared/adapters/sandbox/recording-provisioning.ts';
import { SANDBOX_WEBHOOK_SECRET, SandboxPaymentGateway } from '../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { readStripeConfig } from '../shared/adapters/stripe/stripe-config.ts';
import { StripePaymentGateway } from '../shared/adapters/stripe/stripe-payment-gateway.ts';
import { StripeWebhookVerifier } from '../shared/adapters/stripe/stripe-webhook-verifier.ts';
import { withBusinessEvents } from '../shared/use-cases/events/with-business-events.ts';
import type { IdGenerator } from '../shared/ports/ids.ts';
import { NumberRangeLeases } from '../shared/use-cases/numbering.ts';
import { randomIds, systemClock } from '../shared/adapters/system-clock.ts';
import { addDays, type IsoDate } from '../shared/domain/calendar.ts';
import { NdjsonEventLog } from '../shared/adapters/events/ndjson-event-log.ts';
import { publishEvents, type EventDeps } from '../shared/use-cases/events/publish-events.ts';
import type { EngineConfig } from '../shared/config/billing-config.ts';
import { loadStageConfig } from '../shared/adapters/config/stage-config.ts';
import type { ReadStats } from '../shared/ports/billing-store.ts';
import { fixedClock, type Clock } from '../shared/ports/clock.ts';
import type { LifecycleMessage, RenewalMessage } from '../shared/ports/message-queue.ts';
import type { PaymentGateway, WebhookVerifier } from '../shared/ports/payment-gateway.ts';
import type { CheckoutDeps, SettlementMessage } from '../shared/use-cases/checkout/checkout-deps.ts';
import { receiveWebhook } from '../shared/use-cases/checkout/gateway-events.ts';
import { checkoutHousekeeping, type HousekeepingResult } from '../shared/use-cases/checkout/settle-checkout.ts';
import { FileDocumentStore } from '../shared/adapters/local/file-document-store.ts';
import { FileDocumentArchive } from '../shared/adapters/local/file-document-archive.ts';
import { archivingIssued, type ArchiveMessage } from '../shared/use-cases/finance/archive-messages.ts';
import { FileFormatsRenderer } from '../shared/adapters/documents/document-renderer.ts';
import { WorkerPdfRenderer } from '../shared/adapters/documents/worker-pdf-renderer.ts';
import { EInvoiceFileWriter } from '../shared/adapters/einvoice/e-invoice-writer.ts';
import type { ExportMessage, FinanceDeps } from '../shared/use-cases/finance/finance-deps.ts';
import { EmlFileMailer } from '../shared/adapters/mail/eml-file-mailer.ts';
import { deliverEmail, deliverOutbox, type MailDeps, type OutboxSweep } from '../shared/use-cases/mail/deliver-email.ts';

/** Every port the engine's use cases take, wired for this machine: the whole store, each use case typing the part it reads. */
export type EngineDeps = Omit<CheckoutDeps & FinanceDeps & MailDeps & EventDeps, 'store'> & { store: BillingStore };
import { planNight } from '../shared/use-cases/plan-night.ts';
import { republishPendingLifecycle, sweepLifecycle } from '../shared/use-cases/apply-lifecycle.ts';
import { doneInNight, summariseNight, type NightSummary } from '../shared/use-cases/summarise-night.ts';
import { CHARGE_INLINE } from '../shared/use-cases/renewal-deps.ts';

export const TABLE_NAME = 'billing';

export interface LocalRuntime {
  deps: EngineDeps;
  store: BillingStore;
  renewalQueue: InProcessQueue<RenewalMessage>;
  /** Renewals that need a provider charge, consumed at the provider's pace (when charges run apart). */
  chargeQueue: InProcessQueue<RenewalMessage>;
  lifecycleQueue: InProcessQueue<LifecycleMessage>;
  settlementQueue: InProcessQueue<SettlementMessage>;
  exportsQueue: InProcessQueue<ExportMessage>;
  /** Final invoices and credit notes issued, to be kept as issued (fed by the business events, as in AWS). */
  archiveQueue: InProcessQueue<ArchiveMessage>;
  provisioning: RecordingProvisioning;
  gateway: PaymentGateway;
  endpoint: string;
  /** Fault injection: every queue message, and every e-mail, is delivered twice. */
  duplicateDeliveries: boolean;
  close(): Promise<void>;
}

export interface LocalRuntimeOptions {
  /** Folder for persistent data (`.billing/`); omitted runs in memory. */
  home?: string;
  clock?: Clock;
  /** Where new ids come from (random by default); a simulation passes a seeded one to replay a run. */
  ids?: IdGenerator;
  gateway?: PaymentGateway;
  verifier?: WebhookVerifier;
  /**
   * Charges run on their own queue, as in AWS (where its consumer is throttled
   * to the provider's rate limit), so balance-paid renewals never wait behind them.
   */
  separateCharges?: boolean;
  /** Where PDFs and exports are written (the bucket's stand-in); `out/` by default. */
  outDir?: string;
  /** Fault injection for tests: every queue message is delivered twice. */
  duplicateDeliveries?: boolean;
  /** Reuse a running DynamoDB Local (tests share one per file). */
  endpoint?: string;
  /** No DynamoDB at all: the in-memory store and rate limiter (unit tests of the use cases, mutation testing). */
  memory?: boolean;
  tableName?: string;
  /** The rate limiter's clock, in epoch milliseconds (the wall clock by default: windows are real minutes). */
  rateLimitNow?: () => number;
  /** The stage's sellers, catalogue and VAT rates; config/sample.yaml (or the file `BILLING_CONFIG` names) by default. */
  config?: EngineConfig;
  /** Draw PDFs on this many worker threads (the CLI: PDFs in bulk); omitted draws them on the calling thread. */
  pdfThreads?: number;
}

/**
 * The engine on this machine: DynamoDB Local started from the npm package,
 * in-process queues feeding the Lambda handlers, the sandbox gateway and a
 * recording provisioning port.
 */
export async function openLocalRuntime(opts: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  let db: DynamoDbLocal | undefined;
  let endpoint = opts.endpoint;
  if (opts.memory) {
    endpoint = 'memory';
  } else if (!endpoint && opts.home) {
    // A data folder's store outlives the command: the next one finds it running (see local-store.ts).
    endpoint = await connectLocalStore(opts.home);
  } else if (!endpoint) {
    db = await startDynamoDbLocal();
    endpoint = db.endpoint;
  }
  const client = opts.memory ? undefined : localClient(endpoint!);
  const tableName = opts.tableName ?? TABLE_NAME;
  if (client) await createTableIfMissing(client, tableName);
  // Every commit carries its business events (the local log publishes them, EventBridge in AWS).
  const store: BillingStore = withBusinessEvents(client ? new DynamoDbBillingStore(client, tableName) : new InMemoryBillingStore());
  const queueOpts = { duplicateDeliveries: opts.duplicateDeliveries ?? false };
  const renewalQueue = new InProcessQueue<RenewalMessage>('renewal', queueOpts);
  const chargeQueue = new InProcessQueue<RenewalMessage>('charge', queueOpts);
  const lifecycleQueue = new InProcessQueue<LifecycleMessage>('lifecycle', queueOpts);
  const settlementQueue = new InProcessQueue<SettlementMessage>('settlement', queueOpts);
  const provisioning = new RecordingProvisioning();
  const stripe = opts.gateway ? undefined : readStripeConfig();
  const gateway =
    opts.gateway ??
    (stripe ? StripePaymentGateway.fromConfig(stripe) : new SandboxPaymentGateway({ ...(opts.home ? { journal: join(resolve(opts.home), 'sandbox-charges.jsonl') } : {}) }));
  const verifier = opts.verifier ?? new StripeWebhookVerifier(stripe?.webhookSecret ?? SANDBOX_WEBHOOK_SECRET);
  const exportsQueue = new InProcessQueue<ExportMessage>('exports', queueOpts);
  const archiveQueue = new InProcessQueue<ArchiveMessage>('archive', queueOpts);
  const config = opts.config ?? loadStageConfig();
  const renderer = opts.pdfThreads ? new WorkerPdfRenderer(opts.pdfThreads) : new FileFormatsRenderer();
  const deps: EngineDeps = {
    charges: opts.separateCharges ? { mode: 'deferred', queue: chargeQueue } : CHARGE_INLINE,
    renderer,
    eInvoices: new EInvoiceFileWriter(),
    documents: new FileDocumentStore(opts.outDir ?? 'out'),
    // Kept documents under the same folder's archive/, each written once and made read-only.
    archive: new FileDocumentArchive(opts.outDir ?? 'out'),
    // The mail service of this machine: .eml files under out/mail/, from the outbox, once each.
    mailer: new EmlFileMailer(opts.outDir ?? 'out', config.mail.portalUrl),
    ...(config.mail.from ? { mailFrom: config.mail.from } : {}),
    // The event bus of this machine: out/events/<date>.ndjson, the envelope of docs/events.md.
    // Each final invoice and credit note issued goes to the archive queue beside it, as publish-events does in AWS.
    events: archivingIssued(new NdjsonEventLog(opts.outDir ?? 'out'), archiveQueue),
    exportsQueue,
    store,
    gateway,
    catalogue: config.catalogue,
    seller: config.seller,
    sellers: config.sellers,
    vatRates: config.vatRates,
    accounting: config.accounting,
    clock: opts.clock ?? systemClock(),
    // This process's number ranges, for sellers numbering by process (each CLI or bench process its own).
    numberRanges: new NumberRangeLeases(store, opts.clock ?? systemClock(), (opts.ids ?? randomIds).next('process')),
    lifecycleQueue,
    provisioning,
    ids: opts.ids ?? randomIds,
    settlementQueue,
    verifier,
    // The API's per-client limit, counted on the same table as in AWS.
    rateLimiter: client ? new DynamoDbRateLimiter(client, tableName, opts.rateLimitNow ? { now: opts.rateLimitNow } : {}) : new InMemoryRateLimiter(opts.rateLimitNow),
  };
  // The sandbox announces outcomes as signed webhooks; they enter through the same intake as Stripe's.
  if (gateway instanceof SandboxPaymentGateway) gateway.onWebhook(async (raw, signature) => void (await receiveWebhook(deps, raw, signature)));
  return {
    deps,
    store,
    renewalQueue,
    chargeQueue,
    lifecycleQueue,
    settlementQueue,
    exportsQueue,
    archiveQueue,
    provisioning,
    gateway,
    endpoint: endpoint!,
    duplicateDeliveries: queueOpts.duplicateDeliveries,
    close: async () => {
      if (renderer instanceof WorkerPdfRenderer) await renderer.close();
      client?.destroy();
      await db?.stop();
    },
  };
}

export interface NightReport extends NightSummary {
  planned: number;
  /** Items and capacity units read from the date index to find the night's work. */
  indexRead: ReadStats;
  /** Security holds refunded and abandoned checkouts released tonight. */
  checkouts: HousekeepingResult;
  deadLetters: DeadLetter[];
  seconds: number;
}

/** Delivers pending lifecycle commands (after a manual renewal, for instance). */
export async function runLifecycle(rt: LocalRuntime): Promise<void> {
  const { makeApplyLifecycleHandler } = await import('./local-handlers.ts');
  await rt.lifecycleQueue.drain(makeApplyLifecycleHandler(rt.deps, false));
}

/** Delivers whatever settlement and lifecycle work is queued, as the queues' consumers would in AWS, then the day's e-mails. */
/**
 * `outbox: false` leaves the day's e-mails and business events where the commits wrote them: in AWS their
 * senders are other functions, fed by the table's stream (the bench times the renewal path without them).
 */
export async function drainQueues(rt: LocalRuntime, deps: EngineDeps = rt.deps, opts: { outbox?: boolean } = {}): Promise<void> {
  // What AWS's 5-minute sweep does: commands a crashed command committed but never queued go out now.
  await sweepLifecycle(deps, 0);
  const { makeSettlePaymentHandler, makeRunExportHandler, makeApplyLifecycleHandler, makeArchiveDocumentsHandler } = await import('./local-handlers.ts');
  while (rt.settlementQueue.depth > 0 || rt.lifecycleQueue.depth > 0 || rt.exportsQueue.depth > 0) {
    await rt.settlementQueue.drain(makeSettlePaymentHandler(deps, false));
    await rt.exportsQueue.drain(makeRunExportHandler(deps, false));
    await rt.lifecycleQueue.drain(makeApplyLifecycleHandler(deps, false));
  }
  if (opts.outbox === false) return;
  // The table's stream in AWS: the business events of yesterday and today not yet in the log; with them the
  // documents issued go to the archive queue, whose worker keeps them before the e-mails that name them go.
  const today = deps.clock.today();
  for (const date of [addDays(today, -1), today]) await publishEvents(deps, date);
  // A few at a time, as Lambda runs several containers: the CLI draws PDFs on worker threads.
  await rt.archiveQueue.drain(makeArchiveDocumentsHandler(deps, false), { concurrency: 4 });
  await sendOutbox(rt, deps);
}

/**
 * The outbox's consumer on this machine (DynamoDB Streams and the mail queue in AWS): the day's
 * unsent e-mails, as .eml files. Under fault injection each e-mail is delivered twice, as a stream may.
 */
export async function sendOutbox(rt: LocalRuntime, deps: EngineDeps = rt.deps, date: IsoDate = deps.clock.today()): Promise<OutboxSweep> {
  const sweep = await deliverOutbox(deps, date);
  if (rt.duplicateDeliveries) {
    for (const email of await deps.store.listOutbox(date)) await deliverEmail(deps, { date, id: email.id });
  }
  return sweep;
}

/**
 * One night through the real flow: plan-night → renewal queue → renew-product
 * → lifecycle queue → apply-lifecycle, with the clock set to that night.
 */
/** Like the charge queue's event source in AWS: few consumers, so the provider's rate limit holds. */
const CHARGE_CONCURRENCY = 4;

export async function runNight(
  rt: LocalRuntime,
  night: IsoDate,
  opts: { concurrency?: number; onProgress?: (done: number, total: number) => void; outbox?: boolean } = {},
): Promise<NightReport> {
  const started = performance.now();
  const { makeRenewProductHandler, makeApplyLifecycleHandler } = await import('./local-handlers.ts');
  const deps = { ...rt.deps, clock: fixedClock(night) };
  // Here a night's renewals run only after its plan is recorded: a night later than the last one recorded has done nothing yet.
  const last = await rt.store.lastNightRun();
  const already = last && last.date >= night ? await doneInNight(rt.store, night) : new Set<string>();
  const plan = await planNight({ ...deps, renewalQueue: rt.renewalQueue }, night);
  const queues = [rt.renewalQueue, rt.chargeQueue, rt.lifecycleQueue, rt.settlementQueue];
  const dlqBefore = queues.map((q) => q.deadLetters.length);
  const total = rt.renewalQueue.depth;
  let done = 0;
  await rt.renewalQueue.drain(makeRenewProductHandler(deps, false), {
    concurrency: opts.concurrency ?? 4,
    onBatch: (s) => {
      done = Math.min(total, s.deliveries);
      opts.onProgress?.(done, total);
    },
  });
  // The charge queue's consumer charges inline: it is the one place charges happen.
  await rt.chargeQueue.drain(makeRenewProductHandler({ ...deps, charges: CHARGE_INLINE }, false), { concurrency: Math.min(opts.concurrency ?? 4, CHARGE_CONCURRENCY) });
  const checkouts = await checkoutHousekeeping(deps, night);
  await rt.lifecycleQueue.drain(makeApplyLifecycleHandler(deps, false), { concurrency: opts.concurrency ?? 4 });
  await republishPendingLifecycle(deps, night);
  await drainQueues(rt, deps, opts.outbox === false ? { outbox: false } : {});
  const summary = await summariseNight(rt.store, night, already);
  const deadLetters = queues.flatMap((q, i) => q.deadLetters.slice(dlqBefore[i]));
  return {
    ...summary,
    planned: plan.planned,
    indexRead: plan.read,
    checkouts,
    deadLetters,
    seconds: (performance.now() - started) / 1000,
  };
}
