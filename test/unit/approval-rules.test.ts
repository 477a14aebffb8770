import { approvalLapsed, checkClick, ClickContext, verifyApprovals, approvedContent } from '../../src/domain/approval-rules';
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

it('lets the requester deny (withdraw) their own request', () => {
  expect(checkClick(ctx({ userId: 'UREQ', kind: 'deny', isApprover: false }))).toEqual({ ok: true });
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
  // Even an approver who asked withdraws; a non-approver who asked may too.
  expect(checkClick(ctx({ step: asked, userId: 'UASK', kind: 'deny' }))).toEqual({ ok: true });
  expect(checkClick(ctx({ step: asked, userId: 'UASK', kind: 'deny', isApprover: false }))).toEqual({ ok: true });
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
