/**
 * Builders for CloudTrail event streams, in the exact shape LookupEvents returns (see
 * WireEvent in cloudtrail-emulator.ts). Deterministic: the same seed gives the same
 * events, ids and times, so a failing test can be replayed.
 *
 * - `routineActivity`: the principal's ordinary read-mostly work, any size.
 * - `attackerScenario`: a leaked-key intrusion (recon, persistence, defense evasion, secret
 *   reads, GPU crypto-mining in an unusual region); `scale` makes it as large as wanted.
 * - `assumeRoleChain`: AssumeRole hops from a long-term key (or a SAML sign-in) to the ASIA
 *   keys a trace must walk back.
 * - `generateVolume`: many events spread over regions, for paging and benchmarks.
 */
import type { CloudTrailEmulator, WireEvent, WireResource } from './cloudtrail-emulator';

export const ACCOUNT_ID = '123456789012';
/** An outside account that the attacker trusts into a role. */
export const ATTACKER_ACCOUNT_ID = '999988887777';
export const OFFICE_IP = '203.0.113.10';
const SDK_USER_AGENT = 'aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.11.0 api/ec2#3.600.0';

/** Regions LookupEvents serves in a typical account (all commercial regions enabled by default). */
export const ALL_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3',
  'eu-central-1', 'eu-north-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ap-southeast-1', 'ap-southeast-2', 'sa-east-1',
] as const;

// ---- deterministic randomness ------------------------------------------------------------

/** mulberry32: tiny, fast, good enough for fixtures. */
export class FixtureRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo: number, hiExclusive: number): number {
    return lo + Math.floor(this.next() * (hiExclusive - lo));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length)];
  }

  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += this.int(0, 0x10000).toString(16).padStart(4, '0');
    return s.slice(0, chars);
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** AKIA/ASIA/AIDA… followed by 16 characters of A-Z2-7, like a real id. */
  awsId(prefix: string): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let s = prefix;
    while (s.length < prefix.length + 16) s += alphabet[this.int(0, alphabet.length)];
    return s;
  }

  /** An address in a documentation range (RFC 5737), so fixtures never name a real host. */
  ip(): string {
    const nets = ['192.0.2', '198.51.100', '203.0.113'];
    return `${this.pick(nets)}.${this.int(1, 255)}`;
  }
}

// ---- identities ------------------------------------------------------------------------------

export interface UserPrincipal {
  accountId: string;
  userName: string;
  /** The long-term key, AKIA… */
  accessKeyId: string;
}

export type Identity = Record<string, unknown> & { type: string; accessKeyId?: string };

export function iamUserIdentity(p: UserPrincipal, accessKeyId = p.accessKeyId): Identity {
  return {
    type: 'IAMUser',
    principalId: `AIDA${p.userName.toUpperCase().replace(/[^A-Z2-7]/g, 'X').padEnd(16, 'Q').slice(0, 16)}`,
    arn: `arn:aws:iam::${p.accountId}:user/${p.userName}`,
    accountId: p.accountId,
    accessKeyId,
    userName: p.userName,
  };
}

export function roleArn(accountId: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

export function assumedRoleIdentity(o: { accountId: string; roleName: string; sessionName: string; accessKeyId: string; creationDate?: string }): Identity {
  const roleId = `AROA${o.roleName.toUpperCase().replace(/[^A-Z2-7]/g, 'X').padEnd(16, 'R').slice(0, 16)}`;
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${o.sessionName}`,
    arn: assumedRoleArn(o.accountId, o.roleName, o.sessionName),
    accountId: o.accountId,
    accessKeyId: o.accessKeyId,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: roleArn(o.accountId, o.roleName), accountId: o.accountId, userName: o.roleName },
      attributes: { creationDate: o.creationDate ?? '2024-01-01T00:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

/** An EC2 instance profile session: named after the instance, delivered by the metadata service. */
export function instanceRoleIdentity(o: { accountId: string; roleName: string; instanceId: string; accessKeyId: string }): Identity {
  const base = assumedRoleIdentity({ accountId: o.accountId, roleName: o.roleName, sessionName: o.instanceId, accessKeyId: o.accessKeyId });
  return { ...base, sessionContext: { ...(base.sessionContext as Record<string, unknown>), ec2RoleDelivery: '2.0' } };
}

/** A GetFederationToken session of an IAM user. */
export function federatedUserIdentity(o: { accountId: string; userName: string; federatedName: string; accessKeyId: string }): Identity {
  return {
    type: 'FederatedUser',
    principalId: `${o.accountId}:${o.federatedName}`,
    arn: `arn:aws:sts::${o.accountId}:federated-user/${o.federatedName}`,
    accountId: o.accountId,
    accessKeyId: o.accessKeyId,
    sessionContext: {
      sessionIssuer: { type: 'IAMUser', principalId: `AIDA${o.userName.toUpperCase().replace(/[^A-Z2-7]/g, 'X').padEnd(16, 'Q').slice(0, 16)}`, arn: `arn:aws:iam::${o.accountId}:user/${o.userName}`, accountId: o.accountId, userName: o.userName },
      attributes: { creationDate: '2024-01-01T00:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

/** The account's root user (console sign-ins carry no access key). */
export function rootIdentity(accountId: string, accessKeyId?: string): Identity {
  return { type: 'Root', principalId: accountId, arn: `arn:aws:iam::${accountId}:root`, accountId, ...(accessKeyId ? { accessKeyId } : {}) };
}

function samlIdentity(o: { accountId: string; userName: string; provider: string }): Identity {
  return {
    type: 'SAMLUser',
    principalId: `${o.provider}:${o.userName}`,
    userName: o.userName,
    identityProvider: `arn:aws:iam::${o.accountId}:saml-provider/${o.provider}`,
  };
}

/** The LookupEvents `Username` for an identity: the user name, or the role session name. */
function lookupUsername(identity: Identity): string | undefined {
  if (identity.type === 'AssumedRole') return String(identity.arn).split('/').pop();
  return typeof identity.userName === 'string' ? identity.userName : undefined;
}

// ---- one event -------------------------------------------------------------------------------

export interface EventSpec {
  name: string;
  /** 'iam' or 'iam.amazonaws.com'. */
  service: string;
  timeMs: number;
  region: string;
  identity: Identity;
  sourceIp: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  resources?: WireResource[];
  readOnly?: boolean;
  id?: string;
  /** Further top-level record fields: additionalEventData, vpcEndpointId, vpcEndpointAccountId… */
  extra?: Record<string, unknown>;
}

const READ_ONLY_PREFIXES = ['Get', 'List', 'Describe', 'Lookup', 'Head', 'Search'];

function isReadOnlyName(name: string): boolean {
  return READ_ONLY_PREFIXES.some((p) => name.startsWith(p));
}

/** Builds the CloudTrail record and wraps it the way LookupEvents returns it. */
export function buildEvent(spec: EventSpec, rng: FixtureRandom): WireEvent {
  const id = spec.id ?? rng.uuid();
  const source = spec.service.includes('.') ? spec.service : `${spec.service}.amazonaws.com`;
  const seconds = Math.floor(spec.timeMs / 1000);
  const readOnly = spec.readOnly ?? isReadOnlyName(spec.name);
  const record: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: spec.identity,
    eventTime: new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'),
    eventSource: source,
    eventName: spec.name,
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIp,
    userAgent: spec.userAgent,
    ...(spec.errorCode ? { errorCode: spec.errorCode, errorMessage: spec.errorMessage ?? `User is not authorized to perform: ${spec.name}` } : {}),
    requestParameters: spec.requestParameters ?? null,
    responseElements: spec.errorCode ? null : spec.responseElements ?? null,
    requestID: rng.uuid(),
    eventID: id,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: String(spec.identity.accountId ?? ACCOUNT_ID),
    eventCategory: 'Management',
    ...spec.extra,
  };
  const username = lookupUsername(spec.identity);
  return {
    EventId: id,
    EventName: spec.name,
    ReadOnly: String(readOnly),
    ...(spec.identity.accessKeyId ? { AccessKeyId: spec.identity.accessKeyId } : {}),
    EventTime: seconds,
    EventSource: source,
    ...(username ? { Username: username } : {}),
    Resources: spec.resources ?? [],
    CloudTrailEvent: JSON.stringify(record),
  };
}

/** The region a wire event happened in (its record's awsRegion). */
export function regionOf(e: WireEvent): string {
  return (JSON.parse(e.CloudTrailEvent) as { awsRegion: string }).awsRegion;
}

function groupByRegion(events: readonly WireEvent[]): Map<string, WireEvent[]> {
  const out = new Map<string, WireEvent[]>();
  for (const e of events) {
    const r = regionOf(e);
    const list = out.get(r) ?? [];
    list.push(e);
    out.set(r, list);
  }
  return out;
}

/** Loads events into the emulator, each into the region its record names. */
export function loadEvents(emulator: CloudTrailEmulator, events: readonly WireEvent[]): void {
  for (const [region, list] of groupByRegion(events)) emulator.appendEvents(region, list);
}

// ---- routine activity -------------------------------------------------------------------------

const ROUTINE_CALLS: ReadonlyArray<{ service: string; name: string; params?: Record<string, unknown> }> = [
  { service: 'ec2', name: 'DescribeInstances', params: { filterSet: {} } },
  { service: 'ec2', name: 'DescribeVolumes' },
  { service: 'ec2', name: 'DescribeSecurityGroups' },
  { service: 'monitoring', name: 'GetMetricData' },
  { service: 'lambda', name: 'ListFunctions20150331' },
  { service: 'logs', name: 'DescribeLogGroups' },
  { service: 'dynamodb', name: 'DescribeTable', params: { tableName: 'orders' } },
  { service: 'ecr', name: 'GetAuthorizationToken' },
  { service: 'kms', name: 'Decrypt', params: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' } },
  { service: 'ssm', name: 'GetParameter', params: { name: '/app/feature-flags', withDecryption: false } },
  { service: 'ec2', name: 'CreateTags', params: { resourcesSet: { items: [{ resourceId: 'i-0abc' }] } } },
];

export interface RoutineOptions {
  seed: number;
  count: number;
  principal: UserPrincipal;
  regions: readonly string[];
  startMs: number;
  endMs: number;
  sourceIps?: readonly string[];
  userAgents?: readonly string[];
}

/** Ordinary work of the principal: benign calls from known IPs, spread over the window. */
export function routineActivity(o: RoutineOptions): WireEvent[] {
  const rng = new FixtureRandom(o.seed);
  const ips = o.sourceIps ?? [OFFICE_IP];
  const agents = o.userAgents ?? [SDK_USER_AGENT];
  const identity = iamUserIdentity(o.principal);
  const span = Math.max(1, o.endMs - o.startMs);
  return Array.from({ length: o.count }, (_, i) => {
    const call = rng.pick(ROUTINE_CALLS);
    return buildEvent(
      {
        ...call,
        requestParameters: call.params ?? null,
        timeMs: o.startMs + Math.floor(((i + rng.next()) / o.count) * span),
        region: o.regions[i % o.regions.length],
        identity,
        sourceIp: rng.pick(ips),
        userAgent: rng.pick(agents),
      },
      rng,
    );
  });
}

// ---- the attacker -----------------------------------------------------------------------------

export interface AttackerOptions {
  seed: number;
  principal: UserPrincipal;
  /** When the attacker's first call happens. */
  startMs: number;
  /** Where the miners go: a region nobody in the account uses. */
  miningRegion?: string;
  /** How many denied calls the recon makes (default 25). */
  accessDeniedCount?: number;
  /** Multiplies everything (users created, IPs, secrets, regions probed), for size tests. */
  scale?: number;
}

export interface AttackerScenario {
  events: WireEvent[];
  attackerIps: string[];
  createdUsers: string[];
  createdAccessKeys: string[];
  backdooredRole: string;
  miningRegion: string;
  instanceIds: string[];
  endMs: number;
}

const ATTACKER_AGENTS = [
  'aws-cli/1.18.69 Python/3.8.10 Linux/5.15.0-kali3-amd64 botocore/1.17.1',
  'Boto3/1.26.0 Python/3.10.6 Linux/6.0.0-kali3-amd64 Botocore/1.29.0',
  'TruffleHog',
];

/**
 * A leaked-key intrusion, minute by minute: identity check and bucket listing, a burst of
 * denied probing, a back-door user with a key, a console password and AdministratorAccess,
 * a trust policy opened to an outside account, CloudTrail stopped and deleted, secrets
 * read, and GPU miners launched in an unusual region with a quota increase.
 */
export function attackerScenario(o: AttackerOptions): AttackerScenario {
  const rng = new FixtureRandom(o.seed);
  const scale = Math.max(1, Math.floor(o.scale ?? 1));
  const miningRegion = o.miningRegion ?? 'ap-southeast-3';
  const attackerIps = Array.from({ length: 2 * scale }, () => rng.ip()).filter((ip) => ip !== OFFICE_IP);
  const identity = iamUserIdentity(o.principal);
  const events: WireEvent[] = [];
  let t = o.startMs;
  const at = (stepMs: number) => (t += stepMs);
  const ev = (spec: Omit<EventSpec, 'identity' | 'sourceIp' | 'userAgent' | 'timeMs'> & { timeMs?: number; sourceIp?: string; userAgent?: string }) =>
    events.push(
      buildEvent(
        {
          identity,
          sourceIp: spec.sourceIp ?? rng.pick(attackerIps),
          userAgent: spec.userAgent ?? (scale > 1 ? `${rng.pick(ATTACKER_AGENTS)} ${rng.hex(6)}` : ATTACKER_AGENTS[0]),
          timeMs: spec.timeMs ?? at(rng.int(2_000, 9_000)),
          ...spec,
        },
        rng,
      ),
    );

  // Recon: who am I, what is there, what may I do?
  ev({ service: 'sts', name: 'GetCallerIdentity', region: 'us-east-1', sourceIp: attackerIps[0], responseElements: null });
  ev({ service: 's3', name: 'ListBuckets', region: 'us-east-1', sourceIp: attackerIps[0] });
  const deniedProbes = [
    { service: 'iam', name: 'ListUsers', region: 'us-east-1', code: 'AccessDenied' },
    { service: 'iam', name: 'GetAccountAuthorizationDetails', region: 'us-east-1', code: 'AccessDenied' },
    { service: 'secretsmanager', name: 'ListSecrets', region: 'us-east-1', code: 'AccessDeniedException' },
    { service: 'ec2', name: 'DescribeInstances', region: 'eu-west-1', code: 'Client.UnauthorizedOperation' },
    { service: 'organizations', name: 'DescribeOrganization', region: 'us-east-1', code: 'AccessDeniedException' },
  ];
  const deniedCount = (o.accessDeniedCount ?? 25) * scale;
  for (let i = 0; i < deniedCount; i++) {
    const probe = deniedProbes[i % deniedProbes.length];
    const region = scale > 1 ? ALL_REGIONS[i % ALL_REGIONS.length] : probe.region;
    ev({ service: probe.service, name: probe.name, region, errorCode: probe.code, timeMs: at(rng.int(200, 1_500)) });
  }

  // Each phase starts a few minutes after the last, as a person at a keyboard would.
  const nextPhase = () => at(rng.int(60_000, 300_000));

  // Persistence and privilege escalation, in us-east-1 where IAM lives.
  nextPhase();
  const createdUsers: string[] = [];
  const createdAccessKeys: string[] = [];
  for (let u = 0; u < scale; u++) {
    const userName = u === 0 ? 'backup-svc' : `backup-svc-${u}`;
    const newKey = rng.awsId('AKIA');
    createdUsers.push(userName);
    createdAccessKeys.push(newKey);
    const userArn = `arn:aws:iam::${o.principal.accountId}:user/${userName}`;
    ev({
      service: 'iam', name: 'CreateUser', region: 'us-east-1',
      requestParameters: { userName },
      responseElements: { user: { path: '/', userName, userId: rng.awsId('AIDA'), arn: userArn, createDate: 'Jan 1, 2024 12:00:00 AM' } },
      resources: [{ ResourceType: 'AWS::IAM::User', ResourceName: userName }],
    });
    ev({
      service: 'iam', name: 'CreateAccessKey', region: 'us-east-1',
      requestParameters: { userName },
      responseElements: { accessKey: { userName, accessKeyId: newKey, status: 'Active', createDate: 'Jan 1, 2024 12:00:00 AM' } },
      resources: [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: newKey }, { ResourceType: 'AWS::IAM::User', ResourceName: userName }],
    });
    ev({ service: 'iam', name: 'CreateLoginProfile', region: 'us-east-1', requestParameters: { userName, passwordResetRequired: false } });
    ev({
      service: 'iam', name: 'AttachUserPolicy', region: 'us-east-1',
      requestParameters: { userName, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    });
  }
  const backdooredRole = 'OrganizationAccountAccessRole';
  const trust = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ATTACKER_ACCOUNT_ID}:root` }, Action: 'sts:AssumeRole' }],
  };
  ev({
    service: 'iam', name: 'UpdateAssumeRolePolicy', region: 'us-east-1',
    requestParameters: { roleName: backdooredRole, policyDocument: encodeURIComponent(JSON.stringify(trust)) },
  });

  // Defense evasion: blind the trail.
  nextPhase();
  ev({ service: 'cloudtrail', name: 'StopLogging', region: 'us-east-1', requestParameters: { name: 'management-events' } });
  ev({ service: 'cloudtrail', name: 'DeleteTrail', region: 'us-east-1', requestParameters: { name: 'management-events' } });

  // Data access: secrets.
  nextPhase();
  const secretIds = ['prod/db/password', 'prod/stripe/api-key', 'prod/github/deploy-token'];
  for (let i = 0; i < 3 * scale; i++) {
    ev({ service: 'secretsmanager', name: 'GetSecretValue', region: 'us-east-1', requestParameters: { secretId: `${secretIds[i % 3]}${i >= 3 ? `-${i}` : ''}` } });
  }

  // Cost: GPU miners where nobody looks.
  nextPhase();
  const instanceIds: string[] = [];
  const launch = (instanceType: string, count: number) => {
    const ids = Array.from({ length: count }, () => `i-0${rng.hex(16)}`);
    instanceIds.push(...ids);
    ev({
      service: 'ec2', name: 'RunInstances', region: miningRegion,
      requestParameters: { instancesSet: { items: [{ imageId: `ami-0${rng.hex(16)}`, minCount: count, maxCount: count }] }, instanceType },
      responseElements: { instancesSet: { items: ids.map((instanceId) => ({ instanceId, instanceType, currentState: { code: 0, name: 'pending' } })) } },
      resources: ids.map((id) => ({ ResourceType: 'AWS::EC2::Instance', ResourceName: id })),
    });
  };
  ev({
    service: 'servicequotas', name: 'RequestServiceQuotaIncrease', region: miningRegion,
    requestParameters: { serviceCode: 'ec2', quotaCode: 'L-417A185B', desiredValue: 512 },
  });
  for (let i = 0; i < scale; i++) {
    launch('p3.16xlarge', 8);
    launch('g5.12xlarge', 4);
  }
  return { events, attackerIps, createdUsers, createdAccessKeys, backdooredRole, miningRegion, instanceIds, endMs: t };
}

// ---- AssumeRole chains (ASIA trace) ----------------------------------------------------------

export interface RoleHop {
  roleName: string;
  sessionName: string;
  sourceIdentity?: string;
}

export interface AssumeRoleChainOptions {
  seed: number;
  accountId?: string;
  /** Where the chain starts: a user's long-term key, or a SAML sign-in. */
  origin: { kind: 'iam-user'; principal: UserPrincipal } | { kind: 'saml'; userName: string; provider: string };
  hops: readonly RoleHop[];
  startMs: number;
  sourceIp?: string;
  /** Calls made with the last temporary key (evidence the key was used). */
  usageEvents?: number;
}

export interface AssumeRoleChain {
  events: WireEvent[];
  /** The ASIA key each hop issued, in order; the last one is what leaked. */
  issuedKeys: string[];
  roleArns: string[];
}

const STS_ISSUERS = { 'iam-user': 'AssumeRole', saml: 'AssumeRoleWithSAML' } as const;

/**
 * AssumeRole events in us-east-1: the origin assumes hops[0] and gets ASIA #1, which
 * assumes hops[1] and gets ASIA #2, and so on. Each issuing event lists the new key among
 * its Resources (AWS::IAM::AccessKey), as CloudTrail event history does.
 */
export function assumeRoleChain(o: AssumeRoleChainOptions): AssumeRoleChain {
  const rng = new FixtureRandom(o.seed);
  const accountId = o.accountId ?? (o.origin.kind === 'iam-user' ? o.origin.principal.accountId : ACCOUNT_ID);
  const sourceIp = o.sourceIp ?? rng.ip();
  const agent = 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22';
  const events: WireEvent[] = [];
  const issuedKeys: string[] = [];
  const roleArns: string[] = [];
  let caller: Identity =
    o.origin.kind === 'iam-user'
      ? iamUserIdentity(o.origin.principal)
      : samlIdentity({ accountId, userName: o.origin.userName, provider: o.origin.provider });
  let t = o.startMs;
  o.hops.forEach((hop, i) => {
    const newKey = rng.awsId('ASIA');
    const arn = roleArn(accountId, hop.roleName);
    const sessionArn = assumedRoleArn(accountId, hop.roleName, hop.sessionName);
    const expiration = new Date(t + 3600_000).toUTCString();
    const name = i === 0 ? STS_ISSUERS[o.origin.kind] : 'AssumeRole';
    t += 60_000;
    events.push(
      buildEvent(
        {
          service: 'sts', name, region: 'us-east-1', timeMs: t, identity: caller, sourceIp, userAgent: agent, readOnly: true,
          requestParameters: {
            roleArn: arn,
            roleSessionName: hop.sessionName,
            durationSeconds: 3600,
            ...(hop.sourceIdentity ? { sourceIdentity: hop.sourceIdentity } : {}),
            ...(name === 'AssumeRoleWithSAML' ? { principalArn: `arn:aws:iam::${accountId}:saml-provider/${(o.origin as { provider: string }).provider}` } : {}),
          },
          responseElements: {
            // CloudTrail records the session token the call returned: the bot must never pass it on.
            credentials: { accessKeyId: newKey, expiration, sessionToken: `FAKE-SESSION-TOKEN-${rng.hex(16)}` },
            assumedRoleUser: { assumedRoleId: `AROA${rng.awsId('').slice(0, 16)}:${hop.sessionName}`, arn: sessionArn },
            ...(hop.sourceIdentity ? { sourceIdentity: hop.sourceIdentity } : {}),
          },
          resources: [
            { ResourceType: 'AWS::IAM::AccessKey', ResourceName: newKey },
            { ResourceType: 'AWS::STS::AssumedRole', ResourceName: sessionArn },
            { ResourceType: 'AWS::IAM::Role', ResourceName: arn },
          ],
        },
        rng,
      ),
    );
    issuedKeys.push(newKey);
    roleArns.push(arn);
    caller = assumedRoleIdentity({ accountId, roleName: hop.roleName, sessionName: hop.sessionName, accessKeyId: newKey });
  });
  for (let i = 0; i < (o.usageEvents ?? 3); i++) {
    t += 30_000;
    events.push(buildEvent({ service: 's3', name: 'ListBuckets', region: 'us-east-1', timeMs: t, identity: caller, sourceIp, userAgent: agent }, rng));
  }
  return { events, issuedKeys, roleArns };
}

// ---- volume -----------------------------------------------------------------------------------

export interface VolumeOptions {
  seed: number;
  /** Events per region. */
  perRegion: number;
  regions: readonly string[];
  principal: UserPrincipal;
  startMs: number;
  endMs: number;
}

/** Many routine events per region (each region its own seed), for paging tests and benchmarks. */
export function generateVolume(o: VolumeOptions): Map<string, WireEvent[]> {
  const out = new Map<string, WireEvent[]>();
  o.regions.forEach((region, i) => {
    out.set(region, routineActivity({ seed: o.seed * 1000 + i, count: o.perRegion, principal: o.principal, regions: [region], startMs: o.startMs, endMs: o.endMs }));
  });
  return out;
}

export function examplePrincipal(seed = 1, userName = 'ci-deployer'): UserPrincipal {
  return { accountId: ACCOUNT_ID, userName, accessKeyId: new FixtureRandom(seed).awsId('AKIA') };
}

// ---- the wider intrusion: databases, storage, public resources, network, defences ------------

export interface WiderIntrusion {
  events: WireEvent[];
  /** Names the attacker's calls touched (snapshot, bucket, queue, group…): the summary shows them. */
  attackerResources: string[];
  /** Names only the look-alikes touched: the summary must not show them. */
  lookAlikeResources: string[];
  endMs: number;
}

const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const policyText = (...statements: Array<Record<string, unknown>>) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/**
 * An intrusion beyond IAM, with the owner's look-alike calls interleaved: a database
 * snapshot shared out and a database made public, a bucket's versioning suspended and its
 * access logging turned off, a queue opened to everyone, a security group and a network ACL
 * opened, GuardDuty findings archived, a console session minted from the key, miners
 * protected from termination. Each attacker call has a harmless twin by the same principal
 * (same event name, fields that make it benign), made from the office address.
 */
export function widerIntrusion(o: { seed: number; principal: UserPrincipal; startMs: number }): WiderIntrusion {
  const rng = new FixtureRandom(o.seed);
  const identity = iamUserIdentity(o.principal);
  const account = o.principal.accountId;
  const attackerIp = rng.ip();
  const agent = 'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0 lang/python#3.11.6';
  const events: WireEvent[] = [];
  let t = o.startMs;
  const ev = (spec: Omit<EventSpec, 'identity' | 'sourceIp' | 'userAgent' | 'timeMs' | 'region'> & { region?: string; identity?: Identity; benign?: boolean }) => {
    t += rng.int(20_000, 90_000);
    const { benign, ...rest } = spec;
    events.push(buildEvent({ region: 'us-east-1', identity, sourceIp: benign ? OFFICE_IP : attackerIp, userAgent: benign ? SDK_USER_AGENT : agent, timeMs: t, ...rest }, rng));
  };
  const queueUrl = (name: string) => `https://sqs.us-east-1.amazonaws.com/${account}/${name}`;

  // Databases: a snapshot shared with the attacker's account, a share the owner removes, an instance made public, one kept private.
  ev({ service: 'rds', name: 'ModifyDBSnapshotAttribute', requestParameters: { dBSnapshotIdentifier: 'orders-final-snap', attributeName: 'restore', valuesToAdd: [ATTACKER_ACCOUNT_ID] } });
  ev({ benign: true, service: 'rds', name: 'ModifyDBSnapshotAttribute', requestParameters: { dBSnapshotIdentifier: 'reports-old-snap', attributeName: 'restore', valuesToRemove: ['444455556666'] } });
  ev({ service: 'rds', name: 'ModifyDBInstance', requestParameters: { dBInstanceIdentifier: 'orders-primary', publiclyAccessible: true, applyImmediately: true } });
  ev({ benign: true, service: 'rds', name: 'ModifyDBInstance', requestParameters: { dBInstanceIdentifier: 'reports-replica', publiclyAccessible: false, backupRetentionPeriod: 14 } });
  // Storage: versioning suspended and logging off on one bucket; enabled and on for another.
  ev({ service: 's3', name: 'PutBucketVersioning', requestParameters: { bucketName: 'customer-exports', VersioningConfiguration: { Status: 'Suspended', xmlns: S3_XMLNS }, versioning: '' } });
  ev({ benign: true, service: 's3', name: 'PutBucketVersioning', requestParameters: { bucketName: 'build-artifacts', VersioningConfiguration: { Status: 'Enabled', xmlns: S3_XMLNS }, versioning: '' } });
  ev({ service: 's3', name: 'PutBucketLogging', requestParameters: { bucketName: 'customer-exports', BucketLoggingStatus: { xmlns: S3_XMLNS }, logging: '' } });
  ev({ benign: true, service: 's3', name: 'PutBucketLogging', requestParameters: { bucketName: 'build-artifacts', BucketLoggingStatus: { xmlns: S3_XMLNS, LoggingEnabled: { TargetBucket: 'access-logs', TargetPrefix: 'build-artifacts/' } }, logging: '' } });
  // Resources made public: a queue open to everyone; another narrowed to a topic of the account.
  ev({ service: 'sqs', name: 'SetQueueAttributes', requestParameters: { queueUrl: queueUrl('payment-events'), attributes: { Policy: policyText({ Effect: 'Allow', Principal: '*', Action: 'sqs:ReceiveMessage', Resource: '*' }) } } });
  ev({
    benign: true, service: 'sqs', name: 'SetQueueAttributes',
    requestParameters: { queueUrl: queueUrl('internal-jobs'), attributes: { Policy: policyText({ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: '*', Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:sns:us-east-1:${account}:jobs` } } }) } },
  });
  // Network: RDP and every protocol opened to the internet; an internal range and an outbound rule.
  ev({ service: 'ec2', name: 'AuthorizeSecurityGroupIngress', requestParameters: { groupId: 'sg-0attack3389', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 3389, toPort: 3389, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } } });
  ev({ benign: true, service: 'ec2', name: 'AuthorizeSecurityGroupIngress', requestParameters: { groupId: 'sg-0internal5432', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, ipRanges: { items: [{ cidrIp: '10.20.0.0/16' }] } }] } } });
  ev({ service: 'ec2', name: 'CreateNetworkAclEntry', requestParameters: { networkAclId: 'acl-0attack', ruleNumber: 1, egress: false, ruleAction: 'allow', protocol: '-1', cidrBlock: '0.0.0.0/0' } });
  ev({ benign: true, service: 'ec2', name: 'CreateNetworkAclEntry', requestParameters: { networkAclId: 'acl-0outbound', ruleNumber: 100, egress: true, ruleAction: 'allow', protocol: '-1', cidrBlock: '0.0.0.0/0' } });
  // Defences: GuardDuty findings archived on arrival; a filter that only tags.
  ev({ service: 'guardduty', name: 'CreateFilter', requestParameters: { detectorId: 'd0a1', name: 'quiet-everything', action: 'ARCHIVE', findingCriteria: { criterion: { severity: { gte: 1 } } } } });
  ev({ benign: true, service: 'guardduty', name: 'CreateFilter', requestParameters: { detectorId: 'd0a1', name: 'tag-production', action: 'NOOP', findingCriteria: { criterion: { 'resource.tags.env': { eq: ['prod'] } } } } });
  // Sessions: a federation token minted from the key, then a console sign-in link from it.
  const federationKey = rng.awsId('ASIA');
  ev({
    service: 'sts', name: 'GetFederationToken', readOnly: true,
    requestParameters: { name: 'console', durationSeconds: 129600 },
    responseElements: {
      credentials: { accessKeyId: federationKey, expiration: new Date(t + 129_600_000).toUTCString(), sessionToken: `FAKE-SESSION-TOKEN-${rng.hex(16)}` },
      federatedUser: { federatedUserId: `${account}:console`, arn: `arn:aws:sts::${account}:federated-user/console` },
    },
    resources: [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: federationKey }],
  });
  ev({ service: 'signin', name: 'GetSigninToken', identity: federatedUserIdentity({ accountId: account, userName: o.principal.userName, federatedName: 'console', accessKeyId: federationKey }) });
  // Compute: miners protected from termination; an instance whose protection the owner lifts.
  ev({ service: 'ec2', name: 'ModifyInstanceAttribute', requestParameters: { instanceId: 'i-0miner00000000001', disableApiTermination: { value: true } } });
  ev({ benign: true, service: 'ec2', name: 'ModifyInstanceAttribute', requestParameters: { instanceId: 'i-0retired000000001', disableApiTermination: { value: false } } });
  return {
    events,
    attackerResources: ['orders-final-snap', ATTACKER_ACCOUNT_ID, 'orders-primary', 'customer-exports', 'payment-events', 'sg-0attack3389', 'acl-0attack', 'i-0miner00000000001'],
    lookAlikeResources: ['reports-old-snap', 'reports-replica', 'build-artifacts', 'internal-jobs', 'sg-0internal5432', 'acl-0outbound', 'i-0retired000000001'],
    endMs: t,
  };
}
