import { incidentTimeline } from '../../src/timeline/incident-timeline';
import type { Incident, IncidentEvent, StepRecord } from '../../src/domain/incident';

const incident: Incident = {
  id: 'IR-20261128-ABCD', keyId: 'AKIAIOSFODNN7EXAMPLE', keyKind: 'long-term', requester: 'UREQ', severity: 'critical',
  reason: 'found | on pastebin', status: 'closed', channel: 'C1', dryRun: false, createdAt: '2026-11-28T03:00:00.000Z', version: 5,
  account: '123456789012', principal: { type: 'user', name: 'ci' }, resolution: 'rotated', closedAt: '2026-11-28T05:00:00.000Z',
};
const step = (seq: number, name: string, o: Partial<StepRecord> = {}): StepRecord => ({
  incidentId: incident.id, seq, name, title: name, state: 'succeeded', version: 3, approvalsRequired: 0, approvals: [], updatedAt: '', ...o,
});
const steps = [
  step(2, 'contain', { approvals: [{ userId: 'UAPP', at: '2026-11-28T03:05:00.000Z' }], startedAt: '2026-11-28T03:05:01.000Z' }),
  step(3, 'investigate', {
    result: {
      eventCount: 3, firstSuspiciousTime: '2026-11-28T02:10:00Z',
      findings: [
        { title: 'IAM user created', tactic: 'persistence', technique: 'T1136.003', outcome: 'done', severity: 'high', count: 1 },
        { title: 'Trail stopped', category: 'defense-evasion', severity: 'high', count: 2 },
        { title: 'Secrets read', tactic: 'credential-access', technique: 'T1555.006', outcome: 'attempted', severity: 'high', count: 3 },
      ],
      eventIndex: { entries: [
        { id: 'e1', time: '2026-11-28T02:10:00Z', name: 'CreateUser', region: 'us-east-1', ip: '198.51.100.7', rule: 'persistence.create-user' },
        { id: 'e2', time: '2026-11-28T02:00:00Z', name: 'GetCallerIdentity', region: 'us-east-1', ip: '198.51.100.7' },
      ], dropped: 1 },
      followUps: ['EC2 instance i-1 launched in ap-southeast-3: terminate it'],
    },
  }),
];
const events: IncidentEvent[] = [
  { incidentId: incident.id, at: '2026-11-28T03:00:00.000Z', type: 'incident_opened', actor: 'UREQ', detail: { severity: 'critical', reason: 'found' } },
  { incidentId: incident.id, at: '2026-11-28T03:05:00.000Z', type: 'approved', actor: 'UAPP', step: 'contain', detail: { approvals: 1, of: 1 } },
  { incidentId: incident.id, at: '2026-11-28T05:00:00.000Z', type: 'incident_closed', actor: 'UREQ', detail: { resolution: 'rotated' } },
];

it('merges what the attacker did and what the responders did, in time order', () => {
  const md = incidentTimeline(incident, steps, events);
  const order = ['GetCallerIdentity', 'CreateUser', 'incident opened', 'approved contain', 'incident closed'].map((t) => md.indexOf(t));
  expect(order.every((i) => i > 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  expect(md).toContain('flagged: persistence.create-user');
  expect(md).toContain('principal from 198.51.100.7');
  expect(md).toContain('- Persistence (TA0003)\n  - high · T1136.003 · IAM user created ×1');
  // Records written before findings carried ATT&CK ids still read.
  expect(md).toContain('- defense-evasion\n  - high · Trail stopped ×2');
  expect(md).toContain('- Credential Access (TA0006)\n  - high · T1555.006 · Secrets read ×3 (attempted: refused or failed)');
  expect(md).toContain('1 less notable events are not listed');
  expect(md).toContain('- [ ] EC2 instance i-1 launched in ap-southeast-3: terminate it');
  expect(md).toContain('- Resolution: rotated');
});

it('keeps attacker text from breaking the tables', () => {
  const md = incidentTimeline(incident, steps, events);
  expect(md).toContain('found \\| on pastebin');
});

it('names an automatic intake source and a policy approval in words, not as Slack mentions', () => {
  const auto: Incident = { ...incident, requester: 'intake:aws-health' };
  const md = incidentTimeline(auto, steps, [
    { incidentId: incident.id, at: '2026-11-28T03:00:00.000Z', type: 'incident_opened', actor: 'intake:aws-health', detail: { severity: 'critical' } },
    { incidentId: incident.id, at: '2026-11-28T03:00:05.000Z', type: 'approved', actor: 'policy:IR_AUTO_CONTAIN', step: 'contain', detail: { approvals: 1, of: 1 } },
  ]);
  expect(md).toContain('Requested by: aws-health (automatic intake)');
  expect(md).toContain('policy IR_AUTO_CONTAIN');
  expect(md).not.toContain('<@intake:');
  expect(md).not.toContain('<@policy:');
});
