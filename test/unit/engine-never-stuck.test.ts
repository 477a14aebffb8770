/**
 * One step's error never leaves it stuck, on the in-memory store: a plan that throws fails the
 * step with the reason (recorded, said, Retry plans again); a snapshot that throws fails the
 * step instead of leaving it running; the sweeps isolate incidents.
 */
import { PlaybookEngine } from '../../workflows/engine';
import type { StepDefinition } from '../../workflows/playbook';
import { InMemoryIncidentStore } from '../../src/store/in-memory-store';
import { clickText } from '../../src/slack/incident-messages';
import type { IncidentNotice } from '../../src/domain/incident-notice';
import { KeyguardError } from '../../src/errors';
import { decidePlanFailed } from '../../workflows/engine/decide';
import type { StepRecord } from '../../src/domain/incident';

const REQUESTER = 'UREQ';

function rig(o: { planError?: () => Error | undefined; snapshotError?: () => Error | undefined } = {}) {
  const clock = { now: new Date('2026-11-28T03:00:00.000Z') };
  const store = new InMemoryIncidentStore(() => clock.now);
  const notices: IncidentNotice[] = [];
  const logged: string[] = [];
  const log = (a: object | string, m?: string) => void logged.push(typeof a === 'string' ? a : String(m));
  const runs: string[] = [];
  const steps: StepDefinition[] = [
    {
      seq: 1, name: 'contain', title: 'Contain', approvals: 1,
      action: {
        plan: () => {
          const e = o.planError?.();
          if (e) throw e;
          return [{ service: 'iam', action: 'UpdateAccessKey', params: { UserName: 'alice', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Inactive' }, why: 'x' }];
        },
        snapshot: async () => {
          const e = o.snapshotError?.();
          if (e) throw e;
          return undefined;
        },
        run: async () => {
          runs.push('contain');
          return { ok: true, summary: 'contained' };
        },
      },
    },
    { seq: 2, name: 'close', title: 'Close', approvals: 0, manual: true },
  ];
  const engine = new PlaybookEngine({
    store,
    notifier: { renderCard: async () => undefined, notify: async (_i, n) => void notices.push(n) },
    access: { isApprover: async (u) => u === 'UA1', isResponder: async () => true, approversConfigured: true },
    playbook: { name: 't', steps },
    logger: { debug: () => {}, info: () => {}, warn: log, error: log },
    now: () => clock.now,
    describe: clickText,
    approvalTtlMinutes: 30,
    dryRun: false,
    instanceId: 'r1',
  });
  const open = async (keyId = 'AKIAIOSFODNN7EXAMPLE') => {
    const opened = await engine.open({ keyId, keyKind: 'long-term', requester: REQUESTER, channel: 'C1', reason: 'leaked', severity: 'high' });
    if (!opened.created) throw new Error('not opened');
    await engine.advance(opened.incident.id);
    return opened.incident.id;
  };
  const step = async (id: string, name = 'contain') => (await store.get(id))!.steps.find((s) => s.name === name)!;
  const types = async (id: string) => (await store.get(id))!.events.map((e) => e.type);
  return { engine, store, notices, logged, runs, open, step, types, clock };
}

it('a plan that throws fails the step with the reason, records it and says it; nothing runs', async () => {
  const r = rig({ planError: () => new KeyguardError('NOT_AVAILABLE', 'The long-term key is not known.') });
  const id = await r.open();
  const contain = await r.step(id);
  expect(contain).toMatchObject({ state: 'failed', error: { code: 'NOT_AVAILABLE', message: 'The long-term key is not known.' }, note: 'could not be planned: The long-term key is not known.' });
  expect(await r.types(id)).toContain('plan_failed');
  expect(r.notices).toContainEqual({ kind: 'plan_failed', step: 'contain', title: 'Contain', reason: 'The long-term key is not known.' });
  expect(r.runs).toEqual([]);
});

it('Retry plans again: while the cause remains it fails again (said to the clicker), once gone it asks for approval', async () => {
  let broken = true;
  const r = rig({ planError: () => (broken ? new KeyguardError('AWS_THROTTLED', 'IAM is throttling reads.', { retryable: true }) : undefined) });
  const id = await r.open();
  const again = await r.engine.rerequest(id, 'contain', 'UHELPER');
  expect(again).toEqual({ ok: false, message: '*Contain* could not be planned: IAM is throttling reads. Nothing was sent to AWS; the card shows why and offers Retry.' });
  expect((await r.types(id)).filter((t) => t === 'plan_failed')).toHaveLength(2);
  broken = false;
  const asked = await r.engine.rerequest(id, 'contain', 'UHELPER');
  expect(asked.ok).toBe(true);
  const contain = await r.step(id);
  expect(contain).toMatchObject({ state: 'awaiting_approval', requestedBy: 'UHELPER' });
  expect(contain.error).toBeUndefined();
  expect((await r.engine.approve(id, 'contain', contain.version, 'UA1')).ok).toBe(true);
  expect(r.runs).toEqual(['contain']);
});

it('a snapshot that throws fails the step (nothing sent) instead of leaving it running', async () => {
  const r = rig({ snapshotError: () => new KeyguardError('AWS_FAILED', 'GetUser failed: ServiceUnavailable', { retryable: true }) });
  const id = await r.open();
  const contain = await r.step(id);
  await r.engine.approve(id, 'contain', contain.version, 'UA1');
  const failed = await r.step(id);
  expect(failed).toMatchObject({ state: 'failed', error: { message: 'GetUser failed: ServiceUnavailable' } });
  expect(failed.leaseUntil).toBeUndefined();
  expect(r.runs).toEqual([]);
});

it('the sweeps isolate incidents: one that throws is logged and recorded, the others advance', async () => {
  const r = rig();
  const broken = await r.open('AKIABROKEN0000000001');
  const fine = await r.open('AKIAFINE000000000001');
  // The older incident carries a step this playbook does not know (an older version's record).
  const b = await r.step(broken);
  await r.store.updateStep({ ...b, state: 'succeeded' }, { from: ['awaiting_approval'], version: b.version });
  await r.store.addSteps([{ incidentId: broken, seq: 9, name: 'retired', title: 'Retired', state: 'approved', version: 1, approvalsRequired: 1, approvals: [{ userId: 'UA1', at: r.clock.now.toISOString() }], updatedAt: r.clock.now.toISOString() } as StepRecord]);
  // The newer one: approved, never started.
  const f = await r.step(fine);
  await r.engine.approve(fine, 'contain', f.version, 'UA1', { advance: false });

  const swept = await r.engine.reconcile();
  expect(swept.failed).toEqual([broken]);
  expect(r.runs).toEqual(['contain']);
  expect((await r.step(fine)).state).toBe('succeeded');
  expect(await r.types(broken)).toContain('sweep_failed');
  expect(r.logged).toContain('one incident failed in the sweep; the others go on');

  // The expiry sweep, once the approval has lapsed: the broken one throws again, the sweep still resolves.
  r.clock.now = new Date(r.clock.now.getTime() + 31 * 60_000);
  await expect(r.engine.expireDue()).resolves.toBe(0);
  expect((await r.store.get(broken))!.events.filter((e) => e.type === 'sweep_failed').map((e) => e.detail?.sweep)).toEqual(['reconcile', 'expire']);
});

it('decidePlanFailed: the write, the event and the notice, from an unknown error too', () => {
  const step = { name: 'eradicate', title: 'Eradicate' } as StepRecord;
  const d = decidePlanFailed(step, ['pending'], new Error('socket hang up'), new Date('2026-11-28T03:00:00.000Z'));
  expect(d.write).toEqual({ from: ['pending'], patch: { state: 'failed', error: { code: 'UNEXPECTED', message: 'socket hang up' }, note: 'could not be planned: socket hang up', finishedAt: '2026-11-28T03:00:00.000Z', leaseUntil: undefined } });
  expect(d.event).toEqual({ type: 'plan_failed', step: 'eradicate', detail: { error: { code: 'UNEXPECTED', message: 'socket hang up' } } });
  expect(d.notice).toEqual({ kind: 'plan_failed', step: 'eradicate', title: 'Eradicate', reason: 'socket hang up' });
});
