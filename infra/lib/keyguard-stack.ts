/**
 * keyguard in the bot's account: the incident table, the bot's least-privilege role, a
 * Secrets Manager secret for the Slack tokens (filled in by hand, never in the template),
 * and one Fargate task running the bot in Socket Mode (outbound only: no load balancer, no
 * inbound port).
 */
import * as path from 'path';
import {
  Aws,
  CfnOutput,
  Duration,
  IgnoreMode,
  RemovalPolicy,
  Stack,
  StackProps,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_iam as iam,
  aws_logs as logs,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import type { Construct } from 'constructs';
import { botPolicyDocument } from './permissions';
import { tablePropsFromSchema } from './table-from-schema';
import { IntakeQueue } from './intake';
import { addResponderRole } from './responder-role-stack';
import { TTL_ATTRIBUTE } from '../../src/store/table-schema';

/** Repository root: the Docker build context. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** What the image build never needs; keeps secrets (.env) and local state out of the context. */
const DOCKER_EXCLUDES = [
  '**/node_modules',
  '.git',
  '.ci',
  '.env',
  '**/.env',
  '.data',
  'dist',
  'coverage',
  'bench',
  'test',
  '**/*.log',
  'infra',
  '!infra/docker',
];

/** The Slack tokens' JSON keys inside the secret; each becomes the environment variable of that name. */
export const SLACK_SECRET_KEYS = ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'] as const;

export interface KeyguardStackProps extends StackProps {
  /** Name of the bot's IAM role. Fixed (not generated) because responder roles in other accounts trust it by ARN. */
  botRoleName?: string;
  /** IR_TARGET_ROLE_NAME: the responder role every IAM write goes through, in this account too (default keyguard-responder). */
  targetRoleName?: string;
  /** Break-glass users and roles never destroyed (IR_PROTECTED_PRINCIPALS, context protectedPrincipals); still contained. */
  protectedUsers?: readonly string[];
  protectedRoles?: readonly string[];
  /** Table name; CloudFormation picks one when unset. The table is kept when the stack is deleted. */
  tableName?: string;
  /** Secrets Manager name of the Slack token secret. */
  slackSecretName?: string;
  /** A container image to run (e.g. an ECR URI). Unset: built from this repository with infra/docker/Dockerfile. */
  image?: string;
  /** Number of bot tasks; 0 until the Slack tokens are in the secret. */
  desiredCount?: number;
  /** Extra bot settings passed as environment variables (IR_CHANNEL_ID, IR_APPROVERS, …). */
  botEnvironment?: Record<string, string>;
  /** See ContainmentOptions.detachAnyUserPolicy in permissions.ts. */
  detachAnyUserPolicy?: boolean;
  logRetention?: logs.RetentionDays;
  /** Automatic intake: the SQS queue, its DLQ and the Health/GuardDuty rules (needs a channel id). */
  intake?: boolean;
  /** With intake: the AWS Organizations id whose accounts may forward events to this account's bus. */
  intakeOrgId?: string;
}

export class KeyguardStack extends Stack {
  readonly table: dynamodb.Table;
  readonly botRole: iam.Role;
  /** The responder role in the bot's own account: the bot writes no IAM itself. */
  readonly responderRole: iam.CfnRole;
  readonly slackSecret: secretsmanager.Secret;
  readonly service: ecs.FargateService;
  readonly intake?: IntakeQueue;

  constructor(scope: Construct, id: string, props: KeyguardStackProps = {}) {
    super(scope, id, props);
    const botRoleName = props.botRoleName ?? 'keyguard-bot';

    // --- The record: built from src/store/table-schema.ts so keys and index cannot drift.
    const schema = tablePropsFromSchema();
    this.table = new dynamodb.Table(this, 'IncidentTable', {
      partitionKey: schema.partitionKey,
      sortKey: schema.sortKey,
      billingMode: schema.billingMode,
      tableName: props.tableName,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Only REQ# (Slack request seen) items carry the numeric TTL attribute; nothing relies on the deletion.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of schema.globalSecondaryIndexes) this.table.addGlobalSecondaryIndex(index);

    // --- Automatic intake: the queue the bot polls, its DLQ, the EventBridge rules.
    this.intake = props.intake ? new IntakeQueue(this, 'Intake', { orgId: props.intakeOrgId }) : undefined;

    // --- The bot's role: exactly the statements in permissions.ts, inline on the role.
    const botRoleArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${botRoleName}`;
    this.botRole = new iam.Role(this, 'BotRole', {
      roleName: botRoleName,
      description: 'keyguard Slack bot: key lookups, approved containment, CloudTrail pulls, the incident record',
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      inlinePolicies: {
        keyguard: iam.PolicyDocument.fromJson(
          botPolicyDocument({
            account: Aws.ACCOUNT_ID,
            partition: Aws.PARTITION,
            botRoleArn,
            tableArn: this.table.tableArn,
            targetRoleName: props.targetRoleName,
            intakeQueue: this.intake ? { queueArn: this.intake.queue.queueArn, deadLetterQueueArn: this.intake.deadLetterQueue.queueArn } : undefined,
          }),
        ),
      },
    });

    // --- The responder role in this account: every IAM write of the bot goes through it.
    this.responderRole = addResponderRole(this, 'ResponderRole', {
      botRoleArn,
      roleName: props.targetRoleName,
      detachAnyUserPolicy: props.detachAnyUserPolicy,
      protectedUsers: props.protectedUsers,
      protectedRoles: props.protectedRoles,
    });
    // IAM checks a trust policy's principal exists: the bot's role first.
    this.responderRole.node.addDependency(this.botRole);

    // --- Slack tokens: created with a random placeholder; put the real JSON in after deploy (infra/README.md).
    this.slackSecret = new secretsmanager.Secret(this, 'SlackTokens', {
      secretName: props.slackSecretName ?? 'keyguard/slack',
      description: `keyguard Slack tokens as JSON: {${SLACK_SECRET_KEYS.map((k) => `"${k}": "…"`).join(', ')}}`,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- The service: one Fargate task in public subnets (outbound to Slack and AWS, no NAT, no inbound).
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });
    const securityGroup = new ec2.SecurityGroup(this, 'BotSecurityGroup', {
      vpc,
      description: 'keyguard bot: outbound only (Slack Socket Mode, AWS APIs)',
      allowAllOutbound: true,
    });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 256,
      memoryLimitMiB: 512,
      taskRole: this.botRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const image = props.image
      ? ecs.ContainerImage.fromRegistry(props.image)
      : ecs.ContainerImage.fromAsset(REPO_ROOT, {
          file: 'infra/docker/Dockerfile',
          exclude: DOCKER_EXCLUDES,
          ignoreMode: IgnoreMode.DOCKER,
          platform: Platform.LINUX_AMD64,
        });
    taskDefinition.addContainer('bot', {
      image,
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'keyguard' }),
      environment: {
        ...props.botEnvironment,
        IR_TABLE_NAME: this.table.tableName,
        ...(props.targetRoleName ? { IR_TARGET_ROLE_NAME: props.targetRoleName } : {}),
        ...(props.protectedUsers?.length || props.protectedRoles?.length
          ? { IR_PROTECTED_PRINCIPALS: [...(props.protectedUsers ?? []).map((u) => `user/${u}`), ...(props.protectedRoles ?? []).map((r) => `role/${r}`)].join(',') }
          : {}),
        ...(this.intake ? { IR_INTAKE_QUEUE_URL: this.intake.queue.queueUrl } : {}),
        AWS_REGION: Aws.REGION,
      },
      secrets: Object.fromEntries(SLACK_SECRET_KEYS.map((k) => [k, ecs.Secret.fromSecretsManager(this.slackSecret, k)])),
      // SIGTERM lets running steps finish; Fargate allows at most 120 s.
      stopTimeout: Duration.seconds(120),
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition,
      desiredCount: props.desiredCount ?? 1,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [securityGroup],
      // A replacement starts before the old task stops; two Socket Mode connections are fine,
      // every decision is a conditional write, so only one of them acts.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      enableExecuteCommand: false,
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'BotRoleArn', { value: this.botRole.roleArn, description: 'Trusted by the responder roles in other accounts' });
    new CfnOutput(this, 'SlackSecretArn', { value: this.slackSecret.secretArn });
    new CfnOutput(this, 'ClusterName', { value: cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: this.service.serviceName });
    new CfnOutput(this, 'LogGroupName', { value: logGroup.logGroupName });
    if (this.intake) {
      new CfnOutput(this, 'IntakeQueueUrl', { value: this.intake.queue.queueUrl });
      new CfnOutput(this, 'IntakeDeadLetterQueueUrl', { value: this.intake.deadLetterQueue.queueUrl, description: 'Events that could not become incidents, with the reason as a message attribute' });
    }
  }
}
