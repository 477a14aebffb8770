/**
 * A constructed incident for the review pack: the key is first abused in the evening of
 * 31 October 2026 (New York time), detected at 01:30 EDT on 1 November, contained at 01:40
 * EST, an hour of wall-clock time later but in fact 70 minutes later: New York leaves
 * daylight saving time at 02:00 EDT that night. Eradication and recovery finish the next
 * day, the incident closes on 3 November. Deterministic: the same record every time, for
 * any number of attacker events.
 */
import type { Incident, IncidentEvent, StepRecord } from '../../src/domain/incident';
import type { EventIndexEntry } from '../../src/domain/trail-summary';

export const SCENARIO = {
  id: 'IR-20261101-R3VW',
  keyId: 'AKIAIOSFODNN7EXAMPLE',
  firstSuspicious: '2026-10-31T22:00:00.000Z',
  detectedAt: '2026-11-01T05:30:00.000Z',
  createdAt: '2026-11-01T05:42:00.000Z',
  contained: '2026-11-01T06:40:00.000Z',
  investigated: '2026-11-01T06:55:00.000Z',
  eradicated: '2026-11-02T15:20:00.000Z',
  removed: '2026-11-02T16:05:00.000Z',
  recovered: '2026-11-02T16:10:00.000Z',
  closed: '2026-11-03T14:00:00.000Z',
  requester: 'U0RESPONDER',
  approvers: ['U0APPROVER1', 'U0APPROVER2'],
} as const;

const REGIONS = ['us-east-1', 'us-east-1', 'us-east-1', 'eu-west-1', 'eu-west-1', 'ap-southeast-3', 'sa-east-1', 'us-west-2'];
const NAMES = ['ListBuckets', 'DescribeInstances', 'GetCallerIdentity', 'ListUsers', 'RunInstances', 'DescribeRegions'];

/** `n` attacker calls between the first flagged call and shortly after containment (the late ones denied). */
function attackerEvents(n: number): EventIndexEntry[] {
  const start = Date.parse('2026-10-31T21:40:00.000Z');
  const end = Date.parse('2026-11-01T07:10:00.000Z');
  const contained = Date.parse(SCENARIO.contained);
  const out: EventIndexEntry[] = [];
  for (let i = 0; i < n; i++) {
    // Denser around midnight UTC (a burst), spread over the whole window.
    const f = i / Math.max(1, n - 1);
    const t = start + (end - start) * (f < 0.5 ? f * f * 2 * 0.6 : 0.3 + (f - 0.5) * 1.4);
    const at = new Date(Math.round(t)).toISOString();
    out.push({
      id: `ev-${i}`,
      time: at,
      name: NAMES[i % NAMES.length],
      region: REGIONS[(i * 7) % REGIONS.length],
      ip: i % 5 === 0 ? '203.0.113.50' : '198.51.100.7',
      ...(Date.parse(at) > contained ? { error: 'AccessDenied' } : {}),
    });
  }
  out.push({ id: 'ev-flagged', time: SCENARIO.firstSuspicious, name: 'CreateUser', region: 'us-east-1', ip: '198.51.100.7', rule: 'persistence.create-user' });
  return out;
}

export function reviewScenario(attackerCalls = 240): { incident: Incident; steps: StepRecord[]; events: IncidentEvent[] } {
  const s = SCENARIO;
  const incident: Incident = {
    id: s.id, keyId: s.keyId, keyKind: 'long-term', account: '123456789012', principal: { type: 'user', name: 'ci-deployer', arn: 'arn:aws:iam::123456789012:user/ci-deployer' },
    requester: s.requester, severity: 'critical', reason: 'key found in a public gist', ticket: 'https://tickets.example.com/SEC-42', status: 'closed', channel: 'C0INCIDENTS', cardTs: '1700000000.000100',
    dryRun: false, createdAt: s.createdAt, detectedAt: s.detectedAt, closedAt: s.closed, resolution: 'key deleted, back-door user removed, owner rotated their deploy pipeline', version: 12,
  };
  const index = attackerEvents(attackerCalls);
  const step = (seq: number, name: string, title: string, o: Partial<StepRecord>): StepRecord => ({
    incidentId: s.id, seq, name, title, state: 'succeeded', version: 4, approvalsRequired: 0, approvals: [], updatedAt: o.finishedAt ?? s.closed, ...o,
  });
  const steps: StepRecord[] = [
    step(1, 'identify', 'Identify', { startedAt: '2026-11-01T05:42:01.000Z', finishedAt: '2026-11-01T05:42:03.000Z' }),
    step(2, 'contain', 'Contain', { approvalsRequired: 1, approvals: [{ userId: s.approvers[0], at: '2026-11-01T06:38:30.000Z' }], startedAt: '2026-11-01T06:38:31.000Z', finishedAt: s.contained }),
    step(3, 'investigate', 'Investigate (CloudTrail)', {
      startedAt: s.contained, finishedAt: s.investigated,
      result: {
        eventCount: index.length, firstTime: index.reduce((m, e) => (e.time < m ? e.time : m), index[0].time), lastTime: index.reduce((m, e) => (e.time > m ? e.time : m), index[0].time),
        firstSuspiciousTime: s.firstSuspicious,
        findings: [{ title: 'IAM user created by the leaked key', category: 'persistence', severity: 'high', count: 1 }],
        eventIndex: { entries: index, dropped: 0 },
        followUps: ['EC2 instances launched in sa-east-1: check and terminate', 'Ask GitHub support to purge the gist from caches'],
      },
    }),
    step(4, 'eradicate', 'Eradicate', { approvalsRequired: 2, approvals: s.approvers.map((u, i) => ({ userId: u, at: `2026-11-02T15:1${i}:00.000Z` })), startedAt: '2026-11-02T15:19:00.000Z', finishedAt: s.eradicated }),
    step(5, 'recover', 'Recover (tell the owner)', { startedAt: '2026-11-02T16:09:59.000Z', finishedAt: s.recovered }),
    step(6, 'close', 'Close', { finishedAt: s.closed }),
    step(7, 'undo', 'Undo containment (false positive)', { state: 'skipped', approvalsRequired: 1, note: 'incident closed' }),
    step(10, 'remove-1', 'Remove IAM user backdoor-admin', { approvalsRequired: 2, approvals: s.approvers.map((u) => ({ userId: u, at: '2026-11-02T16:04:00.000Z' })), startedAt: '2026-11-02T16:04:30.000Z', finishedAt: s.removed }),
  ];
  const ev = (at: string, type: string, o: Partial<IncidentEvent> = {}): IncidentEvent => ({ incidentId: s.id, at, type, ...o });
  const events: IncidentEvent[] = [
    ev(s.createdAt, 'incident_opened', { actor: s.requester, detail: { severity: 'critical', reason: incident.reason } }),
    ev('2026-11-01T05:42:04.000Z', 'approval_requested', { step: 'contain', detail: { approvalsRequired: 1, expiresAt: '2026-11-01T06:42:04.000Z' } }),
    ev('2026-11-01T05:50:00.000Z', 'click_refused', { actor: s.requester, step: 'contain', detail: { kind: 'approve', refusal: 'self_approval' } }),
    ev('2026-11-01T06:38:30.000Z', 'approved', { actor: s.approvers[0], step: 'contain', detail: { approvals: 1, of: 1 } }),
    ev('2026-11-01T06:38:31.000Z', 'step_started', { step: 'contain' }),
    ev(s.contained, 'step_succeeded', { step: 'contain', detail: { summary: 'key Inactive (read back), sessions older than 06:38 denied' } }),
    ev(s.investigated, 'step_succeeded', { step: 'investigate', detail: { summary: `${index.length} events in 17 regions, 1 finding (1 high)` } }),
    ev('2026-11-02T15:10:00.000Z', 'approved', { actor: s.approvers[0], step: 'eradicate', detail: { approvals: 1, of: 2 } }),
    ev('2026-11-02T15:11:00.000Z', 'approved', { actor: s.approvers[1], step: 'eradicate', detail: { approvals: 2, of: 2 } }),
    ev(s.eradicated, 'step_succeeded', { step: 'eradicate', detail: { summary: 'key deleted' } }),
    ev(s.removed, 'step_succeeded', { step: 'remove-1', detail: { summary: 'user backdoor-admin removed' } }),
    ev(s.recovered, 'step_succeeded', { step: 'recover', detail: { summary: 'owner told by DM' } }),
    ev(s.closed, 'incident_closed', { actor: s.requester, detail: { resolution: incident.resolution } }),
  ];
  return { incident, steps, events };
}
