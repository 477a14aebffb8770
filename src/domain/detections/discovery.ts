/** TA0007 Discovery: what the key can reach. Low on its own, telling in a sequence. Pure. */
import { isAccessDeniedEvent, TrailEvent } from '../trail-event';
import { burstRule, eventRules } from './define';
import { call, eventsOf } from './match';

const ENUMERATION: ReadonlyArray<[string, string[]]> = [
  ['s3', ['ListBuckets']],
  ['iam', ['ListUsers', 'ListRoles', 'ListAccessKeys', 'GetAccountAuthorizationDetails', 'ListAttachedUserPolicies']],
  ['secretsmanager', ['ListSecrets']],
  ['organizations', ['DescribeOrganization', 'ListAccounts']],
  ['bedrock', ['ListFoundationModels', 'GetModelInvocationLoggingConfiguration', 'GetFoundationModelAvailability', 'ListFoundationModelAgreementOffers', 'GetUseCaseForModelAccess']],
  ['ses', ['GetSendQuota', 'GetAccountSendingEnabled', 'ListIdentities']],
];
const SNAPSHOT_LISTING: ReadonlyArray<[string, string[]]> = [
  ['rds', ['DescribeDBSnapshots', 'DescribeDBClusterSnapshots', 'DescribeDBSnapshotAttributes', 'DescribeDBClusterSnapshotAttributes']],
  ['ec2', ['DescribeSnapshots', 'DescribeSnapshotAttribute']],
  ['redshift', ['DescribeClusterSnapshots']],
];
const SNAPSHOT_LISTING_CALLS = SNAPSHOT_LISTING.map(([s, n]) => call(s, n));
const ENUMERATION_CALLS = ENUMERATION.map(([service, names]) => call(service, names));

export const DISCOVERY = [
  ...eventRules('discovery', [
    {
      id: 'discovery.identity-check', family: 'reconnaissance', severity: 'low',
      technique: { id: 'T1087.004', name: 'Account Discovery: Cloud Account' },
      title: 'Caller identity checked',
      why: 'GetCallerIdentity is usually the first call made with a freshly stolen key.',
      next: 'Note the source IP and user agent: they mark the attacker\'s other calls.',
      ignores: 'Nothing else: SDKs rarely call it on their own, so it is low severity rather than filtered.',
      events: ['sts:GetCallerIdentity'],
      matches: call('sts', ['GetCallerIdentity']),
    },
    {
      id: 'discovery.enumeration', family: 'reconnaissance', severity: 'low',
      technique: { id: 'T1580', name: 'Cloud Infrastructure Discovery' },
      title: 'Account enumerated',
      why: 'Listing buckets, users, roles, secrets, models and e-mail sending limits maps what the key can reach (SES checks come before phishing runs).',
      next: 'Expect the listed resources to be the next targets; check them first.',
      ignores: 'Describe* calls of routine tooling (DescribeInstances and the like are too common to flag).',
      events: ENUMERATION.flatMap(([service, names]) => eventsOf(service, names)),
      matches: (e) => ENUMERATION_CALLS.some((isEnumeration) => isEnumeration(e)),
    },
  ]),
  burstRule('discovery', {
    id: 'discovery.access-denied-burst', family: 'reconnaissance', severity: 'medium',
    technique: { id: 'T1526', name: 'Cloud Service Discovery' },
    title: 'Burst of AccessDenied',
    why: 'Many denied calls in a few minutes is someone probing what the key is allowed to do.',
    next: 'List the denied calls in the export: they show what the attacker wanted.',
    ignores: 'Fewer than 10 denials in 5 minutes; errors other than access denied (throttling, bad input).',
    events: ['*:* (refused)'],
    counts: (e: TrailEvent) => isAccessDeniedEvent(e),
    countsRefusals: true,
    threshold: 10,
    windowMinutes: 5,
  }),
  burstRule('discovery', {
    id: 'discovery.snapshot-enumeration', family: 'databases', severity: 'medium',
    technique: { id: 'T1580', name: 'Cloud Infrastructure Discovery' },
    title: 'Snapshots enumerated',
    why: 'Listing database and disk snapshots (and who may restore them) many times in minutes, often region after region, is the search for data to share out.',
    next: 'Check the snapshots listed for shares, copies or exports that followed.',
    ignores: 'Fewer than 10 listing calls within 10 minutes (consoles and backup tools list a few at a time).',
    events: SNAPSHOT_LISTING.flatMap(([s, n]) => eventsOf(s, n)),
    counts: (e) => SNAPSHOT_LISTING_CALLS.some((m) => m(e)),
    threshold: 10,
    windowMinutes: 10,
  }),
];
