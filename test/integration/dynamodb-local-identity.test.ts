import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { freePort, listeningPortsOf, localClient, startDynamoDbLocal } from '../../shared/adapters/local/dynamodb-local.ts';

// A CLI command once printed "added p14" while writing into another command's DynamoDB Local:
// the free port it picked was taken before Java bound it, and the start-up check took whatever
// answered there. Now only the command's own child counts.
describe('the embedded DynamoDB Local', () => {
  it('never takes another DynamoDB Local that answers on the port it picked for its own', { timeout: 300_000 }, async () => {
    const foreign = await startDynamoDbLocal();
    const fc = localClient(foreign.endpoint);
    await fc.send(
      new CreateTableCommand({
        TableName: 'foreign-only',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const picked: number[] = [];
    // The first port offered is the foreign one, as if it had been taken right after our look.
    const ours = await startDynamoDbLocal({ pickPort: async () => (picked.push(picked.length === 0 ? foreign.port : await freePort()), picked.at(-1)!) });
    try {
      expect(picked[0]).toBe(foreign.port);
      expect(ours.port).not.toBe(foreign.port);
      const oc = localClient(ours.endpoint);
      expect((await oc.send(new ListTablesCommand({}))).TableNames).not.toContain('foreign-only');
      oc.destroy();
      // What it proves the identity with: the port is one its own process listens on.
      expect(listeningPortsOf(process.pid)?.has(ours.port)).toBe(false);
    } finally {
      fc.destroy();
      await ours.stop();
      await foreign.stop();
    }
  });
});
