/**
 * The real keyguard bot wired to the sandbox: the Bolt app on its HTTP receiver (loopback,
 * free port), the simulated Slack workspace, IAM/STS in moto, CloudTrail from the emulator,
 * the record in an in-process dynalite. What the demo runs; a person talks to it through
 * signed requests (slash commands, clicks, modal submissions) as Slack would send them.
 */
import { Writable } from 'node:stream';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { loadConfig, Config } from '../src/config';
import { createLogger } from '../src/logger';
import { startApp, RunningApp } from '../src/app';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../src/store/embedded-dynamo';
import { ensureTable } from '../src/store/table-setup';
import { DynamoIncidentStore } from '../src/store/incident-store';
import { DynamoWatchStore } from '../src/store/watch-store';
import { AwsClientFactory, createClientFactory, Credentials } from '../src/aws/iam-sts-clients';
import { createCloudTrailClientFactory } from '../src/aws/cloudtrail-lookup';
import type { FakeSlack } from './fake-slack';
import { signedPost, slashCommandBody, interactionBody } from './slack-signer';

/** Sandbox-only values, not real credentials. */
export const SANDBOX_BOT_TOKEN = 'xoxb-sandbox-not-a-real-token';
export const SANDBOX_SIGNING_SECRET = 'sandbox-signing-secret-not-real';
/** The one Slack team of the simulated workspace (fake Slack's auth.test answers it too). */
export const SANDBOX_TEAM_ID = 'T1';
/** moto's answers for any credentials; never real. */
export const SANDBOX_AWS_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface SandboxBotOptions {
  slack: FakeSlack;
  motoUrl: string;
  cloudTrailUrl: string;
  /** Configuration on top of the sandbox's (IR_RESPONDERS, IR_APPROVERS, IR_CHANNEL_ID, …). */
  env: Record<string, string>;
  /** The bot's clock (the demo moves it to just after the attack). */
  now?: () => Date;
  /** Requests a second the bot allows itself per CloudTrail region (the emulator's limit). */
  cloudTrailRequestsPerSecond?: number;
}

export interface SandboxBot {
  app: RunningApp;
  config: Config;
  store: DynamoIncidentStore;
  /** The bot's log lines (JSON), kept in memory. */
  logs: string[];
  slash(command: string, text: string, userId: string, extra?: { channel_id?: string; trigger_id?: string }): Promise<{ status: number; json?: any; responseUrl: string }>;
  interact(payload: Record<string, unknown>): Promise<{ status: number; json?: any; body: string }>;
  close(): Promise<void>;
}

/** IAM/STS clients on moto; the bot's own credentials are moto's, never the default chain. */
function sandboxFactory(motoUrl: string): AwsClientFactory {
  const base = createClientFactory({ region: 'us-east-1', endpoint: motoUrl, maxAttempts: 2 });
  return Object.assign((credentials?: Credentials) => base(credentials ?? SANDBOX_AWS_CREDENTIALS), { options: base.options });
}

export async function startSandboxBot(o: SandboxBotOptions): Promise<SandboxBot> {
  const config = loadConfig({
    SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
    SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
    SLACK_API_URL: o.slack.apiUrl,
    PORT: '1',
    AWS_REGION: 'us-east-1',
    ...o.env,
  });
  config.slack.port = 0; // a free port
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger('info', sink);
  const dynamo: EmbeddedDynamo = await startEmbeddedDynamo();
  await ensureTable(dynamo.client, 'keyguard-sandbox', true);
  const store = new DynamoIncidentStore(dynamo.client, 'keyguard-sandbox', o.now);
  const watches = new DynamoWatchStore(dynamo.client, 'keyguard-sandbox');
  const aws = { region: 'us-east-1', endpoint: o.motoUrl, credentials: SANDBOX_AWS_CREDENTIALS, maxAttempts: 2 };
  const app = await startApp(
    {
      config,
      logger,
      aws: { iam: new IAMClient(aws), sts: new STSClient(aws) },
      store,
      watches,
      botId: 'BBOT',
      botUserId: 'UBOT',
      now: o.now,
      testHooks: {
        containmentFactory: sandboxFactory(o.motoUrl),
        readBackDelaysMs: [0, 10],
        cloudTrail: createCloudTrailClientFactory({ endpoint: o.cloudTrailUrl, credentials: SANDBOX_AWS_CREDENTIALS }),
        cloudTrailRequestsPerSecond: o.cloudTrailRequestsPerSecond ?? 40,
        cloudTrailWithCredentials: (credentials) => createCloudTrailClientFactory({ endpoint: o.cloudTrailUrl, credentials }),
      },
    },
    '127.0.0.1',
  );
  const url = `http://127.0.0.1:${app.port}/slack/events`;
  return {
    app,
    config,
    store,
    logs,
    async slash(command, text, userId, extra = {}) {
      const responseUrl = o.slack.responseUrl();
      const body = slashCommandBody({ command, text, user_id: userId, response_url: responseUrl, channel_id: extra.channel_id, trigger_id: extra.trigger_id, team_id: SANDBOX_TEAM_ID });
      const res = await signedPost({ url, signingSecret: SANDBOX_SIGNING_SECRET, body });
      return { ...res, responseUrl };
    },
    async interact(payload) {
      return signedPost({ url, signingSecret: SANDBOX_SIGNING_SECRET, body: interactionBody(payload) });
    },
    async close() {
      await app.stop();
      await dynamo.close();
    },
  };
}
