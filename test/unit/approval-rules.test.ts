import { checkClick, ClickContext } from '../../src/domain/approval-rules';
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
  if (!v.ok) expect(v.message).toMatch(message);
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
