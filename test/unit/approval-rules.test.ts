import { approvalLapsed, approvedContent, canonicalJson, checkClick, checkClose, ClickContext, isExpired, isWithdrawal, verifyApprovals, type CloseGate } from '../../src/domain/approval-rules';
import { refusalText } from '../../src/slack/incident-messages';
import type { Incident, StepRecord } from '../../src/domain/incident';

const NOW = new Date('2026-11-28T03:00:00Z');
const incident: Incident = {
  id: 'IR-1', keyId: 'AKIAIOSFODNN7EXAMPLE', keyKind: 'long-term', requester: 'UREQ', severity: 'high', reason: '', status: 'open',
  channel: 'C1', dryRun: false, createdAt: NOW.toISOString(), version: 1,
};
const step: StepRecord = {
  incidentId: 'IR-1', seq: 4, name: 'eradicate', title: 'Eradicate', state: 'awaiting_approval', version: 3, approvalsRequired: 2,
  approvals: [{ userId: 'UA', at: NOW.toISOString() }], expiresAt: '2026-11-28T03:30:00.000Z', updatedAt: NOW.toISOString(),
};
const ctx = (o: Partial<ClickContext> = {}): ClickContext => ({
  incident, step, userId: 'UB', isApprover: true, approversConfigured: true, shownVersion: 3, now: NOW, kind: 'approve', ...o,
});

it('lets a second, different approver approve', () => {
  expect(checkClick(ctx())).toEqual({ ok: true });
});

it.each([
  ['the requester', { userId: 'UREQ' }, 'self_approval', /someone else must approve/],
  ['someone not in IR_APPROVERS', { isApprover: false }, 'not_approver', /Only approvers/],
  ['the same approver twice', { userId: 'UA' }, 'already_approved', /already approved.*1 more/],
  ['a click on an old card', { shownVersion: 2 }, 'stale', /out of date/],
  ['a click after expiry', { now: new Date('2026-11-28T03:30:00Z') }, 'expired', /expired at 03:30 UTC/],
  ['no approvers configured', { approversConfigured: false }, 'no_approvers_configured', /IR_APPROVERS/],
  ['a closed incident', { incident: { ...incident, status: 'closed' as const } }, 'closed', /closed/],
])('refuses %s', (_l, o, refusal, message) => {
  const v = checkClick(ctx(o as Partial<ClickContext>));
  expect(v).toMatchObject({ ok: false, refusal });
  if (!v.ok) expect(refusalText(v)).toMatch(message);
});

it('lets the requester withdraw their own request while nobody has approved it', () => {
  expect(checkClick(ctx({ userId: 'UREQ', kind: 'deny', isApprover: false, step: { ...step, approvals: [] } }))).toEqual({ ok: true });
  expect(checkClick(ctx({ userId: 'UREQ', kind: 'deny', isApprover: false }))).toEqual({ ok: false, refusal: 'withdraw_after_approval', title: 'Eradicate', approvals: 1 });
  expect(checkClick(ctx({ userId: 'UOTHER', kind: 'deny', isApprover: false }))).toMatchObject({ ok: false, refusal: 'not_approver' });
});

it('a card drawn before another approver clicked is still current', () => {
  expect(checkClick(ctx({ shownVersion: 3, step: { ...step, version: 4, requestedAtVersion: 3 } }))).toEqual({ ok: true });
  expect(checkClick(ctx({ shownVersion: 2, step: { ...step, version: 4, requestedAtVersion: 3 } }))).toMatchObject({ ok: false, refusal: 'stale' });
});

it('a step that moved on is stale even with the right version', () => {
  expect(checkClick(ctx({ step: { ...step, state: 'running' } }))).toMatchObject({ ok: false, refusal: 'stale' });
});

it('rules return typed reasons, never Slack markup', () => {
  const v = checkClick(ctx({ shownVersion: 2 }));
  expect(v).toEqual({ ok: false, refusal: 'stale', title: 'Eradicate', state: 'awaiting_approval' });
  expect(JSON.stringify(v)).not.toMatch(/[*<]/);
});

it('refuses a card version the bot never drew (from the future)', () => {
  expect(checkClick(ctx({ shownVersion: 4 }))).toMatchObject({ ok: false, refusal: 'stale' });
  expect(checkClick(ctx({ shownVersion: 999999 }))).toMatchObject({ ok: false, refusal: 'stale' });
});

it('who asked for a step (Undo, Remove, Request again) may withdraw it, never approve it', () => {
  const asked = { ...step, requestedBy: 'UASK' };
  expect(checkClick(ctx({ step: asked, userId: 'UASK' }))).toEqual({ ok: false, refusal: 'self_approval', title: 'Eradicate', askedFor: 'step' });
  expect(refusalText({ refusal: 'self_approval', title: 'Undo', askedFor: 'step' })).toMatch(/You asked for \*Undo\*, so someone else must approve it/);
  // Even an approver who asked withdraws; a non-approver who asked may too (nobody approved yet).
  const fresh = { ...asked, approvals: [] };
  expect(checkClick(ctx({ step: fresh, userId: 'UASK', kind: 'deny' }))).toEqual({ ok: true });
  expect(checkClick(ctx({ step: fresh, userId: 'UASK', kind: 'deny', isApprover: false }))).toEqual({ ok: true });
  // The incident's requester is still not an approver of a step someone else asked for.
  expect(checkClick(ctx({ step: asked, userId: 'UREQ' }))).toMatchObject({ ok: false, refusal: 'self_approval', askedFor: 'incident' });
  // A non-Slack actor id (the command line) is just another id.
  expect(checkClick(ctx({ step: { ...step, requestedBy: 'os:alice' }, userId: 'os:alice' }))).toMatchObject({ ok: false, refusal: 'self_approval' });
});

describe('approvals re-verified before the step runs', () => {
  const approved: StepRecord = {
    ...step, state: 'approved', version: 5, requestedBy: 'UASK', plan: [{ service: 'iam', action: 'DeleteAccessKey', params: { UserName: 'alice', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE' }, why: 'x' }],
    approvals: [{ userId: 'UA', at: NOW.toISOString(), planDigest: 'D1' }, { userId: 'UB', at: NOW.toISOString(), planDigest: 'D1' }],
  };
  const run = (o: Partial<Parameters<typeof verifyApprovals>[0]> = {}) =>
    verifyApprovals({ incident, step: approved, required: 2, isApproverNow: (u) => ['UA', 'UB', 'UASK', 'UREQ'].includes(u), digest: 'D1', ...o });

  it('accepts distinct current approvers who approved exactly this plan', () => {
    expect(run()).toEqual({ ok: true });
  });
  it.each([
    ['too few approvals', { step: { ...approved, approvals: approved.approvals.slice(0, 1) } }, { problem: 'too_few', approvals: 1, required: 2 }],
    ['a record asking for fewer than the playbook', { step: { ...approved, approvalsRequired: 1, approvals: approved.approvals.slice(0, 1) } }, { problem: 'too_few' }],
    ['no approvals at all on an automatic-looking record', { required: 0, step: { ...approved, approvalsRequired: 0, approvals: [] } }, { problem: 'too_few' }],
    ['someone who is no longer an approver', { isApproverNow: (u: string) => u === 'UA' }, { problem: 'not_approver', userId: 'UB' }],
    ['the same person twice', { step: { ...approved, approvals: [approved.approvals[0], approved.approvals[0]] } }, { problem: 'duplicate', userId: 'UA' }],
    ['the person who asked', { step: { ...approved, approvals: [approved.approvals[0], { userId: 'UASK', at: NOW.toISOString(), planDigest: 'D1' }] } }, { problem: 'requester_approved', userId: 'UASK' }],
    ['a plan that changed after approval', { digest: 'D2' }, { problem: 'plan_changed', userId: 'UA' }],
    ['an approval without a digest (planted)', { step: { ...approved, approvals: [{ userId: 'UA', at: NOW.toISOString() }, approved.approvals[1]] } }, { problem: 'plan_changed', userId: 'UA' }],
  ])('refuses %s', (_l, o, problem) => {
    expect(run(o as never)).toMatchObject({ ok: false, ...problem });
  });

  it('what was approved covers the plan and the data the step acts on', () => {
    const a = approvedContent(incident, approved);
    expect(approvedContent(incident, { ...approved, params: { userName: 'mallory' } })).not.toBe(a);
    expect(approvedContent(incident, { ...approved, plan: [{ ...approved.plan![0], params: { UserName: 'bob', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE' } }] })).not.toBe(a);
    expect(approvedContent({ ...incident, account: '999988887777' }, approved)).not.toBe(a);
    // Key order does not matter; approvals and versions do not change what was approved.
    expect(approvedContent(incident, { ...approved, version: 9, approvals: [], plan: [{ why: 'x', params: { AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', UserName: 'alice' }, action: 'DeleteAccessKey', service: 'iam' }] })).toBe(a);
  });
});

it('an approval lapses when the step never started', () => {
  const approved: StepRecord = { ...step, state: 'approved', approvals: [{ userId: 'UA', at: '2026-11-28T02:00:00.000Z' }, { userId: 'UB', at: '2026-11-28T02:40:00.000Z' }] };
  expect(approvalLapsed(approved, NOW, 30 * 60_000)).toBe(false);
  expect(approvalLapsed(approved, new Date('2026-11-28T03:10:00Z'), 30 * 60_000)).toBe(true);
  expect(approvalLapsed({ ...approved, state: 'running' }, new Date('2026-11-28T09:00:00Z'), 30 * 60_000)).toBe(false);
});

describe('who may click what', () => {
  it('the first approver of a step nobody has approved yet is accepted', () => {
    expect(checkClick(ctx({ step: { ...step, approvals: [] } }))).toEqual({ ok: true });
  });

  it('an approver is refused a second approval even when others have approved too', () => {
    const three = { ...step, approvalsRequired: 3, approvals: [{ userId: 'UA', at: NOW.toISOString() }, { userId: 'UC', at: NOW.toISOString() }] };
    expect(checkClick(ctx({ step: three, userId: 'UC' }))).toEqual({ ok: false, refusal: 'already_approved', title: 'Eradicate', need: 1 });
    expect(checkClick(ctx({ step: three, userId: 'UB' }))).toEqual({ ok: true });
  });

  it('an approver who already approved may still deny the step', () => {
    expect(checkClick(ctx({ userId: 'UA', kind: 'deny' }))).toEqual({ ok: true });
  });

  it.each([
    ['the incident\'s requester', step, 'UREQ'],
    ['the person who asked for the step', { ...step, requestedBy: 'UASK' }, 'UASK'],
  ])('%s who is not an approver is told they are not an approver when approving', (_l, s, userId) => {
    expect(checkClick(ctx({ step: s, userId, isApprover: false }))).toEqual({ ok: false, refusal: 'not_approver', title: 'Eradicate', action: 'approve' });
  });
});

describe('when an approval request expires', () => {
  const expired = new Date('2026-11-28T03:30:00.000Z');

  it.each([
    ['awaiting approval has expired at its expiry time', step, expired, true],
    ['awaiting approval has not expired a millisecond before', step, new Date('2026-11-28T03:29:59.999Z'), false],
    ['awaiting approval without an expiry never expires', { ...step, expiresAt: undefined }, new Date('2030-01-01T00:00:00Z'), false],
    ['already approved does not expire (the sweep lets its approval lapse instead)', { ...step, state: 'approved' as const }, expired, false],
    ['running does not expire', { ...step, state: 'running' as const }, expired, false],
    ['denied does not expire', { ...step, state: 'denied' as const }, expired, false],
  ])('a step %s', (_l, s, now, want) => {
    expect(isExpired(s, now)).toBe(want);
  });

  it('an approval lapses counted from the latest approval, whatever order they were recorded in', () => {
    const approved: StepRecord = { ...step, state: 'approved', approvals: [{ userId: 'UB', at: '2026-11-28T02:40:00.000Z' }, { userId: 'UA', at: '2026-11-28T02:00:00.000Z' }] };
    expect(approvalLapsed(approved, new Date('2026-11-28T03:05:00Z'), 30 * 60_000)).toBe(false);
    expect(approvalLapsed(approved, new Date('2026-11-28T03:10:00Z'), 30 * 60_000)).toBe(true);
  });
});

describe('the digest of what an approver saw', () => {
  const approved: StepRecord = {
    ...step, state: 'approved', plan: [{ service: 'iam', action: 'DeleteAccessKey', params: { UserName: 'alice', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE' }, why: 'x' }],
  };

  it('covers the incident, key, account, step, plan and params, and nothing else', () => {
    expect(JSON.parse(approvedContent({ ...incident, account: '111122223333' }, { ...approved, params: { policyName: 'p' } }))).toEqual({
      incident: 'IR-1', keyId: 'AKIAIOSFODNN7EXAMPLE', account: '111122223333', step: 'eradicate', plan: approved.plan, params: { policyName: 'p' },
    });
    // A record without account, plan or params states them as absent (null, no calls).
    expect(JSON.parse(approvedContent(incident, { ...step, plan: undefined, params: undefined }))).toEqual({
      incident: 'IR-1', keyId: 'AKIAIOSFODNN7EXAMPLE', account: null, step: 'eradicate', plan: [], params: null,
    });
  });

  it.each([
    ['another account', { ...incident, account: '111122223333' }, approved, { ...incident, account: '444455556666' }, approved],
    ['other params', incident, { ...approved, params: { policyName: 'a' } }, incident, { ...approved, params: { policyName: 'b' } }],
    ['numbers split differently', incident, { ...approved, params: { ids: [1, 23] } }, incident, { ...approved, params: { ids: [12, 3] } }],
  ])('differs for %s', (_l, i1, s1, i2, s2) => {
    expect(approvedContent(i1 as Incident, s1 as StepRecord)).not.toBe(approvedContent(i2 as Incident, s2 as StepRecord));
  });

  it.each([
    ['nested objects and arrays', { b: [1, { y: 'two', x: null }, [3, 'four']], a: { z: true, m: -1.5 } }],
    ['an empty object and array', { a: {}, b: [] }],
    ['keys needing escapes', { 'a"b': 'c,d', 'e:f': '{g}' }],
    ['a bare array', ['x', 'y', 'z']],
  ])('is JSON that reads back as the same value: %s', (_l, v) => {
    expect(JSON.parse(canonicalJson(v))).toEqual(v);
  });

  it('ignores key order and undefined fields, keeps array order', () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
    expect(canonicalJson({ a: 1, gone: undefined, b: { c: undefined } })).toBe(canonicalJson({ a: 1, b: {} }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});

it('a planted step record without any approvals is refused as having none', () => {
  const planted = { ...step, state: 'approved' as const, approvals: undefined } as unknown as StepRecord;
  expect(verifyApprovals({ incident, step: planted, required: 1, isApproverNow: () => true, digest: 'D1' })).toEqual({ ok: false, problem: 'too_few', approvals: 0, required: 2 });
});

describe('withdrawing: who asked takes back only their own request, before anyone approved it', () => {
  const fresh: StepRecord = { ...step, approvals: [] };
  const one = [{ userId: 'UA', at: NOW.toISOString() }];
  it.each<[string, Partial<StepRecord>, string, boolean, { ok: true } | { ok: false; refusal: string }, boolean]>([
    ['the incident\'s requester, on a step the engine asked for', {}, 'UREQ', false, { ok: true }, true],
    ['the incident\'s requester, on a step someone else asked for', { requestedBy: 'UASK' }, 'UREQ', false, { ok: false, refusal: 'not_approver' }, false],
    ['who asked for the step', { requestedBy: 'UASK' }, 'UASK', false, { ok: true }, true],
    ['who asked, once someone approved', { requestedBy: 'UASK', approvals: one }, 'UASK', false, { ok: false, refusal: 'withdraw_after_approval' }, true],
    ['who asked and is an approver, once someone approved', { requestedBy: 'UASK', approvals: one }, 'UASK', true, { ok: false, refusal: 'withdraw_after_approval' }, true],
    ['the incident\'s requester who is an approver, on a step someone else asked for (a deny)', { requestedBy: 'UASK' }, 'UREQ', true, { ok: true }, false],
    ['an approver who asked for nothing (a deny)', { approvals: one }, 'UB', true, { ok: true }, false],
    ['a responder who asked for nothing', {}, 'UOTHER', false, { ok: false, refusal: 'not_approver' }, false],
  ])('%s', (_l, patch, userId, isApprover, verdict, withdrawal) => {
    const s = { ...fresh, ...patch };
    expect(checkClick(ctx({ step: s, userId, isApprover, kind: 'deny' }))).toMatchObject(verdict);
    expect(isWithdrawal(incident, s, userId)).toBe(withdrawal);
  });
});

describe('closing: two people end what two people started', () => {
  const st = (name: string, seq: number, state: StepRecord['state'], o: Partial<StepRecord> = {}): StepRecord => ({
    incidentId: 'IR-1', seq, name, title: name.toUpperCase(), state, version: 1, approvalsRequired: 1, approvals: [], updatedAt: NOW.toISOString(), ...o,
  });
  const GATES: Record<string, CloseGate> = { eradicate: 'must_finish', 'remove-1': 'must_finish', 'revoke-role-sessions': 'must_finish', undo: 'undoes_containment' };
  const gate = (s: StepRecord) => GATES[s.name];
  const done = () => [st('contain', 2, 'succeeded'), st('investigate', 3, 'succeeded'), st('eradicate', 4, 'succeeded'), st('close', 6, 'pending'), st('undo', 7, 'skipped'), st('remove-1', 10, 'succeeded')];
  const withStep = (name: string, patch: Partial<StepRecord>) => done().map((s) => (s.name === name ? { ...s, ...patch } : s));
  const APPROVERS = ['UA', 'UB', 'UREQ'];
  const close = (steps: StepRecord[], userId: string, o: { approvers?: string[]; requester?: string } = {}) =>
    checkClose({ incident: { ...incident, requester: o.requester ?? 'UREQ' }, steps, userId, isApprover: (o.approvers ?? ['UA', 'UB']).includes(userId), gate });

  it.each<[string, StepRecord[], string, { approvers?: string[]; requester?: string }, boolean, boolean | undefined, string[]]>([
    ['everything done: the requester alone closes, the watch outlives the close', done(), 'UREQ', {}, true, false, []],
    ['everything done: a responder who is not an approver closes, the watch outlives it', done(), 'UOTHER', {}, true, false, []],
    ['everything done: an approver other than the requester closes and ends the watch', done(), 'UA', {}, true, true, []],
    ['everything done: the requester who is an approver does not end the watch', done(), 'UREQ', { approvers: APPROVERS }, true, false, []],
    ['Eradicate withdrawn: not the requester', withStep('eradicate', { state: 'withdrawn' }), 'UREQ', {}, false, undefined, ['not_done:eradicate']],
    ['Eradicate withdrawn: not the requester even as an approver', withStep('eradicate', { state: 'withdrawn' }), 'UREQ', { approvers: APPROVERS }, false, undefined, ['not_done:eradicate']],
    ['Eradicate withdrawn: not a responder who is not an approver', withStep('eradicate', { state: 'withdrawn' }), 'UOTHER', {}, false, undefined, ['not_done:eradicate']],
    ['Eradicate withdrawn: an approver other than the requester', withStep('eradicate', { state: 'withdrawn' }), 'UA', {}, true, true, ['not_done:eradicate']],
    ['Eradicate denied, expired or failed counts the same', withStep('eradicate', { state: 'failed' }), 'UREQ', {}, false, undefined, ['not_done:eradicate']],
    ['a removal never asked for', withStep('remove-1', { state: 'pending' }), 'UREQ', {}, false, undefined, ['not_done:remove-1']],
    ['a removal awaiting approval: not who asked for it', withStep('remove-1', { state: 'awaiting_approval', requestedBy: 'UA' }), 'UA', {}, false, undefined, ['awaiting:remove-1']],
    ['a removal awaiting approval: another approver', withStep('remove-1', { state: 'awaiting_approval', requestedBy: 'UA' }), 'UB', {}, true, true, ['awaiting:remove-1']],
    ['role sessions not revoked', [...done(), st('revoke-role-sessions', 10, 'expired')], 'UREQ', {}, false, undefined, ['not_done:revoke-role-sessions']],
    ['containment undone: not who asked for the Undo', withStep('undo', { state: 'succeeded', requestedBy: 'UA' }).map((s) => (s.name === 'eradicate' ? { ...s, state: 'skipped' as const } : s)), 'UA', {}, false, undefined, ['not_done:eradicate', 'undone:undo']],
    ['containment undone: another approver', withStep('undo', { state: 'succeeded', requestedBy: 'UA' }).map((s) => (s.name === 'eradicate' ? { ...s, state: 'skipped' as const } : s)), 'UB', {}, true, true, ['not_done:eradicate', 'undone:undo']],
    ['an automatic source\'s incident: any approver', withStep('eradicate', { state: 'awaiting_approval' }), 'UA', { requester: 'intake:github' }, true, true, ['awaiting:eradicate']],
  ])('%s', (_l, steps, userId, o, ok, endsWatch, ends) => {
    const v = close(steps, userId, o);
    expect(v.ok).toBe(ok);
    expect(v.openEnds.map((e) => `${e.end}:${e.step}`)).toEqual(ends);
    if (v.ok) expect(v.endsWatch).toBe(endsWatch);
    else expect(v.askers).toContain(o.requester ?? 'UREQ');
  });
});
