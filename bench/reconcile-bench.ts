/**
 * Reconciling a night of card renewals with the provider's events: what the
 * hourly and nightly reconciliation (reconcileGatewayEvents) costs for the
 * events of one night, measured on DynamoDB Local, and what a night of
 * 1,000,000 card renewals asks of it, computed from those measures.
 *
 *   npx tsx bench/reconcile-bench.ts [--events 100000] [--checkouts 2000]
 *
 * The night: `--events` renewal charges (each a payment_intent.succeeded
 * naming its attempt, as pay-renewal.ts sets it) spread evenly over the
 * hours the charge queue takes at its pace, and `--checkouts` checkout
 * payments, the webhooks of nine in ten of them stored and settled, the
 * tenth lost. The provider is a stand-in written here that lists events by
 * creation time, newest first in pages of 100 as Stripe's events API does,
 * and counts its pages; its answer time is not measured (it is the
 * provider's, paced at STRIPE_MAX_RPS per container: priced on paper). The
 * store is the engine's own (DynamoDbBillingStore on DynamoDB Local).
 *
 * Prints one JSON object.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHARGE_MAX_CONCURRENCY, STRIPE_MAX_RPS } from '../infra/stateless/settings.ts';
import { RECONCILE_RESERVE_MS } from '../functions/checkout/nightly-checkouts.ts';
import { openLocalRuntime } from '../functions/local-runtime.ts';
import { startDynamoDbLocal } from '../shared/adapters/local/dynamodb-local.ts';
import type { StoredGatewayEvent } from '../shared/domain/records.ts';
import { fixedClock } from '../shared/ports/clock.ts';
import type { GatewayEvent, PaymentGateway } from '../shared/ports/payment-gateway.ts';
import { RECONCILE_WINDOW_SECONDS, reconcileGatewayEvents } from '../shared/use-cases/checkout/gateway-events.ts';
import type { SettlementMessage } from '../shared/use-cases/checkout/checkout-deps.ts';
import { argValue, emit, round } from './lib/cli.ts';
import { CallCounter } from './lib/dynamo.ts';

const renewalEvents = Number(argValue('--events') ?? '100000');
const checkoutEvents = Number(argValue('--checkouts') ?? '2000');
const PAGE = 100;
/** The night's charges start with plan-night (02:00 Zurich, 01:00 UTC in winter). */
const NIGHT_START = Date.parse('2026-12-17T01:00:00Z') / 1000;
/** What one reconciliation run may spend listing: a Lambda's 15 minutes less the run's reserve. */
const RUN_SECONDS = 15 * 60 - RECONCILE_RESERVE_MS / 1000;
const CHARGES_PER_SECOND = CHARGE_MAX_CONCURRENCY * STRIPE_MAX_RPS;

/** The night's events, oldest first: renewal charges at the charge queue's pace, checkout payments among them. */
function night(): GatewayEvent[] {
  const out: GatewayEvent[] = [];
  const every = Math.max(1, Math.floor(renewalEvents / Math.max(1, checkoutEvents)));
  for (let i = 0; i < renewalEvents; i++) {
    const created = NIGHT_START + Math.floor(i / CHARGES_PER_SECOND);
    out.push({
      id: `evt_r${i}`,
      type: 'payment_intent.succeeded',
      created,
      object: { id: `pi_r${i}`, object: 'payment_intent', metadata: { orgId: `org-${i}`, productId: `prd-${i}`, attemptId: `prd-${i}#2027-01-01#1`, periodStart: '2027-01-01' } },
    });
    if (i % every === 0 && i / every < checkoutEvents) {
      const n = i / every;
      out.push({
        id: `evt_c${n}`,
        type: 'payment_intent.succeeded',
        created,
        object: { id: `pi_c${n}`, object: 'payment_intent', status: 'succeeded', metadata: { orgId: `org-c${n}`, checkoutId: `co_${n}`, purpose: 'products' } },
      });
    }
  }
  return out;
}

/** Stripe's events list as the engine sees it: created in [since, until), in pages of 100 (each counted). */
class ListingProvider {
  pages = 0;
  constructor(private readonly events: GatewayEvent[]) {}
  async listEvents(since: number, types: readonly string[], until?: number): Promise<GatewayEvent[]> {
    const hits = this.events.filter((e) => e.created >= since && (until === undefined || e.created < until) && types.includes(e.type));
    this.pages += Math.max(1, Math.ceil(hits.length / PAGE));
    return hits;
  }
}

const db = await startDynamoDbLocal();
try {
  const events = night();
  const last = events.at(-1)!.created;
  const clock = fixedClock('2026-12-17');
  // The run looks at the night once it is over: its clock an hour after the last charge.
  const at = new Date((last + 3600) * 1000).toISOString();
  const rt = await openLocalRuntime({
    endpoint: db.endpoint,
    tableName: 'reconcile',
    clock: { today: () => clock.today(), now: () => at },
    outDir: mkdtempSync(join(tmpdir(), 'bench-reconcile-')),
  });
  // Nine in ten checkout webhooks arrived and were settled: stored, processed.
  const arrived = events.filter((e) => e.id.startsWith('evt_c') && Number(e.id.slice('evt_c'.length)) % 10 !== 9);
  for (let i = 0; i < arrived.length; i += 25) {
    await rt.store.commit(
      arrived.slice(i, i + 25).map((e) => {
        const stored: StoredGatewayEvent = {
          id: e.id,
          type: e.type,
          created: e.created,
          objectId: String(e.object.id),
          payload: JSON.stringify(e.object),
          status: 'processed',
          receivedAt: at,
          processedAt: at,
          outcome: 'checkout-paid',
          expiresAt: last + 35 * 86_400,
        };
        return { type: 'gatewayEvent' as const, event: stored, expectedStatus: null };
      }),
    );
  }
  const provider = new ListingProvider(events);
  const gateway = Object.create(rt.deps.gateway) as PaymentGateway;
  gateway.listEvents = provider.listEvents.bind(provider);
  const queued: SettlementMessage[] = [];
  const counter = new CallCounter();
  counter.start({ record: true, capacity: true });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await reconcileGatewayEvents({ ...rt.deps, gateway, settlementQueue: { send: async (m) => void queued.push(...m) } }, NIGHT_START, { useWatermark: true });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const calls = counter.stop();
  await rt.close();
  const lost = checkoutEvents - arrived.length;
  if (result.missing !== lost || result.queued !== lost) throw new Error(`reconcile found ${result.missing} missing and queued ${result.queued}; ${lost} were lost`);

  // Per page of 100 listed events, the engine's own share (the provider's answer time excluded: the stand-in answers at once).
  const enginePerPage = seconds / provider.pages;
  const providerPerPage = 1 / STRIPE_MAX_RPS;
  const millionPages = Math.ceil(1_000_000 / PAGE) + Math.ceil((1_000_000 * checkoutEvents) / renewalEvents / PAGE);
  const millionSeconds = millionPages * (providerPerPage + enginePerPage);
  const chargeHours = 1_000_000 / CHARGES_PER_SECOND / 3600;
  emit({
    renewalEvents,
    checkoutEvents,
    lostWebhooks: lost,
    windowSeconds: RECONCILE_WINDOW_SECONDS,
    result,
    pages: provider.pages,
    dynamoDbCalls: calls.length,
    dynamoDbCallsByCommand: calls.reduce<Record<string, number>>((m, c) => ({ ...m, [c.command]: (m[c.command] ?? 0) + 1 }), {}),
    seconds: round(seconds, 2),
    cpuMs: round((used.user + used.system) / 1000, 0),
    enginePerPageMs: round(enginePerPage * 1000, 2),
    million: {
      pages: millionPages,
      providerSecondsAtPace: round(millionPages * providerPerPage, 0),
      seconds: round(millionSeconds, 0),
      runSeconds: RUN_SECONDS,
      runsNeeded: Math.ceil(millionSeconds / RUN_SECONDS),
      runsPerDay: 24,
      // The charges themselves, at the charge queue's pace: how long a million card renewals take to charge.
      chargeHours: round(chargeHours, 1),
      chargesPerSecond: CHARGES_PER_SECOND,
    },
  });
} finally {
  await db.stop();
}
