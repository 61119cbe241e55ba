/**
 * Renewals per second end to end on DynamoDB Local, against a floor written
 * independently of the engine.
 *
 *   npx tsx bench/renewal-bench.ts [--renewals 400] [--concurrency 1,4,16] [--ranges 1]
 *
 * 1. Seeds, through the use cases, one organisation per renewal with one
 *    product whose first automatic attempt is tonight: 40 % pay from the
 *    prepaid balance, 40 % on a sandbox card (pm_card_visa), 20 % part
 *    balance, part card. The seeded table is then copied (Scan +
 *    BatchWriteItem) into a fresh table for every run below, so every run
 *    renews the same products from the same state.
 * 2. Recording run, as deployed, one renewal at a time, every DynamoDB call
 *    recorded with its consumed capacity: renew-product (a renewal the
 *    balance does not cover is deferred to the charge queue), charge-renewal
 *    (the same use case charging inline), the provider's webhooks taken in
 *    and settled, and each e-mail the renewal wrote sent (what the outbox
 *    stream triggers), those last calls counted apart (the floor sends no
 *    e-mail). The nightly plan and housekeeping are recorded apart (once a
 *    night, not per renewal). No night outcome is stored, as in AWS.
 * 3. Engine runs: `runNight` with the renewal queue drained at each
 *    concurrency (each worker takes batches of 10 messages, like SQS → Lambda),
 *    counting every DynamoDB call and every failed one; the e-mails and
 *    business events the commits wrote are left to their senders, as the
 *    floor leaves them out (other functions send them in AWS).
 * 4. Floor runs (one before and one after each engine run, averaged): the
 *    minimal renewal of bench/floors/renewal-floor.ts (one BatchGetItem, a
 *    GetItem of the saved method for a card, the charge, one
 *    TransactWriteItems; numbers from each worker's own range) on a fresh
 *    copy, with the same number of renewals in flight (10 × concurrency). It
 *    is written from the data model, not recorded from the engine. Its calls
 *    and units per renewal are recorded once the same way.
 *
 * Prints one JSON object (see RenewalBenchResult).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Decimal } from 'decimal.js';
import { openLocalRuntime, runNight, type LocalRuntime } from '../functions/local-runtime.ts';
import { makeSettlePaymentHandler } from '../functions/checkout/settle-payment.ts';
import { loadStageConfig } from '../shared/adapters/config/stage-config.ts';
import { deliverEmail } from '../shared/use-cases/mail/deliver-email.ts';
import { CHARGE_INLINE } from '../shared/use-cases/renewal-deps.ts';
import { NumberRange, renewAtFloor, type FloorProduct, type FloorSetup } from './floors/renewal-floor.ts';
import { makeApplyLifecycleHandler } from '../functions/lifecycle/apply-lifecycle.ts';
import { parseRenewalMessage } from '../functions/messages.ts';
import { createTableIfMissing } from '../shared/adapters/dynamodb/table-schema.ts';
import { startDynamoDbLocal } from '../shared/adapters/local/dynamodb-local.ts';
import { SandboxPaymentGateway } from '../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { addDays, type IsoDate } from '../shared/domain/calendar.ts';
import { fixedClock } from '../shared/ports/clock.ts';
import { checkoutHousekeeping } from '../shared/use-cases/checkout/settle-checkout.ts';
import { addPaymentMethod, createOrganisation } from '../shared/use-cases/manage-organisation.ts';
import { addProduct } from '../shared/use-cases/manage-products.ts';
import { topUpBalance } from '../shared/use-cases/top-up-balance.ts';
import { planNight } from '../shared/use-cases/plan-night.ts';
import { renewProduct } from '../shared/use-cases/renew-product.ts';
import { ensureCustomer } from '../shared/use-cases/provider-customer.ts';
import { awsUnits } from './lib/capacity.ts';
import { argValue, emit, round } from './lib/cli.ts';
import { batchPut, CallCounter, localClient, scanAll, unitsOf, type CallRecord, type RawItem } from './lib/dynamo.ts';

const NIGHT: IsoDate = '2026-12-17';
const renewals = Number(argValue('--renewals') ?? '400');
const concurrencies = (argValue('--concurrency') ?? '1,4,16').split(',').map(Number);
/** seller.invoiceSeriesShards for every run (1: the engine's default, one number range). */
const ranges = Number(argValue('--ranges') ?? '1');

type Kind = 'balance' | 'card' | 'balance+card';
const KINDS: Kind[] = ['card', 'card', 'balance+card', 'balance', 'balance'];
const TYPES = ['domain-ch', 'domain-com', 'web-hosting', 'mail-service', 'cloud-storage', 'cloud-server', 'streaming'];

const outDir = mkdtempSync(join(tmpdir(), 'bench-renewal-'));
const counter = new CallCounter();
const db = await startDynamoDbLocal();
const admin = localClient(db.endpoint);
let tables = 0;

async function runtimeOn(tableName: string): Promise<LocalRuntime> {
  const rt = await openLocalRuntime({ endpoint: db.endpoint, tableName, gateway: new SandboxPaymentGateway(), clock: fixedClock(NIGHT), outDir });
  if (ranges > 1) rt.deps.seller = { ...rt.deps.seller, invoiceSeriesShards: ranges };
  // As deployed: the night's outcomes go to the log, not the table (aws-store-runtime.ts).
  rt.deps.storeNightOutcomes = false;
  return rt;
}

/** A fresh table holding the seeded portfolio. */
async function freshCopy(items: RawItem[]): Promise<string> {
  const tableName = `renewal-${++tables}`;
  await createTableIfMissing(admin, tableName);
  await batchPut(admin, tableName, items, 8);
  return tableName;
}

// ------------------------------------------------------------------ 1. seed

const kindOf = new Map<string, Kind>();
async function seed(): Promise<RawItem[]> {
  const tableName = 'renewal-seed';
  const rt = await runtimeOn(tableName);
  const deps = { ...rt.deps, clock: fixedClock(addDays(NIGHT, -1)) };
  for (let i = 0; i < renewals; i++) {
    const id = `org-${String(i).padStart(5, '0')}`;
    const kind = KINDS[i % KINDS.length]!;
    const eur = i % 3 === 0;
    await createOrganisation(deps, {
      id,
      name: `Organisation ${i} Sàrl`,
      currency: eur ? 'EUR' : 'CHF',
      country: eur ? 'DE' : 'CH',
      owner: { userId: `owner-${id}`, email: `owner@${id}.example`, name: 'Owner' },
    });
    // A card is saved on the organisation's customer at the provider (the portal's setup creates it first), so a
    // renewal charging it finds the customer there: the seed does the same.
    if (kind !== 'balance') await ensureCustomer(deps, (await rt.store.getOrganisation(id))!);
    const method = kind === 'balance' ? undefined : await addPaymentMethod(deps, id, { kind: 'card', label: 'Visa •••• 4242', gatewayRef: 'pm_card_visa', brand: 'visa' });
    if (kind !== 'card') await topUpBalance(deps, id, { amount: kind === 'balance' ? '2000.00' : '5.00', reference: `seed-${id}` });
    const productId = `prd-${String(i).padStart(5, '0')}`;
    const typeId = TYPES[i % TYPES.length]!;
    await addProduct(deps, id, {
      id: productId,
      typeId,
      name: typeId.startsWith('domain') ? `site-${i}.ch` : `${typeId} ${i}`,
      // The first automatic attempt is 14 days before expiry: tonight.
      expiry: addDays(NIGHT, 14),
      autoRenew: true,
      ...(method ? { paymentMethodId: method.id } : {}),
    });
    kindOf.set(productId, kind);
  }
  // Last night ran: tonight's plan covers tonight only, as on any normal night.
  await rt.store.putNightRun({ date: addDays(NIGHT, -1), coveredDates: [addDays(NIGHT, -1)], planned: 0, startedAt: `${addDays(NIGHT, -1)}T01:00:00.000Z` });
  await rt.close();
  return scanAll(admin, tableName);
}

// ------------------------------------------------------------------ 2. recording run

interface RenewalRecording {
  productId: string;
  kind: Kind;
  calls: CallRecord[];
  /** How many of the last calls are the delivery of the renewal's e-mails (send-email's claim and mark), which the floor leaves out. */
  mailCalls: number;
}

interface Recording {
  nightStart: CallRecord[];
  renewals: RenewalRecording[];
  nightEnd: CallRecord[];
}

async function record(items: RawItem[]): Promise<Recording> {
  const rt = await runtimeOn(await freshCopy(items));
  const deps = { ...rt.deps, clock: fixedClock(NIGHT) };
  // As deployed: renew-product defers what the balance does not cover to the charge queue, whose consumer charges inline.
  const renewing = { ...deps, charges: { mode: 'deferred' as const, queue: rt.chargeQueue } };
  const charging = { ...deps, charges: CHARGE_INLINE };
  counter.start({ record: true, capacity: true });
  const plan = await planNight({ ...deps, renewalQueue: rt.renewalQueue }, NIGHT);
  const nightStart = counter.take();
  if (plan.planned !== renewals) throw new Error(`plan-night planned ${plan.planned} renewals, ${renewals} were seeded`);
  const out: RenewalRecording[] = [];
  const problems: string[] = [];
  const settle = makeSettlePaymentHandler(deps, false);
  await rt.renewalQueue.drain(async (event: { Records: { body: string }[] }) => {
    for (const r of event.Records) {
      const msg = parseRenewalMessage(r.body);
      try {
        let res = await renewProduct(renewing, msg);
        // charge-renewal: the charge queue's consumer, the same use case charging inline.
        await rt.chargeQueue.drain(async (charge: { Records: { body: string }[] }) => {
          for (const c of charge.Records) res = await renewProduct(charging, parseRenewalMessage(c.body));
          return { batchItemFailures: [] };
        });
        // The provider's webhooks were taken in during the charge (stored, queued): settlement, then each e-mail the renewal wrote.
        await rt.settlementQueue.drain(settle);
        if (res.status !== 'done' || !res.outcome.paid) problems.push(`${msg.productId} was not paid: ${JSON.stringify(res)}`);
      } catch (err) {
        problems.push(`${msg.productId}: ${(err as Error).message}`);
      }
      const calls = counter.take();
      for (const ref of emailsWritten(calls)) await deliverEmail(deps, ref);
      const mail = counter.take();
      out.push({ productId: msg.productId, kind: kindOf.get(msg.productId)!, calls: [...calls, ...mail], mailCalls: mail.length });
    }
    return { batchItemFailures: [] };
  });
  if (problems.length > 0) throw new Error(`recording run: ${problems.slice(0, 5).join('; ')}`);
  await checkoutHousekeeping(deps, NIGHT);
  await rt.lifecycleQueue.drain(makeApplyLifecycleHandler(deps, false));
  const nightEnd = counter.stop();
  const failed = [...nightStart, ...out.flatMap((r) => r.calls), ...nightEnd].filter((c) => !c.ok);
  if (failed.length > 0) throw new Error(`recording run lost ${failed.length} calls: ${failed.map((c) => c.error).join(', ')}`);
  await rt.close();
  return { nightStart, renewals: out, nightEnd };
}

/** The outbox e-mails a renewal's transactions wrote: what the table's stream hands to send-email in AWS. */
function emailsWritten(calls: CallRecord[]): { date: IsoDate; id: string }[] {
  const out: { date: IsoDate; id: string }[] = [];
  for (const c of calls) {
    if (c.command !== 'TransactWriteCommand' || !c.ok) continue;
    for (const t of (c.input.TransactItems ?? []) as { Put?: { Item: { pk: string; sk: string; date?: string } } }[]) {
      const item = t.Put?.Item;
      if (item && item.pk.startsWith('OUTBOX#')) out.push({ date: item.pk.split('#')[1] as IsoDate, id: item.sk });
    }
  }
  return out;
}

// ------------------------------------------------------------------ 3. engine runs

interface EngineRun {
  concurrency: number;
  seconds: number;
  paid: number;
  renewalsPerSecond: number;
  calls: number;
  callsPerRenewal: number;
  failedCalls: number;
  failedCallsPerRenewal: number;
  /** Cancelled transaction items by reason and item (key prefixes), over the run. */
  failures: Record<string, number>;
  cpuMsPerRenewal: number;
  /** Messages and SQS requests (a send of up to 10 messages is one SendMessageBatch) per renewal, per queue. */
  queues: Record<string, { messages: number; sendRequests: number }>;
  /** Documents written to the bucket (S3 PUTs in AWS) per renewal. */
  documentWritesPerRenewal: number;
  /** Renewals whose message went to the dead-letter queue (5 receives, each losing 12 races), and the state they left. */
  deadLetters: DeadLetterState[];
}

interface DeadLetterState {
  productId: string;
  kind: Kind;
  receives: number;
  productVersion: number;
  /** Still tonight: the date index will not show the product on any later night. */
  nextActionDate: string | null;
  attempts: string[];
  /** The card was charged while no invoice or renewal was written. */
  charged: boolean;
}

async function engineRun(items: RawItem[], concurrency: number): Promise<EngineRun> {
  const rt = await runtimeOn(await freshCopy(items));
  const queues: Record<string, { messages: number; sendRequests: number }> = {};
  for (const q of [rt.renewalQueue, rt.settlementQueue, rt.lifecycleQueue, rt.exportsQueue] as { name: string; send: (m: unknown[]) => Promise<void> }[]) {
    const send = q.send.bind(q);
    const counts = (queues[q.name] = { messages: 0, sendRequests: 0 });
    q.send = (messages) => {
      counts.messages += messages.length;
      counts.sendRequests += Math.ceil(messages.length / 10);
      return send(messages);
    };
  }
  let documentWrites = 0;
  const put = rt.deps.documents.put.bind(rt.deps.documents);
  rt.deps.documents.put = (...args) => {
    documentWrites++;
    return put(...args);
  };
  const cpu = process.cpuUsage();
  counter.start();
  // The renewal path, as the floor: the e-mails and business events its commits wrote are sent by other functions in AWS.
  const report = await runNight(rt, NIGHT, { concurrency, outbox: false });
  counter.stop();
  const used = process.cpuUsage(cpu);
  // A renewal whose message was dead-lettered is not counted as renewed; what it left behind is reported.
  const deadLetters: DeadLetterState[] = [];
  for (const d of report.deadLetters) {
    const msg = parseRenewalMessage(d.body);
    const product = await rt.store.getProduct(msg.orgId, msg.productId);
    const attempts = await rt.store.listAttempts(msg.orgId, msg.productId);
    deadLetters.push({
      productId: msg.productId,
      kind: kindOf.get(msg.productId) ?? 'balance',
      receives: d.receiveCount,
      productVersion: product?.version ?? 0,
      nextActionDate: product?.nextActionDate ?? null,
      attempts: attempts.map((a) => a.status),
      charged: (await Promise.all(attempts.filter((a) => a.status === 'pending').map((a) => rt.gateway.findChargeByAttempt(a.id)))).some((r) => r?.status === 'succeeded'),
    });
  }
  // No outcomes stored (as deployed): a product renewed is one whose expiry moved on.
  let paid = 0;
  for (const [productId] of kindOf) {
    const p = await rt.store.getProduct(`org-${productId.slice('prd-'.length)}`, productId);
    if (p && p.expiry > addDays(NIGHT, 14)) paid++;
  }
  await rt.close();
  if (paid + report.deadLetters.length !== renewals)
    throw new Error(`engine at concurrency ${concurrency}: ${paid} of ${renewals} paid, ${report.deadLetters.length} dead letters`);
  return {
    concurrency,
    seconds: round(report.seconds, 3),
    paid,
    renewalsPerSecond: round(paid / report.seconds, 1),
    calls: counter.count,
    callsPerRenewal: round(counter.count / paid),
    failedCalls: counter.failed,
    failedCallsPerRenewal: round(counter.failed / paid),
    failures: counter.failures,
    cpuMsPerRenewal: round((used.user + used.system) / 1000 / paid),
    queues: Object.fromEntries(Object.entries(queues).map(([name, q]) => [name, { messages: round(q.messages / paid, 3), sendRequests: round(q.sendRequests / paid, 3) }])),
    documentWritesPerRenewal: round(documentWrites / paid, 3),
    deadLetters,
  };
}

// ------------------------------------------------------------------ 4. floor runs

interface FloorRun {
  concurrency: number;
  seconds: number;
  renewalsPerSecond: number;
  calls: number;
  /** Renewals per second of the run before and of the run after the engine's (the figure is their mean). */
  runs?: number[];
}

/** Tonight's due products, as the data model's date index lists them (8 shards, keys only). */
async function dueTonight(doc: DynamoDBDocumentClient, tableName: string): Promise<FloorProduct[]> {
  const shards = await Promise.all(
    Array.from({ length: 8 }, (_, shard) =>
      doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': `DUE#${NIGHT}#${String(shard).padStart(2, '0')}` },
        }),
      ),
    ),
  );
  return shards.flatMap((r) => (r.Items ?? []).map((it) => ({ orgId: String(it.pk).slice(4), productId: String(it.sk).slice(8) })));
}

/** A period's price from the stage's price list: the base period's price in the currency, times the periods. */
function floorPrice(catalogue: LocalRuntime['deps']['catalogue']) {
  return (typeId: string, currency: string, months: number): string => {
    const type = catalogue.get(typeId);
    const base = type?.prices[currency as 'CHF'];
    if (!type || !base) throw new Error(`floor: no ${currency} price for ${typeId}`);
    return new Decimal(base).times(months).div(type.basePeriodMonths).toFixed(2);
  };
}

async function floorRun(items: RawItem[], concurrency: number, recordCalls = false): Promise<FloorRun & { recorded?: RenewalRecording[] }> {
  const tableName = await freshCopy(items);
  const base = localClient(db.endpoint);
  const doc = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  const config = loadStageConfig();
  const seller = config.seller;
  const setup: FloorSetup = {
    doc,
    tableName,
    gateway: new SandboxPaymentGateway(),
    night: NIGHT,
    price: floorPrice(config.catalogue),
    seller: { id: seller.id, name: seller.name, address: seller.address, vatNumber: seller.vatNumber, iban: seller.iban, country: seller.country },
  };
  const recorded: RenewalRecording[] = [];
  let calls = 0;
  if (recordCalls) counter.start({ record: true, capacity: true });
  const started = performance.now();
  const due = await dueTonight(doc, tableName);
  calls += 8;
  if (recordCalls) counter.take();
  if (due.length !== renewals) throw new Error(`floor: ${due.length} due tonight, ${renewals} seeded`);
  let next = 0;
  const worker = async (w: number) => {
    // Each worker owns a number range: gapless on its own, never read, never raced.
    const range = new NumberRange(`f${String(w).padStart(3, '0')}`);
    for (;;) {
      const ref = due[next++];
      if (!ref) return;
      calls += await renewAtFloor(setup, ref, range);
      if (recordCalls) recorded.push({ productId: ref.productId, kind: kindOf.get(ref.productId)!, calls: counter.take(), mailCalls: 0 });
    }
  };
  await Promise.all(Array.from({ length: recordCalls ? 1 : 10 * concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  if (recordCalls) counter.stop();
  base.destroy();
  return { concurrency, seconds: round(seconds, 3), renewalsPerSecond: round(renewals / seconds, 1), calls, ...(recordCalls ? { recorded } : {}) };
}

// ------------------------------------------------------------------ summary of the recording

/** A renewal's calls up to its e-mails' delivery. */
const path = (r: { calls: CallRecord[]; mailCalls?: number }) => r.calls.slice(0, r.calls.length - (r.mailCalls ?? 0));

function describe(rec: Recording) {
  const byKind = new Map<Kind, RenewalRecording[]>();
  for (const r of rec.renewals) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  const avg = (rs: RenewalRecording[], f: (r: RenewalRecording) => number) => rs.reduce((s, r) => s + f(r), 0) / Math.max(1, rs.length);
  const commands = (calls: CallRecord[]) =>
    calls.map((c) => `${c.command.replace('Command', '')}${c.command === 'TransactWriteCommand' ? `(${(c.input.TransactItems as unknown[]).length})` : ''} ${keyOf(c)}`);
  const units = (calls: CallRecord[]) => calls.reduce((s, c) => ({ write: s.write + unitsOf(c).write, read: s.read + unitsOf(c).read }), { write: 0, read: 0 });
  const isWebhook = (c: CallRecord) => keyOf(c).startsWith('EVENT#');
  const kinds = [...byKind.entries()].map(([kind, rs]) => ({
    kind,
    renewals: rs.length,
    calls: round(avg(rs, (r) => r.calls.length)),
    // What the floor covers (renew, charge, settle): the calls without the e-mails' delivery.
    pathCalls: round(avg(rs, (r) => r.calls.length - r.mailCalls)),
    mailCalls: round(avg(rs, (r) => r.mailCalls)),
    pathAwsWriteUnits: round(avg(rs, (r) => awsUnits(path(r)).write)),
    byCommand: countBy(
      rs.flatMap((r) => r.calls.map((c) => c.command)),
      rs.length,
    ),
    writeUnits: round(avg(rs, (r) => units(r.calls).write)),
    readUnits: round(avg(rs, (r) => units(r.calls).read)),
    awsWriteUnits: round(avg(rs, (r) => awsUnits(r.calls).write)),
    awsIndexWriteUnits: round(avg(rs, (r) => awsUnits(r.calls).indexWrite)),
    awsReadUnits: round(avg(rs, (r) => awsUnits(r.calls).read)),
    awsWriteUnitsByItem: averageBy(rs.map((r) => awsUnits(r.calls).writeByItem)),
    webhookCalls: round(avg(rs, (r) => r.calls.filter(isWebhook).length)),
    webhookWriteUnits: round(avg(rs, (r) => units(r.calls.filter(isWebhook)).write)),
    transactItems: rs[0]!.calls.filter((c) => c.command === 'TransactWriteCommand').map((c) => (c.input.TransactItems as unknown[]).length),
    sequence: commands(rs[0]!.calls),
  }));
  const all = rec.renewals;
  return {
    kinds,
    perRenewal: {
      calls: round(avg(all, (r) => r.calls.length)),
      pathCalls: round(avg(all, (r) => r.calls.length - r.mailCalls)),
      mailCalls: round(avg(all, (r) => r.mailCalls)),
      pathAwsWriteUnits: round(avg(all, (r) => awsUnits(path(r)).write)),
      writeUnits: round(avg(all, (r) => units(r.calls).write)),
      readUnits: round(avg(all, (r) => units(r.calls).read)),
      awsWriteUnits: round(avg(all, (r) => awsUnits(r.calls).write)),
      awsReadUnits: round(avg(all, (r) => awsUnits(r.calls).read)),
      transactions: round(avg(all, (r) => r.calls.filter((c) => c.command === 'TransactWriteCommand').length)),
      webhookEvents: round(
        avg(all, (r) => r.calls.filter((c) => isWebhook(c) && c.command === 'TransactWriteCommand' && JSON.stringify(c.input).includes('attribute_not_exists')).length),
      ),
      cardCharges: round(all.filter((r) => r.kind !== 'balance').length / all.length),
      /** Outbox e-mails written (each a message of the mail queue and a send-email delivery in AWS). */
      emails: round(avg(all, (r) => emailsWritten(r.calls).length)),
    },
    night: {
      calls: rec.nightStart.length + rec.nightEnd.length,
      readUnits: round(units([...rec.nightStart, ...rec.nightEnd]).read),
      writeUnits: round(units([...rec.nightStart, ...rec.nightEnd]).write),
      awsReadUnits: round(awsUnits([...rec.nightStart, ...rec.nightEnd]).read),
      awsWriteUnits: round(awsUnits([...rec.nightStart, ...rec.nightEnd]).write),
      sequence: [...commands(rec.nightStart), '…renewals…', ...commands(rec.nightEnd)],
    },
  };
}

type Input = Record<string, unknown>;

function keyOf(c: CallRecord): string {
  const i = c.input as {
    Key?: { pk: string };
    Item?: { pk: string };
    ExpressionAttributeValues?: Record<string, unknown>;
    TransactItems?: Input[];
    RequestItems?: Record<string, { Keys: { pk: string }[] }>;
  };
  if (i.RequestItems)
    return Object.values(i.RequestItems)
      .flatMap((r) => r.Keys.map((k) => k.pk))
      .join(',');
  if (i.Key) return i.Key.pk;
  if (i.Item) return i.Item.pk;
  if (i.TransactItems) {
    const pks = i.TransactItems.map((t) => {
      const op = (t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck) as { Item?: { pk: string }; Key?: { pk: string } };
      return op.Item?.pk ?? op.Key?.pk ?? '?';
    });
    return pks.join(',');
  }
  const pk = i.ExpressionAttributeValues?.[':pk'];
  return typeof pk === 'string' ? pk : '';
}

/** The mean of each key over the records (a key missing from one counts 0 there), largest first. */
function averageBy(records: Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) sum[k] = (sum[k] ?? 0) + v;
  return Object.fromEntries(
    Object.entries(sum)
      .map(([k, v]) => [k, round(v / Math.max(1, records.length))] as const)
      .sort((a, b) => b[1] - a[1]),
  );
}

function countBy(xs: string[], per: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  for (const k of Object.keys(out)) out[k] = round(out[k]! / per);
  return out;
}

// ------------------------------------------------------------------ main

try {
  const seedStart = performance.now();
  const items = await seed();
  const seedSeconds = (performance.now() - seedStart) / 1000;
  process.stderr.write(`renewal: seeded ${renewals} renewals (${items.length} items) in ${seedSeconds.toFixed(1)} s\n`);
  const rec = await record(items);
  const recording = describe(rec);
  process.stderr.write(
    `renewal: recorded ${recording.perRenewal.calls} DynamoDB calls per renewal, ${recording.perRenewal.writeUnits} WCU, ${recording.perRenewal.readUnits} RCU\n`,
  );

  // The floor's own calls and units per renewal, recorded once (one renewal at a time) the same way.
  const floorRecorded = await floorRun(items, 1, true);
  const floorRecording = describe({ nightStart: [], renewals: floorRecorded.recorded!, nightEnd: [] });
  process.stderr.write(
    `renewal: the floor makes ${floorRecording.perRenewal.calls} DynamoDB calls per renewal, ${floorRecording.perRenewal.writeUnits} WCU, ${floorRecording.perRenewal.readUnits} RCU\n`,
  );

  const engine: EngineRun[] = [];
  const floor: FloorRun[] = [];
  for (const c of concurrencies) {
    // Floor, engine, floor again at each concurrency: the floor brackets the engine, so both see the same (shared, noisy) machine.
    const before = await floorRun(items, c);
    engine.push(await engineRun(items, c));
    const after = await floorRun(items, c);
    floor.push({
      concurrency: c,
      seconds: round((before.seconds + after.seconds) / 2, 3),
      renewalsPerSecond: round((before.renewalsPerSecond + after.renewalsPerSecond) / 2, 1),
      calls: before.calls,
      runs: [before.renewalsPerSecond, after.renewalsPerSecond],
    });
    const e = engine.at(-1)!;
    const f = floor.at(-1)!;
    process.stderr.write(
      `renewal: concurrency ${c}: engine ${e.renewalsPerSecond}/s (${e.callsPerRenewal} calls, ${e.failedCallsPerRenewal} failed per renewal, ${e.deadLetters.length} dead-lettered), floor ${f.renewalsPerSecond}/s, ratio ${round(e.renewalsPerSecond / f.renewalsPerSecond)}\n`,
    );
  }
  const bestEngine = engine.reduce((a, b) => (b.renewalsPerSecond > a.renewalsPerSecond ? b : a));
  const bestFloor = floor.reduce((a, b) => (b.renewalsPerSecond > a.renewalsPerSecond ? b : a));
  const ratios = concurrencies.map((_, i) => round(engine[i]!.renewalsPerSecond / floor[i]!.renewalsPerSecond));
  emit({
    night: NIGHT,
    renewals,
    ranges,
    seedSeconds: round(seedSeconds, 1),
    recording,
    floorRecording: { kinds: floorRecording.kinds, perRenewal: floorRecording.perRenewal },
    runs: concurrencies.map((c, i) => ({ concurrency: c, engine: engine[i], floor: floor[i], ratio: ratios[i] })),
    best: { engine: bestEngine, floor: bestFloor },
    renewalsPerSecondRatio: round(bestEngine.renewalsPerSecond / bestFloor.renewalsPerSecond),
    // Issue 15: engine ÷ floor at every concurrency, in the same run; the least of them is the figure.
    worstRatio: Math.min(...ratios),
  });
} finally {
  admin.destroy();
  await db.stop();
}
