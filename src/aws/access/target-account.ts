/**
 * The names and messages of acting in a key's own account: the session name and
 * SourceIdentity CloudTrail shows there, the responder role's trust policy, and what to
 * configure when it is missing. The sessions themselves are made by account-access.ts.
 */
import type { CallRecord } from '../../domain/aws-plan';
import type { AwsClients } from './iam-sts-clients';

export interface Approver {
  slackUserId: string;
  /** Slack handle or display name, when known: makes CloudTrail readable. */
  slackUserName?: string;
}

/** Which account the bot acts in, with which clients (see account-access.ts). */
export type TargetAccess =
  | { mode: 'same-account'; account: string; partition: string; clients: AwsClients }
  | {
      mode: 'assumed-role';
      account: string;
      partition: string;
      roleArn: string;
      /** Record it on the step: it is how CloudTrail in that account names this session. */
      sessionName: string;
      sourceIdentity: string;
      clients: AwsClients;
      /** The AssumeRole call as made, with its request id (no credentials). */
      call: CallRecord;
    };

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

