/**
 * The intake queue poller (SQS, fed by EventBridge rules for AWS Health and GuardDuty).
 *
 * - Long polling (WaitTimeSeconds 20), up to 10 messages a receive, at most `concurrency`
 *   messages in work at once.
 * - Each message is received with a visibility timeout (default 120 s) far longer than the
 *   work done before its deletion (two or three DynamoDB writes).
 * - A message is deleted only after the incident record is written; what follows (Identify,
 *   the approval request) runs after, and a crash there is finished by the engine's
 *   reconcile sweep.
 * - A failure while writing makes the message visible again after `retryDelaySeconds`; the
 *   queue's RedrivePolicy moves it to the dead-letter queue after maxReceiveCount tries.
 * - A malformed or unrecognised message is sent to the dead-letter queue at once with the
 *   reason as a message attribute (and logged), then deleted; if the queue has no DLQ, or
 *   the send fails, it is left on the queue for the redrive. Nothing is lost, and nothing a
 *   message contains can stop the poller.
 * - Several replicas may poll the same queue: SQS hands a message to one of them at a time,
 *   and the key lock makes a second open join the first incident.
 */
import {
  ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand,
  Message, ReceiveMessageCommand, SendMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from '../logger';
import { maskKeyId } from '../domain/key-id';
import { parseQueueMessage } from './eventbridge';
import type { IntakeRecord } from './record';
import type { Received } from './intake-service';

export interface SqsPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  receive: (record: IntakeRecord) => Promise<Received>;
  logger: Logger;
  waitTimeSeconds?: number;
  visibilityTimeoutSeconds?: number;
  /** After a failed attempt, when the message shows again (the redrive counts attempts). */
  retryDelaySeconds?: number;
  /** Messages being recorded at once. */
  concurrency?: number;
  /** Where follow-ups run once their message is deleted (default: awaited in place). */
  later?: (work: () => Promise<void>) => void;
}

export const POISON_REASON_ATTRIBUTE = 'keyguard-reason';

export class SqsIntakePoller {
  private running = false;
  private loop?: Promise<void>;
  private readonly abort = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private dlqUrl?: string;
  /** Counters for health checks, tests and the bench. */
  readonly stats = { received: 0, deleted: 0, poisoned: 0, failed: 0 };

  constructor(private readonly o: SqsPollerOptions) {}

  async start(): Promise<void> {
    this.dlqUrl = await this.findDeadLetterQueue();
    this.running = true;
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
    await Promise.allSettled([...this.inflight]);
  }

  /** The DLQ named by the queue's RedrivePolicy, so poison goes there at once. */
  private async findDeadLetterQueue(): Promise<string | undefined> {
    try {
      const attrs = await this.o.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.o.queueUrl, AttributeNames: ['RedrivePolicy'] }));
      const policy = attrs.Attributes?.RedrivePolicy;
      if (!policy) {
        this.o.logger.warn({ queueUrl: this.o.queueUrl }, 'the intake queue has no RedrivePolicy: unreadable messages stay on it until its retention ends; configure a dead-letter queue');
        return undefined;
      }
      const arn = String((JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn ?? '');
      const [, , , , account, name] = arn.split(':');
      if (!name) return undefined;
      const r = await this.o.sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
      return r.QueueUrl;
    } catch (e) {
      // Without the DLQ's URL, poison is left to the queue's own redrive.
      this.o.logger.warn({ err: e }, 'could not read the intake queue RedrivePolicy; unreadable messages are left to the redrive');
      return undefined;
    }
  }

  private async poll(): Promise<void> {
    const max = this.o.concurrency ?? 20;
    let backoffMs = 0;
    while (this.running) {
      if (this.inflight.size >= max) {
        await Promise.race(this.inflight);
        continue;
      }
      let messages: Message[] = [];
      try {
        const r = await this.o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.o.queueUrl,
            MaxNumberOfMessages: Math.min(10, max - this.inflight.size),
            WaitTimeSeconds: this.o.waitTimeSeconds ?? 20,
            VisibilityTimeout: this.o.visibilityTimeoutSeconds ?? 120,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = r.Messages ?? [];
        backoffMs = 0;
      } catch (e) {
        if (!this.running) break;
        backoffMs = Math.min(30_000, backoffMs ? backoffMs * 2 : 500);
        this.o.logger.error({ err: e, retryInMs: backoffMs }, 'could not receive from the intake queue');
        await new Promise((r) => setTimeout(r, backoffMs));
        continue;
      }
      for (const m of messages) {
        this.stats.received++;
        const p: Promise<void> = this.handle(m)
          .catch((e) => this.o.logger.error({ err: e, messageId: m.MessageId }, 'intake message handling failed'))
          .finally(() => this.inflight.delete(p));
        this.inflight.add(p);
      }
    }
  }

  private async handle(m: Message): Promise<void> {
    const parsed = parseQueueMessage(m.Body);
    if (!parsed.ok) {
      await this.poison(m, parsed.reason);
      return;
    }
    const received: Received[] = [];
    const started = Date.now();
    try {
      for (const record of parsed.records) received.push(await this.o.receive(record));
    } catch (e) {
      // Not written: show the message again soon; the queue counts the attempts and moves
      // it to the DLQ after maxReceiveCount. (A record already written is joined next time.)
      this.stats.failed++;
      this.o.logger.error({ err: e, messageId: m.MessageId, attempt: m.Attributes?.ApproximateReceiveCount }, 'intake record not written; the message will be retried');
      await this.o.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: this.o.retryDelaySeconds ?? 30 }))
        .catch((err) => this.o.logger.warn({ err, messageId: m.MessageId }, 'could not shorten the visibility; the message shows again when it runs out'));
      return;
    }
    await this.o.sqs.send(new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: m.ReceiptHandle }));
    this.stats.deleted++;
    this.o.logger.info({ messageId: m.MessageId, ms: Date.now() - started, incidents: received.map((r) => r.incidentId), keys: parsed.records.map((r) => maskKeyId(r.keyId)) }, 'intake message recorded and deleted');
    for (const r of received) {
      const work = () => r.followUp().catch((e) => this.o.logger.error({ err: e, incident: r.incidentId }, 'intake follow-up failed; the reconcile sweep resumes the incident'));
      if (this.o.later) this.o.later(work);
      else await work();
    }
  }

  /** Malformed or unrecognised: to the DLQ with the reason, or left for the redrive. Never dropped. */
  private async poison(m: Message, reason: string): Promise<void> {
    this.stats.poisoned++;
    this.o.logger.warn({ messageId: m.MessageId, reason, toDeadLetterQueue: Boolean(this.dlqUrl) }, 'intake message cannot become an incident');
    if (!this.dlqUrl) {
      // Leave it on the queue, out of sight for a while: the redrive (if any) or a person deals with it.
      await this.o.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 3600 })).catch(() => undefined);
      return;
    }
    try {
      await this.o.sqs.send(new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: m.Body ?? '',
        MessageAttributes: {
          [POISON_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: reason.slice(0, 1000) },
          'keyguard-source-message-id': { DataType: 'String', StringValue: m.MessageId ?? 'unknown' },
        },
      }));
    } catch (e) {
      this.o.logger.error({ err: e, messageId: m.MessageId }, 'could not send to the dead-letter queue; the message stays on the intake queue for the redrive');
      return;
    }
    await this.o.sqs.send(new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }
}
