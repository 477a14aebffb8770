/**
 * What the containment tests share: clients built with the production factory but pointed
 * at moto (or the fault proxy) with a short retry backoff, an IamContainment with a fixed
 * clock and no real sleeping, and a snapshot of everything containment can touch on a user.
 */
import {
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  GetUserPolicyCommand,
  GetLoginProfileCommand,
  ListMFADevicesCommand,
} from '@aws-sdk/client-iam';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { AwsClientFactory, AwsClients, createClientFactory } from '../../src/aws/access/iam-sts-clients';
import { IamContainment } from '../../src/aws/containment/iam-containment';
import { normaliseDocument } from '../../src/aws/containment/iam-state';
import type { ActionOutcome } from '../../src/domain/aws-plan';
import { SeedUser, seedUser } from '../../sandbox/iam-seed';

interface RetryTokenLike {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * The SDK's standard retry decisions (retry THROTTLING and TRANSIENT errors, up to
 * maxAttempts) with a 5 ms backoff instead of up to seconds, so fault tests stay fast.
 */
class FastRetryStrategy {
  readonly mode = 'standard';

  constructor(
    private readonly maxAttempts: number,
    private readonly delayMs = 5,
  ) {}

  async acquireInitialRetryToken(_scope: string): Promise<RetryTokenLike> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(t: RetryTokenLike, info: { errorType: string }): Promise<RetryTokenLike> {
    const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
    if (!retryable || t.getRetryCount() + 1 >= this.maxAttempts) throw new Error('No retry token available');
    return token(t.getRetryCount() + 1, this.delayMs);
  }

  recordSuccess(_t: RetryTokenLike): void {}
}

function token(count: number, delay: number): RetryTokenLike {
  return { getRetryCount: () => count, getRetryDelay: () => delay };
}

export const TEST_MAX_ATTEMPTS = 3;

/** The production factory, aimed at `endpoint` (moto by default) with the fast backoff. */
export function testFactory(endpoint = process.env.MOTO_URL!): AwsClientFactory {
  return createClientFactory({
    region: 'us-east-1',
    endpoint,
    maxAttempts: TEST_MAX_ATTEMPTS,
    retryStrategy: new FastRetryStrategy(TEST_MAX_ATTEMPTS),
  });
}

/** 12:00:00.250Z: the cut-off rounds up to 12:00:01Z. */
export const FIXED_NOW = new Date('2026-03-01T12:00:00.250Z');
export const FIXED_CUTOFF = '2026-03-01T12:00:01Z';

export interface Rig {
  containment: IamContainment;
  sleeps: number[];
}

export function containmentRig(clients: AwsClients, o: { dryRun?: boolean; now?: () => Date } = {}): Rig {
  const sleeps: number[] = [];
  const containment = new IamContainment({
    iam: clients.iam,
    sts: clients.sts,
    now: o.now ?? (() => FIXED_NOW),
    dryRun: o.dryRun ?? false,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { containment, sleeps };
}

export interface UserSnapshot {
  keys: Array<{ id: string; status: string }>;
  inlinePolicies: Record<string, string | undefined>;
  attachedPolicyArns: string[];
  loginProfile: boolean;
  mfaSerials: string[];
}

/** Everything containment and undo can change on a user, read straight from IAM. */
export async function snapshotUser(iam: IAMClient, userName: string): Promise<UserSnapshot> {
  const keys = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
  const names = (await iam.send(new ListUserPoliciesCommand({ UserName: userName }))).PolicyNames ?? [];
  const inlinePolicies: Record<string, string | undefined> = {};
  for (const n of names.sort()) {
    const p = await iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: n }));
    inlinePolicies[n] = normaliseDocument(p.PolicyDocument);
  }
  const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }));
  const loginProfile = await iam.send(new GetLoginProfileCommand({ UserName: userName })).then(
    () => true,
    () => false,
  );
  const mfa = await iam.send(new ListMFADevicesCommand({ UserName: userName }));
  return {
    keys: (keys.AccessKeyMetadata ?? []).map((k) => ({ id: k.AccessKeyId!, status: k.Status! })).sort((a, b) => a.id.localeCompare(b.id)),
    inlinePolicies,
    attachedPolicyArns: (attached.AttachedPolicies ?? []).map((a) => a.PolicyArn!).sort(),
    loginProfile,
    mfaSerials: (mfa.MFADevices ?? []).map((d) => d.SerialNumber!).sort(),
  };
}

/**
 * Clients acting in another moto account: moto lets the default credentials assume a role
 * in any account, and IAM calls with the resulting session act in that account.
 */
export async function clientsInAccount(factory: AwsClientFactory, sts: STSClient, account: string): Promise<AwsClients> {
  const r = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/bootstrap`, RoleSessionName: 'test-bootstrap' }));
  const c = r.Credentials!;
  return factory({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });
}

/** [action, outcome] of each recorded call: the shape most assertions compare. */
export function callOutcomes(o: ActionOutcome): Array<[string, string]> {
  return o.calls.map((c) => [c.action, c.outcome]);
}

/** User alice with one active key (plus whatever `extra` seeds); returns the last key. */
export async function seedAlice(iam: IAMClient, extra: Partial<SeedUser> = {}): Promise<{ userName: string; accessKeyId: string }> {
  const { keyIds } = await seedUser(iam, { ...extra, userName: 'alice' });
  return { userName: 'alice', accessKeyId: keyIds[keyIds.length - 1] };
}
