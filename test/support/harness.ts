/**
 * Everything an end-to-end test needs: the real Bolt app on its HTTP receiver (loopback,
 * free port), a fake Slack Web API, real SDK clients against this worker's moto, and the
 * store on an in-memory dynalite or on moto's DynamoDB.
 */
import type { AppParts } from '../../src/app';
import { wireBot, type WiredBot } from '../../sandbox/bot';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import { startFakeSlack, FakeSlack } from '../../sandbox/fake-slack';
import { startCloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { motoIam, motoSts } from './aws-clients';
import { createClientFactory, type AwsClientFactory } from '../../src/aws/iam-sts-clients';
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

/** The wired bot (sandbox/bot.ts) and the fake Slack it talks to. */
export interface Harness extends WiredBot {
  slack: FakeSlack;
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
  const bot = await wireBot({
    slack,
    token: TEST_BOT_TOKEN,
    signingSecret: TEST_SIGNING_SECRET,
    env: {
      IR_REGIONS: 'us-east-1,eu-west-1',
      // Closed by default: start-up needs both lists. A test that does not care opens the
      // responders (as a trial would) and names an approver nobody in the test is.
      IR_RESPONDERS: '*',
      IR_APPROVERS: HARNESS_APPROVER,
      ...env,
    },
    logLevel: 'debug',
    now: opts.now,
    store: opts.shared ? { shared: opts.shared } : { table: 'keyguard-test' },
    cloudTrailUrl,
    parts: {
      aws: opts.readEndpoint ? readClients(opts.readEndpoint, opts.botCredentials) : { iam: motoIam(), sts: motoSts() },
      installation: { teamId: TEST_TEAM_ID },
      intake: opts.intake,
      background: opts.background,
      athena: opts.athenaUrl ? new AthenaClient({ region: 'us-east-1', endpoint: opts.athenaUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) : undefined,
      lake: opts.lakeUrl ? new CloudTrailClient({ region: 'us-east-1', endpoint: opts.lakeUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) : undefined,
    },
    hooks: { containmentFactory: containmentFactory(opts), crashPoint: opts.crashPoint, instanceId: opts.instanceId },
  });
  return {
    ...bot,
    slack,
    async close() {
      await bot.close();
      if (ownSlack) await slack.close();
      await ownTrail?.close();
    },
  };
}

/** The response_url posts made for one slash command. */
export function responsesTo(h: Harness, responseUrl: string) {
  const path = new URL(responseUrl).pathname;
  return h.slack.responses.filter((r) => r.method === path);
}

/** All text of a Block Kit message (kept here for the tests that import it from the harness). */
export { blocksText } from '../../sandbox/clicks';
