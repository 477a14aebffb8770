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
import { startApp, RunningApp, type AppParts, type TestHooks } from '../src/app';
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

/** The demo's bot: the wired app and how to talk to it. */
export type SandboxBot = WiredBot;

/** IAM/STS clients on moto; the bot's own credentials are moto's, never the default chain. */
function sandboxFactory(motoUrl: string): AwsClientFactory {
  const base = createClientFactory({ region: 'us-east-1', endpoint: motoUrl, maxAttempts: 2 });
  return Object.assign((credentials?: Credentials) => base(credentials ?? SANDBOX_AWS_CREDENTIALS), { options: base.options });
}

/**
 * How a bot is wired to local servers: the one place the demo and the end-to-end tests build
 * the app (configuration, log sink, store, CloudTrail clients, Bolt receiver on a free port).
 */
export interface BotWiring {
  slack: FakeSlack;
  /** Placeholders for the Slack secrets (never real ones). */
  token: string;
  signingSecret: string;
  /** Configuration variables on top of the token, secret, fake Slack's URL and region. */
  env: Record<string, string>;
  logLevel: 'info' | 'debug';
  now?: () => Date;
  /** A fresh embedded table of this name, or a store shared with another replica. */
  store: { table: string } | { shared: { store: DynamoIncidentStore; watches: DynamoWatchStore } };
  cloudTrailUrl: string;
  cloudTrailRequestsPerSecond?: number;
  /** The app's other parts: the read clients, and what a test adds. */
  parts: Pick<AppParts, 'aws'> & Partial<Pick<AppParts, 'installation' | 'intake' | 'background' | 'athena' | 'lake'>>;
  hooks: Pick<TestHooks, 'containmentFactory' | 'crashPoint' | 'instanceId'>;
}

export interface WiredBot {
  app: RunningApp;
  /** The Events API / interactivity URL of the receiver. */
  url: string;
  config: Config;
  store: DynamoIncidentStore;
  /** The bot's log lines (JSON), kept in memory. */
  logs: string[];
  slash(command: string, text: string, userId: string, extra?: { channel_id?: string; trigger_id?: string; retryNum?: number }): Promise<{ status: number; json?: any; responseUrl: string }>;
  interact(payload: Record<string, unknown>, extra?: { retryNum?: number }): Promise<{ status: number; json?: any; body: string }>;
  close(): Promise<void>;
}

export async function wireBot(w: BotWiring): Promise<WiredBot> {
  const config = loadConfig({
    SLACK_BOT_TOKEN: w.token,
    SLACK_SIGNING_SECRET: w.signingSecret,
    SLACK_API_URL: w.slack.apiUrl,
    PORT: '1',
    AWS_REGION: 'us-east-1',
    ...w.env,
  });
  config.slack.port = 0; // a free port
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger(w.logLevel, sink);
  let dynamo: EmbeddedDynamo | undefined;
  let store: DynamoIncidentStore;
  let watches: DynamoWatchStore;
  if ('shared' in w.store) {
    ({ store, watches } = w.store.shared);
  } else {
    dynamo = await startEmbeddedDynamo();
    await ensureTable(dynamo.client, w.store.table, true);
    store = new DynamoIncidentStore(dynamo.client, w.store.table, w.now);
    watches = new DynamoWatchStore(dynamo.client, w.store.table);
  }
  const app = await startApp(
    {
      config,
      logger,
      ...w.parts,
      store,
      watches,
      botId: 'BBOT',
      botUserId: 'UBOT',
      now: w.now,
      testHooks: {
        ...w.hooks,
        readBackDelaysMs: [0, 10],
        cloudTrail: createCloudTrailClientFactory({ endpoint: w.cloudTrailUrl, credentials: SANDBOX_AWS_CREDENTIALS }),
        cloudTrailRequestsPerSecond: w.cloudTrailRequestsPerSecond ?? 40,
        cloudTrailWithCredentials: (credentials) => createCloudTrailClientFactory({ endpoint: w.cloudTrailUrl, credentials }),
      },
    },
    '127.0.0.1',
  );
  const url = `http://127.0.0.1:${app.port}/slack/events`;
  return {
    app,
    url,
    config,
    store,
    logs,
    async slash(command, text, userId, extra = {}) {
      const responseUrl = w.slack.responseUrl();
      const body = slashCommandBody({ command, text, user_id: userId, response_url: responseUrl, channel_id: extra.channel_id, trigger_id: extra.trigger_id, team_id: SANDBOX_TEAM_ID });
      const res = await signedPost({ url, signingSecret: w.signingSecret, body, retryNum: extra.retryNum });
      return { ...res, responseUrl };
    },
    async interact(payload, extra = {}) {
      return signedPost({ url, signingSecret: w.signingSecret, body: interactionBody(payload), retryNum: extra.retryNum });
    },
    async close() {
      await app.stop();
      await dynamo?.close();
    },
  };
}

/** The demo's bot: the sandbox's placeholders, IAM/STS on moto, a table of its own. */
export async function startSandboxBot(o: SandboxBotOptions): Promise<SandboxBot> {
  const aws = { region: 'us-east-1', endpoint: o.motoUrl, credentials: SANDBOX_AWS_CREDENTIALS, maxAttempts: 2 };
  return wireBot({
    slack: o.slack,
    token: SANDBOX_BOT_TOKEN,
    signingSecret: SANDBOX_SIGNING_SECRET,
    env: o.env,
    logLevel: 'info',
    now: o.now,
    store: { table: 'keyguard-sandbox' },
    cloudTrailUrl: o.cloudTrailUrl,
    cloudTrailRequestsPerSecond: o.cloudTrailRequestsPerSecond,
    parts: { aws: { iam: new IAMClient(aws), sts: new STSClient(aws) } },
    hooks: { containmentFactory: sandboxFactory(o.motoUrl) },
  });
}
