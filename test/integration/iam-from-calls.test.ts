import type { Context, DynamoDBStreamEvent, EventBridgeEvent, S3Event, SQSEvent } from 'aws-lambda';
import { makeOutboxStreamHandler } from '../../functions/mail/outbox-stream.ts';
import { fanOut, makePublishEventsHandler } from '../../functions/events/publish-events.ts';
import { makeDeliverWebhookHandler, type WebhookMessage } from '../../functions/events/deliver-webhook.ts';
import { StandardWebhookSigner, newWebhookSecret } from '../../shared/adapters/webhooks/standard-webhook-signer.ts';
import { marshall } from '@aws-sdk/util-dynamodb';
import { withBusinessEvents } from '../../shared/use-cases/events/with-business-events.ts';
import { makeRecordMailFeedbackHandler } from '../../functions/mail/record-mail-feedback.ts';
import { makeSendEmailHandler } from '../../functions/mail/send-email.ts';
import { keys } from '../../shared/adapters/dynamodb/keys.ts';
import { encodeTagValue } from '../../shared/adapters/mail/ses-mailer.ts';
import type { Mailer } from '../../shared/ports/mailer.ts';
import type { EmailRef } from '../../shared/use-cases/mail/deliver-email.ts';
import { Decimal } from 'decimal.js';
import { afterAll, describe, expect, it } from 'vitest';
import { makeImportStatementHandler } from '../../functions/bank/import-statement.ts';
import { makeImportProductsFileHandler } from '../../functions/backoffice/import-products-file.ts';
import { makeNightlyCheckoutsHandler } from '../../functions/checkout/nightly-checkouts.ts';
import { makeSettlePaymentHandler } from '../../functions/checkout/settle-payment.ts';
import { makeRunExportHandler } from '../../functions/finance/run-export.ts';
import type { ApiEvent } from '../../functions/http/api-handler.ts';
import { ROUTES, routeKey } from '../../functions/http/routes.ts';
import { camt, ntry, tx } from '../support/camt-builder.ts';
import { makeApplyLifecycleHandler } from '../../functions/lifecycle/apply-lifecycle.ts';
import { makeSweepLifecycleHandler } from '../../functions/lifecycle/sweep-lifecycle.ts';
import { type LocalRuntime } from '../../functions/local-runtime.ts';
import { makePlanNightHandler } from '../../functions/renewal/plan-night.ts';
import { linkToPartner, setPartnerProfile } from '../../shared/use-cases/manage-partners.ts';
import { CHARGE_INLINE } from '../../shared/use-cases/renewal-deps.ts';
import { makeRenewProductHandler } from '../../functions/renewal/renew-product.ts';
import { HTTP_HANDLERS } from '../../infra/stateless-stack.ts';
import { DynamoDbBillingStore } from '../../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { DynamoDbRateLimiter } from '../../shared/adapters/dynamodb/dynamodb-rate-limiter.ts';
import { localClient } from '../../shared/adapters/local/dynamodb-local.ts';
import { signWebhookPayload, SANDBOX_WEBHOOK_SECRET, SandboxPaymentGateway } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { StripeWebhookVerifier } from '../../shared/adapters/stripe/stripe-webhook-verifier.ts';
import { fixedClock } from '../../shared/ports/clock.ts';
import type { DocumentArchive, DocumentStore } from '../../shared/ports/documents.ts';
import { archivingIssued, type ArchiveMessage } from '../../shared/use-cases/finance/archive-messages.ts';
import { makeArchiveDocumentsHandler } from '../../functions/finance/archive-documents.ts';
import type { MessageQueue } from '../../shared/ports/message-queue.ts';
import type { PaymentGateway, WebhookVerifier } from '../../shared/ports/payment-gateway.ts';
import type { EngineDeps } from '../../functions/local-runtime.ts';
import { functionPermissions, namer, platformPermissions } from '../infra/permissions.ts';
import { synthBillingApp } from '../infra/synth-billing-app.ts';
import { tableOf } from '../support/table-digest.ts';
import { aProduct, anOrg, heldRenewal, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

/**
 * IAM is tested from the calls the code really makes, since DynamoDB Local
 * enforces none: each deployed function's handler runs here on its own
 * DynamoDB client, queues, documents and gateway, which record every AWS
 * action it performs (each item of a transaction counts as its own action:
 * a ConditionCheck needs dynamodb:ConditionCheckItem). The test then asserts
 * that the function's synthesized policy grants every one of them.
 */
const db = useDynamoDbLocal();
const app = synthBillingApp('dev', { bundle: false });
const name = namer(app);
afterAll(() => app.cleanup());

const QUEUE_OF: Record<string, string> = {
  lifecycleQueue: 'lifecycle-queue',
  renewalQueue: 'renewal-queue',
  settlementQueue: 'settlement-queue',
  exportsQueue: 'exports-queue',
};

/** Permission strings as the synthesized policies name them, with the partition key an item action touched. */
type Call = { permission: string; pk?: string };

const calls = new Map<string, Call[]>();
const record = (fn: string, call: Call) => calls.set(fn, [...(calls.get(fn) ?? []), call]);

const ITEM_ACTIONS: Record<string, string> = {
  GetCommand: 'GetItem',
  GetItemCommand: 'GetItem',
  PutCommand: 'PutItem',
  PutItemCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  UpdateItemCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  DeleteItemCommand: 'DeleteItem',
  BatchGetCommand: 'BatchGetItem',
  BatchGetItemCommand: 'BatchGetItem',
  ScanCommand: 'Scan',
  ListTablesCommand: 'ListTables',
};
const TRANSACT_ACTIONS: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };

const pkOf = (key: unknown): string | undefined => {
  const pk = (key as { pk?: unknown } | undefined)?.pk;
  return typeof pk === 'string' ? pk : typeof (pk as { S?: unknown })?.S === 'string' ? (pk as { S: string }).S : undefined;
};

/** A DynamoDB client that records, for `fn`, every action each command needs. */
function recordingClient(endpoint: string, fn: string) {
  const client = localClient(endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command = context.commandName ?? '?';
      if (command === 'QueryCommand') {
        const index = typeof input.IndexName === 'string' ? `/index/${input.IndexName}` : '';
        const values = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
        record(fn, { permission: `dynamodb:Query table.Arn${index}`, ...(index ? {} : { pk: pkOf({ pk: values?.[':pk'] }) }) });
      } else if (command === 'TransactWriteCommand' || command === 'TransactWriteItemsCommand') {
        for (const item of input.TransactItems as Record<string, { Key?: unknown; Item?: unknown }>[]) {
          for (const [kind, action] of Object.entries(TRANSACT_ACTIONS)) {
            if (item[kind])
              record(fn, { permission: `dynamodb:${action} table.Arn`, ...(pkOf(item[kind]!.Key ?? item[kind]!.Item) ? { pk: pkOf(item[kind]!.Key ?? item[kind]!.Item)! } : {}) });
          }
        }
      } else {
        const action = ITEM_ACTIONS[command];
        if (!action) throw new Error(`the IAM test does not know the DynamoDB command ${command}`);
        const pk = pkOf(input.Key ?? input.Item);
        record(fn, { permission: `dynamodb:${action} table.Arn`, ...(pk ? { pk } : {}) });
      }
      return next(args);
    },
    { step: 'initialize', name: `record-${fn}` },
  );
  return client;
}

function recordingQueue<T>(fn: string, queue: string, inner: MessageQueue<T>): MessageQueue<T> {
  return {
    send: async (messages) => {
      record(fn, { permission: `sqs:SendMessage ${queue}.Arn` });
      return inner.send(messages);
    },
  };
}

/** In AWS any call of the gateway first reads the Stripe API key's secret; the verifier reads the webhook secret. */
function recordingGateway(fn: string, inner: PaymentGateway): PaymentGateway {
  return new Proxy(inner, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        record(fn, { permission: 'secretsmanager:GetSecretValue stripe-secret.Ref' });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function recordingVerifier(fn: string, inner: WebhookVerifier): WebhookVerifier {
  return {
    verify: (raw, sig) => {
      record(fn, { permission: 'secretsmanager:GetSecretValue stripe-webhook-secret.Ref' });
      return inner.verify(raw, sig);
    },
  };
}

/** The S3 actions the bucket adapter performs for each document store call, on the key's prefix. */
function recordingDocuments(fn: string, inner: DocumentStore): DocumentStore {
  const prefix = (key: string) => `documents-bucket.Arn/${key.slice(0, key.indexOf('/') + 1)}*`;
  return {
    put: (key, body, type) => {
      record(fn, { permission: `s3:PutObject ${prefix(key)}` });
      return inner.put(key, body, type);
    },
    get: (key) => {
      record(fn, { permission: `s3:GetObject ${prefix(key)}` });
      return inner.get(key);
    },
    writer: (key, type) => {
      // lib-storage's multipart upload: PutObject for the parts, AbortMultipartUpload when it fails.
      record(fn, { permission: `s3:PutObject ${prefix(key)}` });
      record(fn, { permission: `s3:AbortMultipartUpload ${prefix(key)}` });
      return inner.writer(key, type);
    },
    // A presigned GET link carries the function's own permission to read the object.
    link: (key, seconds) => {
      record(fn, { permission: `s3:GetObject ${prefix(key)}` });
      return inner.link(key, seconds);
    },
  };
}

/** The S3 actions S3DocumentArchive performs: a GET, or a PUT carrying Object Lock headers (which needs PutObjectRetention too). */
function recordingArchive(fn: string, inner: DocumentArchive): DocumentArchive {
  const on = 'archive-bucket.Arn/archive/*';
  return {
    keep: (key, body, type, until) => {
      if (!key.startsWith('archive/')) throw new Error(`an archive key outside archive/: ${key}`);
      record(fn, { permission: `s3:PutObject ${on}` });
      record(fn, { permission: `s3:PutObjectRetention ${on}` });
      return inner.keep(key, body, type, until);
    },
    get: (key) => {
      record(fn, { permission: `s3:GetObject ${on}` });
      return inner.get(key);
    },
  };
}

/** The engine's ports as function `fn` has them in AWS: its own recording client, queues, documents and gateway. */
function depsFor(rt: LocalRuntime, fn: string, night?: string): EngineDeps {
  const client = recordingClient(rt.endpoint, fn);
  const table = tableOf(rt);
  const deps: EngineDeps = {
    ...rt.deps,
    // As aws-runtime.ts wires it: every commit carries its business events.
    store: withBusinessEvents(new DynamoDbBillingStore(client, table)),
    rateLimiter: new DynamoDbRateLimiter(client, table),
    gateway: recordingGateway(fn, rt.deps.gateway),
    verifier: recordingVerifier(fn, rt.deps.verifier),
    documents: recordingDocuments(fn, rt.deps.documents),
    archive: recordingArchive(fn, rt.deps.archive),
    ...(night ? { clock: fixedClock(night) } : {}),
    // As deployed: renew-product hands charges to the charge queue (the consumer's own deps say inline).
    charges: { mode: 'deferred', queue: recordingQueue(fn, 'charge-queue', rt.chargeQueue) },
  };
  for (const [port, queue] of Object.entries(QUEUE_OF)) {
    const inner = (rt.deps as unknown as Record<string, MessageQueue<unknown> | undefined>)[port] ?? (rt as unknown as Record<string, MessageQueue<unknown>>)[port];
    if (inner) (deps as unknown as Record<string, MessageQueue<unknown>>)[port] = recordingQueue(fn, queue, inner);
  }
  return deps;
}

/** Whether a synthesized grant covers a recorded call: same action and resource, and its LeadingKeys condition met. */
function covers(grant: string, call: Call): boolean {
  const [head, condition] = grant.split(' if ');
  if (head !== call.permission) return false;
  if (!condition) return true;
  const c = JSON.parse(condition) as Record<string, Record<string, string[]>>;
  const equals = c['ForAllValues:StringEquals']?.['dynamodb:LeadingKeys'];
  const like = c['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
  if (!call.pk) return false;
  if (equals) return equals.includes(call.pk);
  if (like) return like.some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(call.pk!));
  return false;
}

function apiEvent(
  method: string,
  path: string,
  route: string,
  opts: { sub?: string; body?: string; pathParameters?: Record<string, string>; query?: Record<string, string>; headers?: Record<string, string>; scopes?: string[] },
): ApiEvent {
  const scopes = opts.scopes ?? ['billing:finance'];
  return {
    version: '2.0',
    routeKey: route,
    rawPath: path,
    rawQueryString: new URLSearchParams(opts.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', ...opts.headers },
    ...(opts.query ? { queryStringParameters: opts.query } : {}),
    ...(opts.pathParameters ? { pathParameters: opts.pathParameters } : {}),
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      requestId: `r-${Math.random()}`,
      routeKey: route,
      http: { method, path },
      ...(opts.sub ? { authorizer: { jwt: { claims: { sub: opts.sub, scope: scopes.join(' ') }, scopes } } } : {}),
    },
  } as unknown as ApiEvent;
}

describe('IAM, from the calls each function really makes', () => {
  it('grants every deployed function each AWS action its handler performs', { timeout: 300_000 }, async () => {
    // The provider stamps its events with the simulated day, so the nightly reconciliation finds the lost ones.
    let providerDay = '2026-12-10';
    const sandbox = new SandboxPaymentGateway({ nowSeconds: () => Math.floor(Date.parse(`${providerDay}T01:00:00Z`) / 1000) });
    const rt = await runtime(db.endpoint(), { today: '2026-12-10', gateway: sandbox, separateCharges: true });
    // Our webhook deliveries are signed at a fixed instant; the runtime's own intake keeps the wall clock.
    const fixedVerifier = new StripeWebhookVerifier(SANDBOX_WEBHOOK_SECRET, { now: () => Date.parse('2026-12-17T02:00:00Z') });
    // A function's handler for one route (a function serving several is told which by the key).
    const http = (fn: string, key?: string) => {
      const route = ROUTES.find((r) => HTTP_HANDLERS[routeKey(r)]!.id === fn && (!key || routeKey(r) === key))!;
      const deps = depsFor(rt, fn);
      return route.make(fn === 'StripeWebhook' ? { ...deps, verifier: recordingVerifier(fn, fixedVerifier) } : deps);
    };
    // Webhooks reach the recorded webhook function, as Stripe's do.
    const webhook = http('StripeWebhook');
    const hooks: string[] = [];
    sandbox.onWebhook(async (raw) => void hooks.push(raw));
    const deliver = async () => {
      for (const raw of hooks.splice(0)) {
        const res = await webhook(
          apiEvent('POST', '/v1/webhooks/stripe', 'POST /v1/webhooks/stripe', {
            body: raw,
            headers: { 'stripe-signature': signWebhookPayload(raw, SANDBOX_WEBHOOK_SECRET, Math.floor(Date.parse('2026-12-17T02:00:00Z') / 1000)) },
          }),
          {} as Context,
        );
        expect(res.statusCode).toBe(200);
      }
      await rt.settlementQueue.drain(makeSettlePaymentHandler(depsFor(rt, 'SettlePayment'), false));
    };

    // A portfolio whose nights take every path: balance, card, decline, block, terminate; checkouts by card and transfer.
    const { org: balance } = await anOrg(rt, { id: 'iam-balance', balance: '500' });
    await aProduct(rt, balance.id, { id: 'iam-b1', expiry: '2026-12-31' });
    const { org: card, method } = await anOrg(rt, { id: 'iam-card', method: 'pm_card_visa' });
    await aProduct(rt, card.id, { id: 'iam-c1', expiry: '2026-12-31', paymentMethodId: method!.id });
    // A charge worker held this one's attempt and died before charging: the next one resumes it (reads the attempt).
    const heldProduct = await aProduct(rt, card.id, { id: 'iam-c2', expiry: '2026-12-31', paymentMethodId: method!.id });
    await rt.store.commit(heldRenewal(heldProduct, method!.id, '14.05', '2026-12-17').hold);
    const { org: declined, method: bad } = await anOrg(rt, { id: 'iam-declined', method: 'pm_card_chargeDeclined' });
    await aProduct(rt, declined.id, { id: 'iam-d1', typeId: 'cloud-server', expiry: '2026-12-31', paymentMethodId: bad!.id });
    // A .ch domain is blocked on its expiry day: the night of 2026-12-31 makes its last attempt and, when the
    // charge worker sees it declined, blocks it there.
    await aProduct(rt, declined.id, { id: 'iam-d2', expiry: '2026-12-31', paymentMethodId: bad!.id });
    await aProduct(rt, card.id, { id: 'iam-pay', expiry: '2027-01-20', autoRenew: false });
    await aProduct(rt, card.id, { id: 'iam-iban', expiry: '2027-01-25', autoRenew: false });
    const owner = 'owner-iam-card';
    // Unpaid at expiry, these are blocked on the night of 2027-01-03; each is then paid another way (below).
    for (const id of ['iam-k-balance', 'iam-k-card', 'iam-k-iban', 'iam-k-lost']) await aProduct(rt, card.id, { id, expiry: '2027-01-03', autoRenew: false });

    // The customer API.
    const get = async (fn: string, path: string, pathParameters: Record<string, string>, query?: Record<string, string>) => {
      const route = ROUTES.find((r) => HTTP_HANDLERS[routeKey(r)]!.id === fn)!;
      return http(fn)(apiEvent('GET', path, routeKey(route), { sub: owner, pathParameters, ...(query ? { query } : {}) }), {} as Context);
    };
    const post = async (fn: string, path: string, pathParameters: Record<string, string>, body: unknown, key: string) => {
      const route = ROUTES.find((r) => HTTP_HANDLERS[routeKey(r)]!.id === fn)!;
      return http(fn)(apiEvent('POST', path, routeKey(route), { sub: owner, pathParameters, body: JSON.stringify(body), headers: { 'idempotency-key': key } }), {} as Context);
    };
    expect((await get('ListProducts', '/v1/orgs/iam-card/products', { orgId: 'iam-card' }, { due: 'all' })).statusCode).toBe(200);
    const checkout = await post('StartCheckout', '/v1/orgs/iam-card/checkout', { orgId: 'iam-card' }, { items: [{ productId: 'iam-pay' }], method: 'card' }, 'iam-checkout-0001');
    expect(checkout.statusCode).toBe(201);
    const view = JSON.parse(checkout.body!) as { checkoutId: string; payment: { paymentRef: string } };
    const transfer = await post('StartCheckout', '/v1/orgs/iam-card/checkout', { orgId: 'iam-card' }, { items: [{ productId: 'iam-iban' }], method: 'iban' }, 'iam-checkout-0002');
    expect(transfer.statusCode).toBe(201);
    const topUp = await post('StartTopUp', '/v1/orgs/iam-card/balance/top-ups', { orgId: 'iam-card' }, { amount: '20', method: 'card' }, 'iam-topup-00001');
    expect(topUp.statusCode).toBe(201);
    await sandbox.confirmPayment(view.payment.paymentRef, 'pm_card_visa');
    await sandbox.confirmPayment((JSON.parse(topUp.body!) as { payment: { paymentRef: string } }).payment.paymentRef, 'pm_card_visa');
    await deliver();
    expect((await get('GetCheckout', `/v1/orgs/iam-card/checkouts/${view.checkoutId}`, { orgId: 'iam-card', checkoutId: view.checkoutId })).statusCode).toBe(200);

    // A transfer against the pro-forma, dropped in the bucket.
    const proforma = (await rt.store.listInvoices('iam-card')).find((i) => i.series === 'PRO' && i.status === 'open' && i.lines.some((l) => l.productId === 'iam-iban'));
    const files = new Map<string, string>();
    const xml = `<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>IAM-1</MsgId><CreDtTm>2026-12-12T08:00:00</CreDtTm></GrpHdr><Ntfctn><Id>N</Id><Acct><Id><IBAN>CH4431999123000889012</IBAN></Id></Acct><Ntry><Amt Ccy="CHF">${proforma?.amountDue ?? '14.05'}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-12</Dt></BookgDt><AcctSvcrRef>IAM-E1</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Prtry>QRR</Prtry></CdOrPrtry></Tp><Ref>${proforma?.paymentReference ?? ''}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`;
    files.set('bank/incoming/iam.xml', xml);
    // The handler's own reader is S3's GetObject on the dropped key.
    const importer = makeImportStatementHandler(depsFor(rt, 'ImportStatement'), async (_b, key) => {
      record('ImportStatement', { permission: `s3:GetObject documents-bucket.Arn/${key.slice(0, key.lastIndexOf('/') + 1)}*` });
      return files.get(key)!;
    });
    await importer({ Records: [{ s3: { bucket: { name: 'b' }, object: { key: 'bank/incoming/iam.xml', size: xml.length } } }] } as unknown as S3Event, {} as Context);
    await rt.lifecycleQueue.drain(makeApplyLifecycleHandler(depsFor(rt, 'ApplyLifecycle'), false));

    // A product file dropped for an organisation: read, imported, its report written. An object key
    // is covered by its folder's grant (documents-bucket.Arn/imports/incoming/* covers imports/incoming/<org>/<file>).
    const folder = (key: string) => `${key.split('/').slice(0, 2).join('/')}/*`;
    files.set('imports/incoming/iam-card/shop.ndjson', JSON.stringify({ id: 'iam-dropped', typeId: 'domain-ch', name: 'dropped.ch', expiry: '2027-05-01' }));
    const dropper = makeImportProductsFileHandler(depsFor(rt, 'ImportProducts'), {
      read: async (_b, key) => {
        record('ImportProducts', { permission: `s3:GetObject documents-bucket.Arn/${folder(key)}` });
        return files.get(key)!;
      },
      write: async (_b, key, body) => {
        record('ImportProducts', { permission: `s3:PutObject documents-bucket.Arn/${folder(key)}` });
        files.set(key, body);
      },
    });
    const [dropReport] = await dropper(
      { Records: [{ s3: { bucket: { name: 'b' }, object: { key: 'imports/incoming/iam-card/shop.ndjson', size: 120, sequencer: 's1' } } }] } as unknown as S3Event,
      {} as Context,
    );
    expect(dropReport).toMatchObject({ added: 1 });

    // Nights: plan, renew, charge, lifecycle, and the nightly checkout chores.
    const nights = ['2026-12-17', '2026-12-20', '2026-12-31', '2027-01-03', '2027-01-24'];
    for (const night of nights) {
      rt.clock.day = night;
      providerDay = night;
      await makePlanNightHandler({ ...depsFor(rt, 'PlanNight', night) } as never)({ night }, {} as never);
      await rt.renewalQueue.drain(makeRenewProductHandler(depsFor(rt, 'RenewProduct', night), false));
      await rt.chargeQueue.drain(makeRenewProductHandler({ ...depsFor(rt, 'ChargeRenewal', night), charges: CHARGE_INLINE }, false));
      await deliver();
      await makeNightlyCheckoutsHandler(depsFor(rt, 'NightlyCheckouts', night))({ night }, {} as never);
      await makeSweepLifecycleHandler(depsFor(rt, 'SweepLifecycle', night))({}, {} as never);
      await rt.lifecycleQueue.drain(makeApplyLifecycleHandler(depsFor(rt, 'ApplyLifecycle', night), false));
      await deliver();
    }

    // Paying a blocked product unblocks it, whichever function takes the money: the balance at checkout,
    // a card through settlement, a transfer through the bank import, a lost webhook through the nightly reconciliation.
    rt.clock.day = providerDay = '2027-01-24';
    expect((await rt.store.getProduct(card.id, 'iam-k-balance'))!.status).toBe('blocked');
    // A deposit booked by hand, so the balance pays one order whole and part of another.
    const before = (await rt.store.getOrganisation(card.id))!.balance;
    const deposit = new Decimal('50.00').minus(before);
    await rt.store.commit([
      {
        type: 'balance',
        orgId: card.id,
        from: before,
        to: '50.00',
        entry: {
          id: 'iam-deposit',
          orgId: card.id,
          date: '2027-01-24',
          amount: deposit.toFixed(2),
          currency: 'CHF',
          balanceAfter: '50.00',
          reason: 'top-up',
          ref: 'iam',
          createdAt: '2027-01-24T01:00:00Z',
        },
      },
    ]);
    const byBalance = await post(
      'StartCheckout',
      '/v1/orgs/iam-card/checkout',
      { orgId: 'iam-card' },
      { items: [{ productId: 'iam-k-balance' }], method: 'card' },
      'iam-checkout-k001',
    );
    expect([byBalance.statusCode, (await rt.store.getOrganisation(card.id))!.balance, byBalance.body]).toEqual([201, '35.95', expect.stringContaining('"status":"paid"')]);
    expect((await rt.store.getProduct(card.id, 'iam-k-balance'))!.status).toBe('active');
    const byCard = JSON.parse(
      (
        await post(
          'StartCheckout',
          '/v1/orgs/iam-card/checkout',
          { orgId: 'iam-card' },
          { items: [{ productId: 'iam-k-card' }], method: 'card', useBalance: false },
          'iam-checkout-k002',
        )
      ).body!,
    ) as { payment: { paymentRef: string } };
    await sandbox.confirmPayment(byCard.payment.paymentRef, 'pm_card_visa');
    await deliver();
    const byTransfer = JSON.parse(
      (
        await post(
          'StartCheckout',
          '/v1/orgs/iam-card/checkout',
          { orgId: 'iam-card' },
          { items: [{ productId: 'iam-k-iban' }], method: 'iban', useBalance: false },
          'iam-checkout-k003',
        )
      ).body!,
    ) as { paymentReference: string; amountDue: string };
    const xml2 = xml
      .replaceAll('IAM-1', 'IAM-2')
      .replace('IAM-E1', 'IAM-E2')
      .replace(`>${proforma?.amountDue ?? '14.05'}<`, `>${byTransfer.amountDue}<`)
      .replace(`<Ref>${proforma?.paymentReference ?? ''}</Ref>`, `<Ref>${byTransfer.paymentReference}</Ref>`);
    files.set('bank/incoming/iam-2.xml', xml2);
    await importer({ Records: [{ s3: { bucket: { name: 'b' }, object: { key: 'bank/incoming/iam-2.xml', size: xml2.length } } }] } as unknown as S3Event, {} as Context);
    const lost = JSON.parse(
      (
        await post(
          'StartCheckout',
          '/v1/orgs/iam-card/checkout',
          { orgId: 'iam-card' },
          { items: [{ productId: 'iam-k-lost' }], method: 'card', useBalance: false },
          'iam-checkout-k004',
        )
      ).body!,
    ) as { payment: { paymentRef: string } };
    await sandbox.withoutDelivery(() => sandbox.confirmPayment(lost.payment.paymentRef, 'pm_card_visa'));
    // Saved cards removed at the provider: one announcement arrives, the other is lost and found by the reconciliation.
    await sandbox.simulateEvent('payment_method.detached', { id: bad!.gatewayRef, object: 'payment_method', customer: null });
    await deliver();
    await sandbox.withoutDelivery(() => sandbox.simulateEvent('payment_method.detached', { id: method!.gatewayRef, object: 'payment_method', customer: null }));
    // An abandoned card checkout that holds part of the balance: released by the nightly chores.
    await aProduct(rt, card.id, { id: 'iam-abandoned', expiry: '2027-02-20', autoRenew: false, typeId: 'cloud-server', periodMonths: 1 });
    const abandoned = await post(
      'StartCheckout',
      '/v1/orgs/iam-card/checkout',
      { orgId: 'iam-card' },
      { items: [{ productId: 'iam-abandoned' }], method: 'card' },
      'iam-checkout-k005',
    );
    expect([abandoned.statusCode, abandoned.body]).toEqual([201, expect.stringContaining('"balanceUsed":"35.95"')]);
    // A command a crashed worker committed but never queued: the sweep sends it.
    await rt.store.commit([
      {
        type: 'lifecycle',
        command: { id: 'iam-b1#block#stray', date: '2027-01-27', orgId: balance.id, productId: 'iam-b1', action: 'block', status: 'pending', createdAt: '2027-01-27T00:00:00Z' },
        expectedStatus: null,
      },
    ]);
    rt.clock.day = providerDay = '2027-01-27';
    await makeNightlyCheckoutsHandler(depsFor(rt, 'NightlyCheckouts', '2027-01-27'))({ night: '2027-01-27' }, {} as never);
    // The events whose webhooks were lost, queued by the reconciliation, settled by settle-payment.
    await rt.settlementQueue.drain(makeSettlePaymentHandler(depsFor(rt, 'SettlePayment', '2027-01-27'), false));
    await makeSweepLifecycleHandler(depsFor(rt, 'SweepLifecycle', '2027-01-27'))({}, {} as never);
    await rt.lifecycleQueue.drain(makeApplyLifecycleHandler(depsFor(rt, 'ApplyLifecycle', '2027-01-27'), false));
    for (const id of ['iam-k-balance', 'iam-k-card', 'iam-k-iban', 'iam-k-lost']) expect([id, (await rt.store.getProduct(card.id, id))!.status]).toEqual([id, 'active']);
    expect((await rt.store.getPaymentMethod(card.id, method!.id))!.detachedAt).toBeDefined();

    // Finance: a PDF, an export requested, run and fetched.
    const invoice = (await rt.store.listInvoices('iam-card')).find((i) => i.series === 'INV')!;
    expect((await get('InvoicePdf', `/v1/orgs/iam-card/invoices/${invoice.number}.pdf`, { orgId: 'iam-card', file: `${invoice.number}.pdf` })).statusCode).toBe(200);
    // A pro-forma follows its state: drawn now, a copy left under invoices/ (the final documents are kept in the archive).
    const request = (await rt.store.listInvoices('iam-card')).find((i) => i.series === 'PRO')!;
    expect((await get('InvoicePdf', `/v1/orgs/iam-card/invoices/${request.number}.pdf`, { orgId: 'iam-card', file: `${request.number}.pdf` })).statusCode).toBe(200);
    // The same document as an e-invoice (CII: the organisation chose none): the calls of the XML path, under the same grants.
    expect((await get('InvoicePdf', `/v1/orgs/iam-card/invoices/${invoice.number}.xml`, { orgId: 'iam-card', file: `${invoice.number}.xml` })).statusCode).toBe(200);
    const requested = await post('RequestExport', '/v1/exports', {}, { from: '2026-12-01', to: '2027-01-31', orgId: 'iam-card', pdf: true }, 'iam-export-0001');
    expect(requested.statusCode).toBe(202);
    const exportId = (JSON.parse(requested.body!) as { exportId: string }).exportId;
    // A partner's export covers its clients (found by a Query on the partner).
    await setPartnerProfile(rt.deps, balance.id, { discountPercent: '10' });
    await linkToPartner(rt.deps, card.id, { partnerId: balance.id });
    const forPartner = await post('RequestExport', '/v1/exports', {}, { from: '2026-12-01', to: '2027-01-31', partnerId: balance.id }, 'iam-export-0002');
    expect(forPartner.statusCode).toBe(202);
    await rt.exportsQueue.drain(makeRunExportHandler(depsFor(rt, 'RunExport'), false));
    expect((await get('GetExport', `/v1/exports/${exportId}`, { exportId })).statusCode).toBe(200);

    // Any route by its key, as API Gateway invokes the route's function.
    const call = async (
      fn: string,
      key: string,
      path: string,
      pathParameters: Record<string, string>,
      opts: { sub?: string; body?: unknown; raw?: string; type?: string; scopes?: string[]; query?: Record<string, string>; idempotencyKey?: string } = {},
    ) => {
      const [method] = key.split(' ');
      const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
      const event = apiEvent(method!, path, key, {
        sub: opts.sub ?? owner,
        pathParameters,
        ...(body !== undefined ? { body } : {}),
        ...(opts.query ? { query: opts.query } : {}),
        headers: { ...(opts.type ? { 'content-type': opts.type } : {}), ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}) },
        ...(opts.scopes ? { scopes: opts.scopes } : {}),
      });
      const res = await http(fn, key)(event, {} as Context);
      return { status: res.statusCode, json: JSON.parse(res.body ?? '{}') as Record<string, unknown> };
    };

    // The back-office: an organisation with its members and products; two orders held for its identity check, released.
    const admin = (key: string, path: string, pathParameters: Record<string, string>, opts: { body?: unknown; raw?: string; type?: string; query?: Record<string, string> } = {}) =>
      call('BackOffice', key, path, pathParameters, { ...opts, sub: 'shop-service', scopes: ['billing:backoffice'] });
    const kyc = { orgId: 'iam-kyc' };
    const created = await admin(
      'POST /v1/admin/orgs',
      '/v1/admin/orgs',
      {},
      {
        body: { id: 'iam-kyc', name: 'KYC SA', currency: 'CHF', country: 'CH', owner: { userId: 'owner-iam-kyc', email: 'owner@kyc.ch', name: 'Owner' } },
      },
    );
    expect(created.status).toBe(201);
    expect((await admin('GET /v1/admin/orgs', '/v1/admin/orgs', {})).status).toBe(200);
    expect((await admin('GET /v1/admin/orgs/{orgId}', '/v1/admin/orgs/iam-kyc', kyc)).status).toBe(200);
    expect((await admin('PATCH /v1/admin/orgs/{orgId}', '/v1/admin/orgs/iam-kyc', kyc, { body: { language: 'en' } })).status).toBe(200);
    const member = { ...kyc, userId: 'kyc-admin' };
    expect(
      (
        await admin('PUT /v1/admin/orgs/{orgId}/members/{userId}', '/v1/admin/orgs/iam-kyc/members/kyc-admin', member, {
          body: { email: 'a@kyc.ch', name: 'A', role: 'administrator' },
        })
      ).status,
    ).toBe(200);
    expect((await admin('DELETE /v1/admin/orgs/{orgId}/members/{userId}', '/v1/admin/orgs/iam-kyc/members/kyc-admin', member)).status).toBe(200);
    expect((await admin('PUT /v1/admin/orgs/{orgId}/identity-check', '/v1/admin/orgs/iam-kyc/identity-check', kyc, { body: { state: 'required' } })).status).toBe(200);
    const kycProduct = (id: string) => ({ id, typeId: 'domain-ch', name: `${id}.ch`, expiry: '2027-02-20' });
    expect((await admin('POST /v1/admin/orgs/{orgId}/products', '/v1/admin/orgs/iam-kyc/products', kyc, { body: kycProduct('kyc-blocked') })).status).toBe(201);
    const imported = await admin('POST /v1/admin/orgs/{orgId}/products/import', '/v1/admin/orgs/iam-kyc/products/import', kyc, {
      raw: JSON.stringify(kycProduct('kyc-gone')),
      type: 'application/x-ndjson',
    });
    expect(imported.json).toMatchObject({ added: 1 });
    const changed = await admin(
      'PATCH /v1/admin/orgs/{orgId}/products/{productId}',
      '/v1/admin/orgs/iam-kyc/products/kyc-gone',
      { ...kyc, productId: 'kyc-gone' },
      { body: { name: 'kyc-gone.ch' } },
    );
    expect(changed.status).toBe(200);
    expect((await admin('POST /v1/admin/orgs/{orgId}/products', '/v1/admin/orgs/iam-kyc/products', kyc, { body: kycProduct('kyc-moved') })).status).toBe(201);
    const moved = await admin(
      'POST /v1/admin/orgs/{orgId}/products/{productId}/move',
      '/v1/admin/orgs/iam-kyc/products/kyc-moved/move',
      { ...kyc, productId: 'kyc-moved' },
      { body: { toOrgId: 'iam-declined' } },
    );
    expect(moved.json).toMatchObject({ orgId: 'iam-declined' });
    expect(
      (
        await admin(
          'POST /v1/admin/orgs/{orgId}/payment-methods',
          '/v1/admin/orgs/iam-card/payment-methods',
          { orgId: 'iam-card' },
          { body: { kind: 'card', label: 'spare', gatewayRef: 'pm_card_mastercard' } },
        )
      ).status,
    ).toBe(201);
    expect((await admin('PUT /v1/admin/orgs/{orgId}/partner', '/v1/admin/orgs/iam-kyc/partner', kyc, { body: { discountPercent: '5' } })).status).toBe(200);
    expect(
      (await admin('PUT /v1/admin/orgs/{orgId}/partner-link', '/v1/admin/orgs/iam-declined/partner-link', { orgId: 'iam-declined' }, { body: { partnerId: 'iam-kyc' } })).status,
    ).toBe(200);
    // Blocked meanwhile (as a night would), so its release unblocks it; the other terminated meanwhile, so its release refunds.
    const setStatus = async (id: string, status: 'blocked' | 'terminated') => {
      const p = (await rt.store.getProduct('iam-kyc', id))!;
      await rt.store.commit([{ type: 'product', product: { ...p, status, version: p.version + 1 }, expectedVersion: p.version }]);
    };
    await setStatus('kyc-blocked', 'blocked');
    const held: string[] = [];
    for (const id of ['kyc-blocked', 'kyc-gone']) {
      const order = await call('StartCheckout', 'POST /v1/orgs/{orgId}/checkout', '/v1/orgs/iam-kyc/checkout', kyc, {
        sub: 'owner-iam-kyc',
        body: { items: [{ productId: id }], method: 'card' },
        idempotencyKey: `iam-kyc-${id}`,
      });
      expect(order.status).toBe(201);
      await sandbox.confirmPayment((order.json.payment as { paymentRef: string }).paymentRef, 'pm_card_visa');
      held.push(order.json.checkoutId as string);
    }
    await deliver();
    await setStatus('kyc-gone', 'terminated');
    const release = (checkoutId: string) =>
      admin('POST /v1/admin/orgs/{orgId}/orders/{checkoutId}/release', `/v1/admin/orgs/iam-kyc/orders/${checkoutId}/release`, { ...kyc, checkoutId });
    expect((await release(held[0]!)).json).toMatchObject({ status: 'paid' });
    expect((await release(held[1]!)).json).toMatchObject({ status: 'refunded' });
    await rt.lifecycleQueue.drain(makeApplyLifecycleHandler(depsFor(rt, 'ApplyLifecycle'), false));
    expect((await rt.store.getProduct('iam-kyc', 'kyc-blocked'))!.status).toBe('active');
    expect((await admin('GET /v1/admin/audit', '/v1/admin/audit', {}, { query: { date: rt.clock.day } })).status).toBe(200);

    // The finance console (same function, scope billing:finance): a third held order listed and cancelled, a bank file in, the review list.
    const finance = (key: string, path: string, pathParameters: Record<string, string>, opts: { raw?: string; type?: string; query?: Record<string, string> } = {}) =>
      call('BackOffice', key, path, pathParameters, { ...opts, sub: 'fiona', scopes: ['billing:finance'] });
    expect((await admin('POST /v1/admin/orgs/{orgId}/products', '/v1/admin/orgs/iam-kyc/products', kyc, { body: kycProduct('kyc-third') })).status).toBe(201);
    const third = await call('StartCheckout', 'POST /v1/orgs/{orgId}/checkout', '/v1/orgs/iam-kyc/checkout', kyc, {
      sub: 'owner-iam-kyc',
      body: { items: [{ productId: 'kyc-third' }], method: 'card' },
      idempotencyKey: 'iam-kyc-third',
    });
    await sandbox.confirmPayment((third.json.payment as { paymentRef: string }).paymentRef, 'pm_card_visa');
    await deliver();
    const thirdId = third.json.checkoutId as string;
    const heldList = await finance('GET /v1/finance/held-orders', '/v1/finance/held-orders', {});
    expect((heldList.json.orders as { checkout: { checkoutId: string } }[]).map((o) => o.checkout.checkoutId)).toEqual([thirdId]);
    const cancel = await finance('POST /v1/finance/orgs/{orgId}/orders/{checkoutId}/cancel', `/v1/finance/orgs/iam-kyc/orders/${thirdId}/cancel`, { ...kyc, checkoutId: thirdId });
    expect(cancel.json).toMatchObject({ status: 'refunded' });
    const file = camt('IAM-MSG-1', [ntry({ ref: 'IAM-B-1', amount: '50.00', txs: [tx({ amount: '50.00', qrr: '210000000003139471430009017' })] })]);
    const bankImport = await finance('POST /v1/finance/bank-statements', '/v1/finance/bank-statements', {}, { raw: file, type: 'application/xml' });
    expect([bankImport.status, (bankImport.json.credits as { outcome: string }[]).map((c) => c.outcome)]).toEqual([200, ['unmatched']]);
    expect((await finance('GET /v1/finance/bank-credits', '/v1/finance/bank-credits', {})).status).toBe(200);
    // The OSS return of the quarter the nights fell in: the date index read, the EUR rates of the return.
    expect((await finance('GET /v1/finance/oss-return', '/v1/finance/oss-return', {}, { query: { quarter: '2026-Q4' } })).status).toBe(200);

    // The customer's account.
    const card1 = { orgId: 'iam-card' };
    const spare = (await rt.store.findPaymentMethodByRef('pm_card_mastercard'))!;
    const abandonedProduct = { ...card1, productId: 'iam-abandoned' };
    const on = await call('CustomerAccount', 'PUT /v1/orgs/{orgId}/products/{productId}/auto-renew', '/v1/orgs/iam-card/products/iam-abandoned/auto-renew', abandonedProduct, {
      body: { on: true, paymentMethodId: spare.id },
    });
    expect([on.status, on.json]).toEqual([200, { changed: ['iam-abandoned'], unchanged: [], refused: [] }]);
    expect(
      (
        await call(
          'CustomerAccount',
          'PUT /v1/orgs/{orgId}/products/{productId}/auto-renew',
          '/v1/orgs/iam-card/products/iam-c1/auto-renew',
          { ...card1, productId: 'iam-c1' },
          { body: { on: false } },
        )
      ).status,
    ).toBe(200);
    expect((await call('CustomerAccount', 'PUT /v1/orgs/{orgId}/auto-renew', '/v1/orgs/iam-card/auto-renew', card1, { body: { on: false } })).status).toBe(200);
    await aProduct(rt, 'iam-card', { id: 'iam-given-up', expiry: '2027-02-20', autoRenew: false });
    const givenUp = await call('StartCheckout', 'POST /v1/orgs/{orgId}/checkout', '/v1/orgs/iam-card/checkout', card1, {
      body: { items: [{ productId: 'iam-given-up' }], method: 'card', useBalance: false },
      idempotencyKey: 'iam-given-up-1',
    });
    const givenUpId = givenUp.json.checkoutId as string;
    const cancelled = await call('CustomerAccount', 'POST /v1/orgs/{orgId}/checkouts/{checkoutId}/cancel', `/v1/orgs/iam-card/checkouts/${givenUpId}/cancel`, {
      ...card1,
      checkoutId: givenUpId,
    });
    expect(cancelled.json).toMatchObject({ status: 'canceled' });
    expect((await call('CustomerAccount', 'GET /v1/me', '/v1/me', {})).json).toMatchObject({ organisations: [{ orgId: 'iam-card' }] });
    const quote = await call('CustomerAccount', 'POST /v1/orgs/{orgId}/checkout/quote', '/v1/orgs/iam-card/checkout/quote', card1, { body: { items: [{ productId: 'iam-c1' }] } });
    // iam-card's partner has 10 % off: 13.00 → 11.70 net, VAT 8.1 % = 0.9477 → 0.95, 12.65 in all.
    expect([quote.status, quote.json.total]).toEqual([200, '12.65']);
    for (const [key, path] of [
      ['GET /v1/orgs/{orgId}/invoices', '/v1/orgs/iam-card/invoices'],
      ['GET /v1/orgs/{orgId}/balance', '/v1/orgs/iam-card/balance'],
      ['GET /v1/orgs/{orgId}/payment-methods', '/v1/orgs/iam-card/payment-methods'],
      ['GET /v1/orgs/{orgId}/orders', '/v1/orgs/iam-card/orders'],
    ] as const) {
      expect([key, (await call('CustomerAccount', key, path, card1)).status]).toEqual([key, 200]);
    }
    const setupAnswer = await call('CustomerAccount', 'POST /v1/orgs/{orgId}/payment-methods/setup', '/v1/orgs/iam-card/payment-methods/setup', card1, {
      body: { kind: 'card' },
      idempotencyKey: 'iam-setup-1',
    });
    expect(setupAnswer.status).toBe(201);
    // A termination asked, confirmed from its e-mailed link (no token: API Gateway lets it through unauthenticated), withdrawn.
    const c1 = { ...card1, productId: 'iam-c1' };
    const asked = await call('CustomerAccount', 'POST /v1/orgs/{orgId}/products/{productId}/termination', '/v1/orgs/iam-card/products/iam-c1/termination', c1, { body: {} });
    expect(asked.status).toBe(201);
    const mail = (await rt.store.listOutbox(rt.clock.day)).find((m) => m.template === 'termination-confirm' && m.data.requestId === asked.json.requestId)!;
    const confirmEvent = apiEvent('POST', '/v1/orgs/iam-card/products/iam-c1/termination/confirm', 'POST /v1/orgs/{orgId}/products/{productId}/termination/confirm', {
      pathParameters: c1,
      body: JSON.stringify({ requestId: mail.data.requestId, token: mail.data.token }),
    });
    expect((await http('CustomerAccount', 'POST /v1/orgs/{orgId}/products/{productId}/termination/confirm')(confirmEvent, {} as Context)).statusCode).toBe(200);
    expect((await call('CustomerAccount', 'DELETE /v1/orgs/{orgId}/products/{productId}/termination', '/v1/orgs/iam-card/products/iam-c1/termination', c1)).status).toBe(200);
    const dropped = await call('CustomerAccount', 'DELETE /v1/orgs/{orgId}/payment-methods/{methodId}', `/v1/orgs/iam-card/payment-methods/${spare.id}`, {
      ...card1,
      methodId: spare.id,
    });
    expect(dropped.status).toBe(200);
    expect((await call('OpenApi', 'GET /v1/openapi.json', '/v1/openapi.json', {}, {})).json).toMatchObject({ openapi: '3.1.0' });

    // E-mails: the nights' outbox through the stream, the mail queue and SES; an operator's redrive of a day; a bounce.
    const mailDate = '2026-12-31';
    const outbox = await rt.store.listOutbox(mailDate);
    expect(outbox.length).toBeGreaterThan(0);
    const mailQueue: EmailRef[] = [];
    const toStream = makeOutboxStreamHandler(recordingQueue('OutboxStream', 'mail-queue', { send: async (refs: EmailRef[]) => void mailQueue.push(...refs) }));
    const streamed = await toStream({
      Records: outbox.map((e, i) => ({
        eventName: 'INSERT',
        dynamodb: { SequenceNumber: String(i), NewImage: { pk: { S: keys.email(mailDate, e.id).pk }, sk: { S: e.id }, date: { S: e.date }, id: { S: e.id } } },
      })),
    } as unknown as DynamoDBStreamEvent);
    expect(streamed.batchItemFailures).toEqual([]);
    const sesMessages: string[] = [];
    const mailer: Mailer = {
      send: async (mail) => {
        // SES authorises the send on the sender's domain identity and on the configuration set.
        record('SendEmail', { permission: `ses:SendEmail arn:AWS::Partition.Ref:ses:AWS::Region.Ref:AWS::AccountId.Ref:identity/${mail.from.slice(mail.from.indexOf('@') + 1)}` });
        record('SendEmail', { permission: 'ses:SendEmail arn:AWS::Partition.Ref:ses:AWS::Region.Ref:AWS::AccountId.Ref:configuration-set/billing-dev-mail' });
        sesMessages.push(mail.email.id);
        return { ref: `ses-${sesMessages.length}` };
      },
    };
    const sender = makeSendEmailHandler({ ...depsFor(rt, 'SendEmail'), mailer }, false);
    const sqsBatch = { Records: mailQueue.slice(0, 10).map((ref, i) => ({ messageId: `m${i}`, body: JSON.stringify(ref) })) } as unknown as SQSEvent;
    expect(await sender(sqsBatch, {} as Context)).toEqual({ batchItemFailures: [] });
    // The queue delivers the batch again: the claims are refused and read (sent already), nothing goes out twice.
    expect(await sender(sqsBatch, {} as Context)).toEqual({ batchItemFailures: [] });
    expect(await sender({ date: mailDate }, {} as Context)).toMatchObject({ failed: [] });
    expect(sesMessages.sort()).toEqual(
      outbox
        .filter((e) => e.to.length > 0)
        .map((e) => e.id)
        .sort(),
    );
    // An organisation that receives its documents by e-mail: the invoice kept above goes with its e-mail, read from the archive.
    const withDocument = {
      ...outbox.find((e) => e.to.length > 0)!,
      id: 'iam-attach#renewal-paid',
      data: { invoice: invoice.number },
      recipient: { orgName: 'IAM', language: 'fr' as const, attach: { profiles: [] } },
    };
    await rt.store.commit([{ type: 'email', email: withDocument }]);
    expect(await sender({ date: mailDate }, {} as Context)).toMatchObject({ failed: [] });
    expect(sesMessages).toContain(withDocument.id);
    const bounced = outbox.find((e) => e.to.length > 0)!;
    const feedback = makeRecordMailFeedbackHandler(depsFor(rt, 'RecordMailFeedback').store);
    const report = {
      eventType: 'Bounce',
      bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: bounced.to[0] }], timestamp: '2026-12-31T02:01:00Z', feedbackId: 'fb-1' },
      mail: { messageId: 'ses-1', tags: { outbox_date: [mailDate], outbox_id: [encodeTagValue(bounced.id)] } },
    };
    expect(await feedback({ detail: report } as unknown as EventBridgeEvent<string, unknown>)).toBe('recorded');

    // Business events: the records the nights committed, from the stream to the bus.
    const eventRecords = (await Promise.all(nights.map((n) => rt.store.listEventRecords(n)))).flat();
    expect(eventRecords.length).toBeGreaterThan(0);
    const busEvents: string[] = [];
    const webhookMessages: WebhookMessage[] = [];
    const archiveMessages: ArchiveMessage[] = [];
    // As deployed: the bus, then the webhook queue, then the archive queue.
    const toBus = makePublishEventsHandler(
      archivingIssued(
        fanOut(
          {
            publish: async (events) => {
              record('PublishEvents', { permission: 'events:PutEvents event-bus.Arn' });
              busEvents.push(...events.map((e) => e.id));
            },
          },
          recordingQueue('PublishEvents', 'webhooks-queue', { send: async (m: WebhookMessage[]) => void webhookMessages.push(...m) }),
        ),
        recordingQueue('PublishEvents', 'archive-queue', { send: async (m: ArchiveMessage[]) => void archiveMessages.push(...m) }),
      ),
    );
    const published = await toBus({
      Records: eventRecords.map((r, i) => ({ eventName: 'INSERT', dynamodb: { SequenceNumber: String(i), NewImage: marshall(r, { removeUndefinedValues: true }) } })),
    } as unknown as DynamoDBStreamEvent);
    expect(published.batchItemFailures).toEqual([]);
    expect(busEvents.length).toBe(eventRecords.flatMap((r) => r.events).length);
    expect(webhookMessages.map((m) => m.event.id)).toEqual(busEvents);

    // The documents issued, kept by the archive's worker: those the PDF and the export kept already are read, the others kept.
    expect(archiveMessages.length).toBeGreaterThan(2);
    const archived = await makeArchiveDocumentsHandler(depsFor(rt, 'ArchiveDocuments'), false)(
      {
        Records: archiveMessages.map((m, i) => ({ messageId: `a${i}`, receiptHandle: `ra${i}`, body: JSON.stringify(m), attributes: { ApproximateReceiveCount: '1' } })),
      } as unknown as SQSEvent,
      {} as Context,
    );
    expect(archived).toEqual({ batchItemFailures: [] });

    // The webhooks: the signing secret read once, one endpoint refusing the first try (put back by the back-off).
    let answers = 0;
    const toEndpoint = makeDeliverWebhookHandler(
      async () => {
        record('DeliverWebhook', { permission: 'secretsmanager:GetSecretValue webhook-signing-secret.Ref' });
        return { transport: { post: async () => ({ status: answers++ === 0 ? 500 : 204 }) }, signer: new StandardWebhookSigner(newWebhookSecret()), clock: rt.clock };
      },
      'https://hooks.example.ch/billing',
      async () => void record('DeliverWebhook', { permission: 'sqs:ChangeMessageVisibility webhooks-queue.Arn' }),
      undefined,
      () => depsFor(rt, 'DeliverWebhook').store,
    );
    const delivered = await toEndpoint(
      {
        Records: webhookMessages
          .slice(0, 2)
          .map((m, i) => ({ messageId: `w${i}`, receiptHandle: `rh${i}`, body: JSON.stringify(m), attributes: { ApproximateReceiveCount: '1' } })),
      } as unknown as SQSEvent,
      {} as Context,
    );
    expect(delivered).toEqual({ batchItemFailures: [{ itemIdentifier: 'w0' }] });
    // An operator's replay of one event by its id: the day's event records read from the table.
    const first = webhookMessages[0]!.event;
    const replayed = await toEndpoint({ replay: { date: first.time.slice(0, 10), eventId: first.id } }, {} as Context);
    expect(replayed).toMatchObject({ eventId: first.id, delivered: true });
    await rt.close();

    // Every function ran; every action each one took is granted to it.
    const missing: string[] = [];
    const unused: string[] = [];
    for (const fn of Object.keys(app.stateless.functions).sort()) {
      const recorded = calls.get(fn) ?? [];
      // The OpenAPI function answers from its bundle (served above): it makes no AWS call at all.
      if (fn === 'OpenApi') expect(recorded, `${fn} calls nothing`).toEqual([]);
      else expect(recorded.length, `${fn} was exercised`).toBeGreaterThan(0);
      const granted = functionPermissions(app, fn, name);
      for (const call of recorded) {
        if (!granted.some((g) => covers(g, call))) missing.push(`${fn}: ${call.permission}${call.pk ? ` (${call.pk})` : ''}`);
      }
      // And nothing beyond them: every grant is used by some call the function made, or by Lambda on its behalf.
      const platform = new Set(platformPermissions(app, fn, name));
      for (const g of granted) if (!platform.has(g) && !recorded.some((call) => covers(g, call))) unused.push(`${fn}: ${g}`);
    }
    expect([...new Set(missing)].sort()).toEqual([]);
    expect(unused.sort()).toEqual([]);
  });
});
