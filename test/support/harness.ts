/**
 * Everything an end-to-end test needs: the real Bolt app on its HTTP receiver (loopback,
 * free port), a fake Slack Web API, real SDK clients against this worker's moto, and the
 * store on an in-memory dynalite or on moto's DynamoDB.
 */
import { localClients, type AppParts } from '../../src/wiring';
import { wireBot, type WiredBot } from '../../sandbox/bot';
import type { IncidentStore, WatchStore } from '../../src/ports';
import { startFakeSlack, FakeSlack } from '../../sandbox/fake-slack';
import { startCloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';

/** Test-only values, not real credentials. */
export const TEST_BOT_TOKEN = 'xoxb-test-not-a-real-token';
export const TEST_SIGNING_SECRET = 'test-signing-secret-not-real';
/** The Slack team the test app is installed in (the signer and click builders default to it). */
export const TEST_TEAM_ID = 'T1';
/** The approver a test gets when it names none. */
const HARNESS_APPROVER = 'U0HARNESSAPPROVER';

/** The wired bot (sandbox/bot.ts) and the fake Slack it talks to. */
export interface Harness extends WiredBot {
  slack: FakeSlack;
}

export interface HarnessOptions {
  now?: () => Date;
  /** Share one store between app instances (two replicas); default: a fresh in-memory dynalite. */
  shared?: { store: IncidentStore; watches: WatchStore };
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
  intake?: AppParts['intake'] & { sqs?: import('@aws-sdk/client-sqs').SQSClient };
  /** The Athena emulator's URL (with IR_ATHENA_* in env). */
  athenaUrl?: string;
  /** The CloudTrail Lake emulator's URL (with IR_CLOUDTRAIL_LAKE_EDS in env). */
  lakeUrl?: string;
  /** Limits of the background queue (default: the app's). */
  background?: AppParts['background'];
  /** The bot's own AWS credentials for IAM and STS (reads and containment); default: the environment's. */
  botCredentials?: { accessKeyId: string; secretAccessKey: string };
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
    clients: {
      ...localClients({
        endpoint: opts.readEndpoint ?? process.env.MOTO_URL!,
        iamEndpoint: opts.iamEndpoint ?? process.env.MOTO_URL!,
        cloudTrailUrl,
        credentials: opts.botCredentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' },
      }),
      athena: opts.athenaUrl ? new AthenaClient({ region: 'us-east-1', endpoint: opts.athenaUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) : undefined,
      lake: opts.lakeUrl ? new CloudTrailClient({ region: 'us-east-1', endpoint: opts.lakeUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }) : undefined,
      sqs: opts.intake?.sqs,
    },
    parts: { installation: { teamId: TEST_TEAM_ID }, intake: opts.intake, background: opts.background },
    hooks: { crashPoint: opts.crashPoint, instanceId: opts.instanceId },
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
