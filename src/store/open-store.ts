/** Opens the configured store: a named DynamoDB table, or the embedded dynalite one. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { startEmbeddedDynamo } from './embedded-dynamo';
import { DynamoIncidentStore, IncidentStore } from './incident-store';
import { ensureTable } from './table-setup';
import { DynamoWatchStore, WatchStore } from './watch-store';

export async function openStore(
  cfg: Config['store'],
  dynamo: DynamoDBClient,
  logger: Logger,
): Promise<{ store: IncidentStore; watches: WatchStore; close(): Promise<void> }> {
  if (cfg.kind === 'dynamodb') {
    const how = await ensureTable(dynamo, cfg.tableName, cfg.createTable);
    logger.info({ table: cfg.tableName, how }, 'using DynamoDB table');
    return { store: new DynamoIncidentStore(dynamo, cfg.tableName), watches: new DynamoWatchStore(dynamo, cfg.tableName), close: async () => undefined };
  }
  const embedded = await startEmbeddedDynamo(cfg.dataDir);
  await ensureTable(embedded.client, cfg.tableName, true);
  logger.info({ dataDir: cfg.dataDir }, 'using the embedded DynamoDB (dynalite); set IR_TABLE_NAME for a real table');
  return {
    store: new DynamoIncidentStore(embedded.client, cfg.tableName),
    watches: new DynamoWatchStore(embedded.client, cfg.tableName),
    close: () => embedded.close(),
  };
}
