/**
 * The engine's pure decisions, transition by transition, and the exactly-once rule at the
 * run half: a conditional write the engine loses has no effect (no AWS call, no event, no
 * notice), it re-reads and decides again.
 */
import type { Incident, StepRecord, StepState } from '../../src/domain/incident';
import type { StepDefinition } from '../../workflows/playbook';
import {
  decideClick,
  decideExpire,
  decideFinish,
  decideNext,
  decideOnClose,
  decideRerequest,
  decideSkipRemaining,
  thrownResult,
  type Click,
} from '../../workflows/engine/decide';
import { PlaybookEngine } from '../../workflows/engine';
import { clickText } from '../../src/slack/incident-messages';
import { KeyguardError } from '../../src/errors';
import type { IncidentBundle, IncidentNotifier, IncidentStore, OpenResult } from '../../src/ports';
import type { IncidentEvent } from '../../src/domain/incident';

const NOW = new Date('2026-11-28T03:00:00.000Z');
const incident: Incident = {
  id: 'IR-20261128-ABCD', keyId: 'AKIAIOSFODNN7EXAMPLE', keyKind: 'long-term', requester: 'UREQ', severity: 'high',
  reason: 'leaked', status: 'open', channel: 'C1', dryRun: false, createdAt: NOW.toISOString(), version: 1,
};
const step = (name: string, state: StepState, o: Partial<StepRecord> = {}): StepRecord => ({
  incidentId: incident.id, seq: 1, name, title: name.toUpperCase(), state, version: 3, approvalsRequired: 1, approvals: [], updatedAt: NOW.toISOString(), ...o,
});
const action = { plan: () => [], run: async () => ({ ok: true, summary: 'done' }) };
const DEFS: Record<string, StepDefinition> = {
  identify: { seq: 1, name: 'identify', title: 'IDENTIFY', approvals: 0, action },
  contain: { seq: 2, name: 'contain', title: 'CONTAIN', approvals: 1, action },
  investigate: { seq: 3, name: 'investigate', title: 'INVESTIGATE', approvals: 0, unavailableReason: 'no CloudTrail' },
  eradicate: { seq: 4, name: 'eradicate', title: 'ERADICATE', approvals: 2, action },
  close: { seq: 6, name: 'close', title: 'CLOSE', approvals: 0, manual: true },
  undo: { seq: 7, name: 'undo', title: 'UNDO', approvals: 1, optional: true, offer: { label: 'Undo', after: 'contain' }, action },
};
const def = (n: string) => DEFS[n];

describe('decideClick: one path for Approve and Deny', () => {
  const awaiting = step('contain', 'awaiting_approval', { expiresAt: '2026-11-28T03:30:00.000Z', requestedAtVersion: 3 });
  const click = (o: Partial<Click> = {}): Click => ({ kind: 'approve', userId: 'UAPP', shownVersion: 3, isApprover: true, approversConfigured: true, now: NOW, ...o });

  it.each<[string, StepRecord, Partial<Click>, { state: StepState; runs: boolean; event: string; answer: RegExp }]>([
    ['the one approval needed', awaiting, {}, { state: 'approved', runs: true, event: 'approved', answer: /Approved \*CONTAIN\*/ }],
    ['the first of two approvals', { ...awaiting, approvalsRequired: 2 }, {}, { state: 'awaiting_approval', runs: false, event: 'approved', answer: /1 of 2/ }],
    ['the second of two approvals', { ...awaiting, approvalsRequired: 2, approvals: [{ userId: 'UOTHER', at: '' }] }, {}, { state: 'approved', runs: true, event: 'approved', answer: /running now/ }],
    ['a deny', awaiting, { kind: 'deny', reason: 'false alarm' }, { state: 'denied', runs: false, event: 'denied', answer: /Denied \*CONTAIN\*. Nothing was changed/ }],
    ['the requester withdrawing', awaiting, { kind: 'deny', userId: 'UREQ', isApprover: false, reason: 'mine' }, { state: 'withdrawn', runs: false, event: 'approval_withdrawn', answer: /Withdrew your request for \*CONTAIN\*/ }],
    ['the requester who is an approver withdrawing', awaiting, { kind: 'deny', userId: 'UREQ', isApprover: true, reason: 'mine' }, { state: 'withdrawn', runs: false, event: 'approval_withdrawn', answer: /Withdrew/ }],
    ['an approver denying a step someone else asked for', { ...awaiting, requestedBy: 'UASK' }, { kind: 'deny', userId: 'UREQ', isApprover: true, reason: 'no' }, { state: 'denied', runs: false, event: 'denied', answer: /Denied/ }],
  ])('%s is written from awaiting_approval', (_l, s, c, want) => {
    const d = decideClick(incident, s, click(c));
    if (d.kind !== 'write') throw new Error(`refused: ${JSON.stringify(d)}`);
    expect(d.write.from).toEqual(['awaiting_approval']);
    expect(d.write.patch.state).toBe(want.state);
    expect(d.runs).toBe(want.runs);
    expect(d.event).toMatchObject({ type: want.event, actor: c.userId ?? 'UAPP', step: 'contain' });
    expect(clickText(d.result)).toMatch(want.answer);
  });

  it('a withdrawal records who and why, says so in the thread, and can be asked again', () => {
    const d = decideClick(incident, awaiting, click({ kind: 'deny', userId: 'UREQ', isApprover: false, reason: 'asked too early' }));
    expect(d).toMatchObject({ write: { patch: { state: 'withdrawn', note: 'withdrawn by <@UREQ>: asked too early' } }, notice: { kind: 'step_withdrawn', by: 'UREQ', reason: 'asked too early' } });
    expect(decideRerequest(incident, step('contain', 'withdrawn'), [], def, true)).toMatchObject({ kind: 'request', from: ['withdrawn'], result: { again: true } });
  });

  it('who asked cannot withdraw once an approver has approved', () => {
    const d = decideClick(incident, { ...awaiting, approvalsRequired: 2, approvals: [{ userId: 'UAPP', at: '' }] }, click({ kind: 'deny', userId: 'UREQ', isApprover: false, reason: 'never mind' }));
    expect(d).toMatchObject({ kind: 'refuse', refusal: 'withdraw_after_approval' });
  });

  it('a deny records who and why on the step and says so in the thread', () => {
    const d = decideClick(incident, awaiting, click({ kind: 'deny', reason: 'not ours' }));
    expect(d).toMatchObject({ write: { patch: { note: 'denied by <@UAPP>: not ours', finishedAt: NOW.toISOString() } }, notice: { kind: 'step_denied', by: 'UAPP', reason: 'not ours' } });
  });

  it.each<[string, StepRecord, Partial<Click>, Incident, string, boolean, boolean]>([
    ['a responder who is not an approver', awaiting, { isApprover: false }, incident, 'not_approver', false, false],
    ['the requester approving', awaiting, { userId: 'UREQ' }, incident, 'self_approval', false, false],
    ['an old card', awaiting, { shownVersion: 2 }, incident, 'stale', false, true],
    ['a step that moved on', step('contain', 'running'), {}, incident, 'stale', false, true],
    ['an expired request', awaiting, { now: new Date('2026-11-28T03:31:00.000Z') }, incident, 'expired', true, true],
    ['a closed incident', awaiting, {}, { ...incident, status: 'closed' }, 'closed', false, false],
    ['no approvers configured', awaiting, { approversConfigured: false }, incident, 'no_approvers_configured', false, false],
  ])('refuses %s: no write, a click_refused event', (_l, s, c, inc, refusal, expire, refresh) => {
    const d = decideClick(inc, s, click(c));
    expect(d).toMatchObject({ kind: 'refuse', refusal, expire, refreshCard: refresh, event: { type: 'click_refused', detail: { refusal } } });
    expect(d).not.toHaveProperty('write');
  });
});

describe('decideNext: what moves by itself', () => {
  it.each<[string, StepRecord[], string, string?]>([
    ['an automatic pending step runs from pending', [step('identify', 'pending'), step('contain', 'pending')], 'run', 'identify'],
    ['a step needing approval asks for it', [step('identify', 'succeeded'), step('contain', 'pending')], 'request_approval', 'contain'],
    ['an approved optional step runs first', [step('identify', 'succeeded'), step('contain', 'awaiting_approval'), step('undo', 'approved')], 'run', 'undo'],
    ['a step whose capability is missing is skipped', [step('identify', 'succeeded'), step('contain', 'succeeded'), step('investigate', 'pending')], 'skip', 'investigate'],
    ['a denied step stops the playbook', [step('identify', 'succeeded'), step('contain', 'denied'), step('eradicate', 'pending')], 'wait', undefined],
    ['an expired step stops the playbook', [step('identify', 'succeeded'), step('contain', 'expired'), step('eradicate', 'pending')], 'wait', undefined],
    ['a withdrawn step stops the playbook', [step('identify', 'succeeded'), step('contain', 'withdrawn'), step('eradicate', 'pending')], 'wait', undefined],
    ['a step awaiting approval waits', [step('identify', 'succeeded'), step('contain', 'awaiting_approval')], 'wait', undefined],
    ['a step running elsewhere waits', [step('identify', 'running')], 'wait', undefined],
    ['a failed step waits for a person', [step('identify', 'failed'), step('contain', 'pending')], 'wait', undefined],
    ['the manual Close step waits', [step('identify', 'succeeded'), step('close', 'pending')], 'wait', undefined],
    ['optional steps are never reached by advancing', [step('identify', 'succeeded'), step('undo', 'pending')], 'wait', undefined],
  ])('%s', (_l, steps, kind, name) => {
    const m = decideNext(incident, steps, def, NOW);
    expect(m.kind).toBe(kind);
    if (name) expect(m).toMatchObject({ step: { name } });
  });

  it('a closed incident does not move', () => {
    expect(decideNext({ ...incident, status: 'closed' }, [step('identify', 'pending')], def, NOW)).toEqual({ kind: 'wait' });
  });

  it('a skipped step records why', () => {
    const m = decideNext(incident, [step('investigate', 'pending')], def, NOW);
    expect(m).toMatchObject({ write: { from: ['pending'], patch: { state: 'skipped', note: 'not available yet: no CloudTrail' } }, event: { type: 'step_skipped' } });
  });
});

describe('decideRerequest', () => {
  it.each<[string, StepRecord, StepRecord[], boolean, Incident, string, string?]>([
    ['a failed automatic step is retried', step('identify', 'failed'), [], true, incident, 'retry', undefined],
    ['an expired step is asked again', step('contain', 'expired'), [], true, incident, 'request', undefined],
    ['a failed approved step is asked again', step('contain', 'failed'), [], true, incident, 'request', undefined],
    ['an optional step after its prerequisite', step('undo', 'pending'), [step('contain', 'succeeded')], true, incident, 'request', undefined],
    ['an optional step before its prerequisite', step('undo', 'pending'), [step('contain', 'awaiting_approval')], true, incident, 'refuse', 'not_yet'],
    ['someone not a responder', step('contain', 'expired'), [], false, incident, 'refuse', 'not_responder'],
    ['a closed incident', step('contain', 'expired'), [], true, { ...incident, status: 'closed' }, 'refuse', 'closed'],
    ['a step awaiting approval already', step('contain', 'awaiting_approval'), [], true, incident, 'refuse', 'stale'],
  ])('%s', (_l, s, steps, responder, inc, kind, refusal) => {
    const d = decideRerequest(inc, s, steps, def, responder);
    expect(d.kind).toBe(kind);
    if (refusal) expect(d).toMatchObject({ result: { refusal } });
  });

  it('a stale request redraws the card; an expired one asks from expired', () => {
    expect(decideRerequest(incident, step('contain', 'running'), [], def, true)).toMatchObject({ refreshCard: true });
    expect(decideRerequest(incident, step('contain', 'expired'), [], def, true)).toMatchObject({ from: ['expired'], result: { again: true } });
  });
});

describe('finishing, expiring, closing', () => {
  it('a success and a failure are written from running only', () => {
    expect(decideFinish({ ok: true, summary: 'ok', detail: { a: 1 } }, NOW)).toEqual({ from: ['running'], patch: expect.objectContaining({ state: 'succeeded', error: undefined, note: 'ok', result: { a: 1 }, leaseUntil: undefined }) });
    expect(decideFinish({ ok: false, summary: 'no' }, NOW).patch).toMatchObject({ state: 'failed', error: { code: 'FAILED', message: 'no' } });
  });

  it('a thrown error is retryable only when the adapter said so', () => {
    expect(thrownResult(new Error('boom'))).toMatchObject({ ok: false, retryable: false, error: { code: 'UNEXPECTED', message: 'boom' } });
    expect(thrownResult(new KeyguardError('AWS_THROTTLED', 'slow down'))).toMatchObject({ retryable: true, error: { code: 'AWS_THROTTLED' } });
    expect(thrownResult(new KeyguardError('GUARD_RAIL', 'not the bot'))).toMatchObject({ retryable: false });
  });

  it('expiry is written from awaiting_approval and says when', () => {
    const e = decideExpire(step('contain', 'awaiting_approval', { expiresAt: '2026-11-28T02:59:00.000Z' }), NOW);
    expect(e).toMatchObject({ write: { from: ['awaiting_approval'], patch: { state: 'expired', note: 'approval expired at 2026-11-28T02:59:00.000Z' } }, event: { type: 'approval_expired' } });
  });

  it('Undo skips every step not yet run except itself and Close', () => {
    const steps = [step('contain', 'succeeded'), step('eradicate', 'awaiting_approval'), step('investigate', 'failed'), step('close', 'pending'), step('undo', 'running')];
    expect(decideSkipRemaining(steps, def, 'undone', 'undo', NOW).map((s) => s.step.name)).toEqual(['eradicate', 'investigate']);
  });

  it.each<[string, StepRecord, boolean, string]>([
    ['a step whose runner is gone is abandoned', step('contain', 'running', { leaseUntil: '2026-11-28T02:00:00.000Z' }), false, 'abandon'],
    ['a live runner keeps its step', step('contain', 'running', { leaseUntil: '2026-11-28T04:00:00.000Z' }), false, 'leave'],
    ['a finished step stays', step('contain', 'succeeded'), false, 'leave'],
    ['a pending step is skipped', step('eradicate', 'pending'), false, 'skip'],
    ['the Close step is marked done', step('close', 'pending'), true, 'close'],
  ])('on close: %s', (_l, s, isClose, kind) => {
    expect(decideOnClose(s, isClose, 'UCLOSER', NOW).kind).toBe(kind);
  });
});

// ---------------------------------------------------------------------------------------
// Exactly once at the run half

/** A store whose conditional step writes follow the rules, and which can lose the next ones. */
class LosingStore implements IncidentStore {
  bundle: IncidentBundle;
  events: IncidentEvent[] = [];
  /** Before the next conditional step write: another writer changes the step first. */
  interfere?: (s: StepRecord) => StepRecord;
  constructor(inc: Incident, steps: StepRecord[]) {
    this.bundle = { incident: inc, steps, events: [] };
  }
  async openIncident(): Promise<OpenResult> { throw new Error('not used'); }
  async get() { return structuredClone(this.bundle); }
  async getIncident() { return structuredClone(this.bundle.incident); }
  async getStep() { return undefined; }
  async updateStep(s: StepRecord, expect: { from: readonly StepState[]; version: number }) {
    const i = this.bundle.steps.findIndex((x) => x.name === s.name);
    if (this.interfere) {
      this.bundle.steps[i] = this.interfere(this.bundle.steps[i]);
      this.interfere = undefined;
    }
    const cur = this.bundle.steps[i];
    if (!expect.from.includes(cur.state) || cur.version !== expect.version) return undefined;
    this.bundle.steps[i] = { ...s, version: cur.version + 1 };
    return structuredClone(this.bundle.steps[i]);
  }
  async updateIncident(inc: Incident, v: number) {
    if (this.bundle.incident.version !== v) return undefined;
    this.bundle.incident = { ...inc, version: v + 1 };
    return this.bundle.incident;
  }
  async releaseRequest() { /* not used */ }
  async appendEvent(e: IncidentEvent) { this.events.push(e); }
  async claimRequest() { return true; }
  async listOpenIncidents() { return [this.bundle.incident]; }
  async addSteps() {}
  async releaseKeyLock() {}
}

function engineOn(store: LosingStore, run: jest.Mock) {
  const notices: string[] = [];
  const notifier: IncidentNotifier = { renderCard: async () => undefined, notify: async (_i, n) => void notices.push(n.kind) };
  const engine = new PlaybookEngine({
    store, notifier, describe: clickText, now: () => NOW, approvalTtlMinutes: 30, dryRun: false, instanceId: 'i1',
    access: { isApprover: async () => true, isResponder: async () => true, approversConfigured: true },
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    playbook: { name: 't', steps: [{ seq: 2, name: 'contain', title: 'Contain', approvals: 1, action: { plan: () => [], run } }] },
  });
  return { engine, notices };
}

describe('exactly once', () => {
  const awaiting = () => step('contain', 'awaiting_approval', { title: 'Contain', expiresAt: '2026-11-28T03:30:00.000Z', requestedAtVersion: 3 });

  it('a click whose write is lost to another approver runs nothing itself: it re-reads and is refused as stale', async () => {
    const store = new LosingStore(incident, [awaiting()]);
    const run = jest.fn(async () => ({ ok: true, summary: 'contained' }));
    const { engine, notices } = engineOn(store, run);
    // Another replica approves and starts the step between our read and our write.
    store.interfere = (s) => ({ ...s, state: 'running', version: s.version + 1, approvals: [{ userId: 'UOTHER', at: '' }] });
    const out = await engine.approve(incident.id, 'contain', 3, 'UAPP');
    expect(out).toMatchObject({ ok: false, message: expect.stringMatching(/out of date/) });
    expect(run).not.toHaveBeenCalled();
    expect(store.events.map((e) => e.type)).toEqual(['click_refused']);
    expect(notices).toEqual([]);
  });

  it('a lost race for approved → running sends no call, records no result', async () => {
    const store = new LosingStore(incident, [step('contain', 'approved', { title: 'Contain', approvals: [{ userId: 'UAPP', at: '' }] })]);
    const run = jest.fn(async () => ({ ok: true, summary: 'contained' }));
    const { engine, notices } = engineOn(store, run);
    store.interfere = (s) => ({ ...s, state: 'running', version: s.version + 1, runner: 'other' });
    await engine.advance(incident.id);
    expect(run).not.toHaveBeenCalled();
    expect(store.events).toEqual([]);
    expect(notices).toEqual([]);
  });

  it('the winner runs the action once and records it once', async () => {
    const store = new LosingStore(incident, [awaiting()]);
    const run = jest.fn(async () => ({ ok: true, summary: 'contained' }));
    const { engine, notices } = engineOn(store, run);
    const out = await engine.approve(incident.id, 'contain', 3, 'UAPP');
    expect(out).toEqual({ ok: true, message: 'Approved *Contain*. It is running now; the card shows the result.' });
    expect(run).toHaveBeenCalledTimes(1);
    expect(store.bundle.steps[0]).toMatchObject({ state: 'succeeded', note: 'contained' });
    expect(store.events.map((e) => e.type)).toEqual(['approved', 'step_started', 'step_succeeded']);
    expect(notices).toEqual(['step_finished']);
    // A second click on the same card changes nothing.
    expect(await engine.approve(incident.id, 'contain', 3, 'UAPP')).toMatchObject({ ok: false });
    expect(run).toHaveBeenCalledTimes(1);
  });
});
