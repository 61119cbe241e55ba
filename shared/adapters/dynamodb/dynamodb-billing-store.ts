import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { addDays, type IsoDate } from '../../domain/calendar.ts';
import type { ExchangeRate } from '../../domain/exchange-rates.ts';
import type { EventRecord } from '../../domain/business-events.ts';
import type { Invoice, InvoiceSeries } from '../../domain/invoice.ts';
import type { Member, Organisation } from '../../domain/organisation.ts';
import type { SavedPaymentMethod } from '../../domain/payment-methods.ts';
import type { Product } from '../../domain/product.ts';
import { type BillingStore, type DueProductRef, type ProductPosition, type ReadStats } from '../../ports/billing-store.ts';
import { WriteConflict, type Change } from '../../ports/unit-of-work.ts';
import type { EmailClaim, EmailDeliveryOutcome } from '../../ports/outbox-store.ts';
import type {
  AuditEntry,
  LedgerEntry,
  LifecycleCommand,
  NightOutcome,
  NightRun,
  EmailFeedback,
  OutboxEmail,
  PaymentAttempt,
  PaymentRecord,
  StoredGatewayEvent,
  BankCreditRecord,
  ExportJob,
  PendingLifecycleRef,
} from '../../domain/records.ts';
import { byNightThenCommit } from '../../domain/records.ts';
import type { Checkout, CheckoutStatus } from '../../domain/checkout.ts';
import { DUE_SHARDS, keys, shardOf } from './keys.ts';
import { TABLE_KEYS } from './table-schema.ts';

type Item = Record<string, unknown>;
type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

// feedbackIds: the set that keeps each bounce or complaint report once (recordEmailFeedback), not part of the record.
const KEY_ATTRS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'entity', 'feedbackIds'];

function strip<T>(item: Item | undefined): T | undefined {
  if (!item) return undefined;
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRS.includes(k)) out[k] = v;
  return out as T;
}

const NOT_EXISTS = 'attribute_not_exists(pk)';
/** How long a process keeps a rate it read (or found missing) before reading it again. */
const RATE_KEPT_MS = 10 * 60 * 1000;

/**
 * The billing store on one DynamoDB table. Every commit is one
 * TransactWriteItems whose conditions make replays and races fail whole.
 */
export class DynamoDbBillingStore implements BillingStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly ratesOn = new Map<string, { rate: Promise<ExchangeRate | undefined>; until: number }>();

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
  }

  async commit(changes: Change[]): Promise<void> {
    const items: TransactItem[] = [];
    const owners: Change['type'][] = [];
    for (const change of changes) {
      for (const item of this.toTransactItems(change)) {
        items.push(item);
        owners.push(change.type);
      }
    }
    if (items.length === 0) return;
    if (items.length > 100) throw new Error(`a commit of ${items.length} writes exceeds DynamoDB's 100`);
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (err) {
      if (err instanceof TransactionCanceledException) {
        const reasons = err.CancellationReasons ?? [];
        const failed = reasons.map((r, i) => (r.Code === 'ConditionalCheckFailed' ? owners[i] : undefined)).filter((t): t is Change['type'] => t !== undefined);
        if (failed.length > 0) throw new WriteConflict([...new Set(failed)]);
        // TransactionConflict: another transaction held an item; the caller retries like any conflict.
        if (reasons.some((r) => r.Code === 'TransactionConflict')) throw new WriteConflict(['product']);
      }
      throw err;
    }
  }

  /** One field of an organisation: rewriting it whole could undo a concurrent balance move. */
  private orgUpdate(orgId: string, expression: string, values: Item, names?: Record<string, string>): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.org(orgId),
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: values,
        ...(names ? { ExpressionAttributeNames: names } : {}),
      },
    };
  }

  private delete(key: Item, condition?: string): TransactItem {
    return { Delete: { TableName: this.tableName, Key: key, ...(condition ? { ConditionExpression: condition } : {}) } };
  }

  private put(item: Item, condition?: string, values?: Item, names?: Record<string, string>): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: item,
        ...(condition ? { ConditionExpression: condition } : {}),
        ...(values ? { ExpressionAttributeValues: values } : {}),
        ...(names ? { ExpressionAttributeNames: names } : {}),
      },
    };
  }

  private toTransactItems(change: Change): TransactItem[] {
    switch (change.type) {
      case 'organisation': {
        const { org, isNew } = change;
        const items = [this.put({ ...keys.org(org.id), entity: 'org', ...org }, isNew ? NOT_EXISTS : 'attribute_exists(pk)')];
        if (isNew) items.push(this.put({ ...keys.orgDirectory(org.id), entity: 'orgref', name: org.name }));
        return items;
      }
      case 'customerRef':
        // A field of its own: rewriting the whole organisation could undo a concurrent balance move.
        return [
          {
            Update: {
              TableName: this.tableName,
              Key: keys.org(change.orgId),
              UpdateExpression: 'SET gatewayCustomerRef = :ref',
              ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(gatewayCustomerRef) OR gatewayCustomerRef = :ref)',
              ExpressionAttributeValues: { ':ref': change.ref },
            },
          },
        ];
      case 'partnerProfile':
        return [this.orgUpdate(change.orgId, 'SET partner = :p', { ':p': change.partner })];
      case 'partnerLink':
        return [
          this.orgUpdate(change.orgId, 'SET partnerId = :p, billToPartner = :b', { ':p': change.partnerId, ':b': change.billToPartner }),
          this.put({ ...keys.partnerClient(change.partnerId, change.orgId), entity: 'partner-client', orgId: change.orgId }),
        ];
      case 'identityCheck':
        return [
          {
            Update: {
              TableName: this.tableName,
              Key: keys.org(change.orgId),
              UpdateExpression: 'SET identityCheck = :s',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':s': change.state },
            },
          },
        ];
      case 'orgProfile': {
        const names: Record<string, string> = {};
        const values: Item = {};
        const sets: string[] = [];
        for (const [field, value] of Object.entries(change.fields)) {
          if (value === undefined) continue;
          names[`#${field}`] = field;
          values[`:${field}`] = value;
          sets.push(`#${field} = :${field}`);
        }
        if (sets.length === 0) return [];
        return [this.orgUpdate(change.orgId, `SET ${sets.join(', ')}`, values, names)];
      }
      case 'memberRemoved':
        return [this.delete(keys.member(change.orgId, change.userId), 'attribute_exists(pk)'), this.delete(keys.userMembership(change.userId, change.orgId))];
      case 'orgErased':
        return [
          {
            Update: {
              TableName: this.tableName,
              Key: keys.org(change.orgId),
              UpdateExpression: 'SET #name = :name, erasedAt = :at, billingContacts = :none REMOVE address, postal, vatNumber, eInvoice',
              ConditionExpression: 'attribute_exists(pk) AND balance = :balance',
              ExpressionAttributeNames: { '#name': 'name' },
              ExpressionAttributeValues: { ':name': change.name, ':at': change.erasedAt, ':none': [], ':balance': change.expectedBalance },
            },
          },
          this.put({ ...keys.orgDirectory(change.orgId), entity: 'orgref', name: change.name }),
        ];
      case 'paymentMethodRemoved':
        return [this.delete(keys.paymentMethod(change.orgId, change.methodId), 'attribute_exists(pk)'), this.delete(keys.paymentMethodRef(change.gatewayRef))];
      case 'audit': {
        const a = change.entry;
        // Started, then again with its outcome: the second put replaces the first.
        return [this.put({ ...keys.audit(a.date, a.at, a.id), entity: 'audit', ...a })];
      }
      case 'member': {
        const m = change.member;
        return [
          this.put({ ...keys.member(m.orgId, m.userId), entity: 'member', ...m }),
          this.put({ ...keys.userMembership(m.userId, m.orgId), entity: 'membership', orgId: m.orgId, role: m.role }),
        ];
      }
      case 'paymentMethod': {
        const pm = change.method;
        return [
          this.put({ ...keys.paymentMethod(pm.orgId, pm.id), entity: 'pm', ...pm }),
          this.put({ ...keys.paymentMethodRef(pm.gatewayRef), entity: 'pmref', orgId: pm.orgId, methodId: pm.id }),
        ];
      }
      case 'product':
        return [this.productPut(change.product, change.expectedVersion)];
      case 'productRemoved':
        return [
          {
            Delete: {
              TableName: this.tableName,
              Key: keys.product(change.orgId, change.productId),
              ConditionExpression: 'version = :v',
              ExpressionAttributeValues: { ':v': change.expectedVersion },
            },
          },
        ];
      case 'productUnchanged':
        return [
          {
            ConditionCheck: {
              TableName: this.tableName,
              Key: keys.product(change.orgId, change.productId),
              ConditionExpression: 'version = :v',
              ExpressionAttributeValues: { ':v': change.version },
            },
          },
        ];
      case 'productAttemptMark':
        return [
          {
            Update: {
              TableName: this.tableName,
              Key: keys.product(change.orgId, change.productId),
              UpdateExpression: 'SET pendingAttemptId = :a',
              ConditionExpression: 'version = :v',
              ExpressionAttributeValues: { ':v': change.version, ':a': change.attemptId },
            },
          },
        ];
      case 'noPendingAttempt':
        return [
          {
            ConditionCheck: {
              TableName: this.tableName,
              Key: keys.attempt(change.orgId, change.attemptId),
              ConditionExpression: 'attribute_not_exists(pk) OR #s <> :pending',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':pending': 'pending' },
            },
          },
        ];
      case 'balance':
        return [
          {
            Update: {
              TableName: this.tableName,
              Key: keys.org(change.orgId),
              UpdateExpression: 'SET balance = :to',
              ConditionExpression: 'balance = :from',
              ExpressionAttributeValues: { ':from': change.from, ':to': change.to },
            },
          },
          this.put({ ...keys.ledger(change.orgId, change.entry.id), entity: 'ledger', ...change.entry }, NOT_EXISTS),
        ];
      case 'attempt': {
        const a = change.attempt;
        const item = { ...keys.attempt(a.orgId, a.id), entity: 'attempt', ...a };
        return [change.expectedStatus === null ? this.put(item, NOT_EXISTS) : this.put(item, '#s = :s', { ':s': change.expectedStatus }, { '#s': 'status' })];
      }
      case 'invoice': {
        const inv = change.invoice;
        const range = inv.seriesId ?? inv.sellerId;
        const counter = keys.seriesCounter(inv.series, range, inv.year);
        // Gapless: the number is taken only if the counter still stands at the one before it.
        const counterWrite: TransactItem =
          inv.sequence === 1
            ? this.put({ ...counter, entity: 'counter', last: 1 }, NOT_EXISTS)
            : {
                Update: {
                  TableName: this.tableName,
                  Key: counter,
                  UpdateExpression: 'SET #last = :seq',
                  ConditionExpression: '#last = :prev',
                  ExpressionAttributeNames: { '#last': 'last' },
                  ExpressionAttributeValues: { ':seq': inv.sequence, ':prev': inv.sequence - 1 },
                },
              };
        const items: TransactItem[] = [
          counterWrite,
          this.put({ ...this.invoiceItem(inv) }, NOT_EXISTS),
          this.put(
            {
              ...keys.seriesNumber(inv.series, range, inv.year, inv.sequence),
              entity: 'invoice-number',
              number: inv.number,
              orgId: inv.orgId,
              issueDate: inv.issueDate,
            },
            NOT_EXISTS,
          ),
        ];
        if (inv.paymentReference) {
          items.push(this.put({ ...keys.paymentReference(inv.paymentReference), entity: 'payref', orgId: inv.orgId, number: inv.number, issueDate: inv.issueDate }, NOT_EXISTS));
        }
        return items;
      }
      case 'invoiceUpdate': {
        const inv = change.invoice;
        const due = change.expected.amountDue;
        const items: TransactItem[] = [
          this.put(
            this.invoiceItem(inv),
            due === undefined ? '#s = :s AND attribute_not_exists(amountDue)' : '#s = :s AND amountDue = :due',
            { ':s': change.expected.status, ...(due === undefined ? {} : { ':due': due }) },
            { '#s': 'status' },
          ),
        ];
        if (inv.paymentReference) {
          // Idempotent: the pointer names the same document whoever writes it.
          items.push(this.put({ ...keys.paymentReference(inv.paymentReference), entity: 'payref', orgId: inv.orgId, number: inv.number, issueDate: inv.issueDate }));
        }
        return items;
      }
      case 'payment': {
        const p = change.payment;
        return [this.put({ ...keys.payment(p.orgId, p.date, p.id), entity: 'payment', ...p }, NOT_EXISTS)];
      }
      case 'events': {
        const r = change.record;
        // Unconditional: only a commit of the same facts writes the same id, and those facts' own conditions refuse it.
        return [this.put({ ...keys.eventRecord(r.date, r.id), entity: 'events', ...r })];
      }
      case 'email': {
        const e = change.email;
        return [this.put({ ...keys.email(e.date, e.id), entity: 'email', ...e }, NOT_EXISTS)];
      }
      case 'lifecycle': {
        const c = change.command;
        const item: Item = { ...keys.lifecycle(c.date, c.id), entity: 'lifecycle', ...c };
        if (c.status === 'pending') {
          item[TABLE_KEYS.dueIndex.pk] = keys.pendingLifecycleIndexPk(shardOf(c.id));
          item[TABLE_KEYS.dueIndex.sk] = keys.pendingLifecycleIndexSk(c.date, c.createdAt, c.id);
        }
        return [change.expectedStatus === null ? this.put(item, NOT_EXISTS) : this.put(item, '#s = :s', { ':s': change.expectedStatus }, { '#s': 'status' })];
      }
      case 'outcome': {
        const o = change.outcome;
        return [this.put({ ...keys.outcome(o.night, o.productId), entity: 'outcome', ...o }, NOT_EXISTS)];
      }
      case 'checkout':
        return this.checkoutItems(change.checkout, change.expected);
      case 'bankCredit': {
        const c = change.credit;
        // Keyed by the bank's id: the same credit imported twice collides instead of settling twice.
        const items = [
          change.expectedUnreversed
            ? this.put({ ...keys.bankCredit(c.id), entity: 'bank-credit', ...c }, 'attribute_exists(pk) AND attribute_not_exists(reversedBy)')
            : this.put({ ...keys.bankCredit(c.id), entity: 'bank-credit', ...c }, NOT_EXISTS),
        ];
        if (change.expectedUnreversed) return items;
        if (c.note) items.push(this.put({ ...keys.bankCreditToReview(c.importedAt, c.id), entity: 'bank-credit-review', ...c }));
        return items;
      }
      case 'exportJob': {
        const item = { ...keys.exportJob(change.job.id), entity: 'export-job', ...change.job };
        return [
          change.expectedStatus === null
            ? this.put(item, NOT_EXISTS)
            : change.expectedLease !== undefined
              ? this.put(item, '#s = :s AND leaseUntil = :l', { ':s': change.expectedStatus, ':l': change.expectedLease }, { '#s': 'status' })
              : this.put(item, '#s = :s', { ':s': change.expectedStatus }, { '#s': 'status' }),
        ];
      }
      case 'bankStatement':
        return [this.put({ ...keys.bankStatement(change.statement.id), entity: 'bank-statement', ...change.statement })];
      case 'exchangeRate':
        this.ratesOn.clear();
        return [this.put({ ...keys.exchangeRate(change.rate.currency, change.rate.period), entity: 'exchange-rate', ...change.rate })];
      case 'gatewayEvent': {
        const e = change.event;
        const item = { ...keys.gatewayEvent(e.id), entity: 'gateway-event', ...e };
        return [change.expectedStatus === null ? this.put(item, NOT_EXISTS) : this.put(item, '#s = :s', { ':s': change.expectedStatus }, { '#s': 'status' })];
      }
    }
  }

  /**
   * The checkout, conditioned on the version and status read, plus its entry
   * in the waiting list of its status (moved when the status changes).
   */
  private checkoutItems(c: Checkout, expected: { version: number; status: CheckoutStatus } | null): TransactItem[] {
    const item = { ...keys.checkout(c.orgId, c.id), entity: 'checkout', ...c };
    const items: TransactItem[] = [
      expected === null ? this.put(item, NOT_EXISTS) : this.put(item, 'version = :v AND #s = :s', { ':v': expected.version, ':s': expected.status }, { '#s': 'status' }),
    ];
    const pointer = (status: CheckoutStatus) => {
      if (status === 'awaiting_payment') return keys.checkoutStatusPointer(status, c.createdOn, c.orgId, c.id);
      if (status === 'held') return keys.checkoutStatusPointer(status, c.heldSince ?? c.createdOn, c.orgId, c.id);
      if (status === 'refunding') return keys.checkoutStatusPointer(status, c.refund?.since ?? c.createdOn, c.orgId, c.id);
      return undefined;
    };
    const before = expected ? pointer(expected.status) : undefined;
    const after = pointer(c.status);
    if (before && (!after || before.pk !== after.pk || before.sk !== after.sk)) {
      items.push({ Delete: { TableName: this.tableName, Key: before } });
    }
    if (after && (!before || before.pk !== after.pk || before.sk !== after.sk)) {
      items.push(this.put({ ...after, entity: 'checkout-pointer', orgId: c.orgId, checkoutId: c.id }));
    }
    return items;
  }

  private invoiceItem(inv: Invoice): Item {
    return {
      ...keys.invoice(inv.orgId, inv.issueDate, inv.number),
      entity: 'invoice',
      ...inv,
      [TABLE_KEYS.docsIndex.pk]: keys.docsIndexPk(inv.issueDate, shardOf(inv.number)),
      [TABLE_KEYS.docsIndex.sk]: inv.number,
    };
  }

  private productPut(p: Product, expectedVersion: number | null): TransactItem {
    const item: Item = {
      ...keys.product(p.orgId, p.id),
      entity: 'product',
      ...p,
      [TABLE_KEYS.expiryIndex.pk]: keys.expiryIndexPk(p.orgId),
      [TABLE_KEYS.expiryIndex.sk]: `${p.expiry}#${p.id}`,
    };
    // Sparse: only products with something ahead appear in the nightly index.
    if (p.nextActionDate) {
      item[TABLE_KEYS.dueIndex.pk] = keys.dueIndexPk(p.nextActionDate, shardOf(p.id));
      item[TABLE_KEYS.dueIndex.sk] = p.id;
    }
    return expectedVersion === null ? this.put(item, NOT_EXISTS) : this.put(item, 'version = :v', { ':v': expectedVersion });
  }

  private async get<T>(key: { pk: string; sk: string }): Promise<T | undefined> {
    const res = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return strip<T>(res.Item);
  }

  private async queryAll<T>(input: Omit<QueryCommandInput, 'TableName'>, stats?: ReadStats, raw = false): Promise<T[]> {
    const out: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          ...input,
          ...(start ? { ExclusiveStartKey: start } : {}),
          ...(stats ? { ReturnConsumedCapacity: 'TOTAL' } : {}),
        }),
      );
      if (stats) {
        stats.items += res.Count ?? 0;
        stats.capacityUnits += res.ConsumedCapacity?.CapacityUnits ?? 0;
      }
      for (const it of res.Items ?? []) out.push(raw ? (it as T) : (strip<T>(it) as T));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  private byPrefix<T>(pk: string, prefix: string, forward = true): Promise<T[]> {
    return this.queryAll<T>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
      ConsistentRead: true,
      ScanIndexForward: forward,
    });
  }

  private partition<T>(pk: string): Promise<T[]> {
    return this.queryAll<T>({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true });
  }

  getOrganisation(orgId: string) {
    return this.get<Organisation>(keys.org(orgId));
  }

  /**
   * A day's rate, else its month's: two reads by key, kept for ten minutes in this process (a night's renewals
   * in another currency ask for the same day again and again; an import made through this store clears them).
   */
  exchangeRateOn(currency: ExchangeRate['currency'], date: IsoDate): Promise<ExchangeRate | undefined> {
    const key = `${currency}|${date}`;
    const now = Date.now();
    const kept = this.ratesOn.get(key);
    if (kept && kept.until > now) return kept.rate;
    const rate = Promise.all([this.get<ExchangeRate & Item>(keys.exchangeRate(currency, date)), this.get<ExchangeRate & Item>(keys.exchangeRate(currency, date.slice(0, 7)))]).then(
      ([day, month]) => {
        const found = day ?? month;
        return found ? { currency: found.currency, period: found.period, chf: found.chf } : undefined;
      },
    );
    this.ratesOn.set(key, { rate, until: now + RATE_KEPT_MS });
    rate.catch(() => this.ratesOn.delete(key));
    return rate;
  }

  async listExchangeRates(currency: ExchangeRate['currency']): Promise<ExchangeRate[]> {
    const items = await this.partition<ExchangeRate & Item>(keys.exchangeRate(currency, '').pk);
    return items.map(({ currency: c, period, chf }) => ({ currency: c, period, chf }));
  }

  async listOrganisations(): Promise<Organisation[]> {
    const refs = await this.queryAll<Item>({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'ORGS' } }, undefined, true);
    const orgs = await Promise.all(refs.map((r) => this.getOrganisation(String(r.sk))));
    return orgs.filter((o): o is Organisation => o !== undefined);
  }

  async listPartnerClients(partnerId: string): Promise<string[]> {
    const rows = await this.queryAll<Item>(
      { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `PARTNER#${partnerId}` }, ConsistentRead: true },
      undefined,
      true,
    );
    return rows.map((r) => String(r.orgId));
  }

  getMember(orgId: string, userId: string) {
    return this.get<Member>(keys.member(orgId, userId));
  }
  listMembers(orgId: string) {
    return this.byPrefix<Member>(`ORG#${orgId}`, 'MEMBER#');
  }
  async listMembershipsOf(userId: string): Promise<string[]> {
    const rows = await this.byPrefix<{ orgId: string }>(`USER#${userId}`, 'ORG#');
    return rows.map((r) => r.orgId);
  }
  getPaymentMethod(orgId: string, id: string) {
    return this.get<SavedPaymentMethod>(keys.paymentMethod(orgId, id));
  }
  async findPaymentMethodByRef(gatewayRef: string): Promise<SavedPaymentMethod | undefined> {
    const ref = await this.get<{ orgId: string; methodId: string }>(keys.paymentMethodRef(gatewayRef));
    return ref ? this.getPaymentMethod(ref.orgId, ref.methodId) : undefined;
  }
  listPaymentMethods(orgId: string) {
    return this.byPrefix<SavedPaymentMethod>(`ORG#${orgId}`, 'PM#');
  }
  getProduct(orgId: string, productId: string) {
    return this.get<Product>(keys.product(orgId, productId));
  }

  listProducts(orgId: string, opts: { expiryUpTo?: IsoDate } = {}): Promise<Product[]> {
    const { name, pk, sk } = TABLE_KEYS.expiryIndex;
    return this.queryAll<Product>({
      IndexName: name,
      KeyConditionExpression: opts.expiryUpTo ? '#pk = :pk AND #sk <= :upTo' : '#pk = :pk',
      ExpressionAttributeNames: opts.expiryUpTo ? { '#pk': pk, '#sk': sk } : { '#pk': pk },
      ExpressionAttributeValues: {
        ':pk': keys.expiryIndexPk(orgId),
        // '~' sorts after every product id, so the whole last day is included.
        ...(opts.expiryUpTo ? { ':upTo': `${opts.expiryUpTo}#~` } : {}),
      },
    });
  }

  async listProductsPage(orgId: string, opts: { expiryUpTo?: IsoDate; limit: number; after?: ProductPosition }): Promise<{ products: Product[]; next?: ProductPosition }> {
    const { name, pk, sk } = TABLE_KEYS.expiryIndex;
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: name,
        KeyConditionExpression: opts.expiryUpTo ? '#pk = :pk AND #sk <= :upTo' : '#pk = :pk',
        ExpressionAttributeNames: opts.expiryUpTo ? { '#pk': pk, '#sk': sk } : { '#pk': pk },
        ExpressionAttributeValues: { ':pk': keys.expiryIndexPk(orgId), ...(opts.expiryUpTo ? { ':upTo': `${opts.expiryUpTo}#~` } : {}) },
        Limit: opts.limit,
        // The start key is rebuilt from the position, inside this organisation's partition: a cursor cannot lead elsewhere.
        ...(opts.after
          ? { ExclusiveStartKey: { ...keys.product(orgId, opts.after.productId), [pk]: keys.expiryIndexPk(orgId), [sk]: `${opts.after.expiry}#${opts.after.productId}` } }
          : {}),
      }),
    );
    const products = (res.Items ?? []).map((it) => strip<Product>(it) as Product);
    const last = products.at(-1);
    return { products, ...(res.LastEvaluatedKey && last ? { next: { expiry: last.expiry, productId: last.id } } : {}) };
  }

  async listDueProducts(date: IsoDate, stats?: ReadStats): Promise<DueProductRef[]> {
    const { name, pk } = TABLE_KEYS.dueIndex;
    const shards = await Promise.all(
      Array.from({ length: DUE_SHARDS }, (_, shard) =>
        this.queryAll<Item>(
          {
            IndexName: name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': pk },
            ExpressionAttributeValues: { ':pk': keys.dueIndexPk(date, shard) },
          },
          stats,
          true,
        ),
      ),
    );
    return shards.flat().map((it) => ({
      orgId: String(it.pk).slice('ORG#'.length),
      productId: String(it.sk).slice('PRODUCT#'.length),
    }));
  }

  getAttempt(orgId: string, attemptId: string) {
    return this.get<PaymentAttempt>(keys.attempt(orgId, attemptId));
  }
  listAttempts(orgId: string, productId: string) {
    return this.byPrefix<PaymentAttempt>(`ORG#${orgId}`, `ATTEMPT#${productId}#`);
  }

  async listLedger(orgId: string): Promise<LedgerEntry[]> {
    const entries = await this.byPrefix<LedgerEntry>(`ORG#${orgId}`, 'LEDGER#');
    return entries.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }
  listPayments(orgId: string) {
    return this.byPrefix<PaymentRecord>(`ORG#${orgId}`, 'PAYMENT#');
  }
  listInvoices(orgId: string) {
    return this.byPrefix<Invoice>(`ORG#${orgId}`, 'INVOICE#');
  }

  async findInvoice(number: string): Promise<Invoice | undefined> {
    const m = /^(INV|PRO|CN)-([A-Z0-9]+)-(\d{4})-(\d+)$/.exec(number);
    if (!m) return undefined;
    const entry = await this.get<{ orgId: string; issueDate: IsoDate }>(keys.seriesNumber(m[1]!, m[2]!.toLowerCase(), Number(m[3]), Number(m[4])));
    return entry ? this.get<Invoice>(keys.invoice(entry.orgId, entry.issueDate, number)) : undefined;
  }

  async findDocumentByReference(reference: string): Promise<Invoice | undefined> {
    const ref = await this.get<{ orgId: string; number: string; issueDate: IsoDate }>(keys.paymentReference(reference.replace(/\s+/g, '').toUpperCase()));
    return ref ? this.get<Invoice>(keys.invoice(ref.orgId, ref.issueDate, ref.number)) : undefined;
  }

  async *iterateDocuments(from: IsoDate, to: IsoDate): AsyncIterable<Invoice> {
    const { name, pk } = TABLE_KEYS.docsIndex;
    // One day's documents fit in memory (they are read per shard, then put in number order).
    const day = async (date: IsoDate) => {
      const shards = await Promise.all(
        Array.from({ length: DUE_SHARDS }, (_, shard) =>
          this.queryAll<Invoice>({
            IndexName: name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': pk },
            ExpressionAttributeValues: { ':pk': keys.docsIndexPk(date, shard) },
          }),
        ),
      );
      return shards.flat().sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0));
    };
    // The next day is read while the caller works through this one: two days in memory at most.
    let next = from <= to ? day(from) : undefined;
    for (let date = from; next; date = addDays(date, 1)) {
      const docs = await next;
      const following = addDays(date, 1);
      next = following <= to ? day(following) : undefined;
      // Caught so a caller that stops early leaves no unhandled rejection behind; awaited above when reached.
      next?.catch(() => undefined);
      yield* docs;
    }
  }

  async lastInvoiceSequence(series: InvoiceSeries, sellerId: string, year: number): Promise<number> {
    const counter = await this.get<{ last: number }>(keys.seriesCounter(series, sellerId, year));
    return counter?.last ?? 0;
  }

  async leaseNumberRange(range: { series: InvoiceSeries; seriesId: string; year: number }, owner: string, until: string, now: string): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.seriesLease(range.series, range.seriesId, range.year), entity: 'number-lease', owner, until },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#until': 'until', '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  listInvoicesOfSeries(series: InvoiceSeries, sellerId: string, year: number) {
    return this.byPrefix<{ number: string; orgId: string; issueDate: IsoDate }>(keys.series(series, sellerId, year), 'NO#');
  }

  getLifecycleCommand(date: IsoDate, id: string) {
    return this.get<LifecycleCommand>(keys.lifecycle(date, id));
  }
  listLifecycleCommands(date: IsoDate) {
    return this.allShards<LifecycleCommand>((shard) => keys.lifecyclePk(date, shard));
  }
  async listPendingLifecycle(from: IsoDate, to: IsoDate): Promise<PendingLifecycleRef[]> {
    const { name, pk, sk } = TABLE_KEYS.dueIndex;
    const shards = await Promise.all(
      Array.from({ length: DUE_SHARDS }, (_, shard) =>
        this.queryAll<Item>(
          {
            IndexName: name,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
            // '~' sorts after every timestamp and id: the whole last night is included.
            ExpressionAttributeValues: { ':pk': keys.pendingLifecycleIndexPk(shard), ':from': `${from}#`, ':to': `${to}#~` },
          },
          undefined,
          true,
        ),
      ),
    );
    return shards
      .flat()
      .map((it) => {
        const [date, createdAt, ...id] = String(it[sk]).split('#');
        return { date: date!, createdAt: createdAt!, id: id.join('#') };
      })
      .sort(byNightThenCommit);
  }
  listOutbox(date: IsoDate) {
    return this.allShards<OutboxEmail>((shard) => keys.outboxPk(date, shard));
  }

  listAuditEntries(date: IsoDate) {
    return this.partition<AuditEntry>(`AUDIT#${date}`);
  }

  listEventRecords(date: IsoDate) {
    return this.allShards<EventRecord>((shard) => keys.eventsPk(date, shard)).then((records) => records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }

  async markEventsPublished(date: IsoDate, id: string, at: string): Promise<boolean> {
    const done = await this.conditionalUpdate<EventRecord>({
      Key: keys.eventRecord(date, id),
      UpdateExpression: 'SET publishedAt = :at',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(publishedAt)',
      ExpressionAttributeValues: { ':at': at },
    });
    return done !== undefined;
  }

  getEmail(date: IsoDate, id: string) {
    return this.get<OutboxEmail>(keys.email(date, id));
  }

  async claimEmail(date: IsoDate, id: string, claim: { token: string; now: string; until: string }): Promise<EmailClaim> {
    const taken = await this.conditionalUpdate<OutboxEmail>({
      Key: keys.email(date, id),
      UpdateExpression: 'SET claimToken = :t, claimUntil = :u',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sentAt) AND (attribute_not_exists(claimUntil) OR claimUntil < :now)',
      ExpressionAttributeValues: { ':t': claim.token, ':u': claim.until, ':now': claim.now },
    });
    if (taken) return { status: 'claimed', email: taken };
    // Refused: read it to say why (a second delivery, or a sender at work).
    const email = await this.getEmail(date, id);
    if (!email) return { status: 'missing' };
    return { status: email.sentAt ? 'sent' : 'busy', email };
  }

  async finishEmail(date: IsoDate, id: string, token: string, outcome: EmailDeliveryOutcome): Promise<boolean> {
    const done = await this.conditionalUpdate<OutboxEmail>({
      Key: keys.email(date, id),
      ...(outcome.sent
        ? {
            UpdateExpression: 'SET sentAt = :at, sentRef = :ref REMOVE claimToken, claimUntil, lastError',
            ExpressionAttributeValues: { ':t': token, ':at': outcome.at, ':ref': outcome.ref },
          }
        : {
            UpdateExpression: 'SET failedAttempts = if_not_exists(failedAttempts, :zero) + :one, lastError = :e REMOVE claimToken, claimUntil',
            ExpressionAttributeValues: { ':t': token, ':zero': 0, ':one': 1, ':e': outcome.error.slice(0, 1000) },
          }),
      ConditionExpression: 'claimToken = :t',
    });
    return done !== undefined;
  }

  async recordEmailFeedback(date: IsoDate, id: string, feedback: EmailFeedback): Promise<boolean> {
    const done = await this.conditionalUpdate<OutboxEmail>({
      Key: keys.email(date, id),
      UpdateExpression: 'SET feedback = list_append(if_not_exists(feedback, :none), :f) ADD feedbackIds :ids',
      // The report's id in a set beside the list: a report delivered twice fails the condition.
      ConditionExpression: 'attribute_exists(pk) AND NOT contains(feedbackIds, :id)',
      ExpressionAttributeValues: { ':none': [], ':f': [feedback], ':ids': new Set([feedback.id]), ':id': feedback.id },
    });
    return done !== undefined;
  }

  /** An UpdateItem whose condition may fail: the item after the update, or undefined when it failed. */
  private async conditionalUpdate<T>(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'ReturnValues'>): Promise<T | undefined> {
    try {
      const res = await this.doc.send(new UpdateCommand({ TableName: this.tableName, ...input, ReturnValues: 'ALL_NEW' }));
      return strip<T>(res.Attributes);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  listNightOutcomes(night: IsoDate): Promise<NightOutcome[]> {
    return this.allShards<NightOutcome>((shard) => keys.outcomePk(night, shard));
  }

  /** A sharded partition read whole: every shard at once, in id order. */
  private async allShards<T extends object>(pk: (shard: number) => string): Promise<T[]> {
    const shards = await Promise.all(Array.from({ length: DUE_SHARDS }, (_, shard) => this.partition<T>(pk(shard))));
    return shards.flat();
  }

  getCheckout(orgId: string, checkoutId: string) {
    return this.get<Checkout>(keys.checkout(orgId, checkoutId));
  }
  listCheckouts(orgId: string) {
    return this.byPrefix<Checkout>(`ORG#${orgId}`, 'CHECKOUT#');
  }

  async listCheckoutsInStatus(status: 'awaiting_payment' | 'held' | 'refunding', upTo: IsoDate): Promise<{ orgId: string; checkoutId: string; date: IsoDate }[]> {
    const rows = await this.queryAll<Item>(
      {
        KeyConditionExpression: 'pk = :pk AND sk <= :upTo',
        ExpressionAttributeValues: { ':pk': keys.checkoutsInStatus(status), ':upTo': `${upTo}#~` },
        ConsistentRead: true,
      },
      undefined,
      true,
    );
    return rows.map((r) => ({ orgId: String(r.orgId), checkoutId: String(r.checkoutId), date: String(r.sk).slice(0, 10) }));
  }

  getExportJob(id: string) {
    return this.get<ExportJob>(keys.exportJob(id));
  }
  getBankCredit(id: string) {
    return this.get<BankCreditRecord>(keys.bankCredit(id));
  }
  getBankStatement(id: string) {
    return this.get<{ id: string; fileDigest: string; credits: number; importedAt: string }>(keys.bankStatement(id));
  }
  listBankCreditsToReview() {
    return this.partition<BankCreditRecord>('BANKCREDITS#review');
  }
  getGatewayEvent(id: string) {
    return this.get<StoredGatewayEvent>(keys.gatewayEvent(id));
  }

  async lastNightRun(): Promise<NightRun | undefined> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'NIGHTS' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return strip<NightRun>(res.Items?.[0]);
  }

  listNightRuns() {
    return this.partition<NightRun>('NIGHTS');
  }

  async putNightRun(run: NightRun): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.nightRun(run.date), entity: 'night', ...run } }));
  }

  async getReconcileWatermark(): Promise<number | undefined> {
    return (await this.get<{ seconds: number }>(keys.reconcileWatermark()))?.seconds;
  }

  async putReconcileWatermark(seconds: number): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.reconcileWatermark(), entity: 'reconcile-watermark', seconds },
          ConditionExpression: 'attribute_not_exists(pk) OR seconds < :s',
          ExpressionAttributeValues: { ':s': seconds },
        }),
      );
    } catch (err) {
      // Already as far or further: nothing to move.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  async getGatewayEvents(ids: readonly string[]): Promise<StoredGatewayEvent[]> {
    const unique = [...new Set(ids)];
    const out: StoredGatewayEvent[] = [];
    for (let i = 0; i < unique.length; i += 100) {
      for (const it of await this.batchGet(unique.slice(i, i + 100).map((id) => keys.gatewayEvent(id)))) out.push(strip<StoredGatewayEvent>(it) as StoredGatewayEvent);
    }
    return out;
  }

  async getProductWithOrganisation(orgId: string, productId: string, methodId?: string): Promise<{ product?: Product; org?: Organisation; method?: SavedPaymentMethod }> {
    const productKey = keys.product(orgId, productId);
    const methodKey = methodId ? keys.paymentMethod(orgId, methodId) : undefined;
    const found = await this.batchGet([productKey, keys.org(orgId), ...(methodKey ? [methodKey] : [])]);
    const at = (k: { pk: string; sk: string }) => found.find((it) => it.pk === k.pk && it.sk === k.sk);
    const product = at(productKey);
    const org = at(keys.org(orgId));
    const method = methodKey ? at(methodKey) : undefined;
    return {
      ...(product ? { product: strip<Product>(product) as Product } : {}),
      ...(org ? { org: strip<Organisation>(org) as Organisation } : {}),
      ...(method ? { method: strip<SavedPaymentMethod>(method) as SavedPaymentMethod } : {}),
    };
  }

  /** Up to 100 items by key in one BatchGetItem, strongly consistent; a throttled part (UnprocessedKeys) is asked again. */
  private async batchGet(wanted: Record<string, unknown>[]): Promise<Item[]> {
    const out: Item[] = [];
    let keysLeft = wanted;
    for (let attempt = 0; keysLeft.length > 0; attempt++) {
      // A throttled part of the batch comes back as UnprocessedKeys: asked again, after a pause that grows.
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const res = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keysLeft, ConsistentRead: true } } }));
      out.push(...((res.Responses?.[this.tableName] ?? []) as Item[]));
      keysLeft = (res.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      if (attempt > 8 && keysLeft.length > 0) throw new Error(`BatchGetItem left ${keysLeft.length} keys unprocessed after ${attempt} tries`);
    }
    return out;
  }
}
