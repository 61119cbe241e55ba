import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

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
  ttl: 'expiresAt',
} as const;

export async function createTableIfMissing(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  const { pk, sk, dueIndex, expiryIndex } = TABLE_KEYS;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [pk, sk, dueIndex.pk, dueIndex.sk, expiryIndex.pk, expiryIndex.sk].map((name) => ({
        AttributeName: name,
        AttributeType: 'S',
      })),
      KeySchema: [
        { AttributeName: pk, KeyType: 'HASH' },
        { AttributeName: sk, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: dueIndex.name,
          KeySchema: [
            { AttributeName: dueIndex.pk, KeyType: 'HASH' },
            { AttributeName: dueIndex.sk, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: expiryIndex.name,
          KeySchema: [
            { AttributeName: expiryIndex.pk, KeyType: 'HASH' },
            { AttributeName: expiryIndex.sk, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  return true;
}
