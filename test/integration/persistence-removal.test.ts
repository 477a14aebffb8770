/**
 * Removing what the attacker created, one approvable item at a time, against moto.
 */
import {
  AddUserToGroupCommand,
  CreateGroupCommand,
  GetRoleCommand,
  GetUserCommand,
} from '@aws-sdk/client-iam';
import { resetMoto } from '../../sandbox/moto';
import { seedRoleWithDependencies, seedServiceLinkedRole, seedUser } from '../../sandbox/iam-seed';
import { callOutcomes as outcomes, containmentRig, snapshotUser, testFactory } from '../support/iam-rig';
import type { AwsClients } from '../../src/aws/access/iam-sts-clients';

let clients: AwsClients;

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  clients = testFactory()();
});

describe('removePersistence', () => {
  it('deletes a user after everything DeleteUser depends on; a re-run is already', async () => {
    await seedUser(clients.iam, {
      userName: 'backdoor',
      keys: 2,
      inactiveKeys: 1,
      consolePassword: true,
      mfa: true,
      inlinePolicyNames: ['p1'],
      managedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      groups: ['admins'],
    });
    const { containment } = containmentRig(clients);
    const preview = await containment.previewRemovePersistence({ kind: 'user', userName: 'backdoor' });

    const out = await containment.removePersistence({ kind: 'user', userName: 'backdoor' });

    expect(out.ok).toBe(true);
    expect(out.calls.map((c) => c.action)).toEqual(preview.map((c) => c.action));
    expect(outcomes(out)).toEqual([
      ['DeleteAccessKey', 'done'],
      ['UpdateAccessKey', 'done'],
      ['DeleteAccessKey', 'done'],
      ['DeleteLoginProfile', 'done'],
      ['DeactivateMFADevice', 'done'],
      ['DeleteUserPolicy', 'done'],
      ['DetachUserPolicy', 'done'],
      ['RemoveUserFromGroup', 'done'],
      ['DeleteUser', 'done'],
    ]);
    await expect(clients.iam.send(new GetUserCommand({ UserName: 'backdoor' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });

    const again = await containment.removePersistence({ kind: 'user', userName: 'backdoor' });
    expect(again.ok).toBe(true);
    expect(outcomes(again)).toEqual([['DeleteUser', 'already']]);
  });

  it('deletes one access key (deactivating it first) and leaves the user’s other key', async () => {
    const { keyIds } = await seedUser(clients.iam, { userName: 'bob', keys: 2 });
    const out = await containmentRig(clients).containment.removePersistence({ kind: 'access-key', userName: 'bob', accessKeyId: keyIds[1] });
    expect(outcomes(out)).toEqual([
      ['UpdateAccessKey', 'done'],
      ['DeleteAccessKey', 'done'],
    ]);
    expect((await snapshotUser(clients.iam, 'bob')).keys).toEqual([{ id: keyIds[0], status: 'Active' }]);
  });

  it('deletes a console password', async () => {
    await seedUser(clients.iam, { userName: 'bob', consolePassword: true });
    const out = await containmentRig(clients).containment.removePersistence({ kind: 'login-profile', userName: 'bob' });
    expect(outcomes(out)).toEqual([['DeleteLoginProfile', 'done']]);
    expect((await snapshotUser(clients.iam, 'bob')).loginProfile).toBe(false);
  });

  it('deletes a role after its instance profile and policies', async () => {
    await seedRoleWithDependencies(clients.iam, 'backdoor-role');
    const out = await containmentRig(clients).containment.removePersistence({ kind: 'role', roleName: 'backdoor-role' });
    expect(out.ok).toBe(true);
    expect(outcomes(out)).toEqual([
      ['RemoveRoleFromInstanceProfile', 'done'],
      ['DeleteRolePolicy', 'done'],
      ['DetachRolePolicy', 'done'],
      ['DeleteRole', 'done'],
    ]);
    await expect(clients.iam.send(new GetRoleCommand({ RoleName: 'backdoor-role' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('refuses a service-linked role', async () => {
    const name = await seedServiceLinkedRole(clients.iam);
    await expect(containmentRig(clients).containment.removePersistence({ kind: 'role', roleName: name })).rejects.toMatchObject({ code: 'GUARD_RAIL' });
    await expect(clients.iam.send(new GetRoleCommand({ RoleName: name }))).resolves.toBeDefined();
  });

  it('dry run leaves the user in place', async () => {
    await seedUser(clients.iam, { userName: 'backdoor', consolePassword: true });
    await clients.iam.send(new CreateGroupCommand({ GroupName: 'g' }));
    await clients.iam.send(new AddUserToGroupCommand({ GroupName: 'g', UserName: 'backdoor' }));
    const before = await snapshotUser(clients.iam, 'backdoor');

    const out = await containmentRig(clients, { dryRun: true }).containment.removePersistence({ kind: 'user', userName: 'backdoor' });

    expect(out.ok).toBe(true);
    expect(new Set(out.calls.map((c) => c.outcome))).toEqual(new Set(['dry-run']));
    expect(out.calls.at(-1)!.action).toBe('DeleteUser');
    expect(await snapshotUser(clients.iam, 'backdoor')).toEqual(before);
  });
});
