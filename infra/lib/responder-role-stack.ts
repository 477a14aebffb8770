/**
 * Deployed in each OTHER account the bot may act in: the responder role the bot assumes
 * (IR_TARGET_ROLE_NAME) to contain a key that belongs to that account. Only the bot's role
 * may assume it, and only with a SourceIdentity (the approving Slack user), so that
 * account's CloudTrail names the human behind every change.
 */
import { Aws, CfnOutput, Stack, StackProps, aws_iam as iam } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { responderPolicyDocument, responderTrustPolicy } from './permissions';

export interface ResponderRoleStackProps extends StackProps {
  /** ARN of the bot's role in the bot's account (KeyguardStack output BotRoleArn). */
  botRoleArn: string;
  /** Must equal the bot's IR_TARGET_ROLE_NAME. */
  roleName?: string;
  /** See ContainmentOptions.detachAnyUserPolicy in permissions.ts. */
  detachAnyUserPolicy?: boolean;
}

export class ResponderRoleStack extends Stack {
  readonly role: iam.CfnRole;

  constructor(scope: Construct, id: string, props: ResponderRoleStackProps) {
    super(scope, id, props);
    const roleName = props.roleName ?? 'keyguard-responder';
    const roleArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${roleName}`;

    // L1 on purpose: the trust policy and the permissions are exactly the JSON in permissions.ts.
    this.role = new iam.CfnRole(this, 'ResponderRole', {
      roleName,
      description: 'keyguard: contains leaked access keys in this account, assumed by the keyguard bot with the approver as SourceIdentity',
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
          }),
        },
      ],
    });

    new CfnOutput(this, 'ResponderRoleArn', { value: this.role.attrArn });
    new CfnOutput(this, 'TargetRoleName', { value: roleName, description: 'Set IR_TARGET_ROLE_NAME (context targetRoleName) to this' });
  }
}
