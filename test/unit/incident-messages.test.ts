/**
 * The engine's typed results and notices as people read them: refusals worded in
 * presentation, and text that came from outside (a deny reason, a source IP CloudTrail
 * recorded) never turned into Slack markup.
 */
import { approvalProblemText, clickText, noticeText, watchAlertText } from '../../src/slack/incident-messages';
import { plainReason } from '../../workflows/engine/decide';

it('a deny reason keeps its words and loses mention, broadcast and link markup', () => {
  expect(plainReason('ask <@U0BOSS> first')).toBe('ask U0BOSS first');
  expect(plainReason('<!channel> <!here> <!subteam^S0SEC|@security>')).toBe('channel here @security');
  expect(plainReason('see <https://evil.example|reset your password>')).toBe('see reset your password (https://evil.example)');
  expect(plainReason('a <b> c')).toBe('a b c');
});

it('the watch alert shows source IPs as text, never markup', () => {
  const text = watchAlertText({ newEvents: 1, denied: 0, succeeded: 1, ips: ['198.51.100.7', '<!channel>', '`<@U0X>`'], created: [] }, 'AKIAIOSFODNN7EXAMPLE')!;
  expect(text).toContain('`198.51.100.7`');
  expect(text).toContain('`&lt;!channel&gt;`');
  expect(text).not.toContain('<!channel>');
  expect(text).not.toContain('<@U0X>');
  // A backtick in the value cannot close the code span early.
  expect(text).toContain("`'&lt;@U0X&gt;'`");
});

it('words every refusal of the approval rules', () => {
  expect(clickText({ kind: 'refused', refusal: 'not_approver', title: 'Contain', action: 'approve' })).toBe('Only approvers listed in IR_APPROVERS can approve *Contain*. Nothing was changed.');
  expect(clickText({ kind: 'refused', refusal: 'expired', title: 'Contain', expiresAt: '2026-11-28T03:30:00.000Z' })).toMatch(/expired at 03:30 UTC/);
  expect(clickText({ kind: 'refused', refusal: 'no_approvers_configured' })).toMatch(/IR_APPROVERS/);
  expect(clickText({ kind: 'close_refused', incidentId: 'IR-1', why: 'needs_second_person', openEnds: [{ end: 'awaiting', step: 'eradicate', title: 'Eradicate' }, { end: 'not_done', step: 'remove-1', title: 'Remove IAM user x', state: 'pending' }, { end: 'undone', step: 'undo', title: 'Undo' }], askers: ['U0REQ', 'intake:github'] }))
    .toBe('Incident IR-1 still has *Eradicate* awaiting approval, *Remove IAM user x* not run, containment undone. Closing it now needs an approver (IR_APPROVERS) other than <@U0REQ>: two people end what two people started. Nothing was changed.');
  expect(clickText({ kind: 'refused', refusal: 'withdraw_after_approval', title: 'Eradicate', approvals: 1 })).toMatch(/already has 1 approval\(s\), so it is no longer yours to withdraw/);
  expect(clickText({ kind: 'secret_refused', what: 'resolution' })).toMatch(/resolution contains something shaped like a secret access key.*Delete your message and treat that key as leaked/);
  expect(clickText({ kind: 'closed', incidentId: 'IR-1', watchOutlivesClose: true })).toMatch(/keeps its full time/);
  expect(clickText({ kind: 'closed', incidentId: 'IR-1', watchOutlivesClose: false })).toBe('Closed IR-1.');
  expect(clickText({ kind: 'request_refused', refusal: 'withdrawn', title: 'Undo', afterTitle: 'Eradicate' })).toMatch(/no longer possible: Eradicate has started/);
});

it('says in the thread why a step did not run at run time', () => {
  expect(approvalProblemText({ problem: 'plan_changed', userId: 'U0A' })).toMatch(/not what <@U0A> approved/);
  expect(approvalProblemText({ problem: 'too_few', approvals: 1, required: 2 })).toMatch(/1 of the 2/);
  expect(noticeText({ kind: 'approval_rejected', step: 'contain', title: 'Contain', problem: { problem: 'not_approver', userId: 'U0EVIL' } })).toMatch(/\*Contain\* did not run: <@U0EVIL> .*not an approver now.*Nothing was sent to AWS/);
});
