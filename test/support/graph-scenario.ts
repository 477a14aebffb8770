/**
 * A leaked key that mints credentials, in real CloudTrail event shapes, beside the owner's
 * own legitimate activity with another key: what the credential graph must tell apart.
 *
 * Leaked key (AKIA…, user `owner`):
 *   - AssumeRole ops-admin/s1 → ASIA #1 (responseElements.credentials + AWS::IAM::AccessKey)
 *       ASIA #1 (AssumedRole, sessionContext.sessionIssuer ops-admin): CreateUser `backdoor`,
 *       CreateAccessKey for `backdoor` (→ AKIA node), CreateLoginProfile for `backdoor`,
 *       RunInstances in eu-west-1, AssumeRole deep-role/s2 → ASIA #2 (role chaining)
 *           ASIA #2: ListBuckets; AssumeRole into another account (xacct/s3) → ASIA #3
 *   - GetSessionToken → ASIA #4, used for DescribeInstances in eu-west-1
 *   - GetFederationToken `fed` → ASIA #5 (federated-user ARN), used for ListUsers
 * The owner's other key (their CI pipeline): CreateUser `ci-release` and a ConsoleLogin.
 */
import type { WireEvent } from './cloudtrail-emulator';
import {
  ACCOUNT_ID, assumedRoleArn, assumedRoleIdentity, buildEvent, federatedUserIdentity, FixtureRandom, iamUserIdentity, Identity, roleArn, UserPrincipal,
} from './cloudtrail-fixtures';

export const OTHER_ACCOUNT_ID = '444455556666';
const AGENT = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22';
const ATTACKER_IP = '198.51.100.66';
const OFFICE_IP = '203.0.113.10';

export interface GraphScenario {
  events: WireEvent[];
  leakedKey: string;
  ownerOtherKey: string;
  /** Issued keys: role session s1, chained s2, cross-account s3, session token, federation token, backdoor's key. */
  keys: { s1: string; s2: string; s3: string; sessionToken: string; federation: string; backdoorKey: string };
  attackerUser: string;
  ownerUser: string;
  endMs: number;
}

export function graphScenario(o: { seed?: number; userName?: string; leakedKey?: string; ownerOtherKey?: string; startMs: number; accountId?: string }): GraphScenario {
  const rng = new FixtureRandom(o.seed ?? 8);
  const accountId = o.accountId ?? ACCOUNT_ID;
  const userName = o.userName ?? 'owner';
  const leakedKey = o.leakedKey ?? rng.awsId('AKIA');
  const ownerOtherKey = o.ownerOtherKey ?? rng.awsId('AKIA');
  const owner: UserPrincipal = { accountId, userName, accessKeyId: leakedKey };
  const keys = {
    s1: rng.awsId('ASIA'), s2: rng.awsId('ASIA'), s3: rng.awsId('ASIA'),
    sessionToken: rng.awsId('ASIA'), federation: rng.awsId('ASIA'), backdoorKey: rng.awsId('AKIA'),
  };
  const events: WireEvent[] = [];
  let t = o.startMs;
  const at = () => (t += 30_000);
  const ev = (identity: Identity, service: string, name: string, extra: { region?: string; sourceIp?: string; requestParameters?: Record<string, unknown>; responseElements?: Record<string, unknown>; resources?: Array<{ ResourceType: string; ResourceName: string }> } = {}) =>
    events.push(buildEvent({ service, name, timeMs: at(), region: extra.region ?? 'us-east-1', identity, sourceIp: extra.sourceIp ?? ATTACKER_IP, userAgent: AGENT, requestParameters: extra.requestParameters, responseElements: extra.responseElements, resources: extra.resources }, rng));
  const assume = (caller: Identity, account: string, role: string, session: string, issued: string) =>
    ev(caller, 'sts', 'AssumeRole', {
      requestParameters: { roleArn: roleArn(account, role), roleSessionName: session, durationSeconds: 3600 },
      responseElements: {
        credentials: { accessKeyId: issued, expiration: new Date(t + 3600_000).toUTCString(), sessionToken: `FAKE-SESSION-TOKEN-${rng.hex(16)}` },
        assumedRoleUser: { assumedRoleId: `AROA${rng.awsId('').slice(0, 16)}:${session}`, arn: assumedRoleArn(account, role, session) },
      },
      resources: [
        { ResourceType: 'AWS::IAM::AccessKey', ResourceName: issued },
        { ResourceType: 'AWS::STS::AssumedRole', ResourceName: assumedRoleArn(account, role, session) },
        { ResourceType: 'AWS::IAM::Role', ResourceName: roleArn(account, role) },
      ],
    });

  // The owner's CI pipeline, before and during the leak: legitimate, never the attacker's.
  const ci = iamUserIdentity(owner, ownerOtherKey);
  ev(ci, 'sts', 'GetCallerIdentity', { sourceIp: OFFICE_IP });
  ev(ci, 'iam', 'CreateUser', { sourceIp: OFFICE_IP, requestParameters: { userName: 'ci-release' }, responseElements: { user: { userName: 'ci-release', arn: `arn:aws:iam::${accountId}:user/ci-release` } } });
  ev({ ...iamUserIdentity(owner), accessKeyId: undefined } as Identity, 'signin', 'ConsoleLogin', { sourceIp: OFFICE_IP, responseElements: { ConsoleLogin: 'Success' } });

  const leaked = iamUserIdentity(owner);
  ev(leaked, 'sts', 'GetCallerIdentity');
  assume(leaked, accountId, 'ops-admin', 's1', keys.s1);
  const s1 = assumedRoleIdentity({ accountId, roleName: 'ops-admin', sessionName: 's1', accessKeyId: keys.s1 });
  ev(s1, 'iam', 'CreateUser', { requestParameters: { userName: 'backdoor' }, responseElements: { user: { userName: 'backdoor', arn: `arn:aws:iam::${accountId}:user/backdoor` } } });
  ev(s1, 'iam', 'CreateAccessKey', { requestParameters: { userName: 'backdoor' }, responseElements: { accessKey: { userName: 'backdoor', accessKeyId: keys.backdoorKey, status: 'Active' } } });
  ev(s1, 'iam', 'CreateLoginProfile', { requestParameters: { userName: 'backdoor', passwordResetRequired: false } });
  ev(s1, 'ec2', 'RunInstances', {
    region: 'eu-west-1',
    requestParameters: { instancesSet: { items: [{ imageId: 'ami-0abc', minCount: 1, maxCount: 1 }] }, instanceType: 'p3.16xlarge' },
    responseElements: { instancesSet: { items: [{ instanceId: 'i-0a1b2c3d4e5f60718', instanceType: 'p3.16xlarge' }] } },
  });
  assume(s1, accountId, 'deep-role', 's2', keys.s2);
  const s2 = assumedRoleIdentity({ accountId, roleName: 'deep-role', sessionName: 's2', accessKeyId: keys.s2 });
  ev(s2, 's3', 'ListBuckets');
  assume(s2, OTHER_ACCOUNT_ID, 'xacct', 's3', keys.s3);

  ev(leaked, 'sts', 'GetSessionToken', {
    requestParameters: { durationSeconds: 3600 },
    responseElements: { credentials: { accessKeyId: keys.sessionToken, expiration: new Date(t + 3600_000).toUTCString(), sessionToken: 'FAKE' } },
    resources: [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: keys.sessionToken }],
  });
  ev({ ...iamUserIdentity(owner, keys.sessionToken), sessionContext: { attributes: { creationDate: new Date(t).toISOString(), mfaAuthenticated: 'false' } } }, 'ec2', 'DescribeInstances', { region: 'eu-west-1' });
  ev(leaked, 'sts', 'GetFederationToken', {
    requestParameters: { name: 'fed', durationSeconds: 3600 },
    responseElements: {
      credentials: { accessKeyId: keys.federation, expiration: new Date(t + 3600_000).toUTCString(), sessionToken: 'FAKE' },
      federatedUser: { federatedUserId: `${accountId}:fed`, arn: `arn:aws:sts::${accountId}:federated-user/fed` },
    },
    resources: [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: keys.federation }],
  });
  ev(federatedUserIdentity({ accountId, userName, federatedName: 'fed', accessKeyId: keys.federation }), 'iam', 'ListUsers');

  return { events, leakedKey, ownerOtherKey, keys, attackerUser: 'backdoor', ownerUser: 'ci-release', endMs: t };
}

/** `count` AssumeRole calls of one role by `caller`: an attacker minting sessions by the thousand. */
export function sessionFlood(o: { caller: Identity; count: number; startMs: number; seed?: number; accountId?: string }): { events: WireEvent[]; keys: string[] } {
  const rng = new FixtureRandom(o.seed ?? 9);
  const accountId = o.accountId ?? ACCOUNT_ID;
  const events: WireEvent[] = [];
  const keys: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const key = rng.awsId('ASIA');
    keys.push(key);
    events.push(buildEvent({
      service: 'sts', name: 'AssumeRole', timeMs: o.startMs + i * 1000, region: 'us-east-1', identity: o.caller, sourceIp: ATTACKER_IP, userAgent: AGENT,
      requestParameters: { roleArn: roleArn(accountId, 'ops-admin'), roleSessionName: `f${i}` },
      responseElements: { credentials: { accessKeyId: key, expiration: 'x', sessionToken: 'FAKE' } },
      resources: [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: key }],
    }, rng));
  }
  return { events, keys };
}
