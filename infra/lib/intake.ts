/**
 * Automatic intake in AWS: the SQS queue the bot polls (IR_INTAKE_QUEUE_URL) with its
 * dead-letter queue, both encrypted (SSE-SQS) and TLS-only, and the EventBridge rules that
 * put AWS Health and GuardDuty events about leaked keys on it.
 *
 * Organization: the rules match events of any account that reach this account's default
 * event bus. With `orgId`, the bus accepts events forwarded from the organization's accounts
 * (IntakeForwarderStack, deployed in each member account, or in the GuardDuty / Health
 * delegated administrator, which already sees every member's findings and events).
 */
import { Aws, Duration, RemovalPolicy, aws_events as events, aws_events_targets as targets, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { HEALTH_DETAIL_TYPE, HEALTH_KEY_EVENT_TYPES, HEALTH_SOURCE } from '../../src/intake/aws-health';
import { GUARDDUTY_DETAIL_TYPE, GUARDDUTY_KEY_FINDING_TYPES, GUARDDUTY_SOURCE } from '../../src/intake/guardduty';

/** Receives after which a message goes to the DLQ (a failed write is retried this often). */
export const INTAKE_MAX_RECEIVE_COUNT = 5;

/** The two event patterns, from the same lists the bot's adapters accept. */
export function healthEventPattern(): events.EventPattern {
  return { source: [HEALTH_SOURCE], detailType: [HEALTH_DETAIL_TYPE], detail: { eventTypeCode: Object.keys(HEALTH_KEY_EVENT_TYPES) } };
}

export function guardDutyEventPattern(): events.EventPattern {
  return { source: [GUARDDUTY_SOURCE], detailType: [GUARDDUTY_DETAIL_TYPE], detail: { type: [...GUARDDUTY_KEY_FINDING_TYPES] } };
}

export interface IntakeQueueProps {
  /** AWS Organizations id (o-…): accept events forwarded from the organization's accounts. */
  orgId?: string;
}

export class IntakeQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: IntakeQueueProps = {}) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS keeps anything: time for a person to look at what could not be read.
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The bot receives with 120 s (far longer than writing the record); this is the fallback.
      visibilityTimeout: Duration.seconds(180),
      receiveMessageWaitTime: Duration.seconds(20),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: INTAKE_MAX_RECEIVE_COUNT },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // EventBridge delivers the event itself as the message body; retries for a day, then the DLQ.
    const target = () => new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) });
    new events.Rule(this, 'HealthRule', {
      description: 'keyguard intake: AWS Health events about exposed or compromised access keys',
      eventPattern: healthEventPattern(),
      targets: [target()],
    });
    new events.Rule(this, 'GuardDutyRule', {
      description: 'keyguard intake: GuardDuty findings about IAM credentials',
      eventPattern: guardDutyEventPattern(),
      targets: [target()],
    });
    if (props.orgId) {
      // The default bus takes events forwarded by the organization's accounts, nobody else's.
      new events.CfnEventBusPolicy(this, 'OrgForwarding', {
        statementId: 'keyguard-intake-from-organization',
        eventBusName: 'default',
        statement: {
          Sid: 'keyguard-intake-from-organization',
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': props.orgId } },
        },
      });
    }
  }
}
