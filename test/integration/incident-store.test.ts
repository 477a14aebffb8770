/**
 * The store contract (test/support/store-contract.ts) on both DynamoDB back ends the product
 * runs on: moto's DynamoDB and the embedded dynalite. Same code, same assertions; plus what
 * only a DynamoDB table has (creating it).
 */
import { DynamoDBClient, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import { ensureTable } from '../../src/store/table-setup';
import { keys } from '../../src/store/table-schema';
import { startEmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { motoDynamo } from '../support/aws-clients';
import { storeContract, StoreUnderTest } from '../support/store-contract';

async function dynamoUnderTest(client: DynamoDBClient, close: () => Promise<void>, now: () => Date): Promise<StoreUnderTest> {
  const table = `kg-${Math.random().toString(36).slice(2, 8)}`;
  expect(await ensureTable(client, table, true)).toBe('created');
  expect(await ensureTable(client, table, false)).toBe('existed');
  const doc = DynamoDBDocumentClient.from(client);
  return {
    store: new DynamoIncidentStore(client, table, now),
    watches: new DynamoWatchStore(client, table),
    plantKeyLock: async (keyId, incidentId, at) => {
      await doc.send(new PutCommand({ TableName: table, Item: { ...keys.keyLock(keyId), kind: 'lock', incidentId, open: true, at } }));
    },
    close: async () => {
      await client.send(new DeleteTableCommand({ TableName: table }));
      await close();
    },
  };
}

describe('moto DynamoDB', () => {
  // moto can let two concurrent conditional puts on one item both win (see store-contract.ts).
  storeContract((now) => dynamoUnderTest(motoDynamo(), async () => undefined, now), { atomicConcurrentWrites: false });

  it('refuses to start against a missing table unless asked to create it', async () => {
    await expect(ensureTable(motoDynamo(), 'kg-missing', false)).rejects.toThrow(/does not exist.*IR_CREATE_TABLE=true/);
  });
});

describe('embedded dynalite', () => {
  storeContract(async (now) => {
    const e = await startEmbeddedDynamo();
    return dynamoUnderTest(e.client, () => e.close(), now);
  }, { atomicConcurrentWrites: true });
});
