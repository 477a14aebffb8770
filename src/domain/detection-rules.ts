/**
 * The sensitive-action rules, in one place, grouped by what an action means when an
 * attacker holds the key. Pure: events and a context in, matches out.
 *
 * Two kinds of rule:
 * - an *event* rule looks at one event (CreateUser, StopLogging, RunInstances p3.16xlarge…);
 * - a *burst* rule counts matching events and fires when enough land within a window
 *   (AccessDenied bursts are recon; GetObject bursts are bulk reads). Events arrive out of
 *   order (regions interleave), so bursts are counted in minute buckets and the densest
 *   window is found at the end, whatever the arrival order.
 *
 * Event rules match successful calls only: a denied CreateUser is not persistence, it is
 * part of an AccessDenied burst, which the recon rule counts.
 */
import { parsePolicyDocument } from './aws-plan';
import { isAdminPolicyName, documentGrantsAdmin } from './key-facts';
import { TrailEvent, isAccessDeniedEvent, pick, pickString, succeeded } from './trail-event';

export type FindingCategory =
  | 'persistence'
  | 'privilege-escalation'
  | 'defense-evasion'
  | 'data-access'
  | 'cost'
  | 'recon';

/** The order a responder reads them in: what outlives the key first. */
export const CATEGORY_ORDER: readonly FindingCategory[] = [
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'data-access',
  'cost',
  'recon',
];

export const CATEGORY_TITLE: Record<FindingCategory, string> = {
  persistence: 'Persistence',
  'privilege-escalation': 'Privilege escalation',
  'defense-evasion': 'Defense evasion',
  'data-access': 'Data access',
  cost: 'Cost',
  recon: 'Recon',
};

export type RuleSeverity = 'high' | 'medium' | 'low';

export interface RuleContext {
  /** Regions where this account normally runs things; anything else is "unusual". */
  usualRegions: ReadonlySet<string>;
}

/**
 * Used when the caller names none. Deliberately short: a region the account really uses can
 * be added by configuration, while a missing one would hide a miner.
 */
export const DEFAULT_USUAL_REGIONS: readonly string[] = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1'];

interface RuleBase {
  /** Stable id, used in stored summaries and tests: `category.short-name`. */
  id: string;
  category: FindingCategory;
  severity: RuleSeverity;
  title: string;
  /** One sentence for the responder: why this matters when the key is in the wrong hands. */
  why: string;
}

export interface EventRule extends RuleBase {
  kind: 'event';
  matches(e: TrailEvent, ctx: RuleContext): boolean;
}

export interface BurstRule extends RuleBase {
  kind: 'burst';
  counts(e: TrailEvent): boolean;
  /** Fires when at least `threshold` counted events fall within `windowMinutes`. */
  threshold: number;
  windowMinutes: number;
}

export type DetectionRule = EventRule | BurstRule;

// ---- small matchers -------------------------------------------------------------------

/** A successful call to one of `names` on the service `source` (e.g. 'iam'). */
function call(service: string, names: readonly string[]): (e: TrailEvent) => boolean {
  const source = `${service}.amazonaws.com`;
  const wanted = new Set(names);
  return (e) => e.source === source && wanted.has(e.name) && succeeded(e);
}

const ATTACH_POLICY = call('iam', ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy']);
const PUT_INLINE_POLICY = call('iam', ['PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy']);

function attachedPolicyName(e: TrailEvent): string | undefined {
  const arn = pickString(e.requestParameters, 'policyArn');
  return arn?.split('/').pop();
}

/** Inline policy documents arrive in CloudTrail as URL-encoded JSON text; some tools log them as objects. */
function policyDocumentOf(e: TrailEvent): unknown {
  const doc = pick(e.requestParameters, 'policyDocument');
  return typeof doc === 'string' ? parsePolicyDocument(doc) : doc;
}

/** GPU, ML-accelerator and FPGA families: what miners launch. */
const ACCELERATED_FAMILY = /^(p\d+[a-z]*|g\d+[a-z]*|gr\d+[a-z]*|inf\d+[a-z]*|trn\d+[a-z]*|dl\d+[a-z]*|f\d+[a-z]*|vt\d+[a-z]*)\./;

export function isAcceleratedInstanceType(instanceType: string): boolean {
  return ACCELERATED_FAMILY.test(instanceType);
}

const LAUNCH_CALLS = call('ec2', ['RunInstances', 'RequestSpotInstances', 'RequestSpotFleet', 'CreateFleet']);

/** Instance types a launch asked for, wherever the API puts them. */
export function requestedInstanceTypes(e: TrailEvent): string[] {
  const p = e.requestParameters;
  const candidates = [
    pick(p, 'instanceType'),
    pick(p, 'launchSpecification', 'instanceType'),
    pick(p, 'spotFleetRequestConfig', 'launchSpecifications', 'instanceType'),
  ];
  const overrides = pick(p, 'CreateFleetRequest', 'LaunchTemplateConfigs', 'Overrides');
  if (Array.isArray(overrides)) candidates.push(...overrides.map((o) => pick(o, 'InstanceType')));
  return candidates.filter((t): t is string => typeof t === 'string' && t.length > 0);
}

const SHARES_EC2_IMAGE = call('ec2', ['ModifySnapshotAttribute', 'ModifyImageAttribute']);
const SHARES_RDS_SNAPSHOT = call('rds', ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute']);
const READS_SECRET = call('secretsmanager', ['GetSecretValue', 'BatchGetSecretValue']);

const READS_PARAMETER = call('ssm', ['GetParameter', 'GetParameters', 'GetParametersByPath']);
/** Only decrypted SecureString reads reveal a secret; plain parameter reads are routine. */
const GETS_DECRYPTED_PARAMETER = (e: TrailEvent) => READS_PARAMETER(e) && pick(e.requestParameters, 'withDecryption') === true;

// ---- the rules --------------------------------------------------------------------------

type Unfiled<R> = Omit<R, 'kind' | 'category'>;

/** Files a group of rules under one category, so each rule below reads as id, title, why, match. */
function eventRules(category: FindingCategory, rules: Array<Unfiled<EventRule>>): EventRule[] {
  return rules.map((r) => ({ kind: 'event', category, ...r }));
}

function burstRule(category: FindingCategory, rule: Unfiled<BurstRule>): BurstRule {
  return { kind: 'burst', category, ...rule };
}

const PERSISTENCE = eventRules('persistence', [
  {
    id: 'persistence.create-user', severity: 'high',
    title: 'IAM user created',
    why: 'A new user is a way back in that survives revoking the leaked key.',
    matches: call('iam', ['CreateUser']),
  },
  {
    id: 'persistence.create-access-key', severity: 'high',
    title: 'Access key created',
    why: 'A second key keeps working after the leaked one is deactivated.',
    matches: call('iam', ['CreateAccessKey']),
  },
  {
    id: 'persistence.login-profile', severity: 'high',
    title: 'Console password set',
    why: 'A console password gives access without any access key at all.',
    matches: call('iam', ['CreateLoginProfile', 'UpdateLoginProfile']),
  },
  {
    id: 'persistence.user-policy', severity: 'medium',
    title: 'Policy given to a user',
    why: 'Permissions granted to a user (often one the attacker created) last beyond the session.',
    matches: call('iam', ['AttachUserPolicy', 'PutUserPolicy']),
  },
  {
    id: 'persistence.create-role', severity: 'medium',
    title: 'IAM role created',
    why: 'A role the attacker can assume from outside is a durable back door.',
    matches: call('iam', ['CreateRole']),
  },
  {
    id: 'persistence.trust-policy-change', severity: 'high',
    title: 'Role trust policy changed',
    why: 'Editing who may assume a role can let an outside account in for good.',
    matches: call('iam', ['UpdateAssumeRolePolicy']),
  },
  {
    id: 'persistence.other-credentials', severity: 'medium',
    title: 'Other credentials added',
    why: 'SSH keys, service-specific credentials and MFA devices are further ways to sign in.',
    matches: call('iam', ['UploadSSHPublicKey', 'CreateServiceSpecificCredential', 'CreateVirtualMFADevice', 'EnableMFADevice', 'UploadSigningCertificate']),
  },
]);

const PRIVILEGE_ESCALATION = eventRules('privilege-escalation', [
  {
    id: 'privesc.admin-policy-attached', severity: 'high',
    title: 'Admin policy attached',
    why: 'AdministratorAccess (or IAM full access) turns any foothold into control of the account.',
    matches: (e) => ATTACH_POLICY(e) && isAdminPolicyName(attachedPolicyName(e) ?? ''),
  },
  {
    id: 'privesc.wildcard-inline-policy', severity: 'high',
    title: 'Inline policy allowing everything',
    why: 'An inline "Action: *" policy is admin access that does not show up as a managed policy.',
    matches: (e) => PUT_INLINE_POLICY(e) && documentGrantsAdmin(policyDocumentOf(e)),
  },
  {
    id: 'privesc.policy-version', severity: 'high',
    title: 'Managed policy rewritten',
    why: 'A new default policy version silently changes the rights of everyone it is attached to.',
    matches: call('iam', ['CreatePolicyVersion', 'SetDefaultPolicyVersion']),
  },
  {
    id: 'privesc.role-or-group-permissions', severity: 'medium',
    title: 'Role or group permissions changed',
    why: 'Adding a policy to a role or group the attacker can use widens what the key reaches.',
    matches: call('iam', ['AttachRolePolicy', 'PutRolePolicy', 'AttachGroupPolicy', 'PutGroupPolicy']),
  },
  {
    id: 'privesc.group-membership', severity: 'medium',
    title: 'User added to a group',
    why: 'Group membership is the quiet way to inherit a group\'s permissions.',
    matches: call('iam', ['AddUserToGroup']),
  },
]);

const DEFENSE_EVASION = eventRules('defense-evasion', [
  {
    id: 'evasion.cloudtrail-tampered', severity: 'high',
    title: 'CloudTrail logging stopped or changed',
    why: 'Stopping or narrowing the trail blinds the investigation from that moment on.',
    matches: call('cloudtrail', ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors', 'DeleteEventDataStore']),
  },
  {
    id: 'evasion.flow-logs-deleted', severity: 'high',
    title: 'VPC flow logs deleted',
    why: 'Without flow logs the network side of the intrusion goes unrecorded.',
    matches: call('ec2', ['DeleteFlowLogs']),
  },
  {
    id: 'evasion.guardduty-changed', severity: 'high',
    title: 'GuardDuty disabled or changed',
    why: 'Deleting detectors, trusted-IP lists or archiving findings hides the attacker from alerts.',
    matches: call('guardduty', [
      'DeleteDetector', 'UpdateDetector', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount',
      'DeleteMembers', 'StopMonitoringMembers', 'CreateIPSet', 'UpdateIPSet', 'ArchiveFindings', 'CreateFilter', 'UpdateFilter',
    ]),
  },
  {
    id: 'evasion.config-stopped', severity: 'medium',
    title: 'AWS Config recording stopped',
    why: 'Config is the record of what changed; stopping it hides resource changes.',
    matches: call('config', ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel']),
  },
  {
    id: 'evasion.log-groups-deleted', severity: 'medium',
    title: 'CloudWatch log data deleted',
    why: 'Deleting log groups or streams destroys evidence.',
    matches: call('logs', ['DeleteLogGroup', 'DeleteLogStream', 'PutRetentionPolicy']),
  },
]);

const DATA_ACCESS = eventRules('data-access', [
  {
    id: 'data.secret-read', severity: 'high',
    title: 'Secrets read',
    why: 'Secret values (database passwords, API tokens) must be rotated once read by an attacker.',
    matches: (e) => READS_SECRET(e) || GETS_DECRYPTED_PARAMETER(e),
  },
  {
    id: 'data.snapshot-shared', severity: 'high',
    title: 'Snapshot or image shared',
    why: 'Sharing a disk or database snapshot with another account copies the data out wholesale.',
    matches: (e) => SHARES_EC2_IMAGE(e) || SHARES_RDS_SNAPSHOT(e),
  },
]);

const COST = eventRules('cost', [
  {
    id: 'cost.gpu-instances', severity: 'high',
    title: 'GPU instances launched',
    why: 'GPU and accelerator instances are what crypto-miners launch; they cost thousands a day.',
    matches: (e) => LAUNCH_CALLS(e) && requestedInstanceTypes(e).some(isAcceleratedInstanceType),
  },
  {
    id: 'cost.instances-unusual-region', severity: 'high',
    title: 'Instances launched in an unusual region',
    why: 'Miners pick regions nobody watches; a launch outside the usual regions is rarely legitimate.',
    matches: (e, ctx) => LAUNCH_CALLS(e) && !ctx.usualRegions.has(e.region),
  },
  {
    id: 'cost.quota-increase', severity: 'medium',
    title: 'Service quota increase requested',
    why: 'Raising instance quotas is how miners get room for more machines.',
    matches: call('servicequotas', ['RequestServiceQuotaIncrease']),
  },
]);

const ENUMERATION_CALLS = [
  call('s3', ['ListBuckets']),
  call('iam', ['ListUsers', 'ListRoles', 'ListAccessKeys', 'GetAccountAuthorizationDetails', 'ListAttachedUserPolicies']),
  call('secretsmanager', ['ListSecrets']),
  call('organizations', ['DescribeOrganization', 'ListAccounts']),
];

const RECON_EVENTS = eventRules('recon', [
  {
    id: 'recon.identity-check', severity: 'low',
    title: 'Caller identity checked',
    why: 'GetCallerIdentity is usually the first call made with a freshly stolen key.',
    matches: call('sts', ['GetCallerIdentity']),
  },
  {
    id: 'recon.enumeration', severity: 'low',
    title: 'Account enumerated',
    why: 'Listing buckets, users, roles and secrets maps what the key can reach.',
    matches: (e) => ENUMERATION_CALLS.some((isEnumeration) => isEnumeration(e)),
  },
]);

const BURSTS: BurstRule[] = [
  burstRule('recon', {
    id: 'recon.access-denied-burst', severity: 'medium',
    title: 'Burst of AccessDenied',
    why: 'Many denied calls in a few minutes is someone probing what the key is allowed to do.',
    counts: isAccessDeniedEvent,
    threshold: 10,
    windowMinutes: 5,
  }),
  burstRule('data-access', {
    id: 'data.getobject-burst', severity: 'high',
    title: 'Burst of S3 GetObject',
    why: 'Hundreds of object reads in minutes is bulk download (needs S3 data events in the trail).',
    counts: (e) => e.source === 's3.amazonaws.com' && e.name === 'GetObject' && succeeded(e),
    threshold: 100,
    windowMinutes: 5,
  }),
];

/** Every rule, grouped by meaning. Adding a rule here is all it takes to detect it. */
export const DETECTION_RULES: readonly DetectionRule[] = [
  ...PERSISTENCE,
  ...PRIVILEGE_ESCALATION,
  ...DEFENSE_EVASION,
  ...DATA_ACCESS,
  ...COST,
  ...RECON_EVENTS,
  ...BURSTS,
];

export const EVENT_RULES: readonly EventRule[] = DETECTION_RULES.filter((r): r is EventRule => r.kind === 'event');
export const BURST_RULES: readonly BurstRule[] = DETECTION_RULES.filter((r): r is BurstRule => r.kind === 'burst');

export function ruleContext(usualRegions: readonly string[] = DEFAULT_USUAL_REGIONS): RuleContext {
  return { usualRegions: new Set(usualRegions) };
}

/** The event rules one event triggers (often none, sometimes several). */
export function matchingEventRules(e: TrailEvent, ctx: RuleContext, rules: readonly EventRule[] = EVENT_RULES): EventRule[] {
  return rules.filter((r) => r.matches(e, ctx));
}

export interface BurstWindow {
  /** Counted events within the densest window. */
  count: number;
  /** Start of the densest window, epoch ms (minute-aligned). */
  startMs: number;
  endMs: number;
  /** Counted events overall, inside a window or not. */
  total: number;
}

const MINUTE_MS = 60_000;

/**
 * Counts a burst rule's events in minute buckets, in any arrival order. Memory is one
 * number per minute that had a counted event (at most 129,600 for 90 days).
 */
export class BurstTracker {
  private readonly perMinute = new Map<number, number>();
  private total = 0;

  constructor(readonly rule: BurstRule) {}

  /** Returns true when the event counts towards this burst. */
  add(e: TrailEvent): boolean {
    if (!Number.isFinite(e.timeMs) || !this.rule.counts(e)) return false;
    const minute = Math.floor(e.timeMs / MINUTE_MS);
    this.perMinute.set(minute, (this.perMinute.get(minute) ?? 0) + 1);
    this.total++;
    return true;
  }

  /** The densest window, or undefined when it stays under the threshold. */
  densestWindow(): BurstWindow | undefined {
    const minutes = [...this.perMinute.keys()].sort((a, b) => a - b);
    let best: { count: number; start: number } | undefined;
    let lo = 0;
    let inWindow = 0;
    for (let hi = 0; hi < minutes.length; hi++) {
      inWindow += this.perMinute.get(minutes[hi])!;
      while (minutes[hi] - minutes[lo] >= this.rule.windowMinutes) {
        inWindow -= this.perMinute.get(minutes[lo])!;
        lo++;
      }
      if (!best || inWindow > best.count) best = { count: inWindow, start: minutes[lo] };
    }
    if (!best || best.count < this.rule.threshold) return undefined;
    return {
      count: best.count,
      startMs: best.start * MINUTE_MS,
      endMs: (best.start + this.rule.windowMinutes) * MINUTE_MS,
      total: this.total,
    };
  }
}
