/**
 * The intake face: automatic intake wired to the running bot. The SQS poller (AWS Health and
 * GuardDuty through EventBridge) when IR_INTAKE_QUEUE_URL is set; `POST /intake/github` when
 * GITHUB_WEBHOOK_SECRET is set, on the bot's HTTP front door in HTTP mode, or on a listener
 * of its own on PORT (only that path and /healthz) in Socket Mode.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Incident } from '../domain/incident';
import type { HttpFrontDoor } from '../http-server';
import { IntakeEngine, IntakeService } from '../intake/intake-service';
import { SqsIntakePoller } from '../intake/sqs-poller';
import { DELIVERY_MEMORY_SECONDS, GITHUB_INTAKE_PATH, handleGitHubDelivery, type DeliveryLog } from '../intake/github-webhook';
import { GitHubSecretScanningApi, SecretScanningApi } from '../intake/github-api';
import { IntakeListener, IntakeRoute, serveIntake, startIntakeListener } from '../intake/http-listener';
import { WorkPool } from '../intake/work-pool';
import type { Core } from './core';

/** What only tests and the sandbox change: the GitHub API, poll timings. */
export interface IntakeHooks {
  github?: SecretScanningApi;
  /** Tests: shorter waits than production's. */
  poll?: { waitTimeSeconds?: number; visibilityTimeoutSeconds?: number; retryDelaySeconds?: number; concurrency?: number };
  /** Follow-ups (Identify, approval request) at once; default 10. */
  followUpConcurrency?: number;
}

export interface IntakeParts extends IntakeHooks {
  core: Pick<Core, 'config' | 'logger' | 'store' | 'now'>;
  engine: IntakeEngine;
  notifier: { thread(incident: Incident, text: string): Promise<void> };
  /** HTTP mode: the bot's front door, which gets the GitHub route. Socket Mode: undefined. */
  frontDoor?: HttpFrontDoor;
  host?: string;
  /** Default: an SQS client from the SDK chain. */
  sqs?: SQSClient;
}

export interface RunningIntake {
  service: IntakeService;
  poller?: SqsIntakePoller;
  /** Socket Mode only: the listener's port. */
  listener?: IntakeListener;
  stop(): Promise<void>;
}

export async function startIntake(p: IntakeParts): Promise<RunningIntake | undefined> {
  const { config, logger } = p.core;
  const { queueUrl, github } = config.intake;
  if (!queueUrl && !github) return undefined;
  const service = new IntakeService({
    engine: p.engine, store: p.core.store, notifier: p.notifier, logger, channel: config.channelId!, autoContain: config.intake.autoContain, now: p.core.now,
  });
  const receive = service.receive.bind(service);
  // Follow-ups run after their record is written (message deleted, webhook answered),
  // bounded, and are waited for on shutdown. A crash loses none: reconcile advances every
  // open incident (auto-containment then waits for a person's click: closed by default).
  const pool = new WorkPool(p.followUpConcurrency ?? 10, (e) => logger.error({ err: e }, 'intake follow-up failed; the reconcile sweep resumes the incident'));
  const later = (work: () => Promise<void>) => pool.run(work);
  let poller: SqsIntakePoller | undefined;
  let listener: IntakeListener | undefined;
  if (github) {
    const api = p.github ?? new GitHubSecretScanningApi({ token: github.token, baseUrl: github.apiUrl });
    // Delivery ids, claimed in the table like Slack's request ids (REQ#github-delivery:<id>).
    const deliveries: DeliveryLog = {
      claim: (id) => p.core.store.claimRequest(`github-delivery:${id}`, DELIVERY_MEMORY_SECONDS),
      release: (id) => p.core.store.releaseRequest(`github-delivery:${id}`),
    };
    const route: IntakeRoute = (delivery) => handleGitHubDelivery({ secret: github.webhookSecret, api, deliveries, receive, logger, later }, delivery);
    const onError = (e: unknown) => logger.error({ err: e }, 'GitHub intake failed');
    if (p.frontDoor) {
      p.frontDoor.route(GITHUB_INTAKE_PATH, (req, res) => serveIntake(route, req, res, onError));
    } else {
      listener = await startIntakeListener(GITHUB_INTAKE_PATH, route, config.slack.port, p.host, onError);
      logger.info({ port: listener.port, path: GITHUB_INTAKE_PATH }, 'intake listening (Socket Mode: only this path and /healthz)');
    }
  }
  if (queueUrl) {
    poller = new SqsIntakePoller({ sqs: p.sqs ?? new SQSClient({ region: config.awsRegion }), queueUrl, receive, logger, later, ...p.poll });
    await poller.start();
    logger.info({ queueUrl, autoContain: config.intake.autoContain }, 'polling the intake queue');
  }
  return {
    service,
    poller,
    listener,
    stop: async () => {
      await poller?.stop();
      await listener?.close();
      await pool.drain();
    },
  };
}
