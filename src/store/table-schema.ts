/**
 * The single DynamoDB table's schema. infra/ imports this, so the deployed table and the
 * code cannot drift. Only what dynalite also supports: a hash+range key and one GSI.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

const KEY_ATTRS = { pk: 'pk', sk: 'sk' } as const;
/** GSI over items that must be found without knowing their incident: open incidents, due watches. */
export const GSI1 = { name: 'gsi1', pk: 'gsi1pk', sk: 'gsi1sk' } as const;

export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: KEY_ATTRS.pk, AttributeType: 'S' },
      { AttributeName: KEY_ATTRS.sk, AttributeType: 'S' },
      { AttributeName: GSI1.pk, AttributeType: 'S' },
      { AttributeName: GSI1.sk, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: KEY_ATTRS.pk, KeyType: 'HASH' },
      { AttributeName: KEY_ATTRS.sk, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: GSI1.name,
        KeySchema: [
          { AttributeName: GSI1.pk, KeyType: 'HASH' },
          { AttributeName: GSI1.sk, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/** DynamoDB TTL attribute (epoch seconds). Only REQ# items carry it; never an ISO string. */
export const TTL_ATTRIBUTE = 'ttl';

export const keys = {
  incident: (id: string) => ({ pk: `INC#${id}`, sk: 'META' }),
  step: (id: string, seq: number, name: string) => ({ pk: `INC#${id}`, sk: `STEP#${String(seq).padStart(2, '0')}#${name}` }),
  event: (id: string, at: string, seq: string) => ({ pk: `INC#${id}`, sk: `EVT#${at}#${seq}` }),
  keyLock: (accessKeyId: string) => ({ pk: `KEY#${accessKeyId}`, sk: 'LOCK' }),
  request: (requestId: string) => ({ pk: `REQ#${requestId}`, sk: 'SEEN' }),
};
