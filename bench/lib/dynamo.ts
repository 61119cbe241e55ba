/**
 * DynamoDB helpers for the benchmarks: a counter on every call the engine
 * makes, a store that builds items without writing them, bulk loads and copies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchWriteItemCommand, DynamoDBClient, ScanCommand, type AttributeValue, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbBillingStore } from '../../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { emulatorDir, localClient } from '../../shared/adapters/local/dynamodb-local.ts';

export type RawItem = Record<string, AttributeValue>;

/** One DynamoDB call as the engine issued it. */
export interface CallRecord {
  /** The SDK command class, e.g. GetCommand (document client) or GetItemCommand (low level). */
  command: string;
  input: Record<string, unknown>;
  ok: boolean;
  /** Error name when it failed (TransactionCanceledException for a lost condition). */
  error?: string;
  capacity?: ConsumedCapacity | ConsumedCapacity[];
  /** What a GetItem returned (kept when recording), to tell what a later write changes. */
  item?: Record<string, unknown>;
  /** What a Query returned (kept when recording), to size its read. */
  items?: Record<string, unknown>[];
  ms: number;
}

interface Sendable {
  send: (command: { constructor: { name: string }; input: Record<string, unknown> }, ...rest: unknown[]) => Promise<unknown>;
}

/**
 * Wraps `send` of the low-level client and of the document client (the
 * document client does not go through the low-level `send`, so both are
 * wrapped and no call is counted twice). Off until `start()`.
 */
export class CallCounter {
  calls: CallRecord[] = [];
  private active = false;
  private keep = false;
  private capacity = false;
  count = 0;
  failed = 0;
  /** Why calls failed: for a cancelled transaction, each cancelled item's reason and key (`ConditionalCheckFailed SERIES#…`). */
  failures: Record<string, number> = {};

  constructor() {
    // The wrapper runs with the client as `this`; the counter is reached through a closure.
    const counter = (): CallCounter => this;
    for (const proto of [DynamoDBClient.prototype, DynamoDBDocumentClient.prototype] as unknown as Sendable[]) {
      const original = proto.send;
      proto.send = async function (this: unknown, command, ...rest) {
        const self = counter();
        if (!self.active) return original.call(this, command, ...rest);
        if (self.capacity && command.input.ReturnConsumedCapacity === undefined) command.input.ReturnConsumedCapacity = 'INDEXES';
        const started = performance.now();
        self.count++;
        try {
          const out = (await original.call(this, command, ...rest)) as {
            ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[];
            Item?: Record<string, unknown>;
            Items?: Record<string, unknown>[];
            Responses?: Record<string, Record<string, unknown>[]>;
          };
          if (self.keep) {
            self.calls.push({
              command: command.constructor.name,
              input: command.input,
              ok: true,
              capacity: out.ConsumedCapacity,
              ...(out.Item ? { item: out.Item } : {}),
              ...(out.Items ? { items: out.Items } : {}),
              // BatchGetItem: the items of every table asked.
              ...(out.Responses ? { items: Object.values(out.Responses).flat() } : {}),
              ms: performance.now() - started,
            });
          }
          return out;
        } catch (err) {
          self.failed++;
          for (const why of failureReasons(command.input, err)) self.failures[why] = (self.failures[why] ?? 0) + 1;
          if (self.keep) self.calls.push({ command: command.constructor.name, input: command.input, ok: false, error: (err as Error).name, ms: performance.now() - started });
          throw err;
        }
      };
    }
  }

  /** `record` keeps every call (inputs included); `capacity` asks DynamoDB for the consumed capacity of each. */
  start(opts: { record?: boolean; capacity?: boolean } = {}): void {
    this.calls = [];
    this.count = 0;
    this.failed = 0;
    this.failures = {};
    this.keep = opts.record ?? false;
    this.capacity = opts.capacity ?? false;
    this.active = true;
  }

  stop(): CallRecord[] {
    this.active = false;
    return this.calls;
  }

  /** Takes the calls recorded so far and keeps recording. */
  take(): CallRecord[] {
    const out = this.calls;
    this.calls = [];
    return out;
  }
}

/** A failed call's reasons: per cancelled transaction item, its code and the kind of item (the key up to its first `#`, or the sort key's). */
function failureReasons(input: Record<string, unknown>, err: unknown): string[] {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (!e.CancellationReasons) return [e.name ?? 'Error'];
  const items = (input.TransactItems ?? []) as Record<string, { Key?: Record<string, unknown>; Item?: Record<string, unknown> }>[];
  const out: string[] = [];
  e.CancellationReasons.forEach((r, i) => {
    if (!r.Code || r.Code === 'None') return;
    const op = Object.values(items[i] ?? {})[0];
    const key = op?.Key ?? op?.Item ?? {};
    const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'object' && v && 'S' in v ? String((v as { S: string }).S) : '');
    const pk = text(key.pk).split('#')[0];
    const sk = text(key.sk).split('#')[0];
    out.push(`${r.Code} ${pk}/${sk}`);
  });
  return out.length > 0 ? out : [e.name ?? 'Error'];
}

/** Write and read units of one call, table and indexes together, from ReturnConsumedCapacity. */
export function unitsOf(call: CallRecord): { write: number; read: number } {
  const list = call.capacity === undefined ? [] : Array.isArray(call.capacity) ? call.capacity : [call.capacity];
  let write = 0;
  let read = 0;
  for (const c of list) {
    write += c.WriteCapacityUnits ?? 0;
    read += c.ReadCapacityUnits ?? 0;
    // Some operations report only the total.
    if (c.WriteCapacityUnits === undefined && c.ReadCapacityUnits === undefined) {
      if (call.command.startsWith('Get') || call.command.startsWith('Query') || call.command.startsWith('Scan')) read += c.CapacityUnits ?? 0;
      else write += c.CapacityUnits ?? 0;
    }
  }
  return { write, read };
}

/**
 * A DynamoDbBillingStore whose transactions are captured instead of sent:
 * `commit` hands back the items exactly as the store would write them (keys,
 * index attributes, marshalled values), for bulk loading with BatchWriteItem.
 */
export class ItemBuilder {
  readonly store: DynamoDbBillingStore;
  private captured: RawItem[] = [];

  constructor(tableName: string) {
    // Never reaches the network: the middleware below answers every call.
    const client = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: 'eu-central-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    client.middlewareStack.add(
      () => async (args: { input: unknown }) => {
        const input = args.input as { TransactItems?: { Put?: { Item?: RawItem } }[] };
        for (const t of input.TransactItems ?? []) {
          if (!t.Put?.Item) throw new Error('ItemBuilder only captures Put items');
          this.captured.push(t.Put.Item);
        }
        return { output: { $metadata: {} }, response: {} };
      },
      { step: 'build', priority: 'high', name: 'benchCaptureTransactions' },
    );
    this.store = new DynamoDbBillingStore(client, tableName);
  }

  take(): RawItem[] {
    const out = this.captured;
    this.captured = [];
    return out;
  }
}

/** Writes items with BatchWriteItem, 25 per request, `parallel` requests at a time, retrying unprocessed items. */
export async function batchPut(client: DynamoDBClient, tableName: string, items: RawItem[], parallel = 6): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next;
      next += 25;
      if (start >= items.length) return;
      let requests = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
        requests = (res.UnprocessedItems?.[tableName] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** Every item of a table (a Scan), for copying a seeded table. */
export async function scanAll(client: DynamoDBClient, tableName: string): Promise<RawItem[]> {
  const out: RawItem[] = [];
  let start: RawItem | undefined;
  do {
    const res = await client.send(new ScanCommand({ TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
    out.push(...((res.Items ?? []) as RawItem[]));
    start = res.LastEvaluatedKey as RawItem | undefined;
  } while (start);
  return out;
}

export { localClient };

/** DynamoDB Local's version, from the release notes shipped beside the jar. */
export function dynamoDbLocalVersion(): string {
  try {
    const notes = readFileSync(join(emulatorDir(), 'README.txt'), 'utf8');
    return /\(([0-9]+\.[0-9]+\.[0-9]+)\)/.exec(notes)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
