/**
 * What every IncidentStore (and WatchStore) must do, written once and run against each back
 * end: DynamoDB on moto and the embedded dynalite (test/integration/incident-store.test.ts),
 * and the in-memory store (test/unit/in-memory-store.test.ts).
 *
 * Concurrency and moto: moto_server answers each request on its own thread, and its
 * PutItem reads the current item, evaluates the condition and writes the new item without a
 * lock (moto/dynamodb/models/table.py `put_item`, moto 5.2). Two concurrent conditional puts
 * on the same key can both pass their condition. Real DynamoDB (and dynalite, and the
 * in-memory store) serialise conditional writes to one item. So on moto the "many writers at
 * once" cases are run one writer after another (`atomicConcurrentWrites: false`): the
 * condition is still what decides, and the test cannot pass or fail by thread timing. The
 * concurrent versions run on the back ends that serialise writes.
 */
import type { Incident, StepRecord } from '../../src/domain/incident';
import type { WatchState } from '../../src/domain/watch';
import type { IncidentStore } from '../../src/store/incident-store';
import type { WatchStore } from '../../src/store/watch-store';

const CONTRACT_NOW = '2026-11-28T03:00:00.000Z';

export interface StoreUnderTest {
  store: IncidentStore;
  watches: WatchStore;
  /** Leave a key lock without its incident, as an opener that died between its writes would. */
  plantKeyLock(keyId: string, incidentId: string, at: string): Promise<void>;
  close(): Promise<void>;
}

export interface ContractOptions {
  /** False where the back end can let two concurrent conditional writes both pass (moto). */
  atomicConcurrentWrites: boolean;
}

const incident = (id: string, keyId = 'AKIAIOSFODNN7EXAMPLE'): Incident => ({
  id, keyId, keyKind: 'long-term', requester: 'U1', severity: 'high', reason: 'leaked', status: 'open',
  channel: 'C1', dryRun: false, createdAt: CONTRACT_NOW, version: 1,
});
const step = (id: string, over: Partial<StepRecord> = {}): StepRecord => ({
  incidentId: id, seq: 2, name: 'contain', title: 'Contain', state: 'awaiting_approval', version: 1,
  approvalsRequired: 1, approvals: [], updatedAt: CONTRACT_NOW, ...over,
});
const watch = (incidentId: string, nextAt: string): WatchState => ({
  incidentId, keyId: 'AKIAIOSFODNN7EXAMPLE', since: CONTRACT_NOW, until: '2026-11-28T05:00:00.000Z', nextAt,
  reportedEvents: 0, reportedCreated: [], checks: 0, version: 1,
});

/**
 * Registers the contract's tests in the calling describe block. `open` gets a clock fixed at
 * CONTRACT_NOW; it is called once for the block.
 */
export function storeContract(open: (now: () => Date) => Promise<StoreUnderTest>, opts: ContractOptions): void {
  let sut: StoreUnderTest;
  let store: IncidentStore;
  /** `n` writers: at once where the back end serialises writes, else one after another. */
  const racers = async <T>(n: number, write: (i: number) => Promise<T>): Promise<T[]> => {
    if (opts.atomicConcurrentWrites) return Promise.all(Array.from({ length: n }, (_, i) => write(i)));
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await write(i));
    return out;
  };

  beforeAll(async () => {
    sut = await open(() => new Date(CONTRACT_NOW));
    store = sut.store;
  });
  afterAll(async () => {
    await sut?.close();
  });

  it('opens one incident per key; a second open joins the first', async () => {
    const a = await store.openIncident(incident('IR-A'), [step('IR-A')]);
    expect(a.created).toBe(true);
    const b = await store.openIncident(incident('IR-B'), [step('IR-B')]);
    expect(b).toEqual({ created: false, existingIncidentId: 'IR-A' });
    expect(await store.getIncident('IR-B')).toBeUndefined();
    expect(await store.get('IR-B')).toBeUndefined();
    const bundle = await store.get('IR-A');
    expect(bundle!.incident).toEqual(incident('IR-A'));
    expect(bundle!.steps).toEqual([step('IR-A')]);
    expect((await store.listOpenIncidents()).map((i) => i.id)).toContain('IR-A');
  });

  it('many responders opening the same key at once start one incident', async () => {
    const results = await racers(8, (i) => store.openIncident(incident(`IR-M${i}`, 'AKIAIOSFODNN7EXAMPLM'), [step(`IR-M${i}`)]));
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(1);
    const winner = (created[0] as { incident: Incident }).incident.id;
    for (const r of results.filter((x) => !x.created)) expect(r).toEqual({ created: false, existingIncidentId: winner });
  });

  it('after the incident is closed and the lock released, the key can get a new incident', async () => {
    const a = (await store.getIncident('IR-A'))!;
    // A lock is released only by the incident holding it.
    await store.releaseKeyLock(a.keyId, 'IR-OTHER');
    expect(await store.openIncident(incident('IR-X'), [])).toEqual({ created: false, existingIncidentId: 'IR-A' });
    const closed = await store.updateIncident({ ...a, status: 'closed' }, a.version);
    expect(closed).toMatchObject({ status: 'closed', version: a.version + 1 });
    await store.releaseKeyLock(a.keyId, 'IR-A');
    expect((await store.openIncident(incident('IR-C'), [])).created).toBe(true);
    expect((await store.listOpenIncidents()).map((i) => i.id)).not.toContain('IR-A');
    expect((await store.listOpenIncidents()).map((i) => i.id)).toContain('IR-C');
  });

  it('a closed incident whose lock was never released gives the key up', async () => {
    const d = (await store.openIncident(incident('IR-D', 'AKIAIOSFODNN7EXAMPLD'), [])) as { incident: Incident };
    await store.updateIncident({ ...d.incident, status: 'closed' }, d.incident.version);
    expect(await store.openIncident(incident('IR-E', 'AKIAIOSFODNN7EXAMPLD'), [])).toMatchObject({ created: true });
  });

  it('a lock left by an opener that died is taken over only once it is old', async () => {
    // Fresh (someone is opening it right now): join them.
    await sut.plantKeyLock('AKIAIOSFODNN7EXAMPLF', 'IR-DEAD', CONTRACT_NOW);
    expect(await store.openIncident(incident('IR-F', 'AKIAIOSFODNN7EXAMPLF'), [])).toEqual({ created: false, existingIncidentId: 'IR-DEAD' });
    // Older than the crash window and its incident never appeared: take it over.
    await sut.plantKeyLock('AKIAIOSFODNN7EXAMPLG', 'IR-DEAD', '2026-11-28T02:00:00.000Z');
    expect(await store.openIncident(incident('IR-G', 'AKIAIOSFODNN7EXAMPLG'), [step('IR-G')])).toMatchObject({ created: true });
    expect((await store.get('IR-G'))!.steps).toHaveLength(1);
  });

  it('an incident update wins only with the version it read', async () => {
    await store.openIncident(incident('IR-U', 'AKIAIOSFODNN7EXAMPLU'), []);
    const u = (await store.getIncident('IR-U'))!;
    const won = await store.updateIncident({ ...u, cardTs: '1.1' }, u.version);
    expect(won?.version).toBe(u.version + 1);
    expect(await store.updateIncident({ ...u, cardTs: '2.2' }, u.version)).toBeUndefined();
    expect((await store.getIncident('IR-U'))!.cardTs).toBe('1.1');
  });

  it('a step update wins only with the expected state and version', async () => {
    await store.openIncident(incident('IR-S', 'AKIAIOSFODNN7EXAMPLZ'), [step('IR-S')]);
    const s = (await store.getStep('IR-S', 2, 'contain'))!;
    const won = await store.updateStep({ ...s, state: 'approved' }, { from: ['awaiting_approval'], version: 1 });
    expect(won).toMatchObject({ state: 'approved', version: 2, updatedAt: CONTRACT_NOW });
    expect(await store.updateStep({ ...s, state: 'denied' }, { from: ['awaiting_approval'], version: 1 })).toBeUndefined();
    expect(await store.updateStep({ ...won!, state: 'running' }, { from: ['awaiting_approval'], version: 2 })).toBeUndefined();
    const results = await racers(20, () => store.updateStep({ ...won!, state: 'running' }, { from: ['approved'], version: 2 }));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.getStep('IR-S', 2, 'contain'))!.state).toBe('running');
    expect(await store.updateStep(step('IR-NONE'), { from: ['awaiting_approval'], version: 1 })).toBeUndefined();
  });

  it('the version alone decides between two writers who both see the expected state', async () => {
    // A step needing two approvals stays awaiting_approval after the first one: only the
    // version tells the second approver's stale write from a fresh one.
    await store.openIncident(incident('IR-V', 'AKIAIOSFODNN7EXAMPLV'), [step('IR-V', { approvalsRequired: 2 })]);
    const read = (await store.getStep('IR-V', 2, 'contain'))!;
    const first = await store.updateStep(
      { ...read, approvals: [{ userId: 'U2', at: CONTRACT_NOW }] }, { from: ['awaiting_approval'], version: read.version },
    );
    expect(first).toMatchObject({ state: 'awaiting_approval', version: read.version + 1 });
    // Same expected state, the version read before the first write: loses.
    const stale = await store.updateStep(
      { ...read, approvals: [{ userId: 'U3', at: CONTRACT_NOW }] }, { from: ['awaiting_approval'], version: read.version },
    );
    expect(stale).toBeUndefined();
    expect((await store.getStep('IR-V', 2, 'contain'))!.approvals.map((a) => a.userId)).toEqual(['U2']);
    // Two writers at once, same expected state, different versions: only the current one wins.
    const [old, current] = await racers(2, (i) =>
      store.updateStep({ ...first!, state: 'approved' }, { from: ['awaiting_approval'], version: i === 0 ? read.version : first!.version }),
    );
    expect(old).toBeUndefined();
    expect(current).toMatchObject({ state: 'approved', version: first!.version + 1 });
  });

  it('a step that exists is not overwritten by adding it again', async () => {
    const before = (await store.getStep('IR-S', 2, 'contain'))!;
    await store.addSteps([step('IR-S'), step('IR-S', { seq: 3, name: 'eradicate', title: 'Eradicate', state: 'pending' })]);
    expect(await store.getStep('IR-S', 2, 'contain')).toEqual(before);
    expect((await store.get('IR-S'))!.steps.map((s) => s.name)).toEqual(['contain', 'eradicate']);
  });

  it('what a caller does to an item it read does not change the record', async () => {
    const s = (await store.getStep('IR-S', 2, 'contain'))!;
    s.state = 'failed';
    s.approvals.push({ userId: 'UX', at: CONTRACT_NOW });
    expect((await store.getStep('IR-S', 2, 'contain'))!).toMatchObject({ state: 'running', approvals: [] });
  });

  it('events are append-only and all kept, even in the same millisecond', async () => {
    await racers(10, (i) => store.appendEvent({ incidentId: 'IR-S', at: CONTRACT_NOW, type: 'test', detail: { i } }));
    await store.appendEvent({ incidentId: 'IR-S', at: '2026-11-28T02:59:00.000Z', type: 'earlier' });
    const events = (await store.get('IR-S'))!.events;
    expect(events.filter((e) => e.type === 'test').map((e) => (e.detail as { i: number }).i).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events[0].type).toBe('earlier');
  });

  it('a Slack request id is claimed once', async () => {
    const claims = await racers(10, () => store.claimRequest('trigger-1'));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimRequest('trigger-1')).toBe(false);
    expect(await store.claimRequest('trigger-2')).toBe(true);
  });

  it('a claim given back can be claimed again, once', async () => {
    expect(await store.claimRequest('delivery-1')).toBe(true);
    await store.releaseRequest('delivery-1');
    const claims = await racers(5, () => store.claimRequest('delivery-1'));
    expect(claims.filter(Boolean)).toHaveLength(1);
    // Giving back what was never claimed is harmless.
    await store.releaseRequest('never-claimed');
  });

  it('lists open incidents only', async () => {
    const open = await store.listOpenIncidents();
    expect(open.every((i) => i.status === 'open')).toBe(true);
    expect(open.map((i) => i.id)).toEqual(expect.arrayContaining(['IR-C', 'IR-G', 'IR-S', 'IR-U', 'IR-V']));
    expect(open.map((i) => i.id)).not.toContain('IR-D');
  });

  describe('watch schedules', () => {
    it('a watch starts once, is due at its time, and saves only with the version it read', async () => {
      const w = watch('IR-W1', '2026-11-28T03:05:00.000Z');
      expect(await sut.watches.start(w)).toBe(true);
      expect(await sut.watches.start({ ...w, nextAt: CONTRACT_NOW })).toBe(false);
      await sut.watches.start(watch('IR-W2', '2026-11-28T03:01:00.000Z'));
      expect(await sut.watches.due(CONTRACT_NOW)).toEqual([]);
      expect((await sut.watches.due('2026-11-28T03:10:00.000Z')).map((x) => x.incidentId)).toEqual(['IR-W2', 'IR-W1']);
      const saved = await sut.watches.save({ ...w, checks: 1, nextAt: '2026-11-28T03:20:00.000Z' }, w.version);
      expect(saved).toMatchObject({ checks: 1, version: w.version + 1 });
      expect(await sut.watches.save({ ...w, checks: 9 }, w.version)).toBeUndefined();
      expect((await sut.watches.due('2026-11-28T03:10:00.000Z')).map((x) => x.incidentId)).toEqual(['IR-W2']);
    });

    it('a finished watch is never due again', async () => {
      const [w2] = await sut.watches.due('2026-11-28T03:10:00.000Z');
      expect(await sut.watches.save({ ...w2, done: true }, w2.version)).toMatchObject({ done: true });
      expect(await sut.watches.due('2027-01-01T00:00:00.000Z')).toEqual([expect.objectContaining({ incidentId: 'IR-W1' })]);
      expect(await sut.watches.save(watch('IR-NONE', CONTRACT_NOW), 1)).toBeUndefined();
    });
  });
}
