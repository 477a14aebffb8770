/**
 * Which credentials act on a leaked key: the bot's own when the key is in the bot's
 * account; otherwise an assumed role in the key's account (IR_TARGET_ROLE_NAME), with the
 * approving Slack user as SourceIdentity so that account's CloudTrail names the human who
 * approved every change made with that session.
 */
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { Logger } from '../logger';
import { KeyguardError, fromAwsError, isAccessDenied } from '../errors';
import { CallRecord, planAssumeTargetRole } from '../domain/aws-plan';
import type { AwsClientFactory, AwsClients } from './iam-sts-clients';
import { GuardRails } from './guard-rails';

export interface Approver {
  slackUserId: string;
  /** Slack handle or display name, when known: makes CloudTrail readable. */
  slackUserName?: string;
}

export interface TargetAccountRequest {
  /** From sts:GetAccessKeyInfo on the leaked key (done by the caller). */
  keyAccount: string;
  /** IR_TARGET_ROLE_NAME. */
  targetRoleName?: string;
  approver: Approver;
  incidentId: string;
  /** AssumeRole session length; 15 minutes covers one step. */
  durationSeconds?: number;
}

export type TargetAccess =
  | { mode: 'same-account'; account: string; clients: AwsClients }
  | {
      mode: 'assumed-role';
      account: string;
      roleArn: string;
      /** Record it on the step: it is how CloudTrail in that account names this session. */
      sessionName: string;
      sourceIdentity: string;
      clients: AwsClients;
      /** The AssumeRole call as made, with its request id (no credentials). */
      call: CallRecord;
    };

export interface TargetAccountDeps {
  factory: AwsClientFactory;
  now: () => Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** What STS accepts in RoleSessionName and SourceIdentity: 2–64 of [\w+=,.@-]. */
const STS_NAME_CHAR = /[^\w+=,.@-]/g;

export function sanitiseStsName(raw: string, fallback = 'keyguard'): string {
  let s = raw.replace(STS_NAME_CHAR, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
  // SourceIdentity may not start with "aws:"; ':' is already gone, but keep a prefix check anyway.
  if (/^aws/i.test(s)) s = `u-${s}`;
  s = s.slice(0, 64);
  return s.length >= 2 ? s : fallback;
}

/** e.g. keyguard-U123ABC-INC42: who approved, for which incident, readable in CloudTrail. */
export function roleSessionName(approver: Approver, incidentId: string): string {
  return sanitiseStsName(`keyguard-${approver.slackUserId}-${incidentId}`);
}

/** e.g. U123ABC-jane.doe: the id first, so truncation never loses it. */
export function sourceIdentity(approver: Approver): string {
  const name = approver.slackUserName ? `-${approver.slackUserName}` : '';
  return sanitiseStsName(`${approver.slackUserId}${name}`, `slack-${approver.slackUserId}`);
}

/** The role ARN a trust policy names: assumed-role session ARNs become role ARNs. */
export function principalArnForTrust(callerArn: string): string {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(callerArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : callerArn;
}

/** Trust policy for the responder role in the target account. */
export function responderTrustPolicy(botPrincipalArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: botPrincipalArn },
        // SetSourceIdentity is required because the bot passes SourceIdentity.
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      },
    ],
  });
}

export function missingTargetRoleMessage(keyAccount: string, botAccount: string, botCallerArn: string): string {
  const principal = principalArnForTrust(botCallerArn);
  return (
    `The key belongs to account ${keyAccount}, not the bot's account ${botAccount}, and IR_TARGET_ROLE_NAME is not set. ` +
    `To act there: create a role in ${keyAccount} (e.g. keyguard-responder) with the IAM permissions listed in the README, ` +
    `give it this trust policy: ${responderTrustPolicy(principal)} ` +
    `(include the role path in the ARN if the bot's role has one), then set IR_TARGET_ROLE_NAME=keyguard-responder and restart the bot.`
  );
}

export async function resolveTargetAccount(deps: TargetAccountDeps, req: TargetAccountRequest): Promise<TargetAccess> {
  const own = deps.factory();
  const me = await new GuardRails(own.sts).identity();
  if (req.keyAccount === me.account) return { mode: 'same-account', account: me.account, clients: own };

  if (!req.targetRoleName) {
    throw new KeyguardError('NOT_AVAILABLE', missingTargetRoleMessage(req.keyAccount, me.account, me.arn));
  }
  const roleArn = `arn:${me.partition}:iam::${req.keyAccount}:role/${req.targetRoleName}`;
  const planned = planAssumeTargetRole({
    roleArn,
    sessionName: roleSessionName(req.approver, req.incidentId),
    sourceIdentity: sourceIdentity(req.approver),
    durationSeconds: req.durationSeconds ?? 900,
  });
  const p = planned.params as { RoleArn: string; RoleSessionName: string; SourceIdentity: string; DurationSeconds: number };
  const at = deps.now().toISOString();
  let out;
  try {
    out = await own.sts.send(new AssumeRoleCommand(p));
  } catch (e) {
    const err = fromAwsError(e, 'sts:AssumeRole');
    if (isAccessDenied(e)) {
      throw new KeyguardError(
        'AWS_ACCESS_DENIED',
        `AWS refused to let the bot assume ${roleArn}. Check that the role exists and that its trust policy is ` +
          `${responderTrustPolicy(principalArnForTrust(me.arn))}, and that the bot may call sts:AssumeRole on it.`,
        { cause: e },
      );
    }
    throw err;
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
    throw new KeyguardError('AWS_FAILED', `sts:AssumeRole of ${roleArn} returned no credentials.`);
  }
  // The credentials go straight into the clients and are never logged or recorded.
  const clients = deps.factory({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration });
  const call: CallRecord = { action: 'AssumeRole', params: { ...p }, outcome: 'done', requestId: out.$metadata.requestId, at };
  deps.logger?.info({ roleArn, sessionName: p.RoleSessionName, sourceIdentity: p.SourceIdentity, requestId: call.requestId }, 'assumed target-account role');
  return {
    mode: 'assumed-role',
    account: req.keyAccount,
    roleArn,
    sessionName: p.RoleSessionName,
    sourceIdentity: p.SourceIdentity,
    clients,
    call,
  };
}
