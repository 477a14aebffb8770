/**
 * Gathers the facts about an access key from STS and IAM. Read-only.
 *
 * The owning account comes from sts:GetAccessKeyInfo (works for any key); the owning user
 * from iam:GetAccessKeyLastUsed (same account only). Everything after that is best effort:
 * a denied read becomes a named gap in the answer instead of failing the whole lookup.
 */
import {
  IAMClient, GetAccessKeyLastUsedCommand, ListAccessKeysCommand, GetUserCommand, ListUserTagsCommand,
  ListGroupsForUserCommand, ListAttachedUserPoliciesCommand, ListUserPoliciesCommand, GetUserPolicyCommand,
  GetLoginProfileCommand, ListMFADevicesCommand, ListAttachedGroupPoliciesCommand, ListGroupPoliciesCommand,
  GetGroupPolicyCommand,
} from '@aws-sdk/client-iam';
import { STSClient, GetAccessKeyInfoCommand } from '@aws-sdk/client-sts';
import type { KeyKind } from '../../domain/key-id';
import { KeyFacts, PolicyRef, UserFacts, documentGrantsAdmin, isAdminPolicyName } from '../../domain/key-facts';
import { KeyguardError, fromAwsError, isAccessDenied, isNoSuchEntity } from '../../errors';
import { parsePolicyDocument } from '../../domain/aws-plan';

/** Who is asking: the account and ARN of the credentials the look-up runs with. */
export interface CallerIdentity {
  account: string;
  arn: string;
}

export class KeyOwnerLookup {
  /**
   * `identity`: the caller's identity, read once by account access (never asked again here):
   * the bot's own, or the assumed role's in the key's account.
   */
  constructor(
    private readonly clients: { iam: IAMClient; sts: STSClient },
    private readonly identity: () => Promise<CallerIdentity>,
  ) {}

  async accountOf(keyId: string): Promise<string> {
    try {
      const r = await this.clients.sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: keyId }));
      return r.Account!;
    } catch (e) {
      throw fromAwsError(e, 'sts:GetAccessKeyInfo');
    }
  }

  async lookup(keyId: string, kind: KeyKind): Promise<KeyFacts> {
    const [me, account] = await Promise.all([this.identity(), this.accountOf(keyId)]);
    const facts: KeyFacts = { keyId, kind, account, botAccount: me.account, sameAccount: account === me.account, gaps: [] };
    if (kind === 'temporary' || !facts.sameAccount) return facts;

    const { iam } = this.clients;
    let userName: string | undefined;
    try {
      const r = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }));
      userName = r.UserName;
      const lu = r.AccessKeyLastUsed;
      facts.lastUsed = { at: lu?.LastUsedDate?.toISOString(), service: lu?.ServiceName, region: lu?.Region };
    } catch (e) {
      if (isNoSuchEntity(e)) {
        throw new KeyguardError(
          'AWS_NOT_FOUND',
          `No access key \`${keyId}\` exists in account ${account}. It may already have been deleted; search CloudTrail with \`/trail ${keyId}\`.`,
          { cause: e },
        );
      }
      throw fromAwsError(e, 'iam:GetAccessKeyLastUsed');
    }
    if (!userName) {
      throw new KeyguardError('AWS_NOT_FOUND', `AWS knows key \`${keyId}\` but did not name its owner. It may belong to the root user of account ${account}.`);
    }
    facts.user = await this.userFacts(userName, facts.gaps);
    const mine = facts.user.otherKeys.find((k) => k.accessKeyId === keyId);
    if (mine) {
      facts.status = mine.status === 'Inactive' ? 'Inactive' : 'Active';
      facts.createdAt = mine.createdAt;
      facts.user.otherKeys = facts.user.otherKeys.filter((k) => k.accessKeyId !== keyId);
    }
    return facts;
  }

  /** Run a read; on AccessDenied record a gap naming the action and return the fallback. */
  private async read<T>(action: string, gaps: string[], fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isAccessDenied(e)) {
        gaps.push(`could not read: AWS denied ${action} to the bot`);
        return fallback;
      }
      throw fromAwsError(e, action);
    }
  }

  private async userFacts(userName: string, gaps: string[]): Promise<UserFacts> {
    const { iam } = this.clients;
    const U = { UserName: userName };
    const [user, tags, groups, attached, inlineNames, login, mfa, keys] = await Promise.all([
      this.read('iam:GetUser', gaps, undefined, async () => (await iam.send(new GetUserCommand(U))).User),
      this.read('iam:ListUserTags', gaps, [], async () => (await iam.send(new ListUserTagsCommand(U))).Tags ?? []),
      this.read('iam:ListGroupsForUser', gaps, [], async () => (await iam.send(new ListGroupsForUserCommand(U))).Groups ?? []),
      this.read('iam:ListAttachedUserPolicies', gaps, [], async () => (await iam.send(new ListAttachedUserPoliciesCommand(U))).AttachedPolicies ?? []),
      this.read('iam:ListUserPolicies', gaps, [], async () => (await iam.send(new ListUserPoliciesCommand(U))).PolicyNames ?? []),
      this.read('iam:GetLoginProfile', gaps, false, async () => {
        try {
          await iam.send(new GetLoginProfileCommand(U));
          return true;
        } catch (e) {
          if (isNoSuchEntity(e)) return false;
          throw e;
        }
      }),
      this.read('iam:ListMFADevices', gaps, [], async () => (await iam.send(new ListMFADevicesCommand(U))).MFADevices ?? []),
      this.read('iam:ListAccessKeys', gaps, [], async () => (await iam.send(new ListAccessKeysCommand(U))).AccessKeyMetadata ?? []),
    ]);
    const inlinePolicies: PolicyRef[] = await Promise.all(
      inlineNames.map((name) =>
        this.read<PolicyRef>('iam:GetUserPolicy', gaps, { name }, async () => {
          const r = await iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: name }));
          return { name, admin: documentGrantsAdmin(parsePolicyDocument(r.PolicyDocument ?? "")) };
        }),
      ),
    );
    const groupPolicies = (
      await Promise.all(groups.map((g) => this.groupPolicies(g.GroupName!, gaps)))
    ).flat();
    const attachedPolicies: PolicyRef[] = attached.map((p) => ({ name: p.PolicyName!, arn: p.PolicyArn, admin: isAdminPolicyName(p.PolicyName!) }));
    return {
      userName,
      arn: user?.Arn,
      createdAt: user?.CreateDate?.toISOString(),
      tags: Object.fromEntries(tags.map((t) => [t.Key!, t.Value ?? ''])),
      groups: groups.map((g) => g.GroupName!),
      attachedPolicies,
      inlinePolicies,
      groupPolicies,
      consolePassword: login,
      mfaDevices: mfa.map((d) => d.SerialNumber!),
      quarantinePolicy: attachedPolicies.find((p) => p.name.startsWith('AWSCompromisedKeyQuarantine'))?.name,
      otherKeys: keys.map((k) => ({ accessKeyId: k.AccessKeyId!, status: k.Status ?? 'Unknown', createdAt: k.CreateDate?.toISOString() })),
    };
  }

  private async groupPolicies(group: string, gaps: string[]): Promise<PolicyRef[]> {
    const { iam } = this.clients;
    const [attached, inline] = await Promise.all([
      this.read('iam:ListAttachedGroupPolicies', gaps, [], async () => (await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: group }))).AttachedPolicies ?? []),
      this.read('iam:ListGroupPolicies', gaps, [], async () => (await iam.send(new ListGroupPoliciesCommand({ GroupName: group }))).PolicyNames ?? []),
    ]);
    const inlineRefs = await Promise.all(
      inline.map((name) =>
        this.read<PolicyRef>('iam:GetGroupPolicy', gaps, { name: `${group}/${name}` }, async () => {
          const r = await iam.send(new GetGroupPolicyCommand({ GroupName: group, PolicyName: name }));
          return { name: `${group}/${name}`, admin: documentGrantsAdmin(parsePolicyDocument(r.PolicyDocument ?? "")) };
        }),
      ),
    );
    return [
      ...attached.map((p) => ({ name: `${group}/${p.PolicyName}`, arn: p.PolicyArn, admin: isAdminPolicyName(p.PolicyName!) })),
      ...inlineRefs,
    ];
  }
}
