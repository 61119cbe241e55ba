import { startDynamoDbLocal } from '../shared/adapters/local/dynamodb-local.ts';

/**
 * One DynamoDB Local for the whole run, shared by every test file (each test
 * still gets its own table): a JVM per file cost 5 s or more each, twenty
 * times over. The test workers inherit its endpoint from the environment.
 */
export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.BILLING_TEST_STORE === 'memory' || process.env.BILLING_TEST_DYNAMODB_ENDPOINT) return async () => {};
  const db = await startDynamoDbLocal();
  process.env.BILLING_TEST_DYNAMODB_ENDPOINT = db.endpoint;
  return async () => {
    delete process.env.BILLING_TEST_DYNAMODB_ENDPOINT;
    await db.stop();
  };
}
