/**
 * The engine's rules at run time, on the in-memory store (same contract as DynamoDB): the
 * approvals recorded on a step are checked again right before it runs, the plan about to
 * run must be the one approved, who asked never approves, Undo needs two people and ends
 * once Eradicate starts, approvals lapse, a dry-run process leaves live incidents alone,
 * closing with steps awaiting approval needs an approver, and a lost lease stops the work.
 */
import { PlaybookEngine } from '../../workflows/engine';
import type { StepDefinition, StepRunContext } from '../../workflows/playbook';
import { InMemoryIncidentStore } from '../../src/store/in-memory-store';
import { clickText } from '../../src/slack/incident-messages';
import type { IncidentNotice } from '../../src/domain/incident-notice';
import type { StepRecord, StepState } from '../../src/domain/incident';

const APPROVERS = ['UA1', 'UA2', 'UA3'];
const REQUESTER = 'UREQ';

interface Rig {
  engine: PlaybookEngine;
  store: InMemoryIncidentStore;
  runs: string[];
  notices: IncidentNotice[];
  clock: { now: Date };
  id: string;
  step(name: string): Promise<StepRecord>;
  types(): Promise<string[]>;
  /** Another process on the same store (live or dry). */
  other(dryRun: boolean): PlaybookEngine;
}

async function rig(o: { dryRun?: boolean; approvers?: string[]; store?: InMemoryIncidentStore; onRun?: (ctx: StepRunContext) => Promise<void>; incidentDryRun?: boolean } = {}): Promise<Rig> {
  const clock = { now: new Date('2026-11-28T03:00:00.000Z') };
  const store = o.store ?? new InMemoryIncidentStore(() => clock.now);
  const runs: string[] = [];
  const notices: IncidentNotice[] = [];
  const act = (name: string): StepDefinition['action'] => ({
    plan: ({ step }) => [{ service: 'iam', action: 'UpdateAccessKey', params: { UserName: (step.params as { user?: string } | undefined)?.user ?? 'alice', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Inactive' }, why: name }],
    run: async (ctx) => {
      await o.onRun?.(ctx);
      runs.push(name);
      return { ok: true, summary: `${name} done` };
    },
  });
  const steps: StepDefinition[] = [
    { seq: 1, name: 'contain', title: 'Contain', approvals: 1, action: act('contain') },
    { seq: 2, name: 'eradicate', title: 'Eradicate', approvals: 2, atClose: 'must_finish', action: act('eradicate') },
    { seq: 3, name: 'close', title: 'Close', approvals: 0, manual: true },
    { seq: 4, name: 'undo', title: 'Undo', approvals: 2, optional: true, offer: { label: 'Undo', after: 'contain' }, withdrawnOnceStarted: 'eradicate', endsPlaybook: 'undone', atClose: 'undoes_containment', action: act('undo') },
  ];
  const approvers = o.approvers ?? APPROVERS;
  const make = (dryRun: boolean) => new PlaybookEngine({
    store,
    notifier: { renderCard: async () => undefined, notify: async (_i, n) => void notices.push(n) },
    access: { isApprover: async (u) => approvers.includes(u), isResponder: async () => true, approversConfigured: true },
    playbook: { name: 't', steps },
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    now: () => clock.now,
    describe: clickText,
    approvalTtlMinutes: 30,
    dryRun,
    instanceId: 'r1',
  });
  // The incident is opened live (or dry) by one engine; the engine under test may differ.
  const opened = await make(o.incidentDryRun ?? false).open({ keyId: 'AKIAIOSFODNN7EXAMPLE', keyKind: 'long-term', requester: REQUESTER, channel: 'C1', reason: 'leaked', severity: 'high' });
  if (!opened.created) throw new Error('not opened');
  const engine = make(o.dryRun ?? false);
  const id = opened.incident.id;
  await engine.advance(id);
  return {
    engine, store, runs, notices, clock, id, other: make,
    step: async (name) => (await store.get(id))!.steps.find((s) => s.name === name)!,
    types: async () => (await store.get(id))!.events.map((e) => e.type),
  };
}

/** Write a step as someone with table access would: no rules, just the item. */
async function plant(r: Rig, name: string, patch: Partial<StepRecord>, from?: StepState[]): Promise<void> {
  const s = await r.step(name);
  const won = await r.store.updateStep({ ...s, ...patch }, { from: from ?? [s.state], version: s.version });
  if (!won) throw new Error('plant lost');
}

it('a valid approval runs the step, with the digest of the shown plan stored', async () => {
  const r = await rig();
  const s = await r.step('contain');
  expect((await r.engine.approve(r.id, 'contain', s.version, 'UA1')).ok).toBe(true);
  expect(r.runs).toEqual(['contain']);
  expect((await r.step('contain')).approvals[0].planDigest).toMatch(/^[0-9a-f]{64}$/);
});

it('a tampered approved step planted in the table is refused at run time and recorded', async () => {
  const r = await rig();
  await plant(r, 'contain', { state: 'approved', approvals: [{ userId: 'UEVIL', at: r.clock.now.toISOString() }] });
  await r.engine.reconcile();
  expect(r.runs).toEqual([]);
  expect(await r.step('contain')).toMatchObject({ state: 'failed', error: { code: 'APPROVAL_INVALID' } });
  const events = (await r.store.get(r.id))!.events.filter((e) => e.type === 'approval_rejected');
  expect(events).toHaveLength(1);
  expect(events[0].detail).toMatchObject({ problem: 'not_approver', userId: 'UEVIL' });
  expect(r.notices.find((n) => n.kind === 'approval_rejected')).toBeDefined();
});

it('a planted step naming real approvers but without their digest is refused too', async () => {
  const r = await rig();
  await plant(r, 'contain', { state: 'approved', approvals: [{ userId: 'UA1', at: r.clock.now.toISOString() }] });
  await r.engine.reconcile();
  expect(r.runs).toEqual([]);
  expect((await r.store.get(r.id))!.events.find((e) => e.type === 'approval_rejected')?.detail).toMatchObject({ problem: 'plan_changed' });
});

it('a planted running step (lease run out) is not run again by the reconcile sweep', async () => {
  const r = await rig();
  await plant(r, 'contain', { state: 'running', runner: 'ghost', leaseUntil: '2026-11-28T02:00:00.000Z', approvals: [{ userId: 'UEVIL', at: '' }] }, ['awaiting_approval']);
  await r.engine.reconcile();
  expect(r.runs).toEqual([]);
  expect(await r.step('contain')).toMatchObject({ state: 'failed', error: { code: 'APPROVAL_INVALID' } });
});

it('a plan whose params changed after approval is refused', async () => {
  const r = await rig();
  const s = await r.step('contain');
  await r.engine.approve(r.id, 'contain', s.version, 'UA1', { advance: false });
  // Between the approval and the run, the data the step acts on changes.
  await plant(r, 'contain', { params: { user: 'bob' } });
  await r.engine.advance(r.id);
  expect(r.runs).toEqual([]);
  expect(await r.step('contain')).toMatchObject({ state: 'failed', error: { code: 'APPROVAL_INVALID' } });
  expect((await r.store.get(r.id))!.events.find((e) => e.type === 'approval_rejected')?.detail).toMatchObject({ problem: 'plan_changed', userId: 'UA1' });
});

it('an approver removed from the approver set after approving no longer counts', async () => {
  const approvers = [...APPROVERS];
  const r = await rig({ approvers });
  const s = await r.step('contain');
  await r.engine.approve(r.id, 'contain', s.version, 'UA1', { advance: false });
  approvers.splice(approvers.indexOf('UA1'), 1);
  await r.engine.advance(r.id);
  expect(r.runs).toEqual([]);
  expect((await r.store.get(r.id))!.events.find((e) => e.type === 'approval_rejected')?.detail).toMatchObject({ problem: 'not_approver', userId: 'UA1' });
});

describe('Undo', () => {
  async function contained(): Promise<Rig> {
    const r = await rig();
    await r.engine.approve(r.id, 'contain', (await r.step('contain')).version, 'UA1');
    return r;
  }

  it('needs two approvals; who asked for it may withdraw it but never approve it', async () => {
    const r = await contained();
    expect((await r.engine.rerequest(r.id, 'undo', 'UA1')).ok).toBe(true);
    const undo = await r.step('undo');
    expect(undo).toMatchObject({ state: 'awaiting_approval', requestedBy: 'UA1', approvalsRequired: 2 });
    const self = await r.engine.approve(r.id, 'undo', undo.version, 'UA1');
    expect(self).toMatchObject({ ok: false, message: expect.stringMatching(/You asked for \*Undo\*, so someone else must approve it/) });
    // The incident's requester is not a second approver either.
    expect((await r.engine.approve(r.id, 'undo', undo.version, REQUESTER)).ok).toBe(false);
    expect((await r.engine.approve(r.id, 'undo', undo.version, 'UA2')).message).toMatch(/1 of 2/);
    expect(r.runs).toEqual(['contain']);
    expect((await r.engine.approve(r.id, 'undo', undo.version, 'UA3')).ok).toBe(true);
    expect(r.runs).toEqual(['contain', 'undo']);
  });

  it('the person who asked withdraws it with Deny, and it can be asked again', async () => {
    const r = await contained();
    await r.engine.rerequest(r.id, 'undo', 'UA1');
    const out = await r.engine.deny(r.id, 'undo', (await r.step('undo')).version, 'UA1', 'asked by mistake <@UA2> <!channel>');
    expect(out.ok).toBe(true);
    expect(await r.step('undo')).toMatchObject({ state: 'withdrawn', note: 'withdrawn by <@UA1>: asked by mistake UA2 channel' });
    expect(await r.types()).toContain('approval_withdrawn');
    expect(r.notices.find((n) => n.kind === 'step_withdrawn')).toMatchObject({ by: 'UA1' });
    expect((await r.engine.rerequest(r.id, 'undo', 'UA2')).ok).toBe(true);
    expect(await r.step('undo')).toMatchObject({ state: 'awaiting_approval', requestedBy: 'UA2', approvals: [] });
  });

  it('who asked cannot withdraw it once someone approved; another approver may deny it', async () => {
    const r = await contained();
    await r.engine.rerequest(r.id, 'undo', 'UA1');
    const v = (await r.step('undo')).version;
    await r.engine.approve(r.id, 'undo', v, 'UA2');
    const late = await r.engine.deny(r.id, 'undo', v, 'UA1', 'changed my mind');
    expect(late).toMatchObject({ ok: false, message: expect.stringMatching(/no longer yours to withdraw/) });
    expect(await r.step('undo')).toMatchObject({ state: 'awaiting_approval' });
    expect((await r.engine.deny(r.id, 'undo', v, 'UA3', 'not a false positive')).ok).toBe(true);
    expect(await r.step('undo')).toMatchObject({ state: 'denied' });
  });

  it('is withdrawn once Eradicate has started, and no longer offered', async () => {
    const r = await contained();
    await r.engine.rerequest(r.id, 'undo', 'UA1');
    const e = await r.step('eradicate');
    await r.engine.approve(r.id, 'eradicate', e.version, 'UA2');
    await r.engine.approve(r.id, 'eradicate', e.version, 'UA3');
    expect(r.runs).toEqual(['contain', 'eradicate']);
    expect(await r.step('undo')).toMatchObject({ state: 'skipped', note: 'withdrawn: Eradicate has started' });
    expect(await r.types()).toContain('step_withdrawn');
    const again = await r.engine.rerequest(r.id, 'undo', 'UA1');
    expect(again).toMatchObject({ ok: false, message: expect.stringMatching(/no longer possible: Eradicate has started/) });
  });

  it('an Undo planted as approved after Eradicate started is refused at run time', async () => {
    const r = await contained();
    await plant(r, 'eradicate', { state: 'succeeded' }, ['awaiting_approval']);
    await plant(r, 'undo', { state: 'approved', approvals: [] }, ['pending']);
    await r.engine.advance(r.id);
    expect(r.runs).toEqual(['contain']);
    expect((await r.store.get(r.id))!.events.find((e) => e.type === 'approval_rejected')?.detail).toMatchObject({ problem: 'withdrawn' });
  });
});

it('an approved step that never started lapses after the approval time', async () => {
  const r = await rig();
  await r.engine.approve(r.id, 'contain', (await r.step('contain')).version, 'UA1', { advance: false });
  r.clock.now = new Date('2026-11-28T03:31:00.000Z');
  expect(await r.engine.expireDue()).toBe(1);
  expect(r.runs).toEqual([]);
  expect(await r.step('contain')).toMatchObject({ state: 'expired', note: expect.stringMatching(/never started/) });
  expect(await r.types()).toContain('approval_lapsed');
});

it('IR_DRY_RUN stops the reconcile sweep from running an older live incident', async () => {
  const r = await rig({ dryRun: true, incidentDryRun: false });
  // The dry process does not even ask for approval on a live incident.
  expect((await r.step('contain')).state).toBe('pending');
  // A live process asked, and it was approved, but that process died before running it.
  const live = r.other(false);
  await live.advance(r.id);
  await live.approve(r.id, 'contain', (await r.step('contain')).version, 'UA1', { advance: false });
  await r.engine.reconcile();
  await r.engine.advance(r.id);
  expect(r.runs).toEqual([]);
  expect((await r.step('contain')).state).toBe('approved');
});

describe('closing', () => {
  it('with steps awaiting approval needs an approver other than the requester', async () => {
    const r = await rig();
    const refused = await r.engine.close(r.id, REQUESTER, 'nothing to see');
    expect(refused).toMatchObject({ ok: false, message: expect.stringMatching(/\*Contain\* awaiting approval.*needs an approver \(IR_APPROVERS\) other than <@UREQ>/) });
    expect((await r.store.getIncident(r.id))!.status).toBe('open');
    expect(await r.types()).toContain('close_refused');
    expect((await r.engine.close(r.id, 'UA1', 'false positive')).ok).toBe(true);
    expect(await r.step('contain')).toMatchObject({ state: 'skipped' });
  });

  it('the requester alone cannot withdraw Eradicate and close; an approver other than them can, and only then the watch ends', async () => {
    const r = await rig();
    await r.engine.approve(r.id, 'contain', (await r.step('contain')).version, 'UA1');
    expect((await r.step('eradicate')).state).toBe('awaiting_approval');
    expect((await r.engine.deny(r.id, 'eradicate', (await r.step('eradicate')).version, REQUESTER, 'not needed')).ok).toBe(true);
    expect((await r.step('eradicate')).state).toBe('withdrawn');
    const alone = await r.engine.close(r.id, REQUESTER, 'done here');
    expect(alone).toMatchObject({ ok: false, message: expect.stringMatching(/\*Eradicate\* withdrawn/) });
    expect((await r.store.getIncident(r.id))!.status).toBe('open');
    const refusedEvent = (await r.store.get(r.id))!.events.find((e) => e.type === 'close_refused');
    expect(refusedEvent).toMatchObject({ actor: REQUESTER, detail: { why: 'needs_second_person', askers: [REQUESTER] } });
    const closed = await r.engine.close(r.id, 'UA2', 'key rotated by the owner instead');
    expect(closed).toEqual({ ok: true, message: `Closed ${r.id}.` });
    expect(await r.store.getIncident(r.id)).toMatchObject({ status: 'closed', closedBy: 'UA2' });
    expect((await r.store.getIncident(r.id))!.watchOutlivesClose).toBeUndefined();
  });

  it('a close by the requester alone, with nothing left open, leaves the watch running', async () => {
    const r = await rig();
    await r.engine.approve(r.id, 'contain', (await r.step('contain')).version, 'UA1');
    const e = await r.step('eradicate');
    await r.engine.approve(r.id, 'eradicate', e.version, 'UA1');
    await r.engine.approve(r.id, 'eradicate', e.version, 'UA2');
    const closed = await r.engine.close(r.id, REQUESTER, 'deleted');
    expect(closed).toMatchObject({ ok: true, message: expect.stringMatching(/keeps its full time/) });
    expect(await r.store.getIncident(r.id)).toMatchObject({ status: 'closed', closedBy: REQUESTER, watchOutlivesClose: true });
  });

  it('a resolution or a deny reason holding a secret key is refused and never recorded', async () => {
    const r = await rig();
    const secret = 'wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1';
    expect(await r.engine.close(r.id, 'UA1', `rotated, old one was aws_secret_access_key=${secret}`)).toMatchObject({ ok: false, message: expect.stringMatching(/secret access key/) });
    expect(await r.engine.deny(r.id, 'contain', (await r.step('contain')).version, 'UA1', `AWS_SECRET_ACCESS_KEY: ${secret}`)).toMatchObject({ ok: false });
    expect((await r.store.getIncident(r.id))!.status).toBe('open');
    expect(JSON.stringify(await r.store.get(r.id))).not.toContain(secret);
  });

  it('a step approved just before /incident close does not run after it', async () => {
    const store = new (class extends InMemoryIncidentStore {
      closeOnStart = false;
      override async updateStep(step: StepRecord, expect: { from: readonly StepState[]; version: number }) {
        const won = await super.updateStep(step, expect);
        // The close lands between the runner's read of the incident and its winning write.
        if (won && this.closeOnStart && step.state === 'running') {
          this.closeOnStart = false;
          const inc = (await this.getIncident(step.incidentId))!;
          await this.updateIncident({ ...inc, status: 'closed' }, inc.version);
        }
        return won;
      }
    })(() => new Date('2026-11-28T03:00:00.000Z'));
    const r = await rig({ store });
    store.closeOnStart = true;
    await r.engine.approve(r.id, 'contain', (await r.step('contain')).version, 'UA1');
    expect(r.runs).toEqual([]);
    expect(await r.step('contain')).toMatchObject({ state: 'skipped', note: expect.stringMatching(/closed before this step started/) });
  });
});

describe('fencing', () => {
  it('the lease is renewed right before the work starts and checked by the fence; a lost lease stops the next call', async () => {
    let r!: Rig;
    const seen: string[] = [];
    r = await rig({
      onRun: async (ctx) => {
        expect(ctx.step.leaseUntil).toBeDefined();
        await ctx.fence!();
        seen.push('first call');
        // Another runner takes the step over (its lease ran out while the store was away).
        const s = await r.step('contain');
        await r.store.updateStep({ ...s, runner: 'r2', leaseUntil: '2026-11-28T04:00:00.000Z' }, { from: ['running'], version: s.version });
        await expect(ctx.fence!()).rejects.toMatchObject({ code: 'STALE' });
        expect(ctx.signal?.aborted).toBe(true);
        seen.push('stopped');
      },
    });
    const before = await r.step('contain');
    await r.engine.approve(r.id, 'contain', before.version, 'UA1');
    expect(seen).toEqual(['first call', 'stopped']);
    // The runner that lost the step records nothing: the step is the other runner's.
    expect(await r.step('contain')).toMatchObject({ state: 'running', runner: 'r2' });
    expect(await r.types()).not.toContain('step_succeeded');
  });
});
