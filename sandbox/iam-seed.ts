/**
 * Seeds moto's IAM with realistic principals. Returns the created key ids; secret keys are
 * dropped on the floor here, never logged or stored.
 */
import {
  IAMClient, CreateUserCommand, CreateAccessKeyCommand, TagUserCommand, CreateGroupCommand,
  AddUserToGroupCommand, AttachUserPolicyCommand, PutUserPolicyCommand, CreateLoginProfileCommand,
  CreateVirtualMFADeviceCommand, EnableMFADeviceCommand, UpdateAccessKeyCommand, CreateRoleCommand,
  CreateServiceLinkedRoleCommand, PutRolePolicyCommand, AttachRolePolicyCommand, CreateInstanceProfileCommand,
  AddRoleToInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

export interface SeedUser {
  userName: string;
  tags?: Record<string, string>;
  groups?: string[];
  managedPolicyArns?: string[];
  inlinePolicyNames?: string[];
  consolePassword?: boolean;
  mfa?: boolean;
  keys?: number;
  inactiveKeys?: number;
}

const ALLOW_READ = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
});

export async function seedUser(iam: IAMClient, u: SeedUser): Promise<{ userName: string; keyIds: string[] }> {
  await iam.send(new CreateUserCommand({ UserName: u.userName }));
  if (u.tags && Object.keys(u.tags).length > 0) {
    await iam.send(new TagUserCommand({ UserName: u.userName, Tags: Object.entries(u.tags).map(([Key, Value]) => ({ Key, Value })) }));
  }
  for (const g of u.groups ?? []) {
    await iam.send(new CreateGroupCommand({ GroupName: g })).catch((e) => {
      if (e.name !== 'EntityAlreadyExists') throw e;
    });
    await iam.send(new AddUserToGroupCommand({ GroupName: g, UserName: u.userName }));
  }
  for (const arn of u.managedPolicyArns ?? []) {
    await iam.send(new AttachUserPolicyCommand({ UserName: u.userName, PolicyArn: arn }));
  }
  for (const name of u.inlinePolicyNames ?? []) {
    await iam.send(new PutUserPolicyCommand({ UserName: u.userName, PolicyName: name, PolicyDocument: ALLOW_READ }));
  }
  if (u.consolePassword) {
    await iam.send(new CreateLoginProfileCommand({ UserName: u.userName, Password: 'Seeded-Pa55word!' }));
  }
  if (u.mfa) {
    const dev = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: `${u.userName}-mfa` }));
    await iam.send(
      new EnableMFADeviceCommand({
        UserName: u.userName,
        SerialNumber: dev.VirtualMFADevice!.SerialNumber!,
        AuthenticationCode1: '123456',
        AuthenticationCode2: '654321',
      }),
    );
  }
  const keyIds: string[] = [];
  const total = u.keys ?? 1;
  for (let i = 0; i < total; i++) {
    const k = await iam.send(new CreateAccessKeyCommand({ UserName: u.userName }));
    keyIds.push(k.AccessKey!.AccessKeyId!);
    if (i < (u.inactiveKeys ?? 0)) {
      await iam.send(new UpdateAccessKeyCommand({ UserName: u.userName, AccessKeyId: keyIds[i], Status: 'Inactive' }));
    }
  }
  return { userName: u.userName, keyIds };
}

export async function seedRole(iam: IAMClient, roleName: string, path = '/'): Promise<string> {
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }],
  });
  const r = await iam.send(new CreateRoleCommand({ RoleName: roleName, Path: path, AssumeRolePolicyDocument: trust }));
  return r.Role!.Arn!;
}

/** A service-linked role the way AWS creates one (path /aws-service-role/<service>/). */
export async function seedServiceLinkedRole(iam: IAMClient, service = 'autoscaling.amazonaws.com'): Promise<string> {
  const r = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: service }));
  return r.Role!.RoleName!;
}

/** A role with everything DeleteRole refuses to leave behind: inline, managed, instance profile. */
export async function seedRoleWithDependencies(iam: IAMClient, roleName: string): Promise<void> {
  await seedRole(iam, roleName);
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'backdoor-inline', PolicyDocument: ALLOW_READ }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: `${roleName}-profile` }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: `${roleName}-profile`, RoleName: roleName }));
}

/** IAM in another account: moto acts in the account of the role the credentials came from. */
export async function iamInAccount(account: string): Promise<IAMClient> {
  const base = { region: 'us-east-1', endpoint: process.env.MOTO_URL };
  const sts = new STSClient({ ...base, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const r = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/seed`, RoleSessionName: 'seed' }));
  const c = r.Credentials!;
  return new IAMClient({ ...base, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! } });
}

/** A user with one access key in another account; returns the key id. */
export async function seedUserInAccount(account: string, userName: string): Promise<string> {
  const iam = await iamInAccount(account);
  await iam.send(new CreateUserCommand({ UserName: userName }));
  return (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!;
}
