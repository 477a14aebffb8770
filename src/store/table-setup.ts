/**
 * Makes sure the table exists at start-up: a configured table must exist unless
 * IR_CREATE_TABLE=true; the embedded one is always created on first run.
 */
import { sleep } from '../sleep';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { KeyguardError, fromAwsError } from '../errors';
import { tableDefinition } from './table-schema';

export async function ensureTable(client: DynamoDBClient, tableName: string, create: boolean): Promise<'existed' | 'created'> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existed';
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException) && (e as Error)?.name !== 'ResourceNotFoundException') throw fromAwsError(e, 'dynamodb:DescribeTable');
  }
  if (!create) {
    throw new KeyguardError(
      'STORE_FAILED',
      `DynamoDB table "${tableName}" (IR_TABLE_NAME) does not exist in this account and region. Create it (see infra/), or set IR_CREATE_TABLE=true to let keyguard create it, or unset IR_TABLE_NAME to use the embedded store.`,
    );
  }
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (e) {
    if ((e as Error)?.name !== 'ResourceInUseException') throw fromAwsError(e, 'dynamodb:CreateTable');
  }
  for (let i = 0; i < 120; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (d.Table?.TableStatus === 'ACTIVE') return 'created';
    await sleep(250);
  }
  throw new KeyguardError('STORE_FAILED', `DynamoDB table "${tableName}" did not become ACTIVE.`);
}
