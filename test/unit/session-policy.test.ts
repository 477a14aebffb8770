/**
 * The session policy of a step, evaluated (test/support/policy-evaluator.ts) the way AWS
 * evaluates an assumed-role session: the responder role's policy AND the session policy.
 * For every plan kind: each planned call is allowed on its own principal (at any path),
 * the same action on another principal is refused, and an attach/detach is pinned to the
 * planned policy ARN. moto does not enforce session policies; this is where they are proved.
 */
import {
  AddedArtifact,
  PlannedCall,
  noDependencies,
  planContainRoleSessions,
  planContainUserKey,
  planEradicateUserKey,
  planRemovePersistence,
  planUndo,
  quarantinePolicyArn,
} from '../../src/domain/aws-plan';
import { SESSION_POLICY_MAX_CHARS, sessionPolicyFor } from '../../src/domain/session-policy';
import { responderPolicyDocument } from '../../infra/lib/permissions';
import { EvalRequest, evaluate, evaluateSession } from '../support/policy-evaluator';

const ACCOUNT = '123456789012';
const scope = { partition: 'aws', account: ACCOUNT };
const NOW = '2026-12-02T05:00:00.000Z';
/** Deployed with detachAnyUserPolicy, so removing an attacker's user can detach its managed policies. */
const responder = responderPolicyDocument({ account: ACCOUNT, responderRoleArn: `arn:aws:iam::${ACCOUNT}:role/keyguard-responder`, botRoleName: 'keyguard-bot', detachAnyUserPolicy: true });

/**
 * The resource IAM authorises each call on (Service Authorization Reference), written out
 * here on purpose rather than taken from the module under test.
 */
function requestOf(call: PlannedCall, o: { path?: string; rename?: string } = {}): EvalRequest {
  const p = call.params as Record<string, string>;
  const path = o.path ?? '/';
  const arn = (type: string, name: string) => `arn:aws:iam::${ACCOUNT}:${type}${path}${o.rename ?? name}`;
  let resource: string;
  if (call.action === 'RemoveUserFromGroup') resource = arn('group', p.GroupName);
  else if (call.action === 'RemoveRoleFromInstanceProfile') resource = arn('instance-profile', p.InstanceProfileName);
  else if (p.UserName) resource = arn('user', p.UserName);
  else resource = arn('role', p.RoleName);
  return { action: `iam:${call.action}`, resource, context: p.PolicyArn ? { 'iam:PolicyARN': p.PolicyArn } : {} };
}

function sessionOf(plan: PlannedCall[]): string {
  return resultOf(plan).json;
}

function resultOf(plan: PlannedCall[]) {
  const r = sessionPolicyFor(plan, scope);
  if (!r.ok) throw new Error(r.reason);
  expect(r.json.length).toBeLessThanOrEqual(SESSION_POLICY_MAX_CHARS);
  return r;
}

const bigUser = {
  ...noDependencies(),
  accessKeys: [
    { accessKeyId: 'AKIAAAAAAAAAAAAAAAA1', status: 'Active' as const },
    { accessKeyId: 'AKIAAAAAAAAAAAAAAAA2', status: 'Inactive' as const },
  ],
  loginProfile: true,
  mfaSerials: ['arn:aws:iam::123456789012:mfa/backdoor-1', 'arn:aws:iam::123456789012:mfa/backdoor-2'],
  signingCertificateIds: ['CERT1AAAAAAAAAAAAAAAAAAAAAAAAAAA', 'CERT2AAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  sshPublicKeyIds: ['APKAAAAAAAAAAAAAAAA1', 'APKAAAAAAAAAAAAAAAA2'],
  inlinePolicies: Array.from({ length: 10 }, (_, i) => `inline-${i}`),
  // IAM's quota: at most 20 managed policies per user, 10 groups per user.
  attachedPolicyArns: Array.from({ length: 20 }, (_, i) => `arn:aws:iam::${ACCOUNT}:policy/attacker-managed-policy-${i}`),
  groups: Array.from({ length: 10 }, (_, i) => `attacker-group-${i}`),
};

const undoAll: AddedArtifact[] = [
  { kind: 'key-deactivated', userName: 'alice', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' },
  { kind: 'user-inline-policy', userName: 'alice', policyName: 'keyguard-revoke-older-sessions' },
  { kind: 'user-managed-policy', userName: 'alice', policyArn: quarantinePolicyArn('aws') },
  { kind: 'role-inline-policy', roleName: 'deploy', policyName: 'AWSRevokeOlderSessions', previousDocument: '{"Version":"2012-10-17","Statement":[]}' },
];

const PLAN_KINDS: Array<[string, PlannedCall[]]> = [
  ['contain a user key (quarantine on)', planContainUserKey({ userName: 'alice', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, { quarantine: true, now: NOW, partition: 'aws' })],
  ['contain a role\'s sessions', planContainRoleSessions('deploy', { now: NOW })],
  [
    'contain a temporary key and its root key',
    [...planContainRoleSessions('deploy', { now: NOW }), ...planContainUserKey({ userName: 'alice', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, { quarantine: true, now: NOW, partition: 'aws' })],
  ],
  ['eradicate a user key', planEradicateUserKey({ userName: 'alice', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, { keyStatus: 'Active', loginProfile: true, mfaSerials: ['arn:aws:iam::123456789012:mfa/alice'] })],
  ['undo a containment', planUndo(undoAll)],
  ['remove an attacker\'s user (every dependency)', planRemovePersistence({ kind: 'user', userName: 'backdoor' }, bigUser)],
  [
    'remove an attacker\'s role',
    planRemovePersistence({ kind: 'role', roleName: 'backdoor-role' }, { ...noDependencies(), instanceProfiles: ['backdoor-profile'], inlinePolicies: ['p'], attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }),
  ],
  ['remove an attacker\'s access key', planRemovePersistence({ kind: 'access-key', userName: 'bob', accessKeyId: 'AKIABBBBBBBBBBBBBBB1' }, { ...noDependencies(), accessKeys: [{ accessKeyId: 'AKIABBBBBBBBBBBBBBB1', status: 'Active' }] })],
  ['remove an attacker\'s console password', planRemovePersistence({ kind: 'login-profile', userName: 'bob' })],
];

describe.each(PLAN_KINDS)('session policy: %s', (_kind, plan) => {
  // Generated inside each test (not while jest collects them), so every test checks the
  // policy its own run generated.
  const sessionOfPlan = () => resultOf(plan).json;

  it('allows each planned call, on the principal at any path', () => {
    const session = sessionOfPlan();
    expect(plan.length).toBeGreaterThan(0);
    for (const call of plan) {
      for (const path of ['/', '/engineering/team/']) {
        expect([call.action, path, evaluateSession([responder, session], requestOf(call, { path }))]).toEqual([call.action, path, 'allow']);
      }
    }
  });

  it('refuses the same actions on another principal', () => {
    const session = sessionOfPlan();
    for (const call of plan) {
      for (const rename of ['mallory', `${String(call.params.UserName ?? call.params.RoleName)}2`, `x${String(call.params.UserName ?? call.params.RoleName)}`]) {
        expect([call.action, rename, evaluate(session, requestOf(call, { rename }))]).toEqual([call.action, rename, 'implicit-deny']);
      }
    }
  });

  it('allows no action the plan does not contain', () => {
    const session = sessionOfPlan();
    const planned = new Set(plan.map((c) => c.action));
    for (const other of ['CreateAccessKey', 'PutUserPolicy', 'AttachUserPolicy', 'PutRolePolicy', 'UpdateAssumeRolePolicy', 'DeleteUser', 'UpdateAccessKey', 'CreateLoginProfile']) {
      if (planned.has(other)) continue;
      const target = plan[0];
      expect([other, evaluate(session, { ...requestOf(target), action: `iam:${other}` })]).toEqual([other, 'implicit-deny']);
    }
  });

  it('pins every attach (and every detach, unless the plan needed compacting) to the planned policy ARN', () => {
    const result = resultOf(plan);
    const session = result.json;
    // Only the biggest plans are compacted: their removals stay pinned to the principal.
    expect(result.compacted).toBe(_kind.startsWith('remove an attacker\'s user'));
    for (const call of plan.filter((c) => typeof c.params.PolicyArn === 'string' && !(result.compacted && c.action.startsWith('Detach')))) {
      const other = { ...requestOf(call), context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess-Other' } };
      expect([call.action, evaluate(session, other)]).toEqual([call.action, 'implicit-deny']);
    }
  });
});

describe('session policy: size and shape', () => {
  it('groups the actions of one principal into one statement', () => {
    const r = sessionPolicyFor(planEradicateUserKey({ userName: 'alice', accessKeyId: 'AKIAAAAAAAAAAAAAAAA1' }, { keyStatus: 'Active', loginProfile: true, mfaSerials: ['m1', 'm2'] }), scope);
    if (!r.ok) throw new Error(r.reason);
    expect(r.document.Statement).toEqual([
      { Effect: 'Allow', Action: ['iam:UpdateAccessKey', 'iam:DeleteAccessKey', 'iam:DeleteLoginProfile', 'iam:DeactivateMFADevice'], Resource: [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:user/*/alice`] },
    ]);
  });

  it('fits the biggest plan (a user with IAM\'s maximum of groups and managed policies) within 2,048 characters', () => {
    const plan = planRemovePersistence({ kind: 'user', userName: 'backdoor-user-with-a-long-name-of-sixty-four-characters-max-xx' }, bigUser);
    const r = sessionPolicyFor(plan, scope);
    if (!r.ok) throw new Error(r.reason);
    expect(r.json.length).toBeLessThanOrEqual(SESSION_POLICY_MAX_CHARS);
    for (const call of plan) expect(evaluate(r.json, requestOf(call))).toBe('allow');
  });

  it('refuses, with the reason, a plan it cannot scope or fit', () => {
    expect(sessionPolicyFor([{ service: 'iam', action: 'CreatePolicy', params: { PolicyName: 'p' }, why: '' }], scope)).toEqual({ ok: false, reason: expect.stringMatching(/names no user, role/) });
    expect(sessionPolicyFor([{ service: 'cloudtrail', action: 'LookupEvents', params: {}, why: '' }], scope)).toEqual({ ok: false, reason: expect.stringMatching(/only IAM writes/) });
    expect(sessionPolicyFor([{ service: 'iam', action: 'DeleteUser', params: { UserName: 'a*' }, why: '' }], scope)).toEqual({ ok: false, reason: expect.stringMatching(/no valid UserName/) });
    const huge = Array.from({ length: 60 }, (_, i) => ({ service: 'iam' as const, action: 'DeleteUser', params: { UserName: `attacker-created-user-number-${i}` }, why: '' }));
    expect(sessionPolicyFor(huge, scope)).toEqual({ ok: false, reason: expect.stringMatching(/longer than AWS's 2048 characters/) });
    expect(sessionPolicyFor([], scope)).toEqual({ ok: false, reason: 'the plan has no IAM call to allow' });
  });

  it('a detach of a policy other than the quarantine ones needs the detachAnyUserPolicy deployment option', () => {
    const call = planRemovePersistence({ kind: 'user', userName: 'backdoor' }, { ...noDependencies(), attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }).find((c) => c.action === 'DetachUserPolicy')!;
    const byDefault = responderPolicyDocument({ account: ACCOUNT, responderRoleArn: `arn:aws:iam::${ACCOUNT}:role/keyguard-responder` });
    expect(evaluateSession([byDefault, sessionOf([call])], requestOf(call))).toBe('implicit-deny');
    expect(evaluateSession([responder, sessionOf([call])], requestOf(call))).toBe('allow');
  });

  it('works for a plan kind it has never seen (generic over planned calls)', () => {
    const call: PlannedCall = { service: 'iam', action: 'PutRolePolicy', params: { RoleName: 'ci-runner', PolicyName: 'AWSRevokeOlderSessions', PolicyDocument: '{}' }, why: '' };
    const session = sessionOf([call]);
    expect(evaluate(session, requestOf(call))).toBe('allow');
    expect(evaluate(session, requestOf(call, { rename: 'keyguard-responder' }))).toBe('implicit-deny');
  });
});

describe('session policy: policy ARN pins', () => {
  const OLD = `arn:aws:iam::${ACCOUNT}:policy/attacker-admin`;
  const QUARANTINE = quarantinePolicyArn('aws');
  const aliceArns = [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:user/*/alice`];
  const attach: PlannedCall = { service: 'iam', action: 'AttachUserPolicy', params: { UserName: 'alice', PolicyArn: QUARANTINE }, why: '' };
  const detach: PlannedCall = { service: 'iam', action: 'DetachUserPolicy', params: { UserName: 'alice', PolicyArn: OLD }, why: '' };
  const deactivate: PlannedCall = { service: 'iam', action: 'UpdateAccessKey', params: { UserName: 'alice', AccessKeyId: 'AKIAAAAAAAAAAAAAAAA1', Status: 'Inactive' }, why: '' };

  it('an attach and a detach on one user are each pinned to exactly their own policy ARN', () => {
    const r = resultOf([deactivate, attach, detach]);
    expect(r.compacted).toBe(false);
    expect(r.document.Statement).toEqual([
      { Effect: 'Allow', Action: ['iam:UpdateAccessKey'], Resource: aliceArns },
      { Effect: 'Allow', Action: ['iam:AttachUserPolicy'], Resource: aliceArns, Condition: { ArnEquals: { 'iam:PolicyARN': [QUARANTINE] } } },
      { Effect: 'Allow', Action: ['iam:DetachUserPolicy'], Resource: aliceArns, Condition: { ArnEquals: { 'iam:PolicyARN': [OLD] } } },
    ]);
    // Attaching what the plan only detaches (or detaching what it attaches) is refused.
    expect(evaluate(r.json, requestOf({ ...attach, params: { ...attach.params, PolicyArn: OLD } }))).toBe('implicit-deny');
    expect(evaluate(r.json, requestOf({ ...detach, params: { ...detach.params, PolicyArn: QUARANTINE } }))).toBe('implicit-deny');
    expect(evaluate(r.json, requestOf(attach))).toBe('allow');
    expect(evaluate(r.json, requestOf(detach))).toBe('allow');
  });

  it('a plan too big to fit drops the pins of its removals only, and says it compacted', () => {
    const detaches = Array.from({ length: 20 }, (_, i) => ({ ...detach, params: { UserName: 'backdoor', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/attacker-managed-policy-with-a-name-long-enough-to-need-compacting-${i}` } }));
    const r = resultOf([attach, ...detaches]);
    expect(r.compacted).toBe(true);
    // The attach keeps its pin; the detaches stay on their user, for any policy.
    expect(evaluate(r.json, { ...requestOf(attach), context: { 'iam:PolicyARN': OLD } })).toBe('implicit-deny');
    expect(evaluate(r.json, requestOf(attach))).toBe('allow');
    expect(evaluate(r.json, { ...requestOf(detaches[0]), context: { 'iam:PolicyARN': OLD } })).toBe('allow');
    expect(evaluate(r.json, requestOf(detaches[0], { rename: 'alice' }))).toBe('implicit-deny');
  });

  it('refuses a call whose PolicyArn is not a string, saying so', () => {
    const r = sessionPolicyFor([{ ...attach, params: { UserName: 'alice', PolicyArn: ['arn:aws:iam::aws:policy/A', 'arn:aws:iam::aws:policy/B'] } }], scope);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/AttachUserPolicy.*PolicyArn/) });
  });
});

describe('session policy: AWS\'s 2,048-character limit', () => {
  // 19 users deleted: one statement naming each at any path. The last name's length sets the size.
  const planOfSize = (extra: number): PlannedCall[] => Array.from({ length: 19 }, (_, i) => ({
    service: 'iam' as const, action: 'DeleteUser', params: { UserName: `attacker-user-${String(i).padStart(2, '0')}${i === 18 ? 'x'.repeat(extra) : ''}` }, why: '',
  }));

  it('accepts a policy of exactly 2,048 characters, as it is', () => {
    const r = sessionPolicyFor(planOfSize(6), scope);
    if (!r.ok) throw new Error(r.reason);
    expect(r.json.length).toBe(SESSION_POLICY_MAX_CHARS);
    expect(r.compacted).toBe(false);
  });

  it('refuses one that would be longer', () => {
    expect(sessionPolicyFor(planOfSize(7), scope)).toEqual({ ok: false, reason: expect.stringMatching(/19 calls.*longer than AWS's 2048 characters/) });
  });
});
