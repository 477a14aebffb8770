import {
  AddedArtifact,
  QUARANTINE_POLICY_NAME,
  ROLE_REVOKE_POLICY_NAME,
  USER_REVOKE_POLICY_NAME,
  cutoffCovers,
  noDependencies,
  isPersistenceItem,
  planAssumeTargetRole,
  planContainRoleSessions,
  planContainUserKey,
  planEradicateUserKey,
  planRemovePersistence,
  planUndo,
  undoArtifacts,
  revocationCutoff,
  roleRevokeSessionsPolicy,
  tokenIssueCutoff,
  userRevokeSessionsPolicy,
} from '../../src/domain/aws-plan';

const NOW = '2026-03-01T12:00:00.250Z';
const target = { userName: 'alice', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' };

describe('session revocation policies', () => {
  it('rounds the cut-off up to the whole second, never down', () => {
    expect(tokenIssueCutoff('2026-03-01T12:00:00.250Z')).toBe('2026-03-01T12:00:01Z');
    expect(tokenIssueCutoff('2026-03-01T12:00:00.000Z')).toBe('2026-03-01T12:00:00Z');
    expect(tokenIssueCutoff('2026-03-01T23:59:59.001Z')).toBe('2026-03-02T00:00:00Z');
    expect(() => tokenIssueCutoff('yesterday')).toThrow('not an ISO-8601 time');
  });

  it('user policy denies everything to credentials issued before now', () => {
    expect(userRevokeSessionsPolicy(NOW)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'KeyguardRevokeOlderSessions',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:01Z' } },
        },
      ],
    });
  });

  it('role policy has the shape the IAM console writes for AWSRevokeOlderSessions', () => {
    expect(roleRevokeSessionsPolicy(NOW)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: ['*'],
          Resource: ['*'],
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:01Z' } },
        },
      ],
    });
  });

  it('reads the cut-off back from plain and URL-encoded documents, and nothing from others', () => {
    const doc = JSON.stringify(roleRevokeSessionsPolicy(NOW));
    expect(revocationCutoff(doc)).toBe('2026-03-01T12:00:01Z');
    expect(revocationCutoff(encodeURIComponent(doc))).toBe('2026-03-01T12:00:01Z');
    expect(revocationCutoff(JSON.stringify(userRevokeSessionsPolicy(NOW)))).toBe('2026-03-01T12:00:01Z');
    const allow = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': 'x' } } }] };
    expect(revocationCutoff(JSON.stringify(allow))).toBeUndefined();
    expect(revocationCutoff('not json')).toBeUndefined();
  });

  it('an existing cut-off covers a wanted one only if it is at least as late', () => {
    expect(cutoffCovers('2026-03-01T12:00:01Z', '2026-03-01T12:00:01Z')).toBe(true);
    expect(cutoffCovers('2026-03-01T12:00:01.000Z', '2026-03-01T12:00:01Z')).toBe(true);
    expect(cutoffCovers('2026-03-01T12:00:00Z', '2026-03-01T12:00:01Z')).toBe(false);
    expect(cutoffCovers(undefined, '2026-03-01T12:00:01Z')).toBe(false);
  });
});

describe('planContainUserKey', () => {
  it('deactivates, revokes sessions and quarantines, with exact parameters', () => {
    const plan = planContainUserKey(target, { quarantine: true, now: NOW, partition: 'aws' });
    expect(plan.map((c) => [c.service, c.action])).toEqual([
      ['iam', 'UpdateAccessKey'],
      ['iam', 'PutUserPolicy'],
      ['iam', 'AttachUserPolicy'],
    ]);
    expect(plan[0].params).toEqual({ UserName: 'alice', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Inactive' });
    expect(plan[1].params).toEqual({
      UserName: 'alice',
      PolicyName: USER_REVOKE_POLICY_NAME,
      PolicyDocument: JSON.stringify(userRevokeSessionsPolicy(NOW)),
    });
    expect(plan[2].params).toEqual({ UserName: 'alice', PolicyArn: `arn:aws:iam::aws:policy/${QUARANTINE_POLICY_NAME}` });
    expect(plan[1].why).toContain('2026-03-01T12:00:01Z');
    for (const c of plan) expect(c.why.length).toBeGreaterThan(20);
  });

  it('leaves quarantine out when switched off and follows the partition', () => {
    expect(planContainUserKey(target, { quarantine: false, now: NOW, partition: 'aws' }).map((c) => c.action)).toEqual(['UpdateAccessKey', 'PutUserPolicy']);
    const cn = planContainUserKey(target, { quarantine: true, now: NOW, partition: 'aws-cn' });
    expect(cn[2].params.PolicyArn).toBe('arn:aws-cn:iam::aws:policy/AWSCompromisedKeyQuarantineV3');
  });
});

describe('planContainRoleSessions', () => {
  it('puts AWSRevokeOlderSessions and states the blast radius', () => {
    const [call] = planContainRoleSessions('deploy', { now: NOW });
    expect(call.action).toBe('PutRolePolicy');
    expect(call.params).toEqual({ RoleName: 'deploy', PolicyName: ROLE_REVOKE_POLICY_NAME, PolicyDocument: JSON.stringify(roleRevokeSessionsPolicy(NOW)) });
    expect(call.why).toMatch(/EVERY session of role deploy issued before 2026-03-01T12:00:01Z/);
    expect(call.why).toContain('legitimate workloads included');
  });
});

describe('planUndo', () => {
  const added: AddedArtifact[] = [
    { kind: 'key-deactivated', userName: 'alice', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
    { kind: 'user-inline-policy', userName: 'alice', policyName: USER_REVOKE_POLICY_NAME },
    { kind: 'user-managed-policy', userName: 'alice', policyArn: 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3' },
  ];

  it('removes what was added, newest first, and reactivates the key last', () => {
    expect(planUndo(added).map((c) => [c.action, c.params])).toEqual([
      ['DetachUserPolicy', { UserName: 'alice', PolicyArn: 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3' }],
      ['DeleteUserPolicy', { UserName: 'alice', PolicyName: USER_REVOKE_POLICY_NAME }],
      ['UpdateAccessKey', { UserName: 'alice', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Active' }],
    ]);
  });

  it('restores a policy that existed before instead of deleting it', () => {
    const previous = JSON.stringify(userRevokeSessionsPolicy('2025-01-01T00:00:00Z'));
    const [call] = planUndo([{ kind: 'user-inline-policy', userName: 'alice', policyName: USER_REVOKE_POLICY_NAME, previousDocument: previous }]);
    expect(call).toMatchObject({ action: 'PutUserPolicy', params: { PolicyDocument: previous } });
    const [role] = planUndo([{ kind: 'role-inline-policy', roleName: 'deploy', policyName: ROLE_REVOKE_POLICY_NAME }]);
    expect(role).toMatchObject({ action: 'DeleteRolePolicy', params: { RoleName: 'deploy', PolicyName: ROLE_REVOKE_POLICY_NAME } });
  });

  it('plans nothing when nothing was added', () => {
    expect(planUndo([])).toEqual([]);
  });
});

describe('planEradicateUserKey', () => {
  it('deletes the key, the console password and deactivates every MFA device', () => {
    const plan = planEradicateUserKey(target, { keyStatus: 'Inactive', loginProfile: true, mfaSerials: ['arn:aws:iam::1:mfa/a', 'arn:aws:iam::1:mfa/b'] });
    expect(plan.map((c) => c.action)).toEqual(['DeleteAccessKey', 'DeleteLoginProfile', 'DeactivateMFADevice', 'DeactivateMFADevice']);
    expect(plan[3].params).toEqual({ UserName: 'alice', SerialNumber: 'arn:aws:iam::1:mfa/b' });
  });

  it('deactivates an active key before deleting it', () => {
    const plan = planEradicateUserKey(target, { keyStatus: 'Active', loginProfile: false, mfaSerials: [] });
    expect(plan.map((c) => c.action)).toEqual(['UpdateAccessKey', 'DeleteAccessKey']);
    expect(plan[0].why).toMatch(/before delete/);
  });
});

describe('planRemovePersistence', () => {
  it('removes everything DeleteUser depends on first, credentials earliest', () => {
    const plan = planRemovePersistence(
      { kind: 'user', userName: 'backdoor' },
      {
        ...noDependencies(),
        accessKeys: [{ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', status: 'Active' }],
        loginProfile: true,
        mfaSerials: ['arn:aws:iam::1:mfa/x'],
        signingCertificateIds: ['CERT1'],
        sshPublicKeyIds: ['APKA1'],
        inlinePolicies: ['p1'],
        attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        groups: ['admins'],
      },
    );
    expect(plan.map((c) => c.action)).toEqual([
      'UpdateAccessKey',
      'DeleteAccessKey',
      'DeleteLoginProfile',
      'DeleteSigningCertificate',
      'DeleteSSHPublicKey',
      'DeactivateMFADevice',
      'DeleteUserPolicy',
      'DetachUserPolicy',
      'RemoveUserFromGroup',
      'DeleteUser',
    ]);
  });

  it('removes a role after its instance profiles and policies', () => {
    const plan = planRemovePersistence(
      { kind: 'role', roleName: 'backdoor-role' },
      { ...noDependencies(), instanceProfiles: ['ip'], inlinePolicies: ['p'], attachedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] },
    );
    expect(plan.map((c) => c.action)).toEqual(['RemoveRoleFromInstanceProfile', 'DeleteRolePolicy', 'DetachRolePolicy', 'DeleteRole']);
  });

  it('deletes an inactive key directly and deactivates an active one first', () => {
    const item = { kind: 'access-key', userName: 'bob', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' } as const;
    expect(planRemovePersistence(item, { ...noDependencies(), accessKeys: [{ accessKeyId: item.accessKeyId, status: 'Inactive' }] }).map((c) => c.action)).toEqual([
      'DeleteAccessKey',
    ]);
    expect(planRemovePersistence(item, { ...noDependencies(), accessKeys: [{ accessKeyId: item.accessKeyId, status: 'Active' }] }).map((c) => c.action)).toEqual([
      'UpdateAccessKey',
      'DeleteAccessKey',
    ]);
  });

  it('has no trust-policy rewriting: a stored trust-policy item is not a step the bot can run', () => {
    expect(isPersistenceItem({ kind: 'trust-policy', roleName: 'r', previousDocument: '{"Version":"2012-10-17","Statement":[]}' })).toBe(false);
    expect(isPersistenceItem({ kind: 'role', roleName: 'r' })).toBe(true);
  });
});

describe('planAssumeTargetRole', () => {
  it('names the approver as SourceIdentity', () => {
    const call = planAssumeTargetRole({ roleArn: 'arn:aws:iam::111111111111:role/r', sessionName: 'keyguard-U1-INC1', sourceIdentity: 'U1', durationSeconds: 900 });
    expect(call).toMatchObject({
      service: 'sts',
      action: 'AssumeRole',
      params: { RoleArn: 'arn:aws:iam::111111111111:role/r', RoleSessionName: 'keyguard-U1-INC1', SourceIdentity: 'U1', DurationSeconds: 900 },
    });
  });
});

describe('partition', () => {
  it('Undo of a containment in aws-us-gov detaches the aws-us-gov quarantine policy', () => {
    const t = { incidentId: 'IR-1', keyId: 'AKIAIOSFODNN7EXAMPLE', keyKind: 'long-term' as const, userName: 'alice', partition: 'aws-us-gov' };
    const before = { keyStatus: 'Active' as const, denyPolicy: { present: false }, quarantineAttached: false, userExists: true };
    const calls = planUndo(undoArtifacts(t, { before, added: [] }, true));
    const planned = planContainUserKey({ userName: 'alice', accessKeyId: t.keyId }, { quarantine: true, now: NOW, partition: 'aws-us-gov' });
    expect(calls.find((c) => c.action === 'DetachUserPolicy')?.params.PolicyArn).toBe(planned.find((c) => c.action === 'AttachUserPolicy')?.params.PolicyArn);
    expect(planned.find((c) => c.action === 'AttachUserPolicy')?.params.PolicyArn).toBe('arn:aws-us-gov:iam::aws:policy/AWSCompromisedKeyQuarantineV3');
  });
});
