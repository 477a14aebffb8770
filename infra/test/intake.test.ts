/**
 * The intake resources: an encrypted, TLS-only queue with a dead-letter queue, EventBridge
 * rules matching exactly the Health event types and GuardDuty finding types the bot reads,
 * the bot's queue permissions and IR_INTAKE_QUEUE_URL, organization forwarding.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildKeyguardApp } from '../lib/app';
import { INTAKE_MAX_RECEIVE_COUNT } from '../lib/intake';
import { HEALTH_KEY_EVENT_TYPES } from '../../src/intake/aws-health';
import { GUARDDUTY_KEY_FINDING_TYPES } from '../../src/intake/guardduty';

const CDK_JSON = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const outdirs: string[] = [];
after(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function synth(context: Record<string, string>) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-cdk-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...CDK_JSON.context, image: 'example/keyguard:1', ...context } });
  const stacks = buildKeyguardApp(app);
  app.synth();
  return { bot: Template.fromStack(stacks.bot), forwarder: stacks.forwarder ? Template.fromStack(stacks.forwarder) : undefined };
}

const ofType = (t: Template, type: string) => Object.entries(t.toJSON().Resources as Record<string, { Type: string; Properties: any }>).filter(([, r]) => r.Type === type);

describe('intake in the Keyguard stack', () => {
  const { bot } = synth({ intake: 'true', channelId: 'C0123ABCD', autoContain: 'aws-health' });
  const queues = ofType(bot, 'AWS::SQS::Queue');
  const [dlqId] = queues.find(([, q]) => !q.Properties.RedrivePolicy)!;
  const [queueId, queue] = queues.find(([, q]) => q.Properties.RedrivePolicy)!;

  it('a queue and a dead-letter queue, both encrypted and kept', () => {
    assert.equal(queues.length, 2);
    for (const [, q] of queues) assert.equal(q.Properties.SqsManagedSseEnabled, true);
    assert.deepEqual(queue.Properties.RedrivePolicy, { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: INTAKE_MAX_RECEIVE_COUNT });
    assert.equal(queue.Properties.ReceiveMessageWaitTimeSeconds, 20);
    assert.ok(queue.Properties.VisibilityTimeout > 120, 'longer than the visibility the bot receives with');
    bot.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
  });

  it('refuses anything but TLS on both queues', () => {
    const policies = ofType(bot, 'AWS::SQS::QueuePolicy');
    const denies = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement).filter((s: any) => s.Effect === 'Deny');
    assert.equal(denies.length, 2);
    for (const d of denies) assert.deepEqual(d.Condition, { Bool: { 'aws:SecureTransport': 'false' } });
  });

  it('rules for exactly the Health event types and GuardDuty finding types the bot reads, to the queue', () => {
    const rules = ofType(bot, 'AWS::Events::Rule').map(([, r]) => r.Properties);
    assert.equal(rules.length, 2);
    const health = rules.find((r) => r.EventPattern.source[0] === 'aws.health')!;
    assert.deepEqual(health.EventPattern['detail-type'], ['AWS Health Event']);
    assert.deepEqual(health.EventPattern.detail.eventTypeCode, Object.keys(HEALTH_KEY_EVENT_TYPES));
    assert.ok(health.EventPattern.detail.eventTypeCode.includes('AWS_RISK_CREDENTIALS_EXPOSED'));
    const gd = rules.find((r) => r.EventPattern.source[0] === 'aws.guardduty')!;
    assert.deepEqual(gd.EventPattern.detail.type, [...GUARDDUTY_KEY_FINDING_TYPES]);
    for (const r of rules) {
      assert.deepEqual(r.Targets[0].Arn, { 'Fn::GetAtt': [queueId, 'Arn'] });
      assert.deepEqual(r.Targets[0].DeadLetterConfig.Arn, { 'Fn::GetAtt': [dlqId, 'Arn'] });
    }
    // Only EventBridge, only from these rules, may send to the queue.
    const send = ofType(bot, 'AWS::SQS::QueuePolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement).filter((s: any) => s.Effect === 'Allow');
    assert.ok(send.length >= 2);
    for (const s of send) {
      assert.deepEqual(s.Principal, { Service: 'events.amazonaws.com' });
      assert.ok(s.Condition.ArnEquals['aws:SourceArn']);
    }
  });

  it('the bot consumes the queue, sends only to the DLQ, and is told the URL', () => {
    const role = ofType(bot, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'keyguard-bot')![1];
    const statements = role.Properties.Policies[0].PolicyDocument.Statement;
    const consume = statements.find((s: any) => s.Sid === 'IntakeQueueConsume');
    assert.deepEqual(consume.Action, ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes']);
    assert.deepEqual([consume.Resource].flat(), [{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
    const dead = statements.find((s: any) => s.Sid === 'IntakeDeadLetterSend');
    assert.deepEqual([dead.Resource].flat(), [{ 'Fn::GetAtt': [dlqId, 'Arn'] }]);
    const [, task] = ofType(bot, 'AWS::ECS::TaskDefinition')[0];
    const env = Object.fromEntries(task.Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
    assert.deepEqual(env.IR_INTAKE_QUEUE_URL, { Ref: queueId });
    assert.equal(env.IR_AUTO_CONTAIN, 'aws-health');
  });

  it('is off unless asked for, and needs a channel', () => {
    const { bot: plain } = synth({ channelId: 'C0123ABCD' });
    assert.equal(ofType(plain, 'AWS::SQS::Queue').length, 0);
    assert.equal(ofType(plain, 'AWS::Events::Rule').length, 0);
    assert.throws(() => synth({ intake: 'true' }), /needs channelId/);
    assert.throws(() => synth({ intake: 'true', channelId: 'C0123ABCD', intakeOrgId: 'org-1' }), /intakeOrgId/);
  });
});

describe('intake in an organization', () => {
  it("the bot account's bus accepts events forwarded from the organization only", () => {
    const { bot } = synth({ intake: 'true', channelId: 'C0123ABCD', intakeOrgId: 'o-a1b2c3d4e5' });
    const [[, policy]] = ofType(bot, 'AWS::Events::EventBusPolicy');
    assert.equal(policy.Properties.EventBusName, 'default');
    assert.equal(policy.Properties.Statement.Action, 'events:PutEvents');
    assert.deepEqual(policy.Properties.Statement.Condition, { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } });
  });

  it('the forwarder (member accounts) sends both kinds of events to the bot account, without bootstrap', () => {
    const { forwarder } = synth({ botAccount: '111111111111', botRegion: 'eu-west-1' });
    assert.ok(forwarder);
    assert.deepEqual(Object.keys(forwarder.toJSON().Parameters ?? {}), []);
    const rules = ofType(forwarder, 'AWS::Events::Rule').map(([, r]) => r.Properties);
    assert.deepEqual(rules.map((r) => r.EventPattern.source[0]).sort(), ['aws.guardduty', 'aws.health']);
    for (const r of rules) assert.match(JSON.stringify(r.Targets[0].Arn), /events:eu-west-1:111111111111:event-bus\/default/);
    assert.equal(synth({ botAccount: '111111111111' }).forwarder, undefined);
  });
});
