/**
 * The store's operations on both back ends it must run on: moto's DynamoDB and the embedded
 * dynalite. Same code, same assertions.
 */
import { DynamoDBClient, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { ensureTable } from '../../src/store/table-setup';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import type { Incident, StepRecord } from '../../src/domain/incident';
import { motoDynamo } from '../support/aws-clients';

const T = '2026-11-28T03:00:00.000Z';
const incident = (id: string, keyId = 'AKIAIOSFODNN7EXAMPLE'): Incident => ({
  id, keyId, keyKind: 'long-term', requester: 'U1', severity: 'high', reason: 'leaked', status: 'open',
  channel: 'C1', dryRun: false, createdAt: T, version: 1,
});
const step = (id: string): StepRecord => ({
  incidentId: id, seq: 2, name: 'contain', title: 'Contain', state: 'awaiting_approval', version: 1,
  approvalsRequired: 1, approvals: [], updatedAt: T,
});

describe.each([
  ['moto DynamoDB', async () => ({ client: motoDynamo() as DynamoDBClient, close: async () => undefined })],
  ['embedded dynalite', async () => {
    const e: EmbeddedDynamo = await startEmbeddedDynamo();
    return { client: e.client, close: () => e.close() };
  }],
])('%s', (_name, open) => {
  let store: DynamoIncidentStore;
  let close: () => Promise<void>;
  let client: DynamoDBClient;
  const table = `kg-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    ({ client, close } = await open());
    expect(await ensureTable(client, table, true)).toBe('created');
    expect(await ensureTable(client, table, false)).toBe('existed');
    store = new DynamoIncidentStore(client, table, () => new Date(T));
  });
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: table }));
    await close();
  });

  it('refuses to start against a missing table unless asked to create it', async () => {
    await expect(ensureTable(client, `${table}-missing`, false)).rejects.toThrow(/does not exist.*IR_CREATE_TABLE=true/);
  });

  it('opens one incident per key; a second open joins the first', async () => {
    const a = await store.openIncident(incident('IR-A'), [step('IR-A')]);
    expect(a.created).toBe(true);
    const b = await store.openIncident(incident('IR-B'), [step('IR-B')]);
    expect(b).toEqual({ created: false, existingIncidentId: 'IR-A' });
    expect(await store.getIncident('IR-B')).toBeUndefined();
    const bundle = await store.get('IR-A');
    expect(bundle!.steps.map((s) => s.name)).toEqual(['contain']);
    expect((await store.listOpenIncidents()).map((i) => i.id)).toContain('IR-A');
  });

  it('after the incident is closed and the lock released, the key can get a new incident', async () => {
    const a = (await store.getIncident('IR-A'))!;
    await store.updateIncident({ ...a, status: 'closed' }, a.version);
    await store.releaseKeyLock(a.keyId, 'IR-A');
    expect((await store.openIncident(incident('IR-C'), [])).created).toBe(true);
    expect((await store.listOpenIncidents()).map((i) => i.id)).not.toContain('IR-A');
  });

  it('a lock left by an opener that died is taken over only once it is old', async () => {
    const { PutCommand, DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const doc = DynamoDBDocumentClient.from(client);
    const lockFor = (keyId: string, at: string) =>
      doc.send(new PutCommand({ TableName: table, Item: { pk: `KEY#${keyId}`, sk: 'LOCK', kind: 'lock', incidentId: 'IR-DEAD', open: true, at } }));
    // Fresh (someone is opening it right now): join them.
    await lockFor('AKIAIOSFODNN7EXAMPLF', T);
    expect(await store.openIncident(incident('IR-F', 'AKIAIOSFODNN7EXAMPLF'), [])).toEqual({ created: false, existingIncidentId: 'IR-DEAD' });
    // Older than the crash window and its incident never appeared: take it over.
    await lockFor('AKIAIOSFODNN7EXAMPLG', '2026-11-28T02:00:00.000Z');
    expect(await store.openIncident(incident('IR-G', 'AKIAIOSFODNN7EXAMPLG'), [step('IR-G')])).toMatchObject({ created: true });
    expect((await store.get('IR-G'))!.steps).toHaveLength(1);
  });

  it('a step update wins only with the expected state and version', async () => {
    await store.openIncident(incident('IR-S', 'AKIAIOSFODNN7EXAMPLZ'), [step('IR-S')]);
    const s = (await store.getStep('IR-S', 2, 'contain'))!;
    const won = await store.updateStep({ ...s, state: 'approved' }, { from: ['awaiting_approval'], version: 1 });
    expect(won?.version).toBe(2);
    expect(await store.updateStep({ ...s, state: 'denied' }, { from: ['awaiting_approval'], version: 1 })).toBeUndefined();
    expect(await store.updateStep({ ...won!, state: 'running' }, { from: ['awaiting_approval'], version: 2 })).toBeUndefined();
    const racers = await Promise.all(
      Array.from({ length: 20 }, () => store.updateStep({ ...won!, state: 'running' }, { from: ['approved'], version: 2 })),
    );
    expect(racers.filter(Boolean)).toHaveLength(1);
    expect((await store.getStep('IR-S', 2, 'contain'))!.state).toBe('running');
  });

  it('events are append-only and all kept, even in the same millisecond', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.appendEvent({ incidentId: 'IR-S', at: T, type: 'test', detail: { i } })));
    const events = (await store.get('IR-S'))!.events;
    expect(events.filter((e) => e.type === 'test')).toHaveLength(10);
  });

  it('a Slack request id is claimed once', async () => {
    const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimRequest('trigger-1')));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimRequest('trigger-2')).toBe(true);
  });
});
