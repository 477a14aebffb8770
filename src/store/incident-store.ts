/**
 * The incident record in DynamoDB (DESIGN.md §3): incident META, steps, append-only events,
 * a lock per access key and an idempotency marker per Slack request. Every write that
 * decides something is conditional; ConditionalCheckFailedException is translated here into
 * a plain `false`/`undefined` ("someone else won"), never thrown past this module.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Incident, IncidentEvent, StepRecord, StepState } from '../domain/incident';
import { GSI1, keys, TTL_ATTRIBUTE } from './table-schema';

export type { IncidentBundle, IncidentStore, OpenResult } from '../ports/incident-store';
import type { IncidentBundle, IncidentStore, OpenResult } from '../ports/incident-store';

/** A lock whose incident never appeared after this long was left by an opener that died. */
export const ORPHANED_LOCK_MS = 60_000;

const isConditionFailure = (e: unknown) =>
  e instanceof ConditionalCheckFailedException || (e as Error)?.name === 'ConditionalCheckFailedException';

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, kind: _k, ...rest } = item;
  return rest as T;
}

export class DynamoIncidentStore implements IncidentStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly tableName: string, private readonly now: () => Date = () => new Date()) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async openIncident(incident: Incident, steps: StepRecord[]): Promise<OpenResult> {
    const lock = keys.keyLock(incident.keyId);
    try {
      // One open incident per key: the lock is created, or taken over only when it points
      // at an incident that has been closed.
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...lock, kind: 'lock', incidentId: incident.id, open: true, at: incident.createdAt },
          ConditionExpression: 'attribute_not_exists(pk) OR #open = :false',
          ExpressionAttributeNames: { '#open': 'open' },
          ExpressionAttributeValues: { ':false': false },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const existing = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: lock, ConsistentRead: true }));
      const existingId = existing.Item?.incidentId as string | undefined;
      const holder = existingId ? await this.getIncident(existingId) : undefined;
      if (holder?.status === 'open') return { created: false, existingIncidentId: holder.id };
      // A lock may be taken over only when its incident is closed (a close that died before
      // releasing it) or was never written and the lock is older than a crash window (an
      // opener that died between the two writes). A fresh lock without its incident yet is
      // another responder opening it right now: join them.
      const lockAgeMs = this.now().getTime() - Date.parse(String(existing.Item?.at ?? ''));
      const orphaned = !holder && !(lockAgeMs < ORPHANED_LOCK_MS);
      if (existingId && !orphaned && !holder) return { created: false, existingIncidentId: existingId };
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...lock, kind: 'lock', incidentId: incident.id, open: true, at: incident.createdAt },
            ConditionExpression: 'incidentId = :old',
            ExpressionAttributeValues: { ':old': existingId },
          }),
        );
      } catch (e2) {
        if (!isConditionFailure(e2)) throw e2;
        const again = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: lock, ConsistentRead: true }));
        return { created: false, existingIncidentId: again.Item?.incidentId as string };
      }
    }
    // Steps first, the incident item last: an incident that exists always has its steps.
    // (A crash before the incident item leaves a lock without an incident, which the next
    // opener takes over once it is older than ORPHANED_LOCK_MS.)
    for (const s of steps) {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.step(s.incidentId, s.seq, s.name), kind: 'step', ...s },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    }
    // attribute_not_exists: an incident id is never reused.
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.incident(incident.id), kind: 'incident', ...incident, ...this.openIndex(incident) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { created: true, incident };
  }

  private openIndex(i: Incident): Record<string, string> {
    if (i.status === 'open') return { [GSI1.pk]: 'OPEN', [GSI1.sk]: `${i.createdAt}#${i.id}` };
    // Closed incidents, newest first for the App Home's "recently closed".
    return i.closedAt ? { [GSI1.pk]: 'CLOSED', [GSI1.sk]: `${i.closedAt}#${i.id}` } : {};
  }

  async get(incidentId: string): Promise<IncidentBundle | undefined> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `INC#${incidentId}` },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...(r.Items ?? []));
      start = r.LastEvaluatedKey;
    } while (start);
    const meta = items.find((i) => i.sk === 'META');
    if (!meta) return undefined;
    return {
      incident: strip<Incident>(meta)!,
      steps: items.filter((i) => String(i.sk).startsWith('STEP#')).map((i) => strip<StepRecord>(i)!),
      events: items.filter((i) => String(i.sk).startsWith('EVT#')).map((i) => strip<IncidentEvent>(i)!),
    };
  }

  async getIncident(incidentId: string): Promise<Incident | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.incident(incidentId), ConsistentRead: true }));
    return strip<Incident>(r.Item);
  }

  async getStep(incidentId: string, seq: number, name: string): Promise<StepRecord | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.step(incidentId, seq, name), ConsistentRead: true }));
    return strip<StepRecord>(r.Item);
  }

  async updateStep(step: StepRecord, expect: { from: readonly StepState[]; version: number }): Promise<StepRecord | undefined> {
    const next: StepRecord = { ...step, version: expect.version + 1, updatedAt: this.now().toISOString() };
    const states = Object.fromEntries(expect.from.map((s, i) => [`:s${i}`, s]));
    try {
      // Optimistic concurrency: the writer that still sees the version it read wins; every
      // other concurrent writer (double click, second replica, Slack retry) loses here.
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.step(step.incidentId, step.seq, step.name), kind: 'step', ...next },
          ConditionExpression: `version = :v AND #state IN (${Object.keys(states).join(', ')})`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':v': expect.version, ...states },
        }),
      );
      return next;
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw e;
    }
  }

  async updateIncident(incident: Incident, expectVersion: number): Promise<Incident | undefined> {
    const next: Incident = { ...incident, version: expectVersion + 1 };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.incident(incident.id), kind: 'incident', ...next, ...this.openIndex(next) },
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': expectVersion },
        }),
      );
      return next;
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw e;
    }
  }

  async appendEvent(event: IncidentEvent): Promise<void> {
    // Append-only: a random suffix keeps two events in the same millisecond apart, and
    // attribute_not_exists makes overwriting an event impossible.
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.event(event.incidentId, event.at, randomUUID().slice(0, 8)), kind: 'event', ...event },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async claimRequest(requestId: string, ttlSeconds = 24 * 3600): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          // `ttl` (epoch seconds) lets DynamoDB TTL tidy up; correctness never depends on the
          // deletion. Only these items carry it: incidents, steps and events are kept.
          Item: { ...keys.request(requestId), kind: 'request', at: this.now().toISOString(), [TTL_ATTRIBUTE]: Math.floor(this.now().getTime() / 1000) + ttlSeconds },
          // The first claim wins, every retry and replay loses; a claim given back (released)
          // may be won again, once.
          ConditionExpression: 'attribute_not_exists(pk) OR released = :t',
          ExpressionAttributeValues: { ':t': true },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async releaseRequest(requestId: string): Promise<void> {
    // Marked given back rather than deleted: the bot's role deletes nothing in the table.
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.request(requestId),
          UpdateExpression: 'SET released = :t',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':t': true },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  async addSteps(steps: StepRecord[]): Promise<void> {
    for (const s of steps) {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.step(s.incidentId, s.seq, s.name), kind: 'step', ...s },
            // Two runners adding the same generated step: the first one wins, unchanged.
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    }
  }

  async listOpenIncidents(): Promise<Incident[]> {
    const out: Incident[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: GSI1.name,
          KeyConditionExpression: `${GSI1.pk} = :open`,
          ExpressionAttributeValues: { ':open': 'OPEN' },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(r.Items ?? []).map((i) => strip<Incident>(i)!));
      start = r.LastEvaluatedKey;
    } while (start);
    return out.filter((i) => i.status === 'open');
  }

  /** The most recently closed incidents, newest first (incidents closed since the CLOSED index entry was introduced). */
  async listRecentlyClosed(limit: number): Promise<Incident[]> {
    const r = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1.name,
        KeyConditionExpression: `${GSI1.pk} = :closed`,
        ExpressionAttributeValues: { ':closed': 'CLOSED' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (r.Items ?? []).map((i) => strip<Incident>(i)!).filter((i) => i.status === 'closed');
  }

  async releaseKeyLock(keyId: string, incidentId: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.keyLock(keyId),
          UpdateExpression: 'SET #open = :false',
          // Only the incident holding the lock may release it.
          ConditionExpression: 'incidentId = :id',
          ExpressionAttributeNames: { '#open': 'open' },
          ExpressionAttributeValues: { ':false': false, ':id': incidentId },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }
}
