import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { API_REQUESTS_PER_MINUTE, type RateLimitDecision, type RateLimiter } from '../../ports/rate-limiter.ts';

const WINDOW_MS = 60_000;
/** Counters outlive their window a little, then DynamoDB's TTL (attribute `expiresAt`) deletes them. */
const TTL_GRACE_SECONDS = 120;
/** Longer client ids are hashed: a key stays short whatever a token carries. */
const MAX_CLIENT_KEY = 200;

export interface DynamoDbRateLimiterOptions {
  /** Milliseconds since the epoch; injected so tests move time by hand. */
  now?: () => number;
}

/**
 * A fixed one-minute window per client, counted on the billing table so all
 * Lambda instances share it: one conditional `UpdateItem` per request on
 * `RATE#<client>#<minute>`. The condition refuses the increment once the
 * window holds the limit, so a refused request writes nothing.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  readonly limit = API_REQUESTS_PER_MINUTE;
  private readonly doc: DynamoDBDocumentClient;
  private readonly now: () => number;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoDbRateLimiterOptions = {},
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
    this.now = options.now ?? Date.now;
  }

  async hit(client: string): Promise<RateLimitDecision> {
    const now = this.now();
    const minute = Math.floor(now / WINDOW_MS);
    const windowEnd = (minute + 1) * WINDOW_MS;
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RATE#${clientKey(client)}#${minute}`, sk: 'RATE' },
          UpdateExpression: 'ADD #n :one SET expiresAt = :ttl',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
          ExpressionAttributeNames: { '#n': 'hits' },
          ExpressionAttributeValues: { ':one': 1, ':limit': this.limit, ':ttl': Math.ceil(windowEnd / 1000) + TTL_GRACE_SECONDS },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const hits = Number(res.Attributes?.hits ?? 1);
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.max(0, this.limit - hits) };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now) / 1000)), remaining: 0 };
    }
  }
}

function clientKey(client: string): string {
  return client.length <= MAX_CLIENT_KEY ? client : `sha256:${createHash('sha256').update(client).digest('hex')}`;
}
