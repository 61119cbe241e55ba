import { DynamoDbBillingStore } from '../../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { localClient } from '../../shared/adapters/local/dynamodb-local.ts';
import { createTableIfMissing } from '../../shared/adapters/dynamodb/table-schema.ts';
import { billingStoreContract } from '../contract/billing-store.contract.ts';
import { useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();
let tables = 0;

billingStoreContract('DynamoDB on DynamoDB Local', async () => {
  const client = localClient(db.endpoint());
  const table = `contract-${process.pid}-${++tables}`;
  await createTableIfMissing(client, table);
  return new DynamoDbBillingStore(client, table);
});
