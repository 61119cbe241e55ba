/**
 * Request units of a recorded call by DynamoDB's published billing rules,
 * computed from the items themselves, as a check on what DynamoDB Local
 * reports through ReturnConsumedCapacity (Local's accounting is an emulation:
 * it reports, for instance, 12 table units for a transaction of 8 small
 * items, where the rule of 2 write units per item and KB gives at least 16).
 *
 * Rules applied (DynamoDB developer guide, "Read/write capacity mode" and
 * "Transactions: capacity management"):
 * - item size: attribute names plus values (strings in UTF-8 bytes, numbers
 *   about 1 byte per 2 significant digits + 1, maps and lists 3 bytes + their
 *   elements + 1 byte each);
 * - GetItem: 1 read unit per 4 KB (strongly consistent), half when eventually consistent;
 * - Query: the summed size of the items read, per 4 KB, rounded up per call; half when eventually consistent;
 * - TransactWriteItems: 2 write units per item per KB (rounded up per item);
 *   an Update is sized as the item after the update (counter and organisation
 *   items here are well under 1 KB);
 * - PutItem: 1 write unit per KB;
 * - each global secondary index: 1 write unit per KB of the projected item
 *   when an item enters or leaves it, 2 when its index key changes (delete +
 *   put), 1 when a projected non-key attribute changes; none otherwise.
 */
import { TABLE_INDEXES } from '../../shared/adapters/dynamodb/table-schema.ts';
import type { CallRecord } from './dynamo.ts';

type Item = Record<string, unknown>;

export function itemSize(item: Item): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) if (v !== undefined) n += Buffer.byteLength(k) + valueSize(v);
  return n;
}

function valueSize(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') return Math.ceil(String(Math.abs(v)).replace(/[.-]/g, '').replace(/^0+/, '').length / 2) + 1;
  if (typeof v === 'boolean' || v === null) return 1;
  if (Array.isArray(v)) return 3 + v.reduce((s: number, x) => s + valueSize(x) + 1, 0);
  if (v instanceof Uint8Array) return v.length;
  if (typeof v === 'object') {
    let n = 3;
    for (const [k, x] of Object.entries(v as Item)) if (x !== undefined) n += Buffer.byteLength(k) + valueSize(x) + 1;
    return n;
  }
  return 0;
}

const kb = (bytes: number, unit: number) => Math.max(1, Math.ceil(bytes / unit));

function projected(item: Item, index: (typeof TABLE_INDEXES)[number]): number {
  if (index.projection === 'ALL') return itemSize(item);
  const keys: Item = { pk: item.pk, sk: item.sk, [index.index.pk]: item[index.index.pk], [index.index.sk]: item[index.index.sk] };
  return itemSize(keys);
}

/** Index write units for an item going from `before` (absent: new) to `after` (absent: deleted). */
function indexWrites(before: Item | undefined, after: Item | undefined): number {
  let units = 0;
  for (const index of TABLE_INDEXES) {
    const { pk, sk } = index.index;
    const had = before && before[pk] !== undefined && before[sk] !== undefined;
    const has = after && after[pk] !== undefined && after[sk] !== undefined;
    if (had && has) {
      const moved = before[pk] !== after[pk] || before[sk] !== after[sk];
      if (moved) units += kb(projected(before, index), 1024) + kb(projected(after, index), 1024);
      else if (index.projection === 'ALL' && JSON.stringify(before) !== JSON.stringify(after)) units += kb(projected(after, index), 1024);
    } else if (has) units += kb(projected(after!, index), 1024);
    else if (had) units += kb(projected(before!, index), 1024);
  }
  return units;
}

/**
 * Units of each call of one renewal (or night), in order; `earlier` holds the
 * items the same sequence read before, so a replaced item's index changes are known.
 */
export function awsUnits(calls: CallRecord[]): { read: number; write: number; indexWrite: number; writeByItem: Record<string, number> } {
  const seen = new Map<string, Item>();
  const keyOf = (k: Item) => `${String(k.pk)}|${String(k.sk)}`;
  let read = 0;
  let write = 0;
  let indexWrite = 0;
  // Where the write units go, by kind of item (the key's first parts) and its index entries.
  const writeByItem: Record<string, number> = {};
  const charge = (key: Item | undefined, table: number, index: number) => {
    // A sort key made of ids (an e-mail's, an event record's) names no kind: the partition's does.
    const sk = key ? String(key.sk).split('#')[0]! : '';
    const kind = key ? `${String(key.pk).split('#')[0]}${/^[A-Z]+$/.test(sk) ? `/${sk}` : ''}` : '?';
    writeByItem[kind] = (writeByItem[kind] ?? 0) + table;
    if (index > 0) writeByItem[`${kind} (indexes)`] = (writeByItem[`${kind} (indexes)`] ?? 0) + index;
  };
  for (const c of calls) {
    const input = c.input as { ConsistentRead?: boolean; Key?: Item; Item?: Item; TransactItems?: Record<string, { Item?: Item; Key?: Item }>[] };
    const factor = input.ConsistentRead ? 1 : 0.5;
    if (c.command === 'GetCommand') {
      read += factor * kb(c.item ? itemSize(c.item) : 1, 4096);
      if (c.item && input.Key) seen.set(keyOf(input.Key), c.item);
    } else if (c.command === 'BatchGetCommand') {
      // Each item read is rounded up to 4 KB on its own; the request names its read consistency per table.
      const requests = Object.values((c.input as { RequestItems?: Record<string, { ConsistentRead?: boolean }> }).RequestItems ?? {});
      const batchFactor = requests.every((r) => r.ConsistentRead) ? 1 : 0.5;
      for (const it of c.items ?? []) {
        read += batchFactor * kb(itemSize(it), 4096);
        seen.set(keyOf(it), it);
      }
    } else if (c.command === 'QueryCommand') {
      read +=
        factor *
        kb(
          (c.items ?? []).reduce((s, it) => s + itemSize(it), 0),
          4096,
        );
    } else if (c.command === 'PutCommand' && input.Item) {
      const units = kb(itemSize(input.Item), 1024);
      const index = indexWrites(seen.get(keyOf(input.Item)), input.Item);
      write += units;
      indexWrite += index;
      charge(input.Item, units, index);
      seen.set(keyOf(input.Item), input.Item);
    } else if (c.command === 'UpdateCommand' && input.Key) {
      // Sized as the item it updates, when the sequence read it; an outbox e-mail's claim and its mark of sending.
      const before = seen.get(keyOf(input.Key));
      const units = kb(before ? itemSize(before) : 1, 1024);
      write += units;
      charge(input.Key, units, 0);
    } else if (c.command === 'TransactWriteCommand') {
      for (const t of input.TransactItems ?? []) {
        const [op, body] = Object.entries(t)[0]!;
        if (op === 'Put' && body.Item) {
          const units = 2 * kb(itemSize(body.Item), 1024);
          const index = indexWrites(seen.get(keyOf(body.Item)), body.Item);
          write += units;
          indexWrite += index;
          charge(body.Item, units, index);
          seen.set(keyOf(body.Item), body.Item);
        } else if (op === 'Delete' && body.Key) {
          const before = seen.get(keyOf(body.Key));
          const units = 2 * kb(before ? itemSize(before) : 1, 1024);
          const index = indexWrites(before, undefined);
          write += units;
          indexWrite += index;
          charge(body.Key, units, index);
        } else {
          // Update / ConditionCheck: sized as the item read before in the sequence (the product, the organisation).
          const before = body.Key ? seen.get(keyOf(body.Key)) : undefined;
          const units = 2 * kb(before ? itemSize(before) : 1, 1024);
          write += units;
          charge(body.Key, units, 0);
        }
      }
    }
  }
  return { read, write: write + indexWrite, indexWrite, writeByItem };
}
