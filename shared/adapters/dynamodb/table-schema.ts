import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, UpdateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The single table's key names, shared by the CDK stack and the local
 * runtime so both build the same table.
 */
export const TABLE_KEYS = {
  pk: 'pk',
  sk: 'sk',
  /** Nightly work: `DUE#<date>#<shard>` → products whose next action is that day. */
  dueIndex: { name: 'gsi1', pk: 'gsi1pk', sk: 'gsi1sk' },
  /** Products of an organisation by expiry: `ORG#<id>#PRODUCTS` → `<expiry>#<productId>`. */
  expiryIndex: { name: 'gsi2', pk: 'gsi2pk', sk: 'gsi2sk' },
  /** Finance documents by issue date: `DOCS#<date>#<shard>` → `<number>` (invoices, pro-formas, credit notes). */
  docsIndex: { name: 'gsi3', pk: 'gsi3pk', sk: 'gsi3sk' },
  ttl: 'expiresAt',
} as const;

type IndexSpec = { name: string; pk: string; sk: string };

/** The table's secondary indexes and their projections: the one definition the local table and tests use. */
export const TABLE_INDEXES: { index: IndexSpec; projection: 'KEYS_ONLY' | 'ALL' }[] = [
  { index: TABLE_KEYS.dueIndex, projection: 'KEYS_ONLY' },
  { index: TABLE_KEYS.expiryIndex, projection: 'ALL' },
  { index: TABLE_KEYS.docsIndex, projection: 'ALL' },
];

function gsi({ index, projection }: (typeof TABLE_INDEXES)[number]) {
  return {
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.pk, KeyType: 'HASH' as const },
      { AttributeName: index.sk, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: projection },
  };
}

function attributes(names: string[]) {
  return names.map((name) => ({ AttributeName: name, AttributeType: 'S' as const }));
}

/**
 * Creates the table, or adds the indexes a table made by an older version
 * lacks (a `.billing/` folder kept across upgrades). Returns whether it created it.
 */
export async function createTableIfMissing(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const { pk, sk } = TABLE_KEYS;
  let existing: string[] | undefined;
  try {
    const res = await client.send(new DescribeTableCommand({ TableName: tableName }));
    existing = (res.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName ?? '');
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  if (existing) {
    for (const spec of TABLE_INDEXES.filter((i) => !existing.includes(i.index.name))) {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: attributes([spec.index.pk, spec.index.sk]),
          GlobalSecondaryIndexUpdates: [{ Create: gsi(spec) }],
        }),
      );
    }
    return false;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributes([pk, sk, ...TABLE_INDEXES.flatMap((i) => [i.index.pk, i.index.sk])]),
      KeySchema: [
        { AttributeName: pk, KeyType: 'HASH' },
        { AttributeName: sk, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: TABLE_INDEXES.map(gsi),
    }),
  );
  return true;
}
