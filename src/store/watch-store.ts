/**
 * Watch schedules in the incident table, so a watch survives a restart: one item per
 * incident, found through the GSI when due, claimed with a conditional write so one replica
 * runs each check.
 */
import { DynamoDBClient, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { WatchState } from '../domain/watch';
import { GSI1 } from './table-schema';

const key = (incidentId: string) => ({ pk: `WATCH#${incidentId}`, sk: 'WATCH' });

export type { WatchStore } from '../ports/watch-store';
import type { WatchStore } from '../ports/watch-store';

export class DynamoWatchStore implements WatchStore {
  private readonly doc: DynamoDBDocumentClient;
  constructor(client: DynamoDBClient, private readonly tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  private item(w: WatchState) {
    // Only a live watch is in the index; a finished one drops out of `due` for good.
    return { ...key(w.incidentId), kind: 'watch', ...w, ...(w.done ? {} : { [GSI1.pk]: 'WATCH', [GSI1.sk]: w.nextAt }) };
  }

  async start(w: WatchState): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: this.item(w), ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  async due(nowIso: string): Promise<WatchState[]> {
    const r = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1.name,
        KeyConditionExpression: `${GSI1.pk} = :w AND ${GSI1.sk} <= :now`,
        ExpressionAttributeValues: { ':w': 'WATCH', ':now': nowIso },
      }),
    );
    return (r.Items ?? []).map(({ pk: _p, sk: _s, kind: _k, gsi1pk: _g, gsi1sk: _h, ...w }) => w as WatchState);
  }

  async save(w: WatchState, expectVersion: number): Promise<WatchState | undefined> {
    const next = { ...w, version: expectVersion + 1 };
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: this.item(next), ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expectVersion } }),
      );
      return next;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw e;
    }
  }
}
