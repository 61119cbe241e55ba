import { createHash } from 'node:crypto';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { localClient } from '../../shared/adapters/local/dynamodb-local.ts';
import type { LocalRuntime } from '../../functions/local-runtime.ts';
import { InMemoryBillingStore } from '../../shared/adapters/memory/in-memory-billing-store.ts';

/**
 * The whole content of a table, for "nothing changed" assertions: every item
 * (a Scan, fine in a test), sorted by pk/sk, each hashed, and one hash of all.
 * Comparing two digests with toEqual names the items that differ.
 */
export interface TableDigest {
  hash: string;
  count: number;
  /** `pk | sk` → hash of the item's attributes. */
  items: Record<string, string>;
}

export interface DigestOptions {
  /** Items left out, by partition key: e.g. the rate limiter's counters, which every allowed request moves. */
  ignore?: (pk: string) => boolean;
}

/** Rate-limit counters: bookkeeping of the API edge, not billing state. */
export const RATE_COUNTERS = (pk: string) => pk.startsWith('RATE#');

/** The table a local runtime's store writes to (not part of LocalRuntime's interface, so read from the store). */
export function tableOf(rt: LocalRuntime): string {
  const name = (rt.store as unknown as { tableName?: unknown }).tableName;
  if (typeof name !== 'string') throw new Error('the runtime store does not name its table');
  return name;
}

export async function tableDigest(rt: LocalRuntime, opts: DigestOptions = {}): Promise<TableDigest> {
  if (rt.store instanceof InMemoryBillingStore) {
    const rows = Object.entries(rt.store.snapshot())
      .map(([k, v]) => [k, sha(v)] as [string, string])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { hash: sha(rows.map(([k, h]) => `${k}\n${h}`).join('\n')), count: rows.length, items: Object.fromEntries(rows) };
  }
  return digestOf(rt.endpoint, tableOf(rt), opts);
}

export async function digestOf(endpoint: string, tableName: string, opts: DigestOptions = {}): Promise<TableDigest> {
  const client = localClient(endpoint);
  try {
    const rows: [string, string][] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
      for (const item of page.Items ?? []) {
        const pk = item.pk?.S ?? '';
        if (opts.ignore?.(pk)) continue;
        rows.push([`${pk} | ${item.sk?.S ?? ''}`, sha(canonical(item))]);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    rows.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { hash: sha(rows.map(([k, h]) => `${k}\n${h}`).join('\n')), count: rows.length, items: Object.fromEntries(rows) };
  } finally {
    client.destroy();
  }
}

/** JSON with object keys sorted at every level, so attribute order never changes the hash. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // DynamoDB sets (SS, NS, BS) have no order.
    const member = ([k, v]: [string, unknown]) => (SETS.has(k) && Array.isArray(v) ? v.map(canonical).sort().join(',') : canonical(v));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${member([k, v])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const SETS = new Set(['SS', 'NS', 'BS']);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
