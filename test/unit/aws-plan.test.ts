import {
  AddedArtifact,
  ContainSnapshot,
  PlannedCall,
  QUARANTINE_POLICY_NAME,
  ROLE_REVOKE_POLICY_NAME,
  USER_REVOKE_POLICY_NAME,
  addedArtifactsOf,
  cutoffCovers,
  decoyFinding,
  readRevocation,
  describePersistenceItem,
  isContainSnapshot,
  noDependencies,
  isPersistenceItem,
  parsePolicyDocument,
  planAssumeTargetRole,
  planContainRoleSessions,
  planContainUserKey,
  planEradicateUserKey,
  planRemovePersistence,
  planUndo,
  undoArtifacts,
  revocationCutoff,
  roleRevokeSessionsPolicy,
  targetRoleArn,
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

// ---------------------------------------------------------------------------------------
// Undo order: the key last, everything else newest first.

describe('undo order', () => {
  const key: AddedArtifact = { kind: 'key-deactivated', userName: 'alice', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' };
  const deny: AddedArtifact = { kind: 'user-inline-policy', userName: 'alice', policyName: USER_REVOKE_POLICY_NAME };
  const quarantine: AddedArtifact = { kind: 'user-managed-policy', userName: 'alice', policyArn: `arn:aws:iam::aws:policy/${QUARANTINE_POLICY_NAME}` };
  const role: AddedArtifact = { kind: 'role-inline-policy', roleName: 'deploy', policyName: ROLE_REVOKE_POLICY_NAME };

  it.each([
    ['recorded in containment order', [key, deny, quarantine], ['DetachUserPolicy', 'DeleteUserPolicy', 'UpdateAccessKey']],
    ['key deactivated on a retry, after the deny policy', [deny, key, quarantine], ['DetachUserPolicy', 'DeleteUserPolicy', 'UpdateAccessKey']],
    ['key deactivated last of all', [deny, quarantine, key], ['DetachUserPolicy', 'DeleteUserPolicy', 'UpdateAccessKey']],
    ['a role revocation before the key', [role, key, deny, quarantine], ['DetachUserPolicy', 'DeleteUserPolicy', 'DeleteRolePolicy', 'UpdateAccessKey']],
  ])('reactivates the key only after every policy is off (%s)', (_case, added, actions) => {
    expect(planUndo(added).map((c) => c.action)).toEqual(actions);
  });

  it('does not reorder the input it was given', () => {
    const added = [key, deny, quarantine];
    planUndo(added);
    expect(added).toEqual([key, deny, quarantine]);
  });
});

// ---------------------------------------------------------------------------------------
// What containment added, from the snapshot taken before its first call

describe('undoArtifacts: Undo reverses only what the bot changed', () => {
  const t = { keyId: 'AKIAIOSFODNN7EXAMPLE', userName: 'alice', partition: 'aws' };
  const untouched: ContainSnapshot = { keyStatus: 'Active', denyPolicy: { present: false }, quarantineAttached: false, userExists: true };
  const undoActions = (before: ContainSnapshot, added: AddedArtifact[] = [], quarantine = true) =>
    planUndo(undoArtifacts(t, { before, added }, quarantine)).map((c) => c.action);

  it('reverses all three changes when none existed before', () => {
    expect(undoArtifacts(t, { before: untouched, added: [] }, true)).toEqual([
      { kind: 'key-deactivated', userName: 'alice', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
      { kind: 'user-inline-policy', userName: 'alice', policyName: USER_REVOKE_POLICY_NAME },
      { kind: 'user-managed-policy', userName: 'alice', policyArn: `arn:aws:iam::aws:policy/${QUARANTINE_POLICY_NAME}` },
    ]);
  });

  it.each([
    ['Inactive', false],
    ['absent', false],
    ['Active', true],
  ] as const)('a key that was %s before containment is reactivated by Undo: %s', (keyStatus, reactivated) => {
    expect(undoActions({ ...untouched, keyStatus }).includes('UpdateAccessKey')).toBe(reactivated);
  });

  it('a deny policy that existed before is not deleted', () => {
    expect(undoActions({ ...untouched, denyPolicy: { present: true } })).not.toContain('DeleteUserPolicy');
    expect(undoActions(untouched)).toContain('DeleteUserPolicy');
  });

  it('a deny policy that existed before is restored from the recorded document, and nothing else reported is taken on trust', () => {
    const previous = JSON.stringify(userRevokeSessionsPolicy('2025-01-01T00:00:00Z'));
    const reported: AddedArtifact[] = [
      { kind: 'key-deactivated', userName: 'alice', accessKeyId: 'AKIAOTHERKEYEXAMPLE0' },
      { kind: 'user-inline-policy', userName: 'alice', policyName: USER_REVOKE_POLICY_NAME, previousDocument: previous },
      { kind: 'user-inline-policy', userName: 'alice', policyName: 'some-other-policy' },
      { kind: 'user-managed-policy', userName: 'alice', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    ];
    const calls = planUndo(undoArtifacts(t, { before: { ...untouched, keyStatus: 'Inactive', denyPolicy: { present: true }, quarantineAttached: true }, added: reported }, true));
    expect(calls.map((c) => [c.action, c.params])).toEqual([
      ['PutUserPolicy', { UserName: 'alice', PolicyName: USER_REVOKE_POLICY_NAME, PolicyDocument: previous }],
    ]);
  });

  it('restores only the bot\'s own deny policy, even if another inline policy is reported with a document', () => {
    const reported: AddedArtifact[] = [
      { kind: 'user-inline-policy', userName: 'alice', policyName: 'team-admin', previousDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' },
    ];
    const calls = planUndo(undoArtifacts(t, { before: { ...untouched, keyStatus: 'Inactive', denyPolicy: { present: true }, quarantineAttached: true }, added: reported }, true));
    expect(calls).toEqual([]);
  });

  it.each([
    ['quarantine on, not attached before', true, false, true],
    ['quarantine on, already attached before', true, true, false],
    ['quarantine off', false, false, false],
  ])('detaches the quarantine policy only when containment attached it (%s)', (_case, quarantine, attachedBefore, detached) => {
    expect(undoActions({ ...untouched, quarantineAttached: attachedBefore }, [], quarantine).includes('DetachUserPolicy')).toBe(detached);
  });

  it('without a snapshot (or a user name) falls back to what the step reported', () => {
    const reported: AddedArtifact[] = [{ kind: 'role-inline-policy', roleName: 'deploy', policyName: ROLE_REVOKE_POLICY_NAME }];
    expect(undoArtifacts(t, { added: reported }, true)).toEqual(reported);
    expect(undoArtifacts({ keyId: t.keyId, partition: 'aws' }, { before: untouched, added: reported }, true)).toEqual(reported);
  });
});

// ---------------------------------------------------------------------------------------
// Recognising an existing revocation policy (decides whether containment writes its own)

describe('revocationCutoff: is an existing policy already a revocation?', () => {
  const cond = { DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:01Z' } };

  it('recognises a document whose Statement is a single object, not an array', () => {
    const doc = { Version: '2012-10-17', Statement: { Effect: 'Deny', Action: '*', Resource: '*', Condition: cond } };
    expect(revocationCutoff(JSON.stringify(doc))).toBe('2026-03-01T12:00:01Z');
    expect(revocationCutoff(encodeURIComponent(JSON.stringify(doc)))).toBe('2026-03-01T12:00:01Z');
  });

  it.each([
    ['denies only some actions', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['s3:*', 'iam:*'], Resource: '*', Condition: cond }] }],
    ['denies one action', { Version: '2012-10-17', Statement: { Effect: 'Deny', Action: 's3:GetObject', Resource: '*', Condition: cond } }],
    ['has no statements', { Version: '2012-10-17' }],
    ['denies everything without a time condition', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }],
  ])('is not a revocation when it %s', (_case, doc) => {
    expect(revocationCutoff(JSON.stringify(doc))).toBeUndefined();
  });

  it('a revoking statement among others is not the bot\'s revocation (only the exact statement counts)', () => {
    const doc = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Deny', Action: 'iam:*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' } } },
        { Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: cond },
      ],
    };
    expect(revocationCutoff(JSON.stringify(doc))).toBeUndefined();
  });
});

describe('readRevocation: a revocation is read by content, never by its name', () => {
  const cond = { DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:01Z' } };
  const read = (doc: unknown) => readRevocation(JSON.stringify(doc));

  it("recognises the bot's own document and the console's, URL-encoded or not, with or without a Sid", () => {
    expect(read(userRevokeSessionsPolicy('2026-03-01T12:00:00.200Z'))).toEqual({ kind: 'own', cutoff: '2026-03-01T12:00:01Z' });
    expect(read(roleRevokeSessionsPolicy('2026-03-01T12:00:00.200Z'))).toEqual({ kind: 'own', cutoff: '2026-03-01T12:00:01Z' });
    expect(readRevocation(encodeURIComponent(JSON.stringify(roleRevokeSessionsPolicy('2026-03-01T12:00:00Z'))))).toEqual({ kind: 'own', cutoff: '2026-03-01T12:00:00Z' });
    expect(readRevocation(undefined)).toEqual({ kind: 'absent' });
  });

  it.each([
    ['the decoy: Deny * on arn:aws:s3:::none until 2099', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: 'arn:aws:s3:::none', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2099-01-01T00:00:00Z' } } }] }, /arn:aws:s3:::none/],
    ['a resource list beside *', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: ['*', 'arn:aws:s3:::x'], Condition: cond }] }, /not on every resource/],
    ['a second condition that never holds', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { ...cond, StringEquals: { 'aws:SourceIp': '203.0.113.1' } } }] }, /not only DateLessThan/],
    ['a second key in DateLessThan', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2099-01-01T00:00:00Z', 'aws:CurrentTime': '2000-01-01T00:00:00Z' } } }] }, /not only aws:TokenIssueTime/],
    ['an IfExists operator', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThanIfExists: { 'aws:TokenIssueTime': '2099-01-01T00:00:00Z' } } }] }, /not only DateLessThan/],
    ['NotAction instead of Action', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', NotAction: 's3:*', Resource: '*', Condition: cond }] }, /NotAction/],
    ['an Allow', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: cond }] }, /not Deny/],
    ['a list of cut-offs', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': ['2099-01-01T00:00:00Z'] } } }] }, /not one time/],
    ['a cut-off that is not a time', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': 'soon' } } }] }, /not one time/],
    ['two statements', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: cond }, { Effect: 'Allow', Action: '*', Resource: '*' }] }, /2 statements/],
    ['a Principal element', { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: '*', Resource: '*', Condition: cond }] }, /Principal/],
  ])('%s is a decoy, with why', (_case, doc, why) => {
    const r = read(doc);
    expect(r.kind).toBe('decoy');
    expect(r.kind === 'decoy' && r.why).toMatch(why);
    expect(revocationCutoff(JSON.stringify(doc))).toBeUndefined();
  });

  it('what the attacker wrote is said as words, short and without markup', () => {
    const r = read({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: `<!channel> ${'x'.repeat(300)}`, Condition: cond }] });
    expect(r.kind === 'decoy' && r.why).not.toMatch(/[<>]/);
    expect(r.kind === 'decoy' && r.why.length).toBeLessThan(200);
  });

  it('a document that is not JSON is a decoy, not absent', () => {
    expect(readRevocation('not json')).toMatchObject({ kind: 'decoy' });
  });

  it('says what was found and what the bot did about it', () => {
    expect(decoyFinding('user leaky', USER_REVOKE_POLICY_NAME, 'it denies on "arn:aws:s3:::none"')).toMatch(/^DECOY: keyguard-revoke-older-sessions on user leaky was not the bot's revocation \(it denies on "arn:aws:s3:::none"\).*overwritten.*Undo restores it/);
    expect(decoyFinding('role deploy', ROLE_REVOKE_POLICY_NAME, 'x', 'not-replaced')).toMatch(/NOT denied; retry/);
    expect(decoyFinding('role deploy', ROLE_REVOKE_POLICY_NAME, 'x', 'dry-run')).toMatch(/DRY RUN/);
  });
});

describe('undoArtifacts reads the previous document from the snapshot when the report lost it', () => {
  it('restores the decoy the snapshot read before the first call (a re-run after a crash reported none)', () => {
    const decoy = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::none"}]}';
    const before: ContainSnapshot = { keyStatus: 'Inactive', denyPolicy: { present: true, document: decoy }, quarantineAttached: true, userExists: true };
    const calls = planUndo(undoArtifacts({ keyId: 'AKIAIOSFODNN7EXAMPLE', userName: 'alice', partition: 'aws' }, { before, added: [] }, true));
    expect(calls.map((c) => [c.action, c.params])).toEqual([['PutUserPolicy', { UserName: 'alice', PolicyName: USER_REVOKE_POLICY_NAME, PolicyDocument: decoy }]]);
  });
});

describe('parsePolicyDocument', () => {
  it('reads a raw JSON document as is, even with leading whitespace and a literal percent sign', () => {
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/100%25-done/*' }] };
    expect(parsePolicyDocument(`\n  ${JSON.stringify(doc)}`)).toEqual(doc);
  });

  it('decodes the URL-encoded form IAM returns', () => {
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/a b/*' }] };
    expect(parsePolicyDocument(encodeURIComponent(JSON.stringify(doc)))).toEqual(doc);
  });

  it.each(['not json', '%E0%A4%A', '42', 'null', '"a string"', 'true'])('is no policy document: %s', (text) => {
    expect(parsePolicyDocument(text)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------
// Exact parameters the approver sees

describe('exact parameters', () => {
  it('eradication deactivates an active key with Status Inactive', () => {
    const [deactivate] = planEradicateUserKey(target, { keyStatus: 'Active', loginProfile: false, mfaSerials: [] });
    expect(deactivate.params).toEqual({ UserName: 'alice', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', Status: 'Inactive' });
  });

  it('removing an attacker key deactivates it (Status Inactive) before deleting it', () => {
    const item = { kind: 'access-key', userName: 'bob', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' } as const;
    const plan = planRemovePersistence(item, { ...noDependencies(), accessKeys: [{ accessKeyId: item.accessKeyId, status: 'Active' }] });
    expect(plan.map((c) => [c.action, c.params])).toEqual([
      ['UpdateAccessKey', { UserName: 'bob', AccessKeyId: 'AKIAAAAAAAAAAAAAAAAA', Status: 'Inactive' }],
      ['DeleteAccessKey', { UserName: 'bob', AccessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }],
    ]);
  });

  it('removing an attacker role names the role in every call', () => {
    const plan = planRemovePersistence(
      { kind: 'role', roleName: 'backdoor-role' },
      { ...noDependencies(), instanceProfiles: ['ip'], inlinePolicies: ['p'], attachedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] },
    );
    expect(plan.map((c) => [c.action, c.params])).toEqual([
      ['RemoveRoleFromInstanceProfile', { RoleName: 'backdoor-role', InstanceProfileName: 'ip' }],
      ['DeleteRolePolicy', { RoleName: 'backdoor-role', PolicyName: 'p' }],
      ['DetachRolePolicy', { RoleName: 'backdoor-role', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
      ['DeleteRole', { RoleName: 'backdoor-role' }],
    ]);
  });

  it("an attacker key's status is its own, not that of the user's other key", () => {
    const item = { kind: 'access-key', userName: 'bob', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' } as const;
    const deps = {
      ...noDependencies(),
      accessKeys: [
        { accessKeyId: 'AKIABBBBBBBBBBBBBBBB', status: 'Active' as const },
        { accessKeyId: item.accessKeyId, status: 'Inactive' as const },
      ],
    };
    expect(planRemovePersistence(item, deps).map((c) => c.action)).toEqual(['DeleteAccessKey']);
  });

  it.each([
    ['user', { kind: 'user', userName: 'backdoor' }, [['DeleteUser', { UserName: 'backdoor' }]]],
    ['role', { kind: 'role', roleName: 'backdoor-role' }, [['DeleteRole', { RoleName: 'backdoor-role' }]]],
    ['access key', { kind: 'access-key', userName: 'bob', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }, [['DeleteAccessKey', { UserName: 'bob', AccessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }]]],
    ['console password', { kind: 'login-profile', userName: 'bob' }, [['DeleteLoginProfile', { UserName: 'bob' }]]],
  ] as const)('a %s with nothing known to hang off it is removed by a single call', (_case, item, calls) => {
    expect(planRemovePersistence(item).map((c) => [c.action, c.params])).toEqual(calls);
    expect(planRemovePersistence(item, noDependencies()).map((c) => [c.action, c.params])).toEqual(calls);
  });

  it.each([
    ['aws', 'arn:aws:iam::111111111111:role/keyguard-responder'],
    ['aws-us-gov', 'arn:aws-us-gov:iam::111111111111:role/keyguard-responder'],
    ['aws-cn', 'arn:aws-cn:iam::111111111111:role/keyguard-responder'],
  ])('the responder role in another account is named in its partition (%s)', (partition, arn) => {
    expect(targetRoleArn(partition, '111111111111', 'keyguard-responder')).toBe(arn);
  });
});

describe('describePersistenceItem: the title of a removal button', () => {
  it.each([
    [{ kind: 'user', userName: 'backdoor' }, /IAM user backdoor/],
    [{ kind: 'role', roleName: 'backdoor-role' }, /IAM role backdoor-role/],
    [{ kind: 'access-key', userName: 'bob', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }, /access key AKIAAAAAAAAAAAAAAAAA of bob/],
    [{ kind: 'login-profile', userName: 'bob' }, /console password of bob/],
  ] as const)('names %o', (item, text) => {
    expect(describePersistenceItem(item)).toMatch(text);
  });
});

// ---------------------------------------------------------------------------------------
// Every call the approver is shown says why

describe('every planned call carries a reason for the approver', () => {
  const full = {
    accessKeys: [
      { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', status: 'Active' as const },
      { accessKeyId: 'AKIABBBBBBBBBBBBBBBB', status: 'Inactive' as const },
    ],
    loginProfile: true,
    mfaSerials: ['arn:aws:iam::1:mfa/x'],
    signingCertificateIds: ['CERT1'],
    sshPublicKeyIds: ['APKA1'],
    inlinePolicies: ['p1'],
    attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    groups: ['admins'],
    instanceProfiles: ['ip1'],
  };
  const previous = JSON.stringify(userRevokeSessionsPolicy('2025-01-01T00:00:00Z'));
  // Built inside each test, so the plan is made by the code under test at that moment.
  const plans: Array<[string, () => PlannedCall[]]> = [
    ['contain user key', () => planContainUserKey(target, { quarantine: true, now: NOW, partition: 'aws' })],
    ['contain role sessions', () => planContainRoleSessions('deploy', { now: NOW })],
    [
      'undo',
      () =>
        planUndo([
          { kind: 'key-deactivated', userName: 'alice', accessKeyId: target.accessKeyId },
          { kind: 'user-inline-policy', userName: 'alice', policyName: USER_REVOKE_POLICY_NAME },
          { kind: 'user-inline-policy', userName: 'alice', policyName: USER_REVOKE_POLICY_NAME, previousDocument: previous },
          { kind: 'user-managed-policy', userName: 'alice', policyArn: `arn:aws:iam::aws:policy/${QUARANTINE_POLICY_NAME}` },
          { kind: 'role-inline-policy', roleName: 'deploy', policyName: ROLE_REVOKE_POLICY_NAME },
          { kind: 'role-inline-policy', roleName: 'deploy', policyName: ROLE_REVOKE_POLICY_NAME, previousDocument: previous },
        ]),
    ],
    ['eradicate', () => planEradicateUserKey(target, { keyStatus: 'Active', loginProfile: true, mfaSerials: ['arn:aws:iam::1:mfa/a'] })],
    ['remove access key', () => planRemovePersistence({ kind: 'access-key', userName: 'bob', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }, full)],
    ['remove console password', () => planRemovePersistence({ kind: 'login-profile', userName: 'bob' }, noDependencies())],
    ['remove user', () => planRemovePersistence({ kind: 'user', userName: 'backdoor' }, full)],
    ['remove role', () => planRemovePersistence({ kind: 'role', roleName: 'backdoor-role' }, full)],
    ['assume target role', () => [planAssumeTargetRole({ roleArn: 'arn:aws:iam::111111111111:role/r', sessionName: 's', sourceIdentity: 'U1', durationSeconds: 900 })]],
  ];

  it.each(plans)('%s: each call has a reason of a few words', (_name, build) => {
    const plan = build();
    expect(plan.length).toBeGreaterThan(0);
    for (const c of plan) expect(c.why).toMatch(/\S+ \S+ \S+/);
  });

  it('the user deny policy says minted sessions (GetSessionToken, federation) are covered without another call', () => {
    const [, deny] = planContainUserKey(target, { quarantine: false, now: NOW, partition: 'aws' });
    expect(deny.why).toContain('GetSessionToken');
    expect(deny.why).toContain('GetFederationToken');
  });

  it('the role revocation says people must assume the role again, like the console button', () => {
    const [call] = planContainRoleSessions('deploy', { now: NOW });
    expect(call.why).toContain('assume the role again');
    expect(call.why).toContain('Revoke active sessions');
  });

  it('the assumed role session is explained by who approved it', () => {
    expect(planAssumeTargetRole({ roleArn: 'arn:aws:iam::1:role/r', sessionName: 's', sourceIdentity: 'U1', durationSeconds: 900 }).why).toContain('SourceIdentity');
  });
});

// ---------------------------------------------------------------------------------------
// Records read back from the store

describe('stored records are checked before the bot acts on them', () => {
  it.each([
    [{ kind: 'user', userName: 'u' }, true],
    [{ kind: 'login-profile', userName: 'u' }, true],
    [{ kind: 'access-key', userName: 'u', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }, true],
    [{ kind: 'role', roleName: 'r' }, true],
    [{ kind: 'user' }, false],
    [{ kind: 'user', userName: 42 }, false],
    [{ kind: 'login-profile', roleName: 'r' }, false],
    [{ kind: 'access-key', userName: 'u' }, false],
    [{ kind: 'access-key', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }, false],
    [{ kind: 'role', userName: 'u' }, false],
    [{ userName: 'u' }, false],
    [null, false],
    ['user', false],
    [['user', 'u'], false],
  ])('a removal step naming %j is runnable: %s', (x, ok) => {
    expect(isPersistenceItem(x)).toBe(ok);
  });

  it.each([
    [{ kind: 'key-deactivated', userName: 'u', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }, true],
    [{ kind: 'user-inline-policy', userName: 'u', policyName: 'p' }, true],
    [{ kind: 'user-managed-policy', userName: 'u', policyArn: 'arn:aws:iam::aws:policy/x' }, true],
    [{ kind: 'role-inline-policy', roleName: 'r', policyName: 'p' }, true],
    [{ kind: 'key-deactivated', userName: 'u' }, false],
    [{ kind: 'key-deactivated', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }, false],
    [{ kind: 'user-inline-policy', userName: 'u' }, false],
    [{ kind: 'user-inline-policy', policyName: 'p' }, false],
    [{ kind: 'user-managed-policy', userName: 'u' }, false],
    [{ kind: 'user-managed-policy', policyArn: 'arn:aws:iam::aws:policy/x' }, false],
    [{ kind: 'role-inline-policy', roleName: 'r' }, false],
    [{ kind: 'role-inline-policy', policyName: 'p' }, false],
    [{ kind: 'trust-policy', roleName: 'r', policyName: 'p' }, false],
    // A document to restore is sent to IAM as is: it must be text.
    [{ kind: 'user-inline-policy', userName: 'u', policyName: 'p', previousDocument: '{"Statement":[]}' }, true],
    [{ kind: 'user-inline-policy', userName: 'u', policyName: 'p', previousDocument: { Statement: [] } }, false],
    [{ kind: 'role-inline-policy', roleName: 'r', policyName: 'p', previousDocument: '{"Statement":[]}' }, true],
    [{ kind: 'role-inline-policy', roleName: 'r', policyName: 'p', previousDocument: 42 }, false],
    [null, false],
    ['key-deactivated', false],
  ])('a stored containment artifact %j is reversible: %s', (x, ok) => {
    expect(addedArtifactsOf({ added: [x] })).toEqual(ok ? [x] : []);
  });

  it('keeps the well-formed artifacts of a containment result and drops the rest', () => {
    const good = { kind: 'key-deactivated', userName: 'u', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' };
    expect(addedArtifactsOf({ added: [good, { kind: 'key-deactivated' }, 'junk'] })).toEqual([good]);
    expect(addedArtifactsOf({ added: 'nothing' })).toEqual([]);
    expect(addedArtifactsOf({ error: 'AccessDenied' })).toEqual([]);
    expect(addedArtifactsOf(undefined)).toEqual([]);
  });

  const snapshot = { keyStatus: 'Active', denyPolicy: { present: false }, quarantineAttached: false, userExists: true };
  it.each([
    ['complete', snapshot, true],
    ['without a key status', { ...snapshot, keyStatus: undefined }, false],
    ['with a numeric key status', { ...snapshot, keyStatus: 1 }, false],
    ['with a deny policy that is not an object', { ...snapshot, denyPolicy: 'present' }, false],
    ['with a deny policy that is null', { ...snapshot, denyPolicy: null }, false],
    ['with a deny policy that is a list', { ...snapshot, denyPolicy: [] }, false],
    ['with quarantineAttached as text', { ...snapshot, quarantineAttached: 'false' }, false],
    ['without quarantineAttached', { ...snapshot, quarantineAttached: undefined }, false],
    ['with userExists as text', { ...snapshot, userExists: 'true' }, false],
    ['without userExists', { ...snapshot, userExists: undefined }, false],
  ])('a stored "before" snapshot %s is trusted: %s', (_case, x, ok) => {
    expect(isContainSnapshot(x)).toBe(ok);
  });

  it.each([null, 'snapshot', [snapshot]])('a stored "before" that is %j is not a snapshot', (x) => {
    expect(isContainSnapshot(x)).toBe(false);
  });
});
