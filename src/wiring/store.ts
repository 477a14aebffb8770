/**
 * The record's store for each face: the configured table (IR_TABLE_NAME) or the embedded
 * DynamoDB (dynalite) under IR_DATA_DIR; the sandbox's fresh embedded table.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { IncidentStore, WatchStore } from '../ports';
import { openStore } from '../store/open-store';
import { startEmbeddedDynamo } from '../store/embedded-dynamo';
import { ensureTable } from '../store/table-setup';
import { DynamoIncidentStore } from '../store/incident-store';
import { DynamoWatchStore } from '../store/watch-store';

export interface OpenedStore {
  store: IncidentStore;
  watches: WatchStore;
  close(): Promise<void>;
}

/** The configured store; `dynamo` is the table's client (unused for the embedded store). */
export function openConfiguredStore(config: Config, dynamo: DynamoDBClient | undefined, logger: Logger): Promise<OpenedStore> {
  if (config.store.kind === 'dynamodb' && !dynamo) throw new Error('IR_TABLE_NAME is set but no DynamoDB client was made');
  return openStore(config.store, dynamo as DynamoDBClient, logger);
}

/** A fresh embedded table (the sandbox and benchmarks): dynalite in a new private directory. */
export async function openEmbeddedStore(table: string, now?: () => Date): Promise<OpenedStore> {
  const dynamo = await startEmbeddedDynamo();
  await ensureTable(dynamo.client, table, true);
  return { store: new DynamoIncidentStore(dynamo.client, table, now), watches: new DynamoWatchStore(dynamo.client, table), close: () => dynamo.close() };
}
