/**
 * Deployed in each OTHER account the bot may act in (the Keyguard stack makes the same role
 * in the bot's own account): the responder role the bot assumes (IR_TARGET_ROLE_NAME) for
 * every IAM write. Only the bot's role may assume it, and only with a SourceIdentity (the
 * approving Slack user), so that account's CloudTrail names the human behind every change;
 * each session is further narrowed by a session policy generated from the approved plan.
 */
import { Aws, CfnOutput, Stack, StackProps, aws_iam as iam } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { responderPolicyDocument, responderTrustPolicy } from './permissions';

export interface ResponderRoleProps {
  /** ARN of the bot's role in the bot's account (KeyguardStack output BotRoleArn). */
  botRoleArn: string;
  /** Must equal the bot's IR_TARGET_ROLE_NAME. */
  roleName?: string;
  /** See ContainmentOptions.detachAnyUserPolicy in permissions.ts. */
  detachAnyUserPolicy?: boolean;
  /** Break-glass users and roles never destroyed (context protectedPrincipals); still contained. */
  protectedUsers?: readonly string[];
  protectedRoles?: readonly string[];
}

export type ResponderRoleStackProps = StackProps & ResponderRoleProps;

/** The responder role in the account of `scope`, exactly the JSON in permissions.ts (L1 on purpose). */
export function addResponderRole(scope: Construct, id: string, props: ResponderRoleProps): iam.CfnRole {
  const roleName = props.roleName ?? 'keyguard-responder';
  const roleArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${roleName}`;
  return new iam.CfnRole(scope, id, {
    roleName,
    description: 'keyguard: the only principal that writes IAM; assumed by the keyguard bot with the approver as SourceIdentity and a session policy per step',
    assumeRolePolicyDocument: responderTrustPolicy(props.botRoleArn),
    // One step's session is 15 minutes; an hour is the default maximum anyway.
    maxSessionDuration: 3600,
    policies: [
      {
        policyName: 'keyguard-responder',
        policyDocument: responderPolicyDocument({
          account: Aws.ACCOUNT_ID,
          partition: Aws.PARTITION,
          responderRoleArn: roleArn,
          detachAnyUserPolicy: props.detachAnyUserPolicy,
          botRoleName: props.botRoleArn.split('/').pop(),
          protectedUsers: props.protectedUsers,
          protectedRoles: props.protectedRoles,
        }),
      },
    ],
  });
}

export class ResponderRoleStack extends Stack {
  readonly role: iam.CfnRole;

  constructor(scope: Construct, id: string, props: ResponderRoleStackProps) {
    super(scope, id, props);
    const roleName = props.roleName ?? 'keyguard-responder';
    this.role = addResponderRole(this, 'ResponderRole', props);

    new CfnOutput(this, 'ResponderRoleArn', { value: this.role.attrArn });
    new CfnOutput(this, 'TargetRoleName', { value: roleName, description: 'Set IR_TARGET_ROLE_NAME (context targetRoleName) to this' });
  }
}
