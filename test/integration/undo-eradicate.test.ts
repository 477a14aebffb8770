/**
 * Undo (false positive), eradication and crash-reconciliation reads against moto: every
 * assertion is about what IAM shows afterwards or what the outcome recorded.
 */
import { IAMClient, DeleteUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { resetMoto } from '../../sandbox/moto';
import { SeedUser, seedUser } from '../../sandbox/iam-seed';
import { FIXED_CUTOFF, callOutcomes as outcomes, containmentRig, seedAlice, snapshotUser, testFactory } from '../support/iam-rig';
import { normaliseDocument } from '../../src/aws/containment/iam-state';
import { USER_REVOKE_POLICY_NAME, userRevokeSessionsPolicy } from '../../src/domain/aws-plan';
import type { AwsClients } from '../../src/aws/access/iam-sts-clients';

const V3 = 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3';

let clients: AwsClients;
let iam: IAMClient;

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  clients = testFactory()();
  iam = clients.iam;
});

const aliceWithKey = (extra?: Partial<SeedUser>) => seedAlice(iam, extra);

describe('undo', () => {
  it('restores exactly the prior state, leaving a pre-existing quarantine and unrelated policy alone', async () => {
    const t = await aliceWithKey({ userName: 'alice', managedPolicyArns: [V3], inlinePolicyNames: ['team-read'] });
    const before = await snapshotUser(iam, 'alice');
    const { containment } = containmentRig(clients);
    const contained = await containment.containUserKey({ ...t, quarantine: true });
    expect(contained.calls[2]).toMatchObject({ action: 'AttachUserPolicy', outcome: 'already' });

    const out = await containment.undo({ ...t, added: contained.added });

    expect(out.ok).toBe(true);
    expect(outcomes(out)).toEqual([
      ['DeleteUserPolicy', 'done'],
      ['UpdateAccessKey', 'done'],
    ]);
    const after = await snapshotUser(iam, 'alice');
    expect(after).toEqual(before);
    expect(after.attachedPolicyArns).toEqual([V3]);
    expect(Object.keys(after.inlinePolicies)).toEqual(['team-read']);
  });

  it('detaches quarantine when the bot attached it, and a second undo finds nothing to do', async () => {
    const t = await aliceWithKey();
    const before = await snapshotUser(iam, 'alice');
    const { containment } = containmentRig(clients);
    const contained = await containment.containUserKey({ ...t, quarantine: true });

    const out = await containment.undo({ ...t, added: contained.added });
    expect(outcomes(out)).toEqual([
      ['DetachUserPolicy', 'done'],
      ['DeleteUserPolicy', 'done'],
      ['UpdateAccessKey', 'done'],
    ]);
    expect(await snapshotUser(iam, 'alice')).toEqual(before);

    const again = await containment.undo({ ...t, added: contained.added });
    expect(again.ok).toBe(true);
    expect(again.calls.map((c) => c.outcome)).toEqual(['already', 'already', 'already']);
  });

  it('puts back the previous deny policy when containment only refreshed it', async () => {
    const t = await aliceWithKey();
    const old = JSON.stringify(userRevokeSessionsPolicy('2025-06-01T00:00:00Z'));
    await iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: USER_REVOKE_POLICY_NAME, PolicyDocument: old }));
    const before = await snapshotUser(iam, 'alice');
    const { containment } = containmentRig(clients);
    const contained = await containment.containUserKey({ ...t, quarantine: false });

    const out = await containment.undo({ ...t, added: contained.added });

    expect(outcomes(out)).toEqual([
      ['PutUserPolicy', 'done'],
      ['UpdateAccessKey', 'done'],
    ]);
    expect(await snapshotUser(iam, 'alice')).toEqual(before);
    expect((await snapshotUser(iam, 'alice')).inlinePolicies[USER_REVOKE_POLICY_NAME]).toBe(normaliseDocument(old));
  });

  it('leaves a key inactive that was inactive before containment', async () => {
    const { keyIds } = await seedUser(iam, { userName: 'alice', keys: 1, inactiveKeys: 1 });
    const { containment } = containmentRig(clients);
    const contained = await containment.containUserKey({ userName: 'alice', accessKeyId: keyIds[0], quarantine: false });
    await containment.undo({ userName: 'alice', accessKeyId: keyIds[0], added: contained.added });
    expect((await snapshotUser(iam, 'alice')).keys[0].status).toBe('Inactive');
  });

  it('refuses artifacts of another user', async () => {
    await seedUser(iam, { userName: 'alice' });
    const added = [{ kind: 'user-managed-policy' as const, userName: 'bob', policyArn: V3 }];
    await expect(containmentRig(clients).containment.undo({ userName: 'alice', added })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('eradicateUserKey', () => {
  it('deletes the key and console password, deactivates and lists MFA, lists the other key without deleting it', async () => {
    const { keyIds } = await seedUser(iam, { userName: 'alice', keys: 2, consolePassword: true, mfa: true });
    const [other, leaked] = keyIds;
    const { containment } = containmentRig(clients);
    await containment.containUserKey({ userName: 'alice', accessKeyId: leaked, quarantine: false });
    const plan = await containment.previewEradicateUserKey({ userName: 'alice', accessKeyId: leaked });

    const out = await containment.eradicateUserKey({ userName: 'alice', accessKeyId: leaked });

    expect(out.ok).toBe(true);
    expect(out.calls.map((c) => c.action)).toEqual(plan.map((c) => c.action));
    expect(outcomes(out)).toEqual([
      ['DeleteAccessKey', 'done'],
      ['DeleteLoginProfile', 'done'],
      ['DeactivateMFADevice', 'done'],
    ]);
    const snap = await snapshotUser(iam, 'alice');
    expect(snap.keys).toEqual([{ id: other, status: 'Active' }]);
    expect(snap.loginProfile).toBe(false);
    expect(snap.mfaSerials).toEqual([]);
    expect(out.verified).toMatchObject({
      deletedAccessKeyId: leaked,
      keyStatus: 'absent',
      loginProfile: false,
      mfaToReEnrol: ['arn:aws:iam::123456789012:mfa/alice-mfa'],
      otherKeys: [expect.objectContaining({ accessKeyId: other, status: 'Active' })],
    });
    expect(out.message).toMatch(/1 other key\(s\), listed, not deleted/);
  });

  it('deactivates a still-active key before deleting it', async () => {
    const t = await aliceWithKey();
    const out = await containmentRig(clients).containment.eradicateUserKey(t);
    expect(outcomes(out)).toEqual([
      ['UpdateAccessKey', 'done'],
      ['DeleteAccessKey', 'done'],
    ]);
  });

  it('a key already deleted, then a user already deleted, are idempotent success', async () => {
    const t = await aliceWithKey();
    const { containment } = containmentRig(clients);
    await containment.eradicateUserKey(t);

    const again = await containment.eradicateUserKey(t);
    expect(again.ok).toBe(true);
    expect(outcomes(again)).toEqual([['DeleteAccessKey', 'already']]);

    await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
    const gone = await containment.eradicateUserKey(t);
    expect(gone.ok).toBe(true);
    expect(outcomes(gone)).toEqual([['DeleteAccessKey', 'already']]);
  });
});

describe('inspectKey (crash reconciliation)', () => {
  it('reports status, deny policy and quarantine as IAM has them', async () => {
    const t = await aliceWithKey();
    const { containment } = containmentRig(clients);
    expect(await containment.inspectKey(t.accessKeyId)).toEqual({
      accessKeyId: t.accessKeyId,
      userName: 'alice',
      userExists: true,
      keyStatus: 'Active',
      denyPolicy: { present: false, cutoff: undefined },
      quarantineAttached: false,
    });

    await containment.containUserKey({ ...t, quarantine: true });
    expect(await containment.inspectKey(t.accessKeyId)).toMatchObject({
      keyStatus: 'Inactive',
      denyPolicy: { present: true, cutoff: FIXED_CUTOFF },
      quarantineAttached: true,
    });

    await containment.eradicateUserKey(t);
    expect(await containment.inspectKey(t.accessKeyId)).toMatchObject({ keyStatus: 'absent', userExists: false });
    expect(await containment.inspectKey(t.accessKeyId, 'alice')).toMatchObject({ keyStatus: 'absent', userExists: true, denyPolicy: { present: true } });
  });
});
