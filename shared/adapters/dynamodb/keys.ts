import type { IsoDate } from '../../domain/calendar.ts';

/**
 * Key layout of the single table. Each function names one access pattern;
 * docs/data-model.md lists them all.
 */
export const DUE_SHARDS = 8;

/** FNV-1a: a stable spread of products over the date index's shards. */
export function shardOf(id: string, shards = DUE_SHARDS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export const keys = {
  org: (orgId: string) => ({ pk: `ORG#${orgId}`, sk: 'PROFILE' }),
  orgDirectory: (orgId: string) => ({ pk: 'ORGS', sk: orgId }),
  member: (orgId: string, userId: string) => ({ pk: `ORG#${orgId}`, sk: `MEMBER#${userId}` }),
  userMembership: (userId: string, orgId: string) => ({ pk: `USER#${userId}`, sk: `ORG#${orgId}` }),
  paymentMethod: (orgId: string, id: string) => ({ pk: `ORG#${orgId}`, sk: `PM#${id}` }),
  product: (orgId: string, productId: string) => ({ pk: `ORG#${orgId}`, sk: `PRODUCT#${productId}` }),
  dueIndexPk: (date: IsoDate, shard: number) => `DUE#${date}#${pad2(shard)}`,
  expiryIndexPk: (orgId: string) => `ORG#${orgId}#PRODUCTS`,
  attempt: (orgId: string, attemptId: string) => ({ pk: `ORG#${orgId}`, sk: `ATTEMPT#${attemptId}` }),
  /** Ledger entries are keyed by their business id, so a replayed movement collides instead of repeating. */
  ledger: (orgId: string, id: string) => ({ pk: `ORG#${orgId}`, sk: `LEDGER#${id}` }),
  payment: (orgId: string, date: IsoDate, id: string) => ({ pk: `ORG#${orgId}`, sk: `PAYMENT#${date}#${id}` }),
  invoice: (orgId: string, issueDate: IsoDate, number: string) => ({ pk: `ORG#${orgId}`, sk: `INVOICE#${issueDate}#${number}` }),
  series: (series: string, sellerId: string, year: number) => `SERIES#${series}#${sellerId}#${year}`,
  seriesCounter: (series: string, sellerId: string, year: number) => ({ pk: keys.series(series, sellerId, year), sk: 'COUNTER' }),
  /** Who numbers from a range for now (bench-measured contention: one range per process). */
  seriesLease: (series: string, sellerId: string, year: number) => ({ pk: keys.series(series, sellerId, year), sk: 'LEASE' }),
  seriesNumber: (series: string, sellerId: string, year: number, sequence: number) => ({
    pk: keys.series(series, sellerId, year),
    sk: `NO#${String(sequence).padStart(9, '0')}`,
  }),
  /** A night's e-mails and lifecycle commands are spread over shards like the date index: a big night writes them at full speed. */
  email: (date: IsoDate, id: string) => ({ pk: keys.outboxPk(date, shardOf(id)), sk: id }),
  outboxPk: (date: IsoDate, shard: number) => `OUTBOX#${date}#${pad2(shard)}`,
  /** A day's business event records, sharded like the outbox (the table's stream publishes each new one). */
  eventRecord: (date: IsoDate, id: string) => ({ pk: keys.eventsPk(date, shardOf(id)), sk: id }),
  eventsPk: (date: IsoDate, shard: number) => `EVENTS#${date}#${pad2(shard)}`,
  lifecycle: (date: IsoDate, id: string) => ({ pk: keys.lifecyclePk(date, shardOf(id)), sk: id }),
  lifecyclePk: (date: IsoDate, shard: number) => `LIFECYCLE#${date}#${pad2(shard)}`,
  /**
   * A pending lifecycle command in the date index (sparse: the entry goes when the command is applied), so the
   * sweeps read the commands still to send, not every command of every night. The sort key carries what the
   * sweeps need (night, commit time, id) since the index holds keys only.
   */
  pendingLifecycleIndexPk: (shard: number) => `LIFECYCLE-PENDING#${pad2(shard)}`,
  pendingLifecycleIndexSk: (date: IsoDate, createdAt: string, id: string) => `${date}#${createdAt}#${id}`,
  outcome: (night: IsoDate, productId: string) => ({ pk: `NIGHT#${night}#${pad2(shardOf(productId))}`, sk: productId }),
  outcomePk: (night: IsoDate, shard: number) => `NIGHT#${night}#${pad2(shard)}`,
  nightRun: (date: IsoDate) => ({ pk: 'NIGHTS', sk: date }),
  reconcileWatermark: () => ({ pk: 'RECONCILE', sk: 'PROVIDER' }),
  checkout: (orgId: string, id: string) => ({ pk: `ORG#${orgId}`, sk: `CHECKOUT#${id}` }),
  /** Checkouts waiting for something (payment, identity check), by date: what the nightly clean-up walks. */
  checkoutsInStatus: (status: string) => `CHECKOUTS#${status}`,
  checkoutStatusPointer: (status: string, date: IsoDate, orgId: string, id: string) => ({
    pk: `CHECKOUTS#${status}`,
    sk: `${date}#${orgId}#${id}`,
  }),
  docsIndexPk: (issueDate: IsoDate, shard: number) => `DOCS#${issueDate}#${pad2(shard)}`,
  /** A document's payment reference (QR or creditor reference) → the document, for bank credits. */
  paymentReference: (ref: string) => ({ pk: `PAYREF#${ref}`, sk: 'DOC' }),
  paymentMethodRef: (gatewayRef: string) => ({ pk: `PMREF#${gatewayRef}`, sk: 'REF' }),
  partnerClient: (partnerId: string, orgId: string) => ({ pk: `PARTNER#${partnerId}`, sk: `CLIENT#${orgId}` }),
  exportJob: (id: string) => ({ pk: `EXPORT#${id}`, sk: 'JOB' }),
  bankCredit: (id: string) => ({ pk: `BANKCREDIT#${id}`, sk: 'CREDIT' }),
  bankCreditToReview: (importedAt: string, id: string) => ({ pk: 'BANKCREDITS#review', sk: `${importedAt}#${id}` }),
  bankStatement: (id: string) => ({ pk: `STATEMENT#${id}`, sk: 'IMPORT' }),
  audit: (date: IsoDate, at: string, id: string) => ({ pk: `AUDIT#${date}`, sk: `${at}#${id}` }),
  gatewayEvent: (id: string) => ({ pk: `EVENT#${id}`, sk: 'EVENT' }),
  /** A currency's CHF rates, one item per month or day: one partition read whole. */
  exchangeRate: (currency: string, period: string) => ({ pk: `RATES#${currency}`, sk: period }),
};
