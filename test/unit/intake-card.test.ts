/** The card's intake part: source, link, detection time, approvers paged; within Slack's limits. */
import { incidentCard } from '../../src/slack/incident-card';
import { intakeBlocks, who } from '../../src/slack/intake-card';
import type { Incident, StepRecord } from '../../src/domain/incident';
import { blockProblems } from '../../sandbox/slack-limits-check';

const T = '2026-11-30T09:20:00.000Z';
const base: Incident = {
  id: 'IR-20261130-ABCD', keyId: 'AKIAIOSFODNN7EXAMPLE', keyKind: 'long-term', requester: 'intake:guardduty', severity: 'high',
  reason: 'GuardDuty finding', status: 'open', channel: 'C1', dryRun: false, createdAt: T, version: 1,
  detectedAt: '2026-11-30T09:10:00.000Z',
  source: { kind: 'guardduty', link: 'https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?fId=abc', title: 'GuardDuty CredentialAccess:IAMUser/AnomalousBehavior' },
};
const steps: StepRecord[] = ['identify', 'contain'].map((name, i) => ({
  incidentId: base.id, seq: i + 1, name, title: name, state: name === 'contain' ? 'awaiting_approval' : 'succeeded', version: 2,
  approvalsRequired: name === 'contain' ? 1 : 0, approvals: [], updatedAt: T,
}));
const text = (i: Incident, approvers: string[] = []) => JSON.stringify(incidentCard(i, steps, { approvers }).blocks);

it('names the source, links the alert, gives the detection time and pages users and groups', () => {
  const t = text(base, ['U1AAA', 'S2GROUP']);
  expect(t).toContain('Opened automatically from Amazon GuardDuty');
  expect(t).toContain('detected 2026-11-30 09:10 UTC');
  expect(t).toContain('<https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?fId=abc|GuardDuty CredentialAccess:IAMUser/AnomalousBehavior>');
  expect(t).toContain('Approvers: <@U1AAA> <!subteam^S2GROUP>');
  expect(t).toContain('Amazon GuardDuty (automatic)');
  expect(t).not.toContain('<@intake:');
  // No "other than the requester": the requester is no person.
  expect(t).toContain('needs 1 more approval(s) from an approver.');
});

it('warns when nobody can approve, and says nothing for incidents a person opened', () => {
  // A copy shown to one person (/incident show) does not know the approvers: no line at all.
  expect(JSON.stringify(incidentCard(base, steps).blocks)).not.toMatch(/Approvers|No approvers/);
  expect(text(base)).toContain('No approvers are configured (IR_APPROVERS)');
  expect(intakeBlocks({ ...base, requester: 'U1', source: { kind: 'slack' } }, ['U1AAA'])).toEqual([]);
  expect(intakeBlocks({ ...base, requester: 'U1', source: undefined }, ['U1AAA'])).toEqual([]);
});

it('a link that is not https, or a huge title, cannot break the card', () => {
  const odd = { ...base, source: { kind: 'github' as const, link: 'javascript:alert(1)', title: `<!channel> ${'t'.repeat(5000)}` } };
  const { blocks } = incidentCard(odd, steps, { approvers: Array.from({ length: 60 }, (_, i) => `U${1000 + i}`) });
  expect(blockProblems(blocks)).toEqual([]);
  const t = JSON.stringify(blocks);
  expect(t).not.toContain('javascript:');
  expect(t).not.toContain('<!channel>');
});

it('names policy approvals and intake requesters in words', () => {
  expect(who('policy:IR_AUTO_CONTAIN')).toBe('policy IR_AUTO_CONTAIN');
  expect(who('intake:aws-health')).toBe('AWS Health (automatic)');
  expect(who('U0PERSON')).toBe('<@U0PERSON>');
});
