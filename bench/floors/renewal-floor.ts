/**
 * The renewal floor: the fewest calls a correct automatic renewal needs,
 * written here from the data model (docs/data-model.md) and the business
 * rules (docs/domain.md), not recorded from the engine, so the engine's
 * throughput is judged against a design it did not produce.
 *
 * Per due product:
 *   1. one BatchGetItem of the product and its organisation (and, for a
 *      product that renews with a saved method, a GetItem of that method,
 *      whose id only the product names);
 *   2. the balance pays what it can; the rest is charged to the saved method
 *      with an idempotency key made of the product and the period (a retry
 *      charges once);
 *   3. one TransactWriteItems of 4–6 items: the product one period on (its
 *      version checked), the final invoice (numbered from the worker's own
 *      number range, whose counter is checked: gapless per range, no hot
 *      counter), the balance and its ledger entry when it paid a part, the
 *      payment record when a card paid a part.
 *
 * What it leaves out, and the engine does: reminder and receipt e-mails, the
 * night's outcome records, business events, lifecycle commands, partners,
 * VAT by buyer, retries after a lost race (a floor never loses one: each
 * worker owns its range and its products). Amounts are decimal strings
 * computed with decimal.js, never JS numbers.
 */
import { BatchGetCommand, GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Decimal } from 'decimal.js';
import { Money, type Currency } from '../../shared/domain/money.ts';
import { plusDays, plusMonths } from '../lib/calendar.ts';
import type { PaymentMethodKind } from '../../shared/domain/payment-methods.ts';
import type { PaymentGateway } from '../../shared/ports/payment-gateway.ts';

export interface FloorProduct {
  orgId: string;
  productId: string;
}

export interface FloorSetup {
  doc: DynamoDBDocumentClient;
  tableName: string;
  gateway: PaymentGateway;
  night: string;
  /** A period's price of a product type in a currency, from the stage's price list (a decimal string). */
  price: (typeId: string, currency: string, months: number) => string;
  seller: { id: string; name: string; address: string; vatNumber: string; iban: string; country: string };
}

type Item = Record<string, unknown>;

/** FNV-1a over the id, the same spread of products over 8 shards the data model gives the date index. */
function shardOf(id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return String((h >>> 0) % 8).padStart(2, '0');
}

/** A worker's own number range: its counter's value is known to it alone, so it is never read and never raced. */
export class NumberRange {
  private last = 0;
  constructor(readonly id: string) {}
  next(): { sequence: number; previous: number } {
    this.last++;
    return { sequence: this.last, previous: this.last - 1 };
  }
}

/** Renews one product; returns the calls it made to DynamoDB. */
export async function renewAtFloor(s: FloorSetup, ref: FloorProduct, range: NumberRange): Promise<number> {
  const { doc, tableName } = s;
  let calls = 0;
  const productKey = { pk: `ORG#${ref.orgId}`, sk: `PRODUCT#${ref.productId}` };
  const orgKey = { pk: `ORG#${ref.orgId}`, sk: 'PROFILE' };
  const got = await doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: [productKey, orgKey], ConsistentRead: true } } }));
  calls++;
  const items = got.Responses?.[tableName] ?? [];
  const product = items.find((i) => i.sk === productKey.sk) as Item | undefined;
  const org = items.find((i) => i.sk === 'PROFILE') as Item | undefined;
  if (!product || !org) throw new Error(`floor: ${ref.productId} or its organisation is missing (unprocessed keys: ${JSON.stringify(got.UnprocessedKeys ?? {})})`);

  const currency = String(org.currency) as Currency;
  const months = Number(product.periodMonths);
  const from = String(product.expiry);
  const to = plusMonths(from, months);
  const gross = new Decimal(s.price(String(product.typeId), currency, months));
  const rate = String(org.country) === 'CH' ? new Decimal('8.1') : new Decimal(0);
  const net = gross.div(rate.div(100).plus(1)).toDecimalPlaces(2);
  const vat = gross.minus(net);
  const balance = new Decimal(String(org.balance));
  const balancePart = Decimal.max(0, Decimal.min(balance, gross));
  const chargePart = gross.minus(balancePart);

  let paymentRef: string | undefined;
  let customerRef = org.gatewayCustomerRef as string | undefined;
  let methodKind: string | undefined;
  if (chargePart.gt(0)) {
    const methodId = product.paymentMethodId as string | undefined;
    if (!methodId) throw new Error(`floor: ${ref.productId} needs ${chargePart.toFixed(2)} more and names no method`);
    const method = (await doc.send(new GetCommand({ TableName: tableName, Key: { pk: `ORG#${ref.orgId}`, sk: `PM#${methodId}` }, ConsistentRead: true }))).Item;
    calls++;
    if (!method) throw new Error(`floor: method ${methodId} of ${ref.orgId} is missing`);
    methodKind = String(method.kind);
    customerRef ??= await s.gateway.ensureCustomer({ orgId: ref.orgId, name: String(org.name), idempotencyKey: `floor-customer/${ref.orgId}` });
    const charged = await s.gateway.charge({
      orgId: ref.orgId,
      customerRef,
      paymentMethodRef: String(method.gatewayRef),
      methodKind: method.kind as PaymentMethodKind,
      amount: Money.of(chargePart.toFixed(2), currency),
      idempotencyKey: `floor-renewal/${ref.productId}/${from}`,
      description: `Renewal of ${String(product.name)} from ${from}`,
      metadata: { orgId: ref.orgId, productId: ref.productId, periodStart: from },
    });
    if (charged.status !== 'succeeded') throw new Error(`floor: the charge for ${ref.productId} was ${charged.status}`);
    paymentRef = charged.paymentRef;
  }

  const { sequence, previous } = range.next();
  const year = s.night.slice(0, 4);
  const number = `INV-${range.id}-${year}-${String(sequence).padStart(6, '0')}`;
  const seriesPk = `SERIES#INV#${range.id}#${year}`;
  const payments = [
    ...(balancePart.gt(0) ? [{ method: 'balance', amount: balancePart.toFixed(2) }] : []),
    ...(paymentRef ? [{ method: methodKind, amount: chargePart.toFixed(2), ref: paymentRef }] : []),
  ];
  const invoice: Item = {
    pk: `ORG#${ref.orgId}`,
    sk: `INVOICE#${s.night}#${number}`,
    entity: 'invoice',
    number,
    series: 'INV',
    sellerId: s.seller.id,
    year: Number(year),
    sequence,
    orgId: ref.orgId,
    issueDate: s.night,
    currency,
    seller: s.seller,
    buyer: { name: org.name, country: org.country, ...(org.postal ? { postal: org.postal } : {}), ...(org.vatNumber ? { vatNumber: org.vatNumber } : {}) },
    language: org.language ?? 'fr',
    lines: [
      {
        description: String(product.name),
        productId: ref.productId,
        periodFrom: from,
        periodTo: to,
        unitPrice: net.toFixed(2),
        quantity: 1,
        net: net.toFixed(2),
        vatRate: rate.toFixed(1),
        vat: vat.toFixed(2),
        gross: gross.toFixed(2),
      },
    ],
    vatBreakdown: [{ rate: rate.toFixed(1), net: net.toFixed(2), vat: vat.toFixed(2) }],
    totalNet: net.toFixed(2),
    totalVat: vat.toFixed(2),
    total: gross.toFixed(2),
    payments,
    status: 'paid',
    createdAt: `${s.night}T02:00:00.000Z`,
    gsi3pk: `DOCS#${s.night}#${shardOf(number)}`,
    gsi3sk: number,
  };
  // The next action: the first automatic attempt, 14 days before the new expiry (docs/domain.md).
  const nextAction = plusDays(to, -14);
  const version = Number(product.version);
  const transact: Record<string, unknown>[] = [
    {
      Update: {
        TableName: tableName,
        Key: productKey,
        UpdateExpression: 'SET expiry = :to, version = :next, nextActionDate = :na, lastNight = :night, failedAttempts = :zero, gsi1pk = :g1, gsi2sk = :g2',
        ConditionExpression: 'version = :v',
        ExpressionAttributeValues: {
          ':to': to,
          ':next': version + 1,
          ':na': nextAction,
          ':night': s.night,
          ':zero': 0,
          ':g1': `DUE#${nextAction}#${shardOf(ref.productId)}`,
          ':g2': `${to}#${ref.productId}`,
          ':v': version,
        },
      },
    },
    { Put: { TableName: tableName, Item: invoice, ConditionExpression: 'attribute_not_exists(pk)' } },
    {
      Put: {
        TableName: tableName,
        Item: { pk: seriesPk, sk: 'COUNTER', last: sequence },
        ...(previous === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: '#last = :prev', ExpressionAttributeNames: { '#last': 'last' }, ExpressionAttributeValues: { ':prev': previous } }),
      },
    },
  ];
  if (balancePart.gt(0) || (customerRef && customerRef !== org.gatewayCustomerRef)) {
    const after = balance.minus(balancePart).toFixed(2);
    transact.push({
      Update: {
        TableName: tableName,
        Key: orgKey,
        UpdateExpression: customerRef ? 'SET balance = :after, gatewayCustomerRef = :cust' : 'SET balance = :after',
        ConditionExpression: 'balance = :before',
        ExpressionAttributeValues: { ':after': after, ':before': org.balance, ...(customerRef ? { ':cust': customerRef } : {}) },
      },
    });
    if (balancePart.gt(0)) {
      transact.push({
        Put: {
          TableName: tableName,
          Item: {
            pk: `ORG#${ref.orgId}`,
            sk: `LEDGER#renewal-${ref.productId}-${from}`,
            entity: 'ledger',
            orgId: ref.orgId,
            amount: balancePart.negated().toFixed(2),
            currency,
            reason: 'renewal',
            ref: number,
            balanceAfter: after,
            date: s.night,
            createdAt: `${s.night}T02:00:00.000Z`,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
  }
  if (paymentRef) {
    transact.push({
      Put: {
        TableName: tableName,
        Item: {
          pk: `ORG#${ref.orgId}`,
          sk: `PAYMENT#${s.night}#${paymentRef}`,
          entity: 'payment',
          id: paymentRef,
          orgId: ref.orgId,
          date: s.night,
          method: methodKind,
          amount: chargePart.toFixed(2),
          currency,
          gatewayRef: paymentRef,
          productId: ref.productId,
          invoiceNumber: number,
          createdAt: `${s.night}T02:00:00.000Z`,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  }
  await doc.send(new TransactWriteCommand({ TransactItems: transact as never }));
  calls++;
  return calls;
}
