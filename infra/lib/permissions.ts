/**
 * The IAM policies keyguard runs with, as plain JSON objects.
 *
 * Pure TypeScript on purpose: no aws-cdk-lib import. The CDK stacks turn these objects into
 * roles, and the root test suite (test/unit/infra-permissions.test.ts) reads the SDK calls
 * the bot makes in src/ and checks that each one is granted here, so a new AWS call that
 * is not granted fails a test instead of failing at 3 a.m. with AccessDenied.
 *
 * Least privilege, in short:
 *  - IAM reads and writes are limited to the account's own users, groups, roles and
 *    instance profiles (the partition and account are parameters);
 *  - AttachUserPolicy / DetachUserPolicy only for AWSCompromisedKeyQuarantineV2/V3
 *    (condition on iam:PolicyARN);
 *  - sts:AssumeRole only on roles named <targetRoleName>, in any account;
 *  - DynamoDB only on the incident table and its indexes;
 *  - an explicit Deny stops a role from changing itself (no self-escalation with
 *    PutRolePolicy, no deleting its own guard rails) and from touching service-linked roles.
 * sts:GetCallerIdentity needs no permission and is not listed.
 */

export type Effect = 'Allow' | 'Deny';

/** IAM condition block: operator → key → value(s), e.g. { ArnEquals: { 'iam:PolicyARN': [...] } }. */
export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid: string;
  Effect: Effect;
  Action: string[];
  Resource: string[];
  Condition?: ConditionBlock;
}

export interface TrustStatement {
  Sid: string;
  Effect: Effect;
  Principal: { AWS: string | string[] };
  Action: string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument<S = PolicyStatement> {
  Version: '2012-10-17';
  Statement: S[];
}

/** Actions the bot calls that IAM authorises for everyone (no statement needed). */
export const NO_PERMISSION_NEEDED: readonly string[] = ['sts:GetCallerIdentity'];

/**
 * Actions the code can call that are granted only when an option asks for them.
 * dynamodb:CreateTable: only with IR_CREATE_TABLE=true; the stack creates the table itself.
 */
/**
 * Granted to the bot's role by the KeyguardHistory stack's own policy (history-stack.ts),
 * scoped to its workgroup and event data store, when a trail bucket (or Lake store) is given.
 */
export const HISTORY_STACK_ACTIONS: readonly string[] = [
  'athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution',
  'cloudtrail:StartQuery', 'cloudtrail:GetQueryResults', 'cloudtrail:CancelQuery',
];

export const OPT_IN_ACTIONS: Readonly<Record<string, keyof BotPolicyOptions>> = {
  'dynamodb:CreateTable': 'allowCreateTable',
};

export const QUARANTINE_POLICY_NAMES = ['AWSCompromisedKeyQuarantineV3', 'AWSCompromisedKeyQuarantineV2'] as const;

/** The AWS managed quarantine policies, the only ones the bot may attach or detach. */
export function quarantinePolicyArns(partition = 'aws'): string[] {
  return QUARANTINE_POLICY_NAMES.map((name) => `arn:${partition}:iam::aws:policy/${name}`);
}

/** Which account's IAM a role acts on. Values may be CDK tokens (e.g. Aws.ACCOUNT_ID). */
export interface AccountScope {
  account: string;
  /** 'aws' unless in GovCloud or China. */
  partition?: string;
}

function iamArns(scope: AccountScope) {
  const base = `arn:${scope.partition ?? 'aws'}:iam::${scope.account}`;
  return {
    users: `${base}:user/*`,
    groups: `${base}:group/*`,
    roles: `${base}:role/*`,
    instanceProfiles: `${base}:instance-profile/*`,
    serviceLinkedRoles: `${base}:role/aws-service-role/*`,
  };
}

const iam = (...actions: string[]) => actions.map((a) => `iam:${a}`);

// ---------------------------------------------------------------------------------------
// Reads

/** What /key-owner, the pre-checks, the read-backs and crash reconciliation read. */
export function iamReadStatements(scope: AccountScope): PolicyStatement[] {
  const arn = iamArns(scope);
  return [
    {
      Sid: 'ReadUsers',
      Effect: 'Allow',
      Action: iam(
        'GetAccessKeyLastUsed',
        'ListAccessKeys',
        'GetUser',
        'ListUserTags',
        'ListGroupsForUser',
        'ListAttachedUserPolicies',
        'ListUserPolicies',
        'GetUserPolicy',
        'GetLoginProfile',
        'ListMFADevices',
        'ListSigningCertificates',
        'ListSSHPublicKeys',
      ),
      Resource: [arn.users],
    },
    {
      Sid: 'ReadGroups',
      Effect: 'Allow',
      Action: iam('ListAttachedGroupPolicies', 'ListGroupPolicies', 'GetGroupPolicy'),
      Resource: [arn.groups],
    },
    {
      Sid: 'ReadRoles',
      Effect: 'Allow',
      Action: iam('GetRole', 'GetRolePolicy', 'ListRolePolicies', 'ListAttachedRolePolicies', 'ListInstanceProfilesForRole'),
      Resource: [arn.roles],
    },
  ];
}

/** sts:GetAccessKeyInfo: the account that owns any key. No resource-level control exists. */
export function stsReadStatements(): PolicyStatement[] {
  return [{ Sid: 'KeyAccount', Effect: 'Allow', Action: ['sts:GetAccessKeyInfo'], Resource: ['*'] }];
}

/** /trail: CloudTrail in every enabled region. Neither action supports resource-level control. */
export function trailStatements(): PolicyStatement[] {
  return [
    { Sid: 'CloudTrailLookup', Effect: 'Allow', Action: ['cloudtrail:LookupEvents'], Resource: ['*'] },
    { Sid: 'ListRegions', Effect: 'Allow', Action: ['ec2:DescribeRegions'], Resource: ['*'] },
  ];
}

// ---------------------------------------------------------------------------------------
// Writes (README "AWS permissions")

export interface ContainmentOptions {
  /**
   * Grant DetachUserPolicy for any managed policy, not only the quarantine ones. Removing a
   * user the attacker created (DeleteUser) needs its managed policies detached first; off by
   * default, in which case that one step gets AccessDenied for users with managed policies.
   */
  detachAnyUserPolicy?: boolean;
}

export function containmentStatements(scope: AccountScope, opts: ContainmentOptions = {}): PolicyStatement[] {
  const arn = iamArns(scope);
  const onlyQuarantine: ConditionBlock = { ArnEquals: { 'iam:PolicyARN': quarantinePolicyArns(scope.partition) } };
  return [
    {
      // Contain, IAM user key: deactivate it, deny sessions issued before now.
      Sid: 'ContainUserKey',
      Effect: 'Allow',
      Action: iam('UpdateAccessKey', 'PutUserPolicy'),
      Resource: [arn.users],
    },
    {
      Sid: 'AttachQuarantinePolicy',
      Effect: 'Allow',
      Action: iam('AttachUserPolicy'),
      Resource: [arn.users],
      Condition: onlyQuarantine,
    },
    {
      // Contain, temporary key: inline AWSRevokeOlderSessions on the issuing role.
      Sid: 'ContainRoleSessions',
      Effect: 'Allow',
      Action: iam('PutRolePolicy'),
      Resource: [arn.roles],
    },
    {
      // Undo: remove exactly the inline policies the bot added (and reactivate the key, above).
      Sid: 'UndoContainment',
      Effect: 'Allow',
      Action: iam('DeleteUserPolicy', 'DeleteRolePolicy'),
      Resource: [arn.users, arn.roles],
    },
    opts.detachAnyUserPolicy
      ? { Sid: 'DetachUserPolicies', Effect: 'Allow', Action: iam('DetachUserPolicy'), Resource: [arn.users] }
      : { Sid: 'DetachQuarantinePolicy', Effect: 'Allow', Action: iam('DetachUserPolicy'), Resource: [arn.users], Condition: onlyQuarantine },
    {
      Sid: 'EradicateUserKey',
      Effect: 'Allow',
      Action: iam('DeleteAccessKey', 'DeleteLoginProfile', 'DeactivateMFADevice'),
      Resource: [arn.users],
    },
    {
      // Removing what the attacker created: keys, users, roles and what DeleteUser/DeleteRole need gone first.
      Sid: 'RemovePersistence',
      Effect: 'Allow',
      Action: iam(
        'DeleteSigningCertificate',
        'DeleteSSHPublicKey',
        'RemoveUserFromGroup',
        'DeleteUser',
        'RemoveRoleFromInstanceProfile',
        'DetachRolePolicy',
        'DeleteRole',
        'UpdateAssumeRolePolicy',
      ),
      Resource: [arn.users, arn.groups, arn.roles, arn.instanceProfiles],
    },
  ];
}

/**
 * Explicit Deny (wins over every Allow): the role cannot change its own permissions, trust
 * or existence, so PutRolePolicy/DeleteRolePolicy on role/* can never be turned on itself;
 * and nothing is written to service-linked roles (the bot refuses them too).
 */
export function selfProtectionStatements(ownRoleArn: string, scope: AccountScope): PolicyStatement[] {
  return [
    {
      Sid: 'DenySelfModification',
      Effect: 'Deny',
      Action: iam(
        'AttachRolePolicy',
        'DetachRolePolicy',
        'PutRolePolicy',
        'DeleteRolePolicy',
        'UpdateAssumeRolePolicy',
        'PutRolePermissionsBoundary',
        'DeleteRolePermissionsBoundary',
        'UpdateRole',
        'UpdateRoleDescription',
        'DeleteRole',
        'TagRole',
        'UntagRole',
      ),
      Resource: [ownRoleArn],
    },
    {
      Sid: 'DenyServiceLinkedRoles',
      Effect: 'Deny',
      Action: iam('PutRolePolicy', 'DeleteRolePolicy', 'DetachRolePolicy', 'UpdateAssumeRolePolicy', 'DeleteRole', 'RemoveRoleFromInstanceProfile'),
      Resource: [iamArns(scope).serviceLinkedRoles],
    },
  ];
}

// ---------------------------------------------------------------------------------------
// The bot's own resources

export interface TableOptions {
  /** IR_CREATE_TABLE=true: let the bot create the table (not needed when the stack made it). */
  allowCreateTable?: boolean;
}

export function tableStatements(tableArn: string, opts: TableOptions = {}): PolicyStatement[] {
  const actions = ['DescribeTable', 'GetItem', 'PutItem', 'UpdateItem', 'Query'];
  if (opts.allowCreateTable) actions.push('CreateTable');
  return [
    {
      Sid: 'IncidentTable',
      Effect: 'Allow',
      Action: actions.map((a) => `dynamodb:${a}`),
      Resource: [tableArn, `${tableArn}/index/*`],
    },
  ];
}

/**
 * Acting in another account: assume <targetRoleName> there, passing the approving Slack
 * user as SourceIdentity (sts:SetSourceIdentity) so that account's CloudTrail names them.
 */
export function assumeTargetRoleStatements(targetRoleName: string, partition = 'aws'): PolicyStatement[] {
  return [
    {
      Sid: 'AssumeResponderRole',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
      Resource: [`arn:${partition}:iam::*:role/${targetRoleName}`],
    },
  ];
}

// ---------------------------------------------------------------------------------------
// Whole documents

export interface BotPolicyOptions extends AccountScope, ContainmentOptions, TableOptions {
  /** The bot's own role, protected by the self-modification Deny. */
  botRoleArn: string;
  /** The incident table (its indexes are granted too). */
  tableArn: string;
  /** IR_TARGET_ROLE_NAME; without it the bot gets no sts:AssumeRole at all. */
  targetRoleName?: string;
}

export function botPolicyStatements(opts: BotPolicyOptions): PolicyStatement[] {
  return [
    ...stsReadStatements(),
    ...iamReadStatements(opts),
    ...containmentStatements(opts, opts),
    ...trailStatements(),
    ...tableStatements(opts.tableArn, opts),
    ...(opts.targetRoleName ? assumeTargetRoleStatements(opts.targetRoleName, opts.partition) : []),
    ...selfProtectionStatements(opts.botRoleArn, opts),
  ];
}

export function botPolicyDocument(opts: BotPolicyOptions): PolicyDocument {
  return { Version: '2012-10-17', Statement: botPolicyStatements(opts) };
}

export interface ResponderPolicyOptions extends AccountScope, ContainmentOptions {
  /** The responder role itself, protected by the self-modification Deny. */
  responderRoleArn: string;
}

/**
 * The responder role in another account: the IAM reads the containment actions make
 * (pre-checks, read-backs, reconciliation), the containment writes, and CloudTrail lookups
 * (the investigation and the watch search the key's own account). No DynamoDB: the record
 * stays with the bot in its own account.
 */
export function responderPolicyStatements(opts: ResponderPolicyOptions): PolicyStatement[] {
  return [
    ...iamReadStatements(opts),
    ...stsReadStatements(),
    { Sid: 'CloudTrailLookup', Effect: 'Allow', Action: ['cloudtrail:LookupEvents'], Resource: ['*'] },
    ...containmentStatements(opts, opts),
    ...selfProtectionStatements(opts.responderRoleArn, opts),
  ];
}

export function responderPolicyDocument(opts: ResponderPolicyOptions): PolicyDocument {
  return { Version: '2012-10-17', Statement: responderPolicyStatements(opts) };
}

/**
 * Trust policy of the responder role: only the bot's role may assume it, and only when it
 * names a SourceIdentity (the approving Slack user), which then sticks to the session.
 */
export function responderTrustPolicy(botRoleArn: string): PolicyDocument<TrustStatement> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'KeyguardBotWithSourceIdentity',
        Effect: 'Allow',
        Principal: { AWS: botRoleArn },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        Condition: { StringLike: { 'sts:SourceIdentity': '*' } },
      },
    ],
  };
}

/** Every action an Allow statement grants (conditions ignored). */
export function allowedActions(statements: readonly PolicyStatement[]): Set<string> {
  return new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));
}
