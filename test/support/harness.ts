/**
 * Everything an end-to-end test needs: the real Bolt app on its HTTP receiver (loopback,
 * free port), a fake Slack Web API, real SDK clients against this worker's moto, and the
 * store on an in-memory dynalite or on moto's DynamoDB.
 */
import { Writable } from 'node:stream';
import { loadConfig, Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startApp, RunningApp, AppParts } from '../../src/app';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import { startFakeSlack, FakeSlack } from '../../sandbox/fake-slack';
import { startCloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { signedPost, slashCommandBody, interactionBody } from '../../sandbox/slack-signer';
import { motoIam, motoSts } from './aws-clients';
import { createClientFactory, type AwsClientFactory } from '../../src/aws/iam-sts-clients';
import { createCloudTrailClientFactory } from '../../src/aws/cloudtrail-lookup';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';

/** Test-only values, not real credentials. */
export const TEST_BOT_TOKEN = 'xoxb-test-not-a-real-token';
export const TEST_SIGNING_SECRET = 'test-signing-secret-not-real';
/** The Slack team the test app is installed in (the signer and click builders default to it). */
export const TEST_TEAM_ID = 'T1';
/** The approver a test gets when it names none. */
export const HARNESS_APPROVER = 'U0HARNESSAPPROVER';

export interface Harness {
  slack: FakeSlack;
  app: RunningApp;
  url: string;
  config: Config;
  store: DynamoIncidentStore;
  logs: string[];
  slash(command: string, text: string, userId: string, extra?: { channel_id?: string; retryNum?: number; trigger_id?: string }): Promise<{ status: number; json?: any; responseUrl: string }>;
  interact(payload: Record<string, unknown>, extra?: { retryNum?: number }): Promise<{ status: number; json?: any; body: string }>;
  close(): Promise<void>;
}

function readClients(endpoint: string, credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }) {
  const c = { region: 'us-east-1', endpoint, credentials, maxAttempts: 3 };
  return { iam: new IAMClient(c), sts: new STSClient(c) };
}

export interface HarnessOptions {
  now?: () => Date;
  /** Share one store between app instances (two replicas); default: a fresh in-memory dynalite. */
  shared?: { store: DynamoIncidentStore; watches: DynamoWatchStore };
  /** Where the read-only lookups (/key-owner, Identify) go; default moto. */
  readEndpoint?: string;
  /** Where containment's IAM/STS calls go (e.g. a fault proxy in front of moto). */
  iamEndpoint?: string;
  crashPoint?: (label: string) => void;
  instanceId?: string;
  /** The CloudTrail emulator's URL; every region's client points there. */
  cloudTrailUrl?: string;
  /** Reuse an existing fake Slack (a second replica talks to the same workspace). */
  slack?: FakeSlack;
  /** Automatic intake: SQS client and poll timings for moto. */
  intake?: AppParts['intake'];
  /** The Athena emulator's URL (with IR_ATHENA_* in env). */
  athenaUrl?: string;
  /** The CloudTrail Lake emulator's URL (with IR_CLOUDTRAIL_LAKE_EDS in env). */
  lakeUrl?: string;
  /** Limits of the background queue (default: the app's). */
  background?: AppParts['background'];
  /** The bot's own AWS credentials for IAM and STS (reads and containment); default: the environment's. */
  botCredentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The containment factory: sessions sign with what they are given, the bot with its own credentials. */
function containmentFactory(opts: HarnessOptions): AwsClientFactory {
  const base = createClientFactory({ region: 'us-east-1', endpoint: opts.iamEndpoint ?? process.env.MOTO_URL, maxAttempts: 2 });
  const own = opts.botCredentials;
  if (!own) return base;
  return Object.assign((credentials?: Parameters<AwsClientFactory>[0]) => base(credentials ?? { ...own }), { options: base.options });
}

export async function startHarness(env: Record<string, string> = {}, opts: HarnessOptions = {}): Promise<Harness> {
  // Every app gets a CloudTrail to talk to: the caller's emulator, or an empty one of its own.
  const ownTrail = opts.cloudTrailUrl ? undefined : await startCloudTrailEmulator({ requestsPerSecond: 100 });
  const cloudTrailUrl = opts.cloudTrailUrl ?? ownTrail!.url;
  const ownSlack = !opts.slack;
  const slack = opts.slack ?? (await startFakeSlack({ token: TEST_BOT_TOKEN }));
  const config = loadConfig({
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '1',
    AWS_REGION: 'us-east-1',
    IR_REGIONS: 'us-east-1,eu-west-1',
    // Closed by default: start-up needs both lists. A test that does not care opens the
    // responders (as a trial would) and names an approver nobody in the test is.
    IR_RESPONDERS: '*',
    IR_APPROVERS: HARNESS_APPROVER,
    ...env,
  });
  config.slack.port = 0; // a free port
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger('debug', sink);
  let dynamo: EmbeddedDynamo | undefined;
  let store: DynamoIncidentStore;
  let watches: DynamoWatchStore;
  if (opts.shared) {
    ({ store, watches } = opts.shared);
  } else {
    dynamo = await startEmbeddedDynamo();
    await ensureTable(dynamo.client, 'keyguard-test', true);
    store = new DynamoIncidentStore(dynamo.client, 'keyguard-test', opts.now);
    watches = new DynamoWatchStore(dynamo.client, 'keyguard-test');
  }
  const app = await startApp(
    {
      config, logger, installation: { teamId: TEST_TEAM_ID }, aws: opts.readEndpoint ? readClients(opts.readEndpoint, opts.botCredentials) : { iam: motoIam(), sts: motoSts() }, store, watches, botId: 'BBOT', botUserId: 'UBOT', now: opts.now,
      testHooks: {
        containmentFactory: containmentFactory(opts),
        readBackDelaysMs: [0, 10],
        crashPoint: opts.crashPoint,
        instanceId: opts.instanceId,
        cloudTrail: createCloudTrailClientFactory({ endpoint: cloudTrailUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }),
        cloudTrailRequestsPerSecond: 40,
        cloudTrailWithCredentials: (credentials) => createCloudTrailClientFactory({ endpoint: cloudTrailUrl, credentials }),
      },
      intake: opts.intake,
      background: opts.background,
      athena: opts.athenaUrl ? new AthenaClient({ region: 'us-east-1', endpoint: opts.athenaUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) : undefined,
      lake: opts.lakeUrl ? new CloudTrailClient({ region: 'us-east-1', endpoint: opts.lakeUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) : undefined,
    },
    '127.0.0.1',
  );
  const url = `http://127.0.0.1:${app.port}/slack/events`;
  return {
    slack,
    app,
    url,
    config,
    store,
    logs,
    async slash(command, text, userId, extra = {}) {
      const responseUrl = slack.responseUrl();
      const body = slashCommandBody({ command, text, user_id: userId, response_url: responseUrl, channel_id: extra.channel_id, trigger_id: extra.trigger_id });
      const res = await signedPost({ url, signingSecret: TEST_SIGNING_SECRET, body, retryNum: extra.retryNum });
      return { ...res, responseUrl };
    },
    async interact(payload, extra = {}) {
      return signedPost({ url, signingSecret: TEST_SIGNING_SECRET, body: interactionBody(payload), retryNum: extra.retryNum });
    },
    async close() {
      await app.stop();
      if (ownSlack) await slack.close();
      await ownTrail?.close();
      await dynamo?.close();
    },
  };
}

/** The response_url posts made for one slash command. */
export function responsesTo(h: Harness, responseUrl: string) {
  const path = new URL(responseUrl).pathname;
  return h.slack.responses.filter((r) => r.method === path);
}

/** All text of a Block Kit message, for assertions a person would make by reading it. */
export function blocksText(msg: { text?: string; blocks?: any[] }): string {
  const parts: string[] = [msg.text ?? ''];
  const walk = (o: any) => {
    if (!o || typeof o !== 'object') return;
    if (typeof o.text === 'string') parts.push(o.text);
    for (const v of Object.values(o)) if (typeof v === 'object') walk(v);
  };
  (msg.blocks ?? []).forEach(walk);
  return parts.join('\n');
}
