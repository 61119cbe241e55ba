/**
 * Listing an organisation's products at any size: what one page of the API
 * (`GET /v1/orgs/{orgId}/products`, `billing products list`) reads, beside
 * what reading them all at once did before pagination.
 *
 *   npx tsx bench/listing-bench.ts [--products 20000] [--limit 100] [--repeats 9]
 *
 * One organisation with that many products in one in-memory DynamoDB Local,
 * its items made by the store itself (DynamoDbBillingStore through a client
 * that captures its transactions) and loaded with BatchWriteItem. The page is
 * read through the use case the route calls; consumed capacity is
 * DynamoDB's own figure (ReturnConsumedCapacity). Prints one JSON object.
 */
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { createTableIfMissing } from '../shared/adapters/dynamodb/table-schema.ts';
import { startDynamoDbLocal } from '../shared/adapters/local/dynamodb-local.ts';
import { loadStageConfig } from '../shared/adapters/config/stage-config.ts';
import { addDays, type IsoDate } from '../shared/domain/calendar.ts';
import type { Member, Organisation } from '../shared/domain/organisation.ts';
import type { Product } from '../shared/domain/product.ts';
import { fixedClock } from '../shared/ports/clock.ts';
import type { Change } from '../shared/ports/unit-of-work.ts';
import { listProducts, listSelectableProductsPage } from '../shared/use-cases/manage-products.ts';
import { argValue, emit, median, round } from './lib/cli.ts';
import { batchPut, CallCounter, ItemBuilder, localClient, type CallRecord } from './lib/dynamo.ts';

const TODAY: IsoDate = '2026-12-10';
const count = Number(argValue('--products') ?? '20000');
const limit = Number(argValue('--limit') ?? '100');
const repeats = Number(argValue('--repeats') ?? '9');
const catalogue = loadStageConfig().catalogue;
const TYPES = catalogue.all().map((t) => t.id);
const ORG = 'org-large';
const owner = { kind: 'user' as const, userId: `owner-${ORG}` };

const units = (calls: CallRecord[]) =>
  calls.reduce((sum, c) => sum + (Array.isArray(c.capacity) ? c.capacity.reduce((s, x) => s + (x.CapacityUnits ?? 0), 0) : (c.capacity?.CapacityUnits ?? 0)), 0);

async function seed(tableName: string) {
  const builder = new ItemBuilder(tableName);
  const org: Organisation = {
    id: ORG,
    name: 'Large hosting reseller',
    currency: 'CHF',
    country: 'CH',
    balance: '0.00',
    billingContacts: ['billing@large.example'],
    createdAt: `${TODAY}T00:00:00.000Z`,
  };
  const member: Member = { orgId: ORG, userId: owner.userId, email: 'owner@large.example', name: 'Owner', role: 'legal-owner', billingRights: true, productIds: [] };
  await builder.store.commit([
    { type: 'organisation', org, isNew: true },
    { type: 'member', member },
  ]);
  let changes: Change[] = [];
  for (let i = 0; i < count; i++) {
    const typeId = TYPES[i % TYPES.length]!;
    const product: Product = {
      id: `prd-${String(i).padStart(7, '0')}`,
      orgId: ORG,
      typeId,
      name: `site-${i}.example`,
      expiry: addDays(TODAY, 1 + ((i * 7919) % 720)),
      periodMonths: catalogue.get(typeId)!.allowedPeriodsMonths[0]!,
      autoRenew: i % 3 !== 0,
      status: 'active',
      failedAttempts: 0,
      createdAt: `${TODAY}T00:00:00.000Z`,
      version: 1,
    };
    changes.push({ type: 'product', product, expectedVersion: null });
    if (changes.length >= 100) {
      await builder.store.commit(changes);
      changes = [];
    }
  }
  if (changes.length > 0) await builder.store.commit(changes);
  return builder.take();
}

const db = await startDynamoDbLocal();
const client = localClient(db.endpoint);
const counter = new CallCounter();
try {
  const tableName = `listing-${count}`;
  const seedStart = performance.now();
  await createTableIfMissing(client, tableName);
  await batchPut(client, tableName, await seed(tableName), 16);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const store = new DynamoDbBillingStore(client, tableName);
  const deps = { store, clock: fixedClock(TODAY), catalogue };

  // One page, as the route reads it: the first, then one from the middle by its cursor.
  const pageRuns: { ms: number; calls: number; units: number; products: number }[] = [];
  let cursor: string | undefined;
  for (let r = 0; r < repeats; r++) {
    counter.start({ record: true, capacity: true });
    const started = performance.now();
    const page = await listSelectableProductsPage(deps, ORG, 'all', owner, { limit, ...(cursor ? { cursor } : {}) });
    const ms = performance.now() - started;
    const calls = counter.stop();
    pageRuns.push({ ms, calls: calls.filter((c) => /Query/.test(c.command)).length, units: units(calls), products: page.products.length });
    cursor = page.nextCursor;
  }

  // Every page, walked by cursor: what a client reading them all pays.
  counter.start({ record: true, capacity: true });
  let walked = 0;
  let pages = 0;
  let next: string | undefined;
  const walkStart = performance.now();
  do {
    const page = await listSelectableProductsPage(deps, ORG, 'all', owner, { limit, ...(next ? { cursor: next } : {}) });
    walked += page.products.length;
    pages++;
    next = page.nextCursor;
  } while (next);
  const walkMs = performance.now() - walkStart;
  const walkCalls = counter.stop();

  // Before pagination: the whole list in one request.
  counter.start({ record: true, capacity: true });
  const allStart = performance.now();
  const all = await listProducts(deps, ORG, 'all', owner);
  const allMs = performance.now() - allStart;
  const allCalls = counter.stop();

  if (walked !== count || all.length !== count) throw new Error(`listed ${walked} by pages and ${all.length} at once, ${count} seeded`);
  emit({
    products: count,
    limit,
    seedSeconds: round(seedSeconds, 1),
    page: {
      medianMs: round(median(pageRuns.map((p) => p.ms)), 1),
      queriesPerPage: Math.max(...pageRuns.map((p) => p.calls)),
      capacityUnitsPerPage: round(median(pageRuns.map((p) => p.units)), 1),
      productsPerPage: Math.min(...pageRuns.map((p) => p.products)),
    },
    allPages: { pages, ms: round(walkMs, 0), queries: walkCalls.filter((c) => /Query/.test(c.command)).length, capacityUnits: round(units(walkCalls), 1) },
    unpaginated: { ms: round(allMs, 0), queries: allCalls.filter((c) => /Query/.test(c.command)).length, capacityUnits: round(units(allCalls), 1) },
  });
} finally {
  await db.stop();
}
