import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { makeImportStatementHandler } from '../../functions/bank/import-statement.ts';
import { seedPortfolio } from '../../functions/cli/demo-portfolio.ts';
import { openLocalRuntime, type EngineDeps, type LocalRuntime } from '../../functions/local-runtime.ts';
import { parseLifecycleMessage, parseRenewalMessage, parseSettlementMessage } from '../../functions/messages.ts';
import { localClient, startDynamoDbLocal, type DynamoDbLocal } from '../../shared/adapters/local/dynamodb-local.ts';
import type { SqsHandler } from '../../shared/adapters/local/in-process-queue.ts';
import { SANDBOX_WEBHOOK_SECRET } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { StripeWebhookVerifier } from '../../shared/adapters/stripe/stripe-webhook-verifier.ts';
import { addDays, datesBetween, type IsoDate } from '../../shared/domain/calendar.ts';
import type { Organisation } from '../../shared/domain/organisation.ts';
import type { DueProductRef } from '../../shared/ports/billing-store.ts';
import type { RenewalMessage } from '../../shared/ports/message-queue.ts';
import { applyLifecycle } from '../../shared/use-cases/apply-lifecycle.ts';
import { processGatewayEvent, reconcileGatewayEvents } from '../../shared/use-cases/checkout/gateway-events.ts';
import { checkoutHousekeeping } from '../../shared/use-cases/checkout/settle-checkout.ts';
import { republishPendingLifecycle } from '../../shared/use-cases/apply-lifecycle.ts';
import { linkToPartner, setPartnerProfile } from '../../shared/use-cases/manage-partners.ts';
import { planNight } from '../../shared/use-cases/plan-night.ts';
import { renewProduct } from '../../shared/use-cases/renew-product.ts';
import { CHARGE_INLINE, setConflictPause } from '../../shared/use-cases/renewal-deps.ts';
import type { IdGenerator } from '../../shared/ports/ids.ts';
import { Bank } from './bank.ts';
import { Customers, type CustomerRates, type CustomerStats } from './customers.ts';
import { ChaosGateway, countingQueue, crashingStore, FAULT, FaultLog, InjectedCrash, isInjected, type FaultRates } from './faults.ts';
import { checkAll, readBooks, type InvariantResult } from './invariants.ts';
import { plantedSeller, plantingStore, type PlantedBug, type TakeNumber } from './plants.ts';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { keys } from '../../shared/adapters/dynamodb/keys.ts';
import { InMemoryBillingStore } from '../../shared/adapters/memory/in-memory-billing-store.ts';
import { Rng } from './random.ts';
import { withCommit } from './store-wrap.ts';
import type { Change } from '../../shared/ports/unit-of-work.ts';
import { ReferenceModel } from './reference-model.ts';
import { secondsOf, SimClock } from './sim-clock.ts';
import { WebhookWire, type WireRates, type WireStats } from './webhook-wire.ts';

export interface ChaosOptions {
  seed: number;
  nights: number;
  products: number;
  orgs: number;
  /** The first simulated night. */
  start: IsoDate;
  /** Product expiries are spread over this many days after the start. */
  spreadDays: number;
  /** The first product expiry, in days from the start (below 0: lapsed products, blocked and terminated sooner). */
  firstExpiryInDays: number;
  /** A running DynamoDB Local to use (tests share one); otherwise one is started in memory. */
  endpoint?: string;
  /**
   * The in-memory store instead of DynamoDB Local (held to the same behaviour by the store contract suite):
   * for the planted-bug runs, which test the run's checks rather than the store.
   */
  memory?: boolean;
  /** Renewal batches in flight at once, as Lambda's event source mapping would run them. */
  concurrency: number;
  /** Share of a night's due products that a second and third worker renew at the same time. */
  twoWorkersShare: number;
  nightTwice: number;
  /** Every how many days reconciliation lists the provider's events. */
  reconcileEvery: number;
  faults: FaultRates;
  wire: WireRates;
  customers: CustomerRates;
  bank: { fileTwice: number; bookingRepeated: number };
  /** Every this many days the settlement or (next time) the lifecycle worker fails all afternoon: its messages reach the DLQ and are redriven next morning. */
  outageEvery: number;
  /** Share of organisations put under an identity check (paid orders held until finance releases them, or refunded after 10 days). */
  identityChecks: number;
  /** Share of organisations that are partners (resellers with a discount), and share of the others entrusted to one of them. */
  partners: { share: number; clients: number };
  /** A bug planted in the engine for this run, to show the checks catch it (tests only). */
  plant?: PlantedBug;
  /** In memory too, wait after a lost race on real timers (random milliseconds) as the store adapters do. */
  timerPauses?: boolean;
  /** Told of every commit the store took, with the simulated time: to follow a violation's records back (bench/chaos). */
  onCommit?: (changes: Change[], at: string) => void;
  log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: ChaosOptions = {
  seed: 20261115,
  nights: 60,
  products: 2000,
  orgs: 150,
  start: '2026-11-15',
  spreadDays: 60,
  firstExpiryInDays: 1,
  concurrency: 4,
  twoWorkersShare: 0.03,
  nightTwice: 0.12,
  reconcileEvery: 3,
  faults: { crashBefore: 0.03, crashAfter: 0.03, chargeTimeoutBefore: 0.03, chargeTimeoutAfter: 0.05, createPaymentTimeout: 0.05, getPaymentError: 0.02 },
  wire: { drop: 0.06, duplicate: 0.2, delay: 0.2, staleReplay: 0.02 },
  customers: {
    checkoutsPerOrgDay: 0.08,
    topUpsPerOrgDay: 0.015,
    declineFirst: 0.25,
    payLate: 0.12,
    abandon: 0.08,
    dashboardRefundsPerDay: 0.5,
    renewalRefundShare: 0.3,
    byTransfer: 0.15,
    burst: 0.1,
    duringNight: 0.05,
  },
  bank: { fileTwice: 0.15, bookingRepeated: 0.1 },
  outageEvery: 10,
  identityChecks: 0.1,
  partners: { share: 0.04, clients: 0.2 },
};

/**
 * The small run `npm test` makes (`npm run chaos -- --small`): 200 products
 * over 28 nights, expiries close together and some lapsed already so that
 * products are blocked and terminated within the nights simulated, and
 * higher fault rates so that every kind of fault is injected in so short a run.
 */
export const SMALL_OPTIONS: ChaosOptions = {
  ...DEFAULT_OPTIONS,
  seed: 7,
  products: 200,
  orgs: 30,
  nights: 28,
  firstExpiryInDays: -8,
  spreadDays: 20,
  twoWorkersShare: 0.1,
  nightTwice: 0.25,
  reconcileEvery: 2,
  faults: { crashBefore: 0.08, crashAfter: 0.12, chargeTimeoutBefore: 0.1, chargeTimeoutAfter: 0.15, createPaymentTimeout: 0.15, getPaymentError: 0.05 },
  wire: { drop: 0.1, duplicate: 0.3, delay: 0.3, staleReplay: 0.1 },
  customers: { ...DEFAULT_OPTIONS.customers, checkoutsPerOrgDay: 0.15, topUpsPerOrgDay: 0.03, dashboardRefundsPerDay: 1, byTransfer: 0.2, burst: 0.15 },
  bank: { fileTwice: 0.3, bookingRepeated: 0.2 },
  outageEvery: 4,
  partners: { share: 0.1, clients: 0.3 },
};

/** The shorter run each planted bug gets in `npm test`: the small run's rates, fewer products and nights. */
export const PLANT_OPTIONS: ChaosOptions = { ...SMALL_OPTIONS, nights: 6, products: 80, orgs: 12 };

export interface ChaosReport {
  options: ChaosOptions;
  invariants: InvariantResult[];
  faults: Map<string, number>;
  violations: number;
  /** Dead letters and errors that were no injected fault. */
  problems: string[];
  /** Findings outside the invariants, printed but not counted. */
  stats: {
    seedSeconds: number;
    runSeconds: number;
    checkSeconds: number;
    renewals: { attempted: number; paid: number; failed: number; reminders: number; blocked: number; unblocked: number; terminated: number };
    documents: Record<string, number>;
    checkouts: Record<string, number>;
    customers: CustomerStats;
    wire: WireStats;
    reconciled: number;
    deadLetters: number;
    bankFiles: number;
    partners: { partners: number; clients: number; billed: number; invoicedToPartner: number; discountedLines: number };
  };
}

interface ErrorLog {
  problems: string[];
}

/** An SQS consumer like the functions' middy handlers (partial batch failures), that also notes errors that were not injected. */
function consumer<T>(queue: string, parse: (body: string) => T, work: (msg: T) => Promise<unknown>, log: ErrorLog): SqsHandler {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const results = await Promise.allSettled(event.Records.map((r) => work(parse(r.body))));
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    results.forEach((res, i) => {
      if (res.status === 'fulfilled') return;
      batchItemFailures.push({ itemIdentifier: event.Records[i]!.messageId });
      if (!isInjected(res.reason)) log.problems.push(`${queue} ${event.Records[i]!.body}: ${describe(res.reason)}`);
    });
    return { batchItemFailures };
  };
}

/** Takes a series number without writing a document, on whichever store the run uses (the `number-skipped` plant). */
function numberTaker(rt: LocalRuntime, client: ReturnType<typeof localClient> | undefined, tableName: string): TakeNumber {
  if (rt.store instanceof InMemoryBillingStore) {
    const store = rt.store;
    return async (series, range, year) => store.takeNumber(series, range, year);
  }
  return async (series, range, year) => {
    const key = keys.seriesCounter(series, range, year);
    await client!.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        UpdateExpression: 'SET #last = #last + :one',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
  };
}

/** A discount with a half cent in it now and then, so that the rounding of discounts is exercised. */
const DISCOUNTS = ['10', '12.5', '20', '35'] as const;

/**
 * A few organisations become partners (the provider's decision), with their
 * first saved method as the one that renews their clients; some others
 * entrust their products to one, half of those (in the same currency)
 * letting the partner be invoiced. Returns what the model is told: each
 * client's partner, the discount and whether the partner is billed.
 */
async function makePartners(rt: LocalRuntime, orgs: Organisation[], rng: Rng, rates: ChaosOptions['partners']) {
  const links = new Map<string, { id: string; discountPercent: string; billed: boolean }>();
  const partners = rng.sample(orgs, Math.round(orgs.length * rates.share));
  const discounts = new Map<string, string>();
  for (const p of partners) {
    const discountPercent = rng.pick(DISCOUNTS);
    const [method] = await rt.store.listPaymentMethods(p.id);
    await setPartnerProfile(rt.deps, p.id, { discountPercent, ...(method ? { renewalMethodId: method.id } : {}) });
    discounts.set(p.id, discountPercent);
  }
  if (partners.length === 0) return links;
  for (const client of orgs) {
    if (discounts.has(client.id) || !rng.chance(rates.clients)) continue;
    const partner = rng.pick(partners);
    const billed = partner.currency === client.currency && rng.chance(0.5);
    await linkToPartner(rt.deps, client.id, { partnerId: partner.id, billToPartner: billed });
    links.set(client.id, { id: partner.id, discountPercent: discounts.get(partner.id)!, billed });
  }
  return links;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * A chaos run: seeds a portfolio, then lives through `nights` nights and
 * days while workers die around commits, the provider times out after
 * charging and forgets its keys, workers collide, nights run twice and
 * webhooks arrive twice, late, out of order or never. Then reads the books
 * back and checks the invariants.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const o = options;
  const log = o.log ?? (() => {});
  const started = performance.now();
  let db: DynamoDbLocal | undefined;
  const endpoint = o.memory ? undefined : (o.endpoint ?? (db = await startDynamoDbLocal()).endpoint);
  const outDir = mkdtempSync(join(tmpdir(), 'billing-chaos-'));
  const clock = new SimClock(o.start, '00:30:00.000Z');
  const faults = new FaultLog(o.seed, o.faults);
  const gateway = new ChaosGateway({ nowSeconds: () => clock.seconds() });
  const wire = new WebhookWire(o.seed, faults, clock, o.wire);
  gateway.attachWire(wire.capture);
  let rt: LocalRuntime | undefined;
  const tableName = `chaos-${o.seed}-${process.pid}-${Date.now()}`;
  const client = endpoint ? localClient(endpoint) : undefined;
  gateway.plant = o.plant;
  // In memory nothing waits on a socket: with ids and the wait after a lost race drawn from the seed, a
  // seed replays the same interleaving, so a violation found once can be found again and followed.
  const replay = new Rng(o.seed ^ 0x5eed);
  const restorePause =
    o.memory && !o.timerPauses
      ? setConflictPause(async (attempt) => {
          for (let turns = replay.int(1, 10 * attempt); turns > 0; turns--) await new Promise<void>((r) => setImmediate(r));
        })
      : undefined;
  try {
    rt = await openLocalRuntime({
      ...(endpoint ? { endpoint } : { memory: true }),
      ...(o.memory ? { ids: seededIds(replay) } : {}),
      tableName,
      clock,
      gateway,
      verifier: new StripeWebhookVerifier(SANDBOX_WEBHOOK_SECRET, { now: () => clock.seconds() * 1000 }),
      duplicateDeliveries: true,
      outDir,
    });
    return await live(rt);
  } finally {
    restorePause?.();
    await rt?.close();
    client?.destroy();
    await db?.stop();
    rmSync(outDir, { recursive: true, force: true });
  }

  async function live(rt: LocalRuntime): Promise<ChaosReport> {
    // 1. The portfolio, through the use cases, with no fault yet.
    log(`seeding ${o.orgs} organisations and ${o.products} products (seed ${o.seed})...`);
    const seeded = await seedPortfolio(rt, { orgs: o.orgs, products: o.products, today: o.start, seed: o.seed, spreadDays: o.spreadDays, firstExpiryInDays: o.firstExpiryInDays });
    const orgs = (await Promise.all(seeded.orgIds.map((id) => rt.store.getOrganisation(id)))).filter((x): x is Organisation => !!x);
    // A few organisations the provider asks for an identity check: their paid orders are held until finance releases them.
    const checked = new Rng(o.seed ^ 0x1d).sample(orgs, Math.round(orgs.length * o.identityChecks));
    if (checked.length > 0) await rt.store.commit(checked.map((x) => ({ type: 'identityCheck' as const, orgId: x.id, state: 'required' as const })));
    const links = await makePartners(rt, orgs, new Rng(o.seed ^ 0x9a27), o.partners);
    const initialExpiry = new Map<string, IsoDate>();
    const openingProducts = [];
    for (const org of orgs) {
      for (const p of await rt.store.listProducts(org.id)) {
        initialExpiry.set(p.id, p.expiry);
        openingProducts.push({ id: p.id, orgId: p.orgId, typeId: p.typeId, periodMonths: p.periodMonths, openingExpiry: p.expiry });
      }
    }
    // The opening books are the model's starting point; from here on it learns only what happens outside the engine.
    const model = new ReferenceModel(
      orgs.map((x) => ({
        id: x.id,
        currency: x.currency,
        country: x.country,
        ...(x.vatNumber ? { vatNumber: x.vatNumber } : {}),
        openingBalance: x.balance,
        ...(links.has(x.id) ? { partner: links.get(x.id)! } : {}),
      })),
      openingProducts,
    );
    for (const x of checked) model.identityChecked(x.id);
    const seedSeconds = (performance.now() - started) / 1000;
    log(`seeded in ${seedSeconds.toFixed(1)} s`);

    // 2. The engine as the workers see it: a store whose commits may die, counted queues, the misbehaving provider.
    const errors: ErrorLog = { problems: [] };
    const onCommit = o.onCommit;
    const watched = (store: LocalRuntime['store']) =>
      onCommit
        ? withCommit(store, async (changes) => {
            await store.commit(changes);
            onCommit(changes, clock.now());
          })
        : store;
    const deps: EngineDeps = {
      ...rt.deps,
      clock,
      seller: plantedSeller(rt.deps.seller, o.plant),
      store: plantingStore(crashingStore(watched(rt.store), faults), o.plant, numberTaker(rt, client, tableName)),
      lifecycleQueue: countingQueue(rt.lifecycleQueue, faults, true),
      settlementQueue: countingQueue(rt.settlementQueue, faults, true),
    };
    const renewalQueue = countingQueue(rt.renewalQueue, faults, true);
    // As deployed: renew-product settles what the balance covers and hands the rest to the charge queue, whose
    // consumer (charge-renewal) charges inline; two workers on one product (below) charge inline at once.
    const chargeQueue = countingQueue(rt.chargeQueue, faults, true);
    const renewing: EngineDeps = { ...deps, charges: { mode: 'deferred', queue: chargeQueue } };
    const charging: EngineDeps = { ...deps, charges: CHARGE_INLINE };
    const renew = consumer('renewal', parseRenewalMessage, (m) => gateway.work(() => renewProduct(renewing, m)), errors);
    const charge = consumer('charge', parseRenewalMessage, (m) => gateway.work(() => renewProduct(charging, m)), errors);
    // An outage: every receive of one worker fails for a while, so its messages run out of receives.
    let down: 'settlement' | 'lifecycle' | undefined;
    const outage = (worker: 'settlement' | 'lifecycle') => {
      if (down === worker) throw new InjectedCrash(`[chaos] ${worker} worker down`);
    };
    const lifecycle = consumer('lifecycle', parseLifecycleMessage, (m) => gateway.work(async () => (outage('lifecycle'), applyLifecycle(deps, m))), errors);
    const settle = consumer('settlement', parseSettlementMessage, (m) => gateway.work(async () => (outage('settlement'), processGatewayEvent(deps, m))), errors);
    const redrive = async () => {
      const moved = rt.settlementQueue.redrive() + rt.lifecycleQueue.redrive();
      if (moved > 0) faults.add(FAULT.redriven, moved);
      await drainAll();
    };
    const rng = new Rng(o.seed);
    const bank = new Bank(new Rng(o.seed ^ 0xba4c), faults, { CHF: deps.seller.iban, EUR: deps.seller.iban, qrIban: deps.seller.qrIban ?? deps.seller.iban }, o.bank);
    // The customers see their organisations as they stand after the partner links.
    const linked = (await Promise.all(orgs.map((x) => rt.store.getOrganisation(x.id)))).filter((x): x is Organisation => !!x);
    const customers = new Customers(deps, gateway, linked, new Rng(o.seed ^ 0xc0ffee), o.customers, o.seed, model, bank);
    // The bank's files land in the bucket and the import function reads them, as S3's notification runs it.
    const bucket = new Map<string, string>();
    const importFile = makeImportStatementHandler(deps, async (_b, key) => bucket.get(key)!);
    const deliverFile = async (name: string, xml: string) => {
      bucket.set(name, xml);
      const event = { Records: [{ s3: { bucket: { name: 'documents' }, object: { key: name, size: Buffer.byteLength(xml) } } }] } as unknown as S3Event;
      // An asynchronous invocation that fails is retried by Lambda; a file is never dropped.
      for (let attempt = 1; ; attempt++) {
        try {
          await gateway.work(() => importFile(event, {} as Context));
          return;
        } catch (err) {
          if (isInjected(err) && attempt < 6) continue;
          errors.problems.push(`bank file ${name}: ${describe(err)}`);
          return;
        }
      }
    };
    gateway.faults = faults;
    faults.enabled = true;
    let reconciled = 0;

    const drainAll = async () => {
      while (rt.settlementQueue.depth > 0 || rt.lifecycleQueue.depth > 0) {
        await rt.settlementQueue.drain(settle, { concurrency: 2 });
        await rt.lifecycleQueue.drain(lifecycle, { concurrency: o.concurrency });
      }
    };
    const guarded = async (what: string, work: () => Promise<unknown>) => {
      try {
        await gateway.work(work);
      } catch (err) {
        if (!isInjected(err)) errors.problems.push(`${what}: ${describe(err)}`);
      }
    };

    const night = async (date: IsoDate, collide: DueProductRef[], first: boolean) => {
      await planNight({ store: deps.store, clock: deps.clock, renewalQueue }, date);
      await Promise.all([
        (async () => {
          await rt.renewalQueue.drain(renew, { concurrency: o.concurrency });
          await rt.chargeQueue.drain(charge, { concurrency: o.concurrency });
        })(),
        // The world does not wait for the night to end: late payers pay, webhooks arrive and settle meanwhile.
        first &&
          (async () => {
            await customers.duringNight(date);
            await customers.payLate(date);
            await wire.deliver(deps);
            await drainAll();
          })(),
        ...collide.map(async (ref) => {
          faults.add(FAULT.twoWorkers);
          const msg: RenewalMessage = { orgId: ref.orgId, productId: ref.productId, night: date };
          const res = await Promise.allSettled([gateway.work(() => renewProduct(deps, msg)), gateway.work(() => renewProduct(deps, msg))]);
          for (const x of res) if (x.status === 'rejected' && !isInjected(x.reason)) errors.problems.push(`two workers on ${ref.productId} ${date}: ${describe(x.reason)}`);
        }),
      ]);
      await guarded(`housekeeping ${date}`, () => checkoutHousekeeping(deps, date));
      await guarded(`lifecycle sweep ${date}`, () => republishPendingLifecycle(deps, date));
      await drainAll();
    };

    // 3. The nights and days.
    const nights = datesBetween(o.start, addDays(o.start, o.nights - 1));
    const runStarted = performance.now();
    for (const [i, date] of nights.entries()) {
      const t0 = performance.now();
      // Forgetting idempotency keys and a lagging search never meet in one night: together no engine could tell.
      gateway.setKeyMode(i % 2 === 0 ? 'stale-search' : 'forget');
      clock.set(date, '02:00:00.000Z');
      const due = await rt.store.listDueProducts(date);
      const collide = rng.sample(due, Math.round(due.length * o.twoWorkersShare));
      const twice = rng.chance(o.nightTwice);
      await night(date, collide, true);
      if (twice) {
        faults.add(FAULT.nightTwice);
        await night(date, [], false);
      }
      clock.set(date, '10:00:00.000Z');
      if (i % o.reconcileEvery === o.reconcileEvery - 1) {
        await guarded(`reconcile ${date}`, async () => {
          reconciled += (await reconcileGatewayEvents(deps, secondsOf(addDays(date, -4)))).missing;
        });
      }
      // The operator redrives what an outage sent to the dead-letter queues yesterday.
      await redrive();
      await customers.day(date);
      await customers.releaseHolds(date);
      clock.set(date, '14:00:00.000Z');
      if (i % o.outageEvery === o.outageEvery - 1) {
        down = Math.floor(i / o.outageEvery) % 2 === 0 ? 'settlement' : 'lifecycle';
        faults.add(down === 'settlement' ? FAULT.settlementOutage : FAULT.lifecycleOutage);
      }
      await wire.deliver(deps);
      await drainAll();
      down = undefined;
      clock.set(date, '18:00:00.000Z');
      await bank.close(date, deliverFile);
      await drainAll();
      const outcomes = await rt.store.listNightOutcomes(date);
      log(
        `${date}: ${due.length} due, ${outcomes.filter((x) => x.paid).length} paid, ${outcomes.filter((x) => x.failed).length} failed, ` +
          `${outcomes.filter((x) => x.blocked).length} blocked, ${outcomes.filter((x) => x.terminated).length} terminated` +
          `${twice ? ', run twice' : ''}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }

    // 4. The dust settles: no more faults, every webhook arrives, reconciliation and housekeeping run once more.
    faults.enabled = false;
    const end = addDays(o.start, o.nights);
    clock.set(end, '12:00:00.000Z');
    await bank.close(end, deliverFile);
    await wire.deliver(deps, { all: true });
    await redrive();
    await guarded('final reconcile', async () => {
      reconciled += (await reconcileGatewayEvents(deps, secondsOf(o.start))).missing;
    });
    // Reconciliation queues what it found to settlement: settled first, an order it holds is one finance sees.
    await drainAll();
    await customers.releaseHolds(end, true);
    await guarded('final housekeeping', () => checkoutHousekeeping(deps, end));
    await guarded('final lifecycle sweep', () => republishPendingLifecycle(deps, end));
    await drainAll();
    const runSeconds = (performance.now() - runStarted) / 1000;

    // 5. The books, read back, and the invariants.
    const checkStarted = performance.now();
    const books = await readBooks({ store: rt.store, gateway, nights, today: end, provisioning: rt.provisioning.calls, initialExpiry });
    const invariants = checkAll(books);
    const deadLetters = [rt.renewalQueue, rt.chargeQueue, rt.lifecycleQueue, rt.settlementQueue].flatMap((q) => q.deadLetters.map((d) => `dead letter on ${q.name}: ${d.body}`));
    const problems = [...deadLetters, ...errors.problems, ...wire.problems, ...customers.problems];
    invariants.push({ name: '7. the run converged (no dead letter, no error but injected ones)', checks: 1, violations: problems });
    for (const b of bank.sent) model.banked(b);
    const judged = model.judge(
      {
        orgs: books.orgs.map((x) => ({ id: x.id, balance: x.balance })),
        products: books.products.map((p) => ({ id: p.id, orgId: p.orgId, expiry: p.expiry, status: p.status })),
        invoices: books.invoices.map((i) => ({
          number: i.number,
          series: i.series,
          orgId: i.orgId,
          issueDate: i.issueDate,
          status: i.status,
          total: i.total,
          ...(i.checkoutId ? { checkoutId: i.checkoutId } : {}),
          lines: i.lines.map((l) => ({
            ...(l.productId ? { productId: l.productId } : {}),
            ...(l.periodFrom ? { periodFrom: l.periodFrom } : {}),
            ...(l.periodTo ? { periodTo: l.periodTo } : {}),
            gross: l.gross,
          })),
          paidBy: i.payments.flatMap((p) => (p.ref ? [p.ref] : [])),
        })),
      },
      gateway.chargeList(),
      end,
    );
    judged.forEach((f, i) => invariants.push({ name: `${8 + i}. ${f.check}`, checks: f.checks, violations: f.violations }));
    const count = (xs: { status?: string; series?: string }[], k: 'status' | 'series') => xs.reduce<Record<string, number>>((m, x) => ((m[x[k]!] = (m[x[k]!] ?? 0) + 1), m), {});
    const sum = (f: (x: (typeof books.outcomes)[number]) => boolean | number) => books.outcomes.reduce((s, x) => s + Number(f(x)), 0);
    // The books of the organisations a violation names are printed with it, so a failure seen once can be read.
    const named = invariants.flatMap((r) => r.violations).flatMap((v) => [...v.matchAll(/\b(org-[\w-]+\d)\b/g)].map((m) => m[1]!));
    const dumped = [...new Set([...(process.env.CHAOS_DUMP ?? '').split(',').filter(Boolean), ...named.slice(0, 3)])];
    for (const orgId of dumped) {
      log(`--- books of ${orgId}`);
      for (const c of books.checkouts.filter((x) => x.orgId === orgId)) log(`checkout ${JSON.stringify(c)}`);
      for (const i of books.invoices.filter((x) => x.orgId === orgId))
        log(
          `invoice ${i.number} ${i.issueDate} ${i.status} ${i.total} ${i.checkoutId ?? ''} ${i.reopenedBy ?? ''} ${JSON.stringify(i.lines.map((l) => [l.productId, l.periodFrom, l.periodTo, l.gross]))} ${JSON.stringify(i.payments)}`,
        );
      for (const e of books.ledgers.get(orgId) ?? []) log(`ledger ${JSON.stringify(e)}`);
      for (const p of books.products.filter((x) => x.orgId === orgId)) {
        log(`product ${p.id} ${p.status} ${p.expiry} ${p.periodMonths}`);
        for (const x of books.outcomes.filter((y) => y.productId === p.id)) log(`  night ${JSON.stringify(x)}`);
        for (const x of books.lifecycle.filter((y) => y.productId === p.id)) log(`  command ${x.id} ${x.date} ${x.status}`);
      }
    }
    return {
      options: o,
      invariants,
      faults: faults.counts,
      violations: invariants.reduce((s, r) => s + r.violations.length, 0),
      problems,
      stats: {
        seedSeconds,
        runSeconds,
        checkSeconds: (performance.now() - checkStarted) / 1000,
        renewals: {
          attempted: sum((x) => x.attempted),
          paid: sum((x) => x.paid),
          failed: sum((x) => x.failed),
          reminders: sum((x) => x.reminders),
          blocked: sum((x) => x.blocked),
          unblocked: sum((x) => x.unblocked),
          terminated: sum((x) => x.terminated),
        },
        documents: count(books.invoices, 'series'),
        checkouts: count(books.checkouts, 'status'),
        customers: customers.stats,
        wire: wire.stats,
        reconciled,
        deadLetters: deadLetters.length,
        bankFiles: bank.filesDelivered,
        partners: {
          partners: new Set([...links.values()].map((l) => l.id)).size,
          clients: links.size,
          billed: [...links.values()].filter((l) => l.billed).length,
          invoicedToPartner: books.invoices.filter(
            (i) => i.series === 'INV' && i.lines.some((l) => l.productId && books.products.find((p) => p.id === l.productId)?.orgId !== i.orgId),
          ).length,
          discountedLines: books.invoices
            .filter((i) => i.series === 'INV')
            .flatMap((i) => i.lines)
            .filter((l) => l.discountPercent).length,
        },
      },
    };
  }
}

/** Ids of the same shape as the random ones (prefix, 16 hex digits), drawn from the run's seed. */
function seededIds(rng: Rng): IdGenerator {
  const hex = () => rng.int(0, 0xffff).toString(16).padStart(4, '0');
  return { next: (prefix) => `${prefix}_${hex()}${hex()}${hex()}${hex()}` };
}
