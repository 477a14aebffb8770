/**
 * Deployed in each member account (or the GuardDuty / Health delegated administrator) of an
 * organization: two EventBridge rules that forward AWS Health and GuardDuty events about
 * leaked keys to the default event bus of the bot's account, where the intake rules put
 * them on the queue. No assets: deployable without `cdk bootstrap`, or as a StackSet.
 */
import { Aws, Stack, StackProps, aws_events as events, aws_events_targets as targets, aws_iam as iam } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { guardDutyEventPattern, healthEventPattern } from './intake';

export interface IntakeForwarderStackProps extends StackProps {
  /** The bot's account id. */
  botAccount: string;
  /** The bot's region (its default event bus there). */
  botRegion: string;
}

export class IntakeForwarderStack extends Stack {
  constructor(scope: Construct, id: string, props: IntakeForwarderStackProps) {
    super(scope, id, props);
    const bus = events.EventBus.fromEventBusArn(this, 'BotBus', `arn:${Aws.PARTITION}:events:${props.botRegion}:${props.botAccount}:event-bus/default`);
    // Cross-account delivery: EventBridge uses this role to put the events on the bot's bus.
    const role = new iam.Role(this, 'ForwardRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: "keyguard: forward Health and GuardDuty events about leaked keys to the bot's account",
    });
    new events.Rule(this, 'ForwardHealth', { description: 'keyguard: AWS Health events about leaked keys → the bot account', eventPattern: healthEventPattern(), targets: [new targets.EventBus(bus, { role })] });
    new events.Rule(this, 'ForwardGuardDuty', { description: 'keyguard: GuardDuty IAM credential findings → the bot account', eventPattern: guardDutyEventPattern(), targets: [new targets.EventBus(bus, { role })] });
  }
}
