/**
 * Nightly query cost: items and read capacity units read to find tonight's
 * work, per due product, with the date index (what plan-night does) and with a
 * table Scan beside it.
 *
 *   npx tsx bench/query-bench.ts [--sizes 10000,100000] [--due-percent 1]
 *
 * Each size gets its own table (created by createTableIfMissing) in one
 * in-memory DynamoDB Local. Products and organisations are built by the
 * store itself (DynamoDbBillingStore, through a client that captures its
 * transactions) and loaded with BatchWriteItem: the table's real item shape,
 * without 100,000 trips through the use cases. Prints one JSON object.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { keys } from '../shared/adapters/dynamodb/keys.ts';
import { createTableIfMissing, TABLE_KEYS } from '../shared/adapters/dynamodb/table-schema.ts';
import { startDynamoDbLocal } from '../shared/adapters/local/dynamodb-local.ts';
import { InProcessQueue } from '../shared/adapters/local/in-process-queue.ts';
import { addDays, type IsoDate } from '../shared/domain/calendar.ts';
import { loadStageConfig } from '../shared/adapters/config/stage-config.ts';
import type { Organisation, Member } from '../shared/domain/organisation.ts';
import { nextActionDate, type Product } from '../shared/domain/product.ts';
import type { Change } from '../shared/ports/unit-of-work.ts';
import { fixedClock } from '../shared/ports/clock.ts';
import type { RenewalMessage } from '../shared/ports/message-queue.ts';
import { planNight } from '../shared/use-cases/plan-night.ts';
import { argValue, emit } from './lib/cli.ts';
import { batchPut, CallCounter, ItemBuilder, localClient, type RawItem } from './lib/dynamo.ts';

const TONIGHT: IsoDate = '2026-12-17';
const PRODUCTS_PER_ORG = 10;
const SCAN_SEGMENTS = 8;

const sizes = (argValue('--sizes') ?? '10000,100000').split(',').map(Number);
const duePercent = Number(argValue('--due-percent') ?? '1');
const catalogue = loadStageConfig().catalogue;
const TYPES = catalogue.all().map((t) => t.id);

/** The table's items for `count` products, `duePercent` % of them due tonight. */
async function buildItems(tableName: string, count: number): Promise<{ items: RawItem[]; due: number }> {
  const builder = new ItemBuilder(tableName);
  // Many changes per (captured) commit: the same items, fewer trips through the SDK's middleware.
  let changes: Change[] = [];
  const flush = async () => {
    if (changes.length > 0) await builder.store.commit(changes);
    changes = [];
  };
  const orgs = Math.ceil(count / PRODUCTS_PER_ORG);
  const createdAt = `${addDays(TONIGHT, -400)}T12:00:00.000Z`;
  for (let o = 0; o < orgs; o++) {
    const id = `org-${String(o).padStart(6, '0')}`;
    const org: Organisation = {
      id,
      name: `Organisation ${o}`,
      currency: o % 3 === 0 ? 'EUR' : 'CHF',
      country: o % 3 === 0 ? 'DE' : 'CH',
      balance: '0.00',
      billingContacts: [`billing@${id}.example`],
      createdAt,
    };
    const owner: Member = { orgId: id, userId: `owner-${id}`, email: `owner@${id}.example`, name: 'Owner', role: 'legal-owner', billingRights: true, productIds: [] };
    changes.push({ type: 'organisation', org, isNew: true }, { type: 'member', member: owner });
    if (changes.length >= 40) await flush();
  }
  await flush();
  const every = Math.round(100 / duePercent);
  let due = 0;
  for (let i = 0; i < count; i++) {
    const typeId = TYPES[i % TYPES.length]!;
    const type = catalogue.get(typeId)!;
    const isDue = i % every === 0;
    const product: Product = {
      id: `prd-${String(i).padStart(7, '0')}`,
      orgId: `org-${String(Math.floor(i / PRODUCTS_PER_ORG)).padStart(6, '0')}`,
      typeId,
      name: `product-${i}`,
      // Due tonight: the first automatic attempt (14 days before expiry). Others: later in the year.
      expiry: isDue ? addDays(TONIGHT, 14) : addDays(TONIGHT, 15 + ((i * 7919) % 365)),
      periodMonths: type.allowedPeriodsMonths[0]!,
      autoRenew: isDue || i % 4 !== 0,
      status: 'active',
      failedAttempts: 0,
      createdAt,
      version: 3,
    };
    // The domain's own schedule: due products have tonight as next action, the others a later night.
    const next = nextActionDate(product, type, isDue ? addDays(TONIGHT, -1) : TONIGHT);
    if (isDue && next !== TONIGHT) throw new Error(`product ${product.id} was meant to be due tonight, its next action is ${next}`);
    if (next) product.nextActionDate = next;
    if (isDue) due++;
    changes.push({ type: 'product', product, expectedVersion: null });
    if (changes.length >= 100) await flush();
  }
  await flush();
  return { items: builder.take(), due };
}

interface SizeResult {
  products: number;
  tableItems: number;
  due: number;
  seedSeconds: number;
  index: { planned: number; itemsRead: number; capacityUnits: number; itemsPerDue: number; capacityPerDue: number; calls: number; ms: number };
  scan: { itemsRead: number; matched: number; capacityUnits: number; itemsPerDue: number; capacityPerDue: number; calls: number; ms: number };
}

const db = await startDynamoDbLocal();
const client = localClient(db.endpoint);
const counter = new CallCounter();
const results: SizeResult[] = [];
try {
  for (const size of sizes) {
    const tableName = `query-${size}`;
    const seedStart = performance.now();
    await createTableIfMissing(client, tableName);
    const { items, due } = await buildItems(tableName, size);
    await batchPut(client, tableName, items, 16);
    const store = new DynamoDbBillingStore(client, tableName);
    // Last night ran: tonight's plan covers tonight only, as on any normal night.
    await store.putNightRun({ date: addDays(TONIGHT, -1), coveredDates: [addDays(TONIGHT, -1)], planned: 0, startedAt: `${addDays(TONIGHT, -1)}T01:00:00.000Z` });
    const seedSeconds = (performance.now() - seedStart) / 1000;

    // The date index, exactly as plan-night reads it.
    counter.start();
    const indexStart = performance.now();
    const plan = await planNight({ store, clock: fixedClock(TONIGHT), renewalQueue: new InProcessQueue<RenewalMessage>('renewal') }, TONIGHT);
    const indexMs = performance.now() - indexStart;
    const indexCalls = counter.count;
    counter.stop();
    if (plan.planned !== due) throw new Error(`plan-night found ${plan.planned} products, ${due} are due`);

    // A table Scan that finds the same products (in parallel segments: DynamoDB Local pages one
    // segment slowly on a big table; the items and units read are those of any full Scan).
    let scanned = 0;
    let matched = 0;
    let scanUnits = 0;
    let scanCalls = 0;
    const scanStart = performance.now();
    await Promise.all(
      Array.from({ length: SCAN_SEGMENTS }, async (_, segment) => {
        let start: RawItem | undefined;
        do {
          const res = await client.send(
            new ScanCommand({
              TableName: tableName,
              Segment: segment,
              TotalSegments: SCAN_SEGMENTS,
              FilterExpression: 'begins_with(#due, :tonight)',
              ExpressionAttributeNames: { '#due': TABLE_KEYS.dueIndex.pk },
              ExpressionAttributeValues: { ':tonight': { S: keys.dueIndexPk(TONIGHT, 0).slice(0, -2) } },
              ReturnConsumedCapacity: 'TOTAL',
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
          scanCalls++;
          scanned += res.ScannedCount ?? 0;
          matched += res.Count ?? 0;
          scanUnits += res.ConsumedCapacity?.CapacityUnits ?? 0;
          start = res.LastEvaluatedKey as RawItem | undefined;
        } while (start);
      }),
    );
    const scanMs = performance.now() - scanStart;
    if (matched !== due) throw new Error(`the Scan matched ${matched} products, ${due} are due`);

    results.push({
      products: size,
      tableItems: items.length + 1,
      due,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      index: {
        planned: plan.planned,
        itemsRead: plan.read.items,
        capacityUnits: plan.read.capacityUnits,
        itemsPerDue: plan.read.items / due,
        capacityPerDue: plan.read.capacityUnits / due,
        calls: indexCalls,
        ms: Math.round(indexMs),
      },
      scan: { itemsRead: scanned, matched, capacityUnits: scanUnits, itemsPerDue: scanned / due, capacityPerDue: scanUnits / due, calls: scanCalls, ms: Math.round(scanMs) },
    });
    process.stderr.write(
      `query: ${size} products, ${due} due: index ${plan.read.items} items / ${plan.read.capacityUnits} RCU, scan ${scanned} items / ${scanUnits} RCU (seeded in ${seedSeconds.toFixed(1)} s)\n`,
    );
  }
} finally {
  client.destroy();
  await db.stop();
}

emit({ tonight: TONIGHT, duePercent, sizes: results, itemsReadPerDueProduct: Math.max(...results.map((r) => r.index.itemsPerDue)) });
