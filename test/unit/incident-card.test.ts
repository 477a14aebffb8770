import { incidentCard } from '../../src/slack/incident-card';
import type { Incident, StepRecord } from '../../src/domain/incident';
import { blockProblems } from '../../sandbox/slack-limits-check';
import { decodeStepRef } from '../../src/slack/ids';

const T = '2026-11-28T03:00:00.000Z';
const incident: Incident = {
  id: 'IR-20261128-ABCD', keyId: 'AKIAIOSFODNN7EXAMPLE', keyKind: 'long-term', requester: 'UREQ', severity: 'critical',
  reason: 'x'.repeat(5000), ticket: 'y'.repeat(5000), status: 'open', channel: 'C1', dryRun: true, createdAt: T, version: 1,
  principal: { type: 'user', name: 'n'.repeat(400) },
};
const steps: StepRecord[] = ['identify', 'contain', 'investigate', 'eradicate', 'recover', 'close'].map((name, i) => ({
  incidentId: incident.id, seq: i + 1, name, title: name, state: name === 'contain' ? 'awaiting_approval' : 'pending', version: 7,
  approvalsRequired: name === 'contain' ? 1 : 0, approvals: [], updatedAt: T, note: 'z'.repeat(3000), expiresAt: '2026-11-28T03:30:00.000Z',
  plan: name === 'contain' ? Array.from({ length: 200 }, (_, j) => ({ service: 'iam', action: 'PutUserPolicy', params: { PolicyDocument: 'p'.repeat(500), j }, why: '' })) : undefined,
}));

it('stays within Slack limits however long the reason, notes and plan are', () => {
  const { blocks, text } = incidentCard(incident, steps);
  expect(blockProblems(blocks)).toEqual([]);
  expect(text.length).toBeLessThanOrEqual(3000);
});

it('says DRY RUN in the header and the body, and carries the step version on the buttons', () => {
  const { blocks } = incidentCard(incident, steps);
  const json = JSON.stringify(blocks);
  expect((blocks[0] as any).text.text).toContain('DRY RUN');
  expect(json).toContain('no AWS change is made');
  const actions = blocks.find((b) => b.type === 'actions') as any;
  expect(actions.elements.map((e: any) => e.text.text)).toEqual(['Approve', 'Deny']);
  expect(decodeStepRef(actions.elements[0].value)).toEqual({ i: incident.id, s: 'contain', v: 7 });
});

it('shows no buttons on a closed incident', () => {
  const { blocks } = incidentCard({ ...incident, status: 'closed' }, steps);
  expect(blocks.some((b) => b.type === 'actions')).toBe(false);
  expect((blocks[0] as any).text.text).toContain('CLOSED');
});
