/**
 * Reads of IAM state: what the actions check before acting (to tell 'already' from 'done'),
 * read back after acting (to verify), and what crash reconciliation inspects. Read-only.
 */
import {
  IAMClient,
  GetUserCommand,
  GetRoleCommand,
  GetUserPolicyCommand,
  GetRolePolicyCommand,
  GetLoginProfileCommand,
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  paginateListAttachedUserPolicies,
  paginateListAttachedRolePolicies,
  paginateListUserPolicies,
  paginateListRolePolicies,
  paginateListGroupsForUser,
  paginateListMFADevices,
  paginateListSigningCertificates,
  paginateListSSHPublicKeys,
  paginateListInstanceProfilesForRole,
} from '@aws-sdk/client-iam';
import { fromAwsError, isNoSuchEntity } from '../../errors';
import { KeyStatus, PrincipalDependencies, noDependencies, parsePolicyDocument } from '../../domain/aws-plan';

/** The result of a read that may find nothing: undefined when IAM says NoSuchEntity. */
async function readOptional<T>(action: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (isNoSuchEntity(e)) return undefined;
    throw fromAwsError(e, `iam:${action}`);
  }
}

/** All pages of a List* call; errors name the action. */
async function collect<P, T>(action: string, pages: AsyncIterable<P>, pick: (page: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const page of pages) out.push(...(pick(page) ?? []));
  } catch (e) {
    throw isNoSuchEntity(e) ? e : fromAwsError(e, `iam:${action}`);
  }
  return out;
}

/** Normalised JSON of a policy document as IAM returns it (URL-encoded). */
export function normaliseDocument(document: string | undefined): string | undefined {
  if (document === undefined) return undefined;
  const parsed = parsePolicyDocument(document);
  return parsed ? JSON.stringify(parsed) : document;
}

export interface KeySummary {
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createDate?: string;
}

export class IamState {
  constructor(private readonly iam: IAMClient) {}

  async userExists(userName: string): Promise<boolean> {
    return (await readOptional('GetUser', () => this.iam.send(new GetUserCommand({ UserName: userName })))) !== undefined;
  }

  /** A user has at most two keys, so ListAccessKeys needs no paging. */
  async accessKeys(userName: string): Promise<KeySummary[] | undefined> {
    const r = await readOptional('ListAccessKeys', () => this.iam.send(new ListAccessKeysCommand({ UserName: userName })));
    return r?.AccessKeyMetadata?.map((k) => ({
      accessKeyId: k.AccessKeyId ?? '',
      status: k.Status === 'Active' ? 'Active' : 'Inactive',
      createDate: k.CreateDate?.toISOString(),
    }));
  }

  async keyStatus(userName: string, accessKeyId: string): Promise<KeyStatus> {
    const keys = await this.accessKeys(userName);
    return keys?.find((k) => k.accessKeyId === accessKeyId)?.status ?? 'absent';
  }

  /** The user a key belongs to (same account only), or undefined if the key is gone. */
  async keyOwner(accessKeyId: string): Promise<string | undefined> {
    const r = await readOptional('GetAccessKeyLastUsed', () => this.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })));
    return r?.UserName;
  }

  async userPolicyDocument(userName: string, policyName: string): Promise<string | undefined> {
    const r = await readOptional('GetUserPolicy', () => this.iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName })));
    return normaliseDocument(r?.PolicyDocument);
  }

  async rolePolicyDocument(roleName: string, policyName: string): Promise<string | undefined> {
    const r = await readOptional('GetRolePolicy', () => this.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
    return normaliseDocument(r?.PolicyDocument);
  }

  async attachedUserPolicyArns(userName: string): Promise<string[] | undefined> {
    return readOptional('ListAttachedUserPolicies', () =>
      collect('ListAttachedUserPolicies', paginateListAttachedUserPolicies({ client: this.iam }, { UserName: userName }), (p) => p.AttachedPolicies?.map((a) => a.PolicyArn ?? '')),
    );
  }

  async loginProfile(userName: string): Promise<boolean> {
    return (await readOptional('GetLoginProfile', () => this.iam.send(new GetLoginProfileCommand({ UserName: userName })))) !== undefined;
  }

  async mfaSerials(userName: string): Promise<string[]> {
    const serials = await readOptional('ListMFADevices', () =>
      collect('ListMFADevices', paginateListMFADevices({ client: this.iam }, { UserName: userName }), (p) => p.MFADevices?.map((d) => d.SerialNumber ?? '')),
    );
    return serials ?? [];
  }

  async role(roleName: string): Promise<{ roleName: string; path?: string; arn?: string; trustPolicy?: string } | undefined> {
    const r = await readOptional('GetRole', () => this.iam.send(new GetRoleCommand({ RoleName: roleName })));
    if (!r?.Role) return undefined;
    return { roleName, path: r.Role.Path, arn: r.Role.Arn, trustPolicy: normaliseDocument(r.Role.AssumeRolePolicyDocument) };
  }

  /** The tags of a user or role (GetUser / GetRole carry them); undefined when it does not exist. */
  async principalTags(type: 'user' | 'role', name: string): Promise<Array<{ Key?: string; Value?: string }> | undefined> {
    if (type === 'user') {
      const r = await readOptional('GetUser', () => this.iam.send(new GetUserCommand({ UserName: name })));
      return r?.User ? r.User.Tags ?? [] : undefined;
    }
    const r = await readOptional('GetRole', () => this.iam.send(new GetRoleCommand({ RoleName: name })));
    return r?.Role ? r.Role.Tags ?? [] : undefined;
  }

  /** Everything DeleteUser requires gone; undefined when the user does not exist. */
  async userDependencies(userName: string): Promise<PrincipalDependencies | undefined> {
    if (!(await this.userExists(userName))) return undefined;
    const c = { client: this.iam };
    const q = { UserName: userName };
    const [keys, loginProfile, mfaSerials, certs, ssh, inline, attached, groups] = await Promise.all([
      this.accessKeys(userName),
      this.loginProfile(userName),
      this.mfaSerials(userName),
      collect('ListSigningCertificates', paginateListSigningCertificates(c, q), (p) => p.Certificates?.map((x) => x.CertificateId ?? '')),
      collect('ListSSHPublicKeys', paginateListSSHPublicKeys(c, q), (p) => p.SSHPublicKeys?.map((x) => x.SSHPublicKeyId ?? '')),
      collect('ListUserPolicies', paginateListUserPolicies(c, q), (p) => p.PolicyNames),
      this.attachedUserPolicyArns(userName),
      collect('ListGroupsForUser', paginateListGroupsForUser(c, q), (p) => p.Groups?.map((g) => g.GroupName ?? '')),
    ]);
    return {
      accessKeys: (keys ?? []).map(({ accessKeyId, status }) => ({ accessKeyId, status })),
      loginProfile,
      mfaSerials,
      signingCertificateIds: certs,
      sshPublicKeyIds: ssh,
      inlinePolicies: inline,
      attachedPolicyArns: attached ?? [],
      groups,
      instanceProfiles: [],
    };
  }

  /** Everything DeleteRole requires gone; undefined when the role does not exist. */
  async roleDependencies(roleName: string): Promise<PrincipalDependencies | undefined> {
    if (!(await this.role(roleName))) return undefined;
    const c = { client: this.iam };
    const q = { RoleName: roleName };
    const [profiles, inline, attached] = await Promise.all([
      collect('ListInstanceProfilesForRole', paginateListInstanceProfilesForRole(c, q), (p) => p.InstanceProfiles?.map((x) => x.InstanceProfileName ?? '')),
      collect('ListRolePolicies', paginateListRolePolicies(c, q), (p) => p.PolicyNames),
      collect('ListAttachedRolePolicies', paginateListAttachedRolePolicies(c, q), (p) => p.AttachedPolicies?.map((a) => a.PolicyArn ?? '')),
    ]);
    return { ...noDependencies(), instanceProfiles: profiles, inlinePolicies: inline, attachedPolicyArns: attached };
  }
}
