/** SQS in this worker's moto: an intake queue with its dead-letter queue, and reading them back. */
import {
  CreateQueueCommand, GetQueueAttributesCommand, Message, ReceiveMessageCommand, SendMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';

export const motoSqs = () =>
  new SQSClient({ region: 'us-east-1', endpoint: process.env.MOTO_URL, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 2 });

/** A queue whose RedrivePolicy moves a message to the DLQ after `maxReceiveCount` receives. */
export async function intakeQueues(sqs: SQSClient, maxReceiveCount = 3): Promise<{ queueUrl: string; dlqUrl: string }> {
  const name = `keyguard-intake-${randomUUID().slice(0, 8)}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const q = await sqs.send(new CreateQueueCommand({
    QueueName: name,
    Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: String(maxReceiveCount) }), VisibilityTimeout: '120' },
  }));
  return { queueUrl: q.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

/** What EventBridge does with a matched event: the event JSON as the message body. */
export async function deliver(sqs: SQSClient, queueUrl: string, event: unknown): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: typeof event === 'string' ? event : JSON.stringify(event) }));
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return { visible: Number(a.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

/** Read (without deleting) what is on a queue, message attributes included. */
export async function peek(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0, MessageAttributeNames: ['All'] }));
  return r.Messages ?? [];
}
