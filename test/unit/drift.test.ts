/**
 * Containment that holds, the pure parts: what the containing steps set (expectations), what
 * differs in what IAM shows now (drift), who changed it (CloudTrail), and how it is said.
 */
import { changeEventNames, changesFor, driftOf, driftSignature, expectationsOf, type Expectation, type Observation } from '../../src/domain/drift';
import { policyJson, roleRevokeSessionsPolicy, userRevokeSessionsPolicy } from '../../src/domain/aws-plan';
import { driftText } from '../../src/slack/incident-messages';
import { describeEvent } from '../../src/timeline/incident-timeline';
import type { TrailEvent } from '../../src/domain/trail-event';

const KEY = 'AKIAIOSFODNN7EXAMPLE';
const Q = 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3';
const T1 = '2026-12-02T05:00:00.000Z';
const T2 = '2026-12-02T05:30:00.000Z';

const call = (action: string, params: Record<string, unknown>, outcome = 'done') => ({ action, params, outcome, at: T1 });
const containCalls = (at: string) => [
  call('UpdateAccessKey', { UserName: 'leaky', AccessKeyId: KEY, Status: 'Inactive' }),
  call('PutUserPolicy', { UserName: 'leaky', PolicyName: 'keyguard-revoke-older-sessions', PolicyDocument: policyJson(userRevokeSessionsPolicy(at)) }),
  call('AttachUserPolicy', { UserName: 'leaky', PolicyArn: Q }, 'already'),
];

describe('expectationsOf: what the containing steps set, as it must still be', () => {
  it('reads Contain, Revoke role sessions and every Re-apply that succeeded; a later cut-off wins', () => {
    const steps = [
      { name: 'contain', state: 'succeeded', result: { calls: containCalls(T1) } },
      { name: 'revoke-role-sessions', state: 'succeeded', result: { calls: [call('PutRolePolicy', { RoleName: 'deploy', PolicyName: 'AWSRevokeOlderSessions', PolicyDocument: policyJson(roleRevokeSessionsPolicy(T1)), Account: '111111111111' }), call('PutRolePolicy', { RoleName: 'keyguard-responder' }, 'skipped')] } },
      { name: 'reapply-1', state: 'succeeded', result: { calls: containCalls(T2) } },
      { name: 'reapply-2', state: 'failed', result: { calls: containCalls('2026-12-02T06:00:00.000Z') } },
      { name: 'eradicate', state: 'succeeded', result: { calls: [call('DeleteAccessKey', { UserName: 'leaky', AccessKeyId: KEY })] } },
    ];
    expect(expectationsOf(steps)).toEqual([
      { kind: 'key-inactive', userName: 'leaky', accessKeyId: KEY },
      { kind: 'user-revocation', userName: 'leaky', cutoff: '2026-12-02T05:30:00Z' },
      { kind: 'quarantine-attached', userName: 'leaky', policyArn: Q },
      { kind: 'role-revocation', roleName: 'deploy', cutoff: '2026-12-02T05:00:00Z', account: '111111111111' },
    ]);
  });

  it('a dry run, a failed or skipped call, or a step that did not succeed sets nothing', () => {
    expect(expectationsOf([{ name: 'contain', state: 'succeeded', result: { calls: containCalls(T1).map((c) => ({ ...c, outcome: 'dry-run' })) } }])).toEqual([]);
    expect(expectationsOf([{ name: 'contain', state: 'running', result: { calls: containCalls(T1) } }])).toEqual([]);
    expect(expectationsOf([{ name: 'contain', state: 'succeeded', result: { error: 'x' } }])).toEqual([]);
  });
});

describe('driftOf: what no longer holds', () => {
  const key: Expectation = { kind: 'key-inactive', userName: 'leaky', accessKeyId: KEY };
  const deny: Expectation = { kind: 'user-revocation', userName: 'leaky', cutoff: '2026-12-02T05:00:00Z' };
  const quarantine: Expectation = { kind: 'quarantine-attached', userName: 'leaky', policyArn: Q };
  const role: Expectation = { kind: 'role-revocation', roleName: 'deploy', cutoff: '2026-12-02T05:00:00Z' };
  const own = (at: string) => policyJson(userRevokeSessionsPolicy(at));

  it('holds: nothing is drift', () => {
    const seen: Observation[] = [
      { kind: 'key-inactive', userExists: true, status: 'Inactive' },
      { kind: 'user-revocation', userExists: true, document: own('2026-12-02T05:00:00Z') },
      { kind: 'quarantine-attached', userExists: true, attached: true },
      { kind: 'role-revocation', roleExists: true, document: policyJson(roleRevokeSessionsPolicy('2026-12-02T06:00:00Z')) },
    ];
    expect(driftOf([key, deny, quarantine, role], seen)).toEqual([]);
  });

  it('a key active again, a revocation deleted, replaced by a decoy or moved back, the quarantine detached', () => {
    const decoy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: 'arn:aws:s3:::none', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2099-01-01T00:00:00Z' } } }] });
    const d = driftOf([key, deny, quarantine, role, deny], [
      { kind: 'key-inactive', userExists: true, status: 'Active' },
      { kind: 'user-revocation', userExists: true },
      { kind: 'quarantine-attached', userExists: true, attached: false },
      { kind: 'role-revocation', roleExists: true, document: decoy },
      { kind: 'user-revocation', userExists: true, document: own('2026-12-01T00:00:00Z') },
    ]);
    expect(d.map((x) => x.now)).toEqual([
      'Active again',
      'deleted',
      'detached',
      expect.stringMatching(/^replaced by a document that is not the bot's revocation \(.*arn:aws:s3:::none/),
      'its cut-off moved back to 2026-12-01T00:00:00Z (was 2026-12-02T05:00:00Z)',
    ]);
  });

  it('what is gone is not drift: a deleted key (Eradicate), a deleted user or role', () => {
    expect(driftOf([key, deny, quarantine, role], [
      { kind: 'key-inactive', userExists: true, status: 'absent' },
      { kind: 'user-revocation', userExists: false },
      { kind: 'quarantine-attached', userExists: false, attached: false },
      { kind: 'role-revocation', roleExists: false },
    ])).toEqual([]);
  });

  it('the same drift has the same signature, whatever the order', () => {
    const a = driftOf([key, quarantine], [{ kind: 'key-inactive', userExists: true, status: 'Active' }, { kind: 'quarantine-attached', userExists: true, attached: false }]);
    const b = driftOf([quarantine, key], [{ kind: 'quarantine-attached', userExists: true, attached: false }, { kind: 'key-inactive', userExists: true, status: 'Active' }]);
    expect(driftSignature(a)).toBe(driftSignature(b));
    expect(driftSignature(a)).not.toBe(driftSignature(a.slice(0, 1)));
    expect(changeEventNames(a).sort()).toEqual(['DetachUserPolicy', 'UpdateAccessKey']);
  });
});

describe('changesFor: who changed it', () => {
  const drift = driftOf(
    [{ kind: 'key-inactive', userName: 'leaky', accessKeyId: KEY }, { kind: 'user-revocation', userName: 'leaky', cutoff: '2026-12-02T05:00:00Z' }],
    [{ kind: 'key-inactive', userExists: true, status: 'Active' }, { kind: 'user-revocation', userExists: true }],
  );
  const ev = (name: string, p: Record<string, unknown>, arn: string, timeMs: number, errorCode?: string) =>
    ({ name, requestParameters: p, identity: { arn, accessKeyId: 'AKIAROGUE00000000001' }, time: new Date(timeMs).toISOString(), timeMs, sourceIp: '203.0.113.66', errorCode }) as unknown as TrailEvent;

  it('the events that made the change, newest first; keyguard\'s own writes and refused calls are left out', () => {
    const rogue = 'arn:aws:iam::123456789012:user/rogue-admin';
    const events = [
      ev('UpdateAccessKey', { userName: 'leaky', accessKeyId: KEY, status: 'Active' }, rogue, 2000),
      ev('UpdateAccessKey', { userName: 'leaky', accessKeyId: KEY, status: 'Inactive' }, 'arn:aws:sts::123456789012:assumed-role/keyguard-responder/keyguard-U1-IR-1', 1000),
      ev('UpdateAccessKey', { userName: 'leaky', accessKeyId: 'AKIAOTHER00000000001', status: 'Active' }, rogue, 3000),
      ev('DeleteUserPolicy', { userName: 'leaky', policyName: 'keyguard-revoke-older-sessions' }, rogue, 4000),
      ev('DeleteUserPolicy', { userName: 'leaky', policyName: 'keyguard-revoke-older-sessions' }, rogue, 5000, 'AccessDenied'),
      ev('PutUserPolicy', { userName: 'leaky', policyName: 'keyguard-revoke-older-sessions' }, 'arn:aws:sts::123456789012:assumed-role/keyguard-responder/keyguard-U1-IR-1', 6000),
    ];
    expect(changesFor(drift, events)).toEqual([
      { what: `key ${KEY} of leaky`, eventName: 'UpdateAccessKey', time: new Date(2000).toISOString(), callerArn: rogue, accessKeyId: 'AKIAROGUE00000000001', sourceIp: '203.0.113.66' },
      { what: 'keyguard-revoke-older-sessions on user leaky', eventName: 'DeleteUserPolicy', time: new Date(4000).toISOString(), callerArn: rogue, accessKeyId: 'AKIAROGUE00000000001', sourceIp: '203.0.113.66' },
    ]);
  });

  it('says what, who and what happens next; a caller ARN is text, never markup', () => {
    const text = driftText(drift, [{ what: 'x', eventName: 'UpdateAccessKey', time: 't', callerArn: 'arn:aws:iam::1:user/<!channel>`x', accessKeyId: 'AKIAROGUE00000000001' }], { kind: 'approve', title: 'Re-apply containment', approvals: 1 });
    expect(text).toContain(`:rotating_light: *Containment no longer holds:* key ${KEY} of leaky Active again; keyguard-revoke-older-sessions on user leaky deleted.`);
    expect(text).toContain('UpdateAccessKey at t by `arn:aws:iam::1:user/&lt;!channel&gt;\'x` with `AKIAROGUE00000000001`');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('*Re-apply containment* needs 1 approval(s)');
    expect(driftText(drift, [], { kind: 'auto', policy: 'IR_AUTO_CONTAIN' })).toContain('Re-applied at once, approved by policy IR_AUTO_CONTAIN');
    expect(driftText(drift, [], { kind: 'in_progress', title: 'Re-apply containment' })).toContain('already on the card');
    expect(driftText(drift, [], { kind: 'plan_failed', reason: 'IAM throttled.' })).toContain('could not be planned: IAM throttled.');
    expect(driftText(drift, [], { kind: 'approve', title: 'Re-apply containment', approvals: 2 })).toContain('not in CloudTrail yet');
  });
});

describe('the timeline says it', () => {
  it('a drift and who changed it; a step that could not be planned and why', () => {
    expect(describeEvent({ incidentId: 'IR-1', at: T1, type: 'containment_drift', detail: { drifts: [{ now: 'Active again', expectation: { kind: 'key-inactive', accessKeyId: KEY } }], changes: [{ eventName: 'UpdateAccessKey', callerArn: 'arn:aws:iam::1:user/rogue' }] } }))
      .toBe(`watch: containment no longer holds (${KEY} key-inactive: Active again); changed by arn:aws:iam::1:user/rogue`);
    expect(describeEvent({ incidentId: 'IR-1', at: T1, type: 'plan_failed', step: 'contain', detail: { error: { code: 'NOT_AVAILABLE', message: 'No long-term key.' } } })).toBe('contain could not be planned: No long-term key.');
  });
});
