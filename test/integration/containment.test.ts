/**
 * Contain (user keys and role sessions) and the guard rails, against moto through the real
 * SDK: every assertion is about what IAM shows afterwards or what the outcome recorded.
 */
import {
  IAMClient,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetRolePolicyCommand,
  CreateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { resetMoto } from '../../sandbox/moto';
import { SeedUser, seedRole, seedServiceLinkedRole, seedUser } from '../../sandbox/iam-seed';
import { FIXED_CUTOFF, FIXED_NOW, callOutcomes as outcomes, containmentRig, seedAlice, snapshotUser, testFactory } from '../support/iam-rig';
import { normaliseDocument } from '../../src/aws/containment/iam-state';
import { KeyguardError } from '../../src/errors';
import {
  ROLE_REVOKE_POLICY_NAME,
  USER_REVOKE_POLICY_NAME,
  revocationCutoff,
  roleRevokeSessionsPolicy,
  userRevokeSessionsPolicy,
} from '../../src/domain/aws-plan';
import type { AwsClients } from '../../src/aws/access/iam-sts-clients';

const V3 = 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3';

let clients: AwsClients;
let iam: IAMClient;
let sts: STSClient;

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  clients = testFactory()();
  ({ iam, sts } = clients);
});

const aliceWithKey = (extra?: Partial<SeedUser>) => seedAlice(iam, extra);

describe('containUserKey', () => {
  it('deactivates the key, denies older sessions and attaches quarantine V3, verified by read-back', async () => {
    const t = await aliceWithKey();
    const { containment } = containmentRig(clients);

    const out = await containment.containUserKey({ ...t, quarantine: true });

    expect(out.ok).toBe(true);
    expect(outcomes(out)).toEqual([
      ['UpdateAccessKey', 'done'],
      ['PutUserPolicy', 'done'],
      ['AttachUserPolicy', 'done'],
    ]);
    for (const c of out.calls) {
      expect(c.requestId).toMatch(/\w{10,}/);
      expect(c.at).toBe(FIXED_NOW.toISOString());
    }
    const snap = await snapshotUser(iam, 'alice');
    expect(snap.keys).toEqual([{ id: t.accessKeyId, status: 'Inactive' }]);
    expect(snap.inlinePolicies[USER_REVOKE_POLICY_NAME]).toBe(JSON.stringify(userRevokeSessionsPolicy(FIXED_NOW.toISOString())));
    expect(revocationCutoff(snap.inlinePolicies[USER_REVOKE_POLICY_NAME]!)).toBe(FIXED_CUTOFF);
    expect(snap.attachedPolicyArns).toEqual([V3]);
    expect(out.verified).toEqual({ userExists: true, keyStatus: 'Inactive', denyCutoff: FIXED_CUTOFF, quarantineAttached: true });
    expect(out.added).toEqual([
      { kind: 'key-deactivated', userName: 'alice', accessKeyId: t.accessKeyId },
      { kind: 'user-inline-policy', userName: 'alice', policyName: USER_REVOKE_POLICY_NAME, previousDocument: undefined },
      { kind: 'user-managed-policy', userName: 'alice', policyArn: V3 },
    ]);
    expect(out.message).toContain(`sessions issued before ${FIXED_CUTOFF} denied`);
  });

  it('is idempotent: a re-run with the same cut-off finds everything already in place', async () => {
    const t = await aliceWithKey();
    const { containment } = containmentRig(clients);
    await containment.containUserKey({ ...t, quarantine: true });
    const before = await snapshotUser(iam, 'alice');

    const again = await containment.containUserKey({ ...t, quarantine: true, cutoff: FIXED_NOW });

    expect(again.ok).toBe(true);
    expect(outcomes(again)).toEqual([
      ['UpdateAccessKey', 'already'],
      ['PutUserPolicy', 'already'],
      ['AttachUserPolicy', 'already'],
    ]);
    expect(again.added).toEqual([]);
    expect(await snapshotUser(iam, 'alice')).toEqual(before);
  });

  it('re-applying later moves the cut-off forward and remembers the previous document', async () => {
    const t = await aliceWithKey();
    await containmentRig(clients).containment.containUserKey({ ...t, quarantine: false });
    const firstDoc = (await snapshotUser(iam, 'alice')).inlinePolicies[USER_REVOKE_POLICY_NAME];
    const later = new Date('2026-03-01T13:30:00Z');

    const out = await containmentRig(clients, { now: () => later }).containment.containUserKey({ ...t, quarantine: false });

    expect(outcomes(out)).toEqual([
      ['UpdateAccessKey', 'already'],
      ['PutUserPolicy', 'done'],
    ]);
    expect(out.verified.denyCutoff).toBe('2026-03-01T13:30:00Z');
    expect(out.added).toEqual([{ kind: 'user-inline-policy', userName: 'alice', policyName: USER_REVOKE_POLICY_NAME, previousDocument: firstDoc }]);
  });

  it('dry run records every call and changes nothing in IAM', async () => {
    const t = await aliceWithKey();
    const before = await snapshotUser(iam, 'alice');

    const out = await containmentRig(clients, { dryRun: true }).containment.containUserKey({ ...t, quarantine: true });

    expect(out.ok).toBe(true);
    expect(out.dryRun).toBe(true);
    expect(outcomes(out)).toEqual([
      ['UpdateAccessKey', 'dry-run'],
      ['PutUserPolicy', 'dry-run'],
      ['AttachUserPolicy', 'dry-run'],
    ]);
    expect(out.calls.every((c) => c.requestId === undefined)).toBe(true);
    expect(out.added).toEqual([]);
    expect(out.message).toMatch(/^DRY RUN/);
    expect(out.verified).toMatchObject({ keyStatus: 'Active', quarantineAttached: false });
    expect(await snapshotUser(iam, 'alice')).toEqual(before);
  });

  it('does not attach quarantine when switched off', async () => {
    const t = await aliceWithKey();
    const out = await containmentRig(clients).containment.containUserKey({ ...t, quarantine: false });
    expect(out.calls.map((c) => c.action)).not.toContain('AttachUserPolicy');
    expect((await snapshotUser(iam, 'alice')).attachedPolicyArns).toEqual([]);
  });

  it('an already inactive key is recorded as already, and still gets the deny policy', async () => {
    const { keyIds } = await seedUser(iam, { userName: 'alice', keys: 1, inactiveKeys: 1 });
    const out = await containmentRig(clients).containment.containUserKey({ userName: 'alice', accessKeyId: keyIds[0], quarantine: false });
    expect(out.ok).toBe(true);
    expect(out.calls[0]).toMatchObject({ action: 'UpdateAccessKey', outcome: 'already', note: 'key already Inactive' });
    expect(out.calls[1]).toMatchObject({ action: 'PutUserPolicy', outcome: 'done' });
    expect(out.added.map((a) => a.kind)).toEqual(['user-inline-policy']);
  });

  it('an already deleted key still gets its sessions revoked', async () => {
    const t = await aliceWithKey();
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: t.accessKeyId }));
    const out = await containmentRig(clients).containment.containUserKey({ ...t, quarantine: false });
    expect(out.ok).toBe(true);
    expect(out.calls[0]).toMatchObject({ outcome: 'already', note: 'key already deleted' });
    expect(out.calls[1]).toMatchObject({ action: 'PutUserPolicy', outcome: 'done' });
    expect(out.verified.keyStatus).toBe('absent');
  });

  it('a user already deleted is idempotent success', async () => {
    const t = await aliceWithKey();
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: t.accessKeyId }));
    await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
    const out = await containmentRig(clients).containment.containUserKey({ ...t, quarantine: true });
    expect(out.ok).toBe(true);
    expect(out.calls.map((c) => c.outcome)).toEqual(['already', 'already', 'already']);
    expect(out.verified.userExists).toBe(false);
    expect(out.message).toMatch(/no longer exists/);
  });

  it('refuses a key that belongs to another user instead of calling it gone', async () => {
    await seedUser(iam, { userName: 'alice' });
    const { keyIds } = await seedUser(iam, { userName: 'bob' });
    await expect(containmentRig(clients).containment.containUserKey({ userName: 'alice', accessKeyId: keyIds[0], quarantine: true })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      userMessage: expect.stringContaining('belongs to IAM user bob'),
    });
    expect((await snapshotUser(iam, 'bob')).keys[0].status).toBe('Active');
  });
});

describe('containRoleSessions', () => {
  it('puts AWSRevokeOlderSessions on the role; a re-run is already; undo removes it', async () => {
    await seedRole(iam, 'deploy');
    const { containment } = containmentRig(clients);

    const out = await containment.containRoleSessions({ roleName: 'deploy' });

    expect(out.ok).toBe(true);
    expect(outcomes(out)).toEqual([['PutRolePolicy', 'done']]);
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'deploy', PolicyName: ROLE_REVOKE_POLICY_NAME }));
    expect(normaliseDocument(got.PolicyDocument)).toBe(JSON.stringify(roleRevokeSessionsPolicy(FIXED_NOW.toISOString())));
    expect(out.verified).toEqual({ roleExists: true, policyName: ROLE_REVOKE_POLICY_NAME, cutoff: FIXED_CUTOFF });
    expect(out.added).toEqual([{ kind: 'role-inline-policy', roleName: 'deploy', policyName: ROLE_REVOKE_POLICY_NAME, previousDocument: undefined }]);

    const again = await containment.containRoleSessions({ roleName: 'deploy' });
    expect(outcomes(again)).toEqual([['PutRolePolicy', 'already']]);

    const undone = await containment.undo({ added: out.added });
    expect(outcomes(undone)).toEqual([['DeleteRolePolicy', 'done']]);
    await expect(iam.send(new GetRolePolicyCommand({ RoleName: 'deploy', PolicyName: ROLE_REVOKE_POLICY_NAME }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
  });

  it('a role that does not exist is an error, never "already contained"; nothing is sent', async () => {
    const out = await containmentRig(clients).containment.containRoleSessions({ roleName: 'gone' });
    expect(out.ok).toBe(false);
    expect(out.retryable).toBe(false);
    expect(out.calls).toEqual([]);
    expect(out.message).toContain('Role gone does not exist in account 123456789012: nothing was contained');
  });

  it('a role CloudTrail showed being assumed and since deleted (ifMissing: gone) is already done', async () => {
    const out = await containmentRig(clients).containment.containRoleSessions({ roleName: 'gone', ifMissing: 'gone' });
    expect(out.ok).toBe(true);
    expect(outcomes(out)).toEqual([['PutRolePolicy', 'already']]);
  });
});

describe('guard rails', () => {
  it("refuses the bot's own user (moto's caller is user/moto) and changes nothing", async () => {
    const { keyIds } = await seedUser(iam, { userName: 'moto' });
    const { containment } = containmentRig(clients);
    const err = await containment.containUserKey({ userName: 'moto', accessKeyId: keyIds[0], quarantine: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyguardError);
    expect(err).toMatchObject({ code: 'GUARD_RAIL', userMessage: expect.stringContaining("bot's own user") });
    expect(await snapshotUser(iam, 'moto')).toMatchObject({ keys: [{ status: 'Active' }], attachedPolicyArns: [], inlinePolicies: {} });
    await expect(containment.eradicateUserKey({ userName: 'moto', accessKeyId: keyIds[0] })).rejects.toMatchObject({ code: 'GUARD_RAIL' });
  });

  it('refuses the role the bot is running as', async () => {
    await seedRole(iam, 'keyguard-bot');
    const r = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/keyguard-bot', RoleSessionName: 'bot' }));
    const c = r.Credentials!;
    const asBot = testFactory()({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });

    await expect(containmentRig(asBot).containment.containRoleSessions({ roleName: 'keyguard-bot' })).rejects.toMatchObject({
      code: 'GUARD_RAIL',
      userMessage: expect.stringContaining('running as that role'),
    });
    await expect(iam.send(new GetRolePolicyCommand({ RoleName: 'keyguard-bot', PolicyName: ROLE_REVOKE_POLICY_NAME }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
  });

  it('refuses a service-linked role', async () => {
    const name = await seedServiceLinkedRole(iam);
    await expect(containmentRig(clients).containment.containRoleSessions({ roleName: name })).rejects.toMatchObject({
      code: 'GUARD_RAIL',
      userMessage: expect.stringContaining('service-linked'),
    });
  });

  it('lets an ordinary user be contained while the bot runs as a user', async () => {
    const t = await aliceWithKey();
    await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    const out = await containmentRig(clients).containment.containUserKey({ ...t, quarantine: true });
    expect(out.ok).toBe(true);
  });
});
