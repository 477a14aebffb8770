/** The in-memory store passes the same contract as the DynamoDB store. */
import type { Incident, StepRecord } from '../../src/domain/incident';
import type { WatchState } from '../../src/domain/watch';
import { ORPHANED_LOCK_MS } from '../../src/store/incident-store';
import { ConditionFailedError, InMemoryIncidentStore, InMemoryWatchStore } from '../../src/store/in-memory-store';
import { storeContract } from '../support/store-contract';

describe('in-memory store', () => {
  storeContract(async (now) => {
    const store = new InMemoryIncidentStore(now);
    return {
      store,
      watches: new InMemoryWatchStore(),
      plantKeyLock: async (keyId, incidentId, at) => store.plantKeyLock(keyId, incidentId, at),
      close: async () => undefined,
    };
  }, { atomicConcurrentWrites: true });
});

describe('in-memory store: what the conditional writes refuse', () => {
  const NOW = '2026-11-28T03:00:00.000Z';
  const incident = (id: string, keyId: string, over: Partial<Incident> = {}): Incident => ({
    id, keyId, keyKind: 'long-term', requester: 'U1', severity: 'high', reason: 'leaked', status: 'open',
    channel: 'C1', dryRun: false, createdAt: NOW, version: 1, ...over,
  });
  const step = (id: string, over: Partial<StepRecord> = {}): StepRecord => ({
    incidentId: id, seq: 2, name: 'contain', title: 'Contain', state: 'awaiting_approval', version: 1,
    approvalsRequired: 1, approvals: [], updatedAt: NOW, ...over,
  });
  const fresh = () => new InMemoryIncidentStore(() => new Date(NOW));

  it('a second incident under an id that exists is refused as DynamoDB refuses it, naming the incident, and changes none of its steps', async () => {
    const store = fresh();
    await store.openIncident(incident('IR-1', 'AKIAIOSFODNN7EXAMPL1'), [step('IR-1')]);
    const before = await store.get('IR-1');
    const refused = store.openIncident(incident('IR-1', 'AKIAIOSFODNN7EXAMPL2'), [step('IR-1', { state: 'approved', title: 'Planted' })]);
    await expect(refused).rejects.toMatchObject({ name: 'ConditionalCheckFailedException', message: expect.stringMatching(/conditional request failed.*IR-1/) });
    await expect(refused).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await store.get('IR-1')).toEqual(before);
  });

  it('an incident item that exists is never overwritten, even when the new open brings no steps', async () => {
    const store = fresh();
    await store.openIncident(incident('IR-1', 'AKIAIOSFODNN7EXAMPL1'), []);
    await expect(store.openIncident(incident('IR-1', 'AKIAIOSFODNN7EXAMPL3', { requester: 'UMALLORY' }), []))
      .rejects.toMatchObject({ name: 'ConditionalCheckFailedException', message: expect.stringMatching(/incident IR-1/) });
    expect(await store.getIncident('IR-1')).toMatchObject({ keyId: 'AKIAIOSFODNN7EXAMPL1', requester: 'U1' });
  });

  it('steps already written under an incident id are not overwritten by an open of that id', async () => {
    const store = fresh();
    // Steps first, the incident item last: steps can exist without their incident item.
    await store.addSteps([step('IR-1', { title: 'First writer' })]);
    await expect(store.openIncident(incident('IR-1', 'AKIAIOSFODNN7EXAMPL1'), [step('IR-1', { title: 'Second writer' })]))
      .rejects.toMatchObject({ name: 'ConditionalCheckFailedException', message: expect.stringMatching(/contain of IR-1/) });
    expect((await store.getStep('IR-1', 2, 'contain'))!.title).toBe('First writer');
    expect(await store.getIncident('IR-1')).toBeUndefined();
  });

  it.each([
    ['one millisecond short of the crash window: someone is still opening it, join them', ORPHANED_LOCK_MS - 1, { created: false, existingIncidentId: 'IR-DEAD' }],
    ['exactly the crash window old: the opener died, take it over', ORPHANED_LOCK_MS, { created: true }],
  ])('a lock without its incident, %s', async (_l, ageMs, expected) => {
    const store = fresh();
    store.plantKeyLock('AKIAIOSFODNN7EXAMPLO', 'IR-DEAD', new Date(Date.parse(NOW) - ageMs).toISOString());
    expect(await store.openIncident(incident('IR-NEW', 'AKIAIOSFODNN7EXAMPLO'), [])).toMatchObject(expected);
  });

  it('a released lock frees the key at once, however fresh (the condition is the lock\'s open flag)', async () => {
    const store = fresh();
    store.plantKeyLock('AKIAIOSFODNN7EXAMPLR', 'IR-GONE', NOW);
    await store.releaseKeyLock('AKIAIOSFODNN7EXAMPLR', 'IR-GONE');
    expect(await store.openIncident(incident('IR-NEW', 'AKIAIOSFODNN7EXAMPLR'), [])).toMatchObject({ created: true });
  });

  it('steps come back in plan order, whatever order they were written in', async () => {
    const store = fresh();
    await store.openIncident(incident('IR-1', 'AKIAIOSFODNN7EXAMPL1'), [
      step('IR-1', { seq: 3, name: 'eradicate', title: 'Eradicate' }),
      step('IR-1', { seq: 2, name: 'contain', title: 'Contain' }),
    ]);
    await store.addSteps([step('IR-1', { seq: 10, name: 'undo', title: 'Undo' }), step('IR-1', { seq: 1, name: 'investigate', title: 'Investigate' })]);
    expect((await store.get('IR-1'))!.steps.map((s) => s.name)).toEqual(['investigate', 'contain', 'eradicate', 'undo']);
  });
});

describe('in-memory watch store: which watches are due', () => {
  const watch = (incidentId: string, nextAt: string): WatchState => ({
    incidentId, keyId: 'AKIAIOSFODNN7EXAMPLE', since: '2026-11-28T03:00:00.000Z', until: '2026-11-28T05:00:00.000Z', nextAt,
    reportedEvents: 0, reportedCreated: [], checks: 0, version: 1,
  });

  it('returns the due watches earliest first, whatever order they were started in', async () => {
    const watches = new InMemoryWatchStore();
    for (const [id, at] of [['IR-A', '03:01'], ['IR-B', '03:05'], ['IR-C', '03:03'], ['IR-D', '03:20']]) {
      await watches.start(watch(id, `2026-11-28T${at}:00.000Z`));
    }
    expect((await watches.due('2026-11-28T03:10:00.000Z')).map((w) => w.incidentId)).toEqual(['IR-A', 'IR-C', 'IR-B']);
  });

  it('a watch is due at its very time, not a moment later', async () => {
    const watches = new InMemoryWatchStore();
    await watches.start(watch('IR-A', '2026-11-28T03:05:00.000Z'));
    expect((await watches.due('2026-11-28T03:05:00.000Z')).map((w) => w.incidentId)).toEqual(['IR-A']);
    expect(await watches.due('2026-11-28T03:04:59.999Z')).toEqual([]);
  });
});
