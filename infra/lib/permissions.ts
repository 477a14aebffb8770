/**
 * The IAM policies keyguard runs with, as plain JSON objects.
 *
 * Pure TypeScript on purpose: no aws-cdk-lib import. The CDK stacks turn these objects into
 * roles, and the root test suite (test/unit/infra-permissions.test.ts) reads the SDK calls
 * the bot makes in src/ and checks that each one is granted here, so a new AWS call that
 * is not granted fails a test instead of failing at 3 a.m. with AccessDenied.
 *
 * Least privilege, in short:
 *  - the bot's role writes no IAM at all: it reads, assumes the responder role
 *    (<targetRoleName>, in every account, its own included), searches CloudTrail and
 *    writes its table. Every IAM write is the responder role's, in a session narrowed by a
 *    session policy generated from the approved plan (src/domain/session-policy.ts);
 *  - IAM reads and writes are limited to the account's own users, groups, roles and
 *    instance profiles (the partition and account are parameters);
 *  - AttachUserPolicy / DetachUserPolicy only for AWSCompromisedKeyQuarantineV2/V3
 *    (condition on iam:PolicyARN);
 *  - no UpdateAssumeRolePolicy anywhere: no flow rewrites who may assume a role;
 *  - DynamoDB only on the incident table and its indexes;
 *  - explicit Denies: a role cannot change itself (no self-escalation with PutRolePolicy,
 *    no deleting its own guard rails), nor touch service-linked roles, nor write to the
 *    responder and bot roles, nor destroy a defender-named principal
 *    (OrganizationAccountAccessRole, break-glass users and roles named at deploy). Never by
 *    tag: the attacker holding the leaked key can set tags.
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
 * Granted by the KeyguardHistory stack (history-stack.ts), not by the bot's own policy: the
 * Athena workgroup's queries, and CloudTrail Lake queries when an event data store is named.
 */
export const HISTORY_ACTIONS = {
  athena: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
  lake: ['cloudtrail:StartQuery', 'cloudtrail:GetQueryResults', 'cloudtrail:CancelQuery', 'cloudtrail:DescribeQuery'],
} as const;

export const OPT_IN_ACTIONS: Readonly<Record<string, keyof BotPolicyOptions>> = {
  'dynamodb:CreateTable': 'allowCreateTable',
  // Automatic intake (IR_INTAKE_QUEUE_URL): the stack passes its intake queue.
  'sqs:ReceiveMessage': 'intakeQueue',
  'sqs:DeleteMessage': 'intakeQueue',
  'sqs:ChangeMessageVisibility': 'intakeQueue',
  'sqs:GetQueueAttributes': 'intakeQueue',
  'sqs:GetQueueUrl': 'intakeQueue',
  'sqs:SendMessage': 'intakeQueue',
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
      Action: iam('DeleteSigningCertificate', 'DeleteSSHPublicKey', 'RemoveUserFromGroup', 'DeleteUser', 'RemoveRoleFromInstanceProfile', 'DetachRolePolicy', 'DeleteRole'),
      Resource: [arn.users, arn.groups, arn.roles, arn.instanceProfiles],
    },
  ];
}

/** Every IAM write the responder role is granted (and the guard-rail Deny refuses). */
export function containmentWriteActions(scope: AccountScope): string[] {
  return [...allowedActions(containmentStatements(scope, { detachAnyUserPolicy: true }))].sort();
}

// ---------------------------------------------------------------------------------------
// Protected principals (the code decides the same way: src/domain/protection.ts)

export const ORGANIZATION_ACCESS_ROLE = 'OrganizationAccountAccessRole';

export interface ProtectedPrincipalOptions {
  /** The responder role (IR_TARGET_ROLE_NAME). */
  responderRoleName: string;
  /** The bot's own role, by name: protected in every account (it lives in the bot's). */
  botRoleName: string;
  /** Break-glass users named at deploy (CDK context protectedPrincipals: user/NAME). */
  protectedUsers?: readonly string[];
  /** Roles named at deploy (CDK context protectedPrincipals: role/NAME). */
  protectedRoles?: readonly string[];
}

/**
 * What destroys a principal or its owners' way in: deleting it (and what only serves deleting
 * it), its console password, its MFA devices. Never allowed on a defender-named principal.
 * Containment (UpdateAccessKey, the bot's revocation policies with PutUserPolicy/PutRolePolicy,
 * the quarantine attach), Undo and deleting a leaked or attacker-made key stay allowed: a
 * protected principal's leaked key is contained all the same (two approvals, in the code).
 */
export const DESTRUCTIVE_ACTIONS: readonly string[] = iam(
  'DeleteUser',
  'DeleteRole',
  'DeleteLoginProfile',
  'DeactivateMFADevice',
  'DeleteSigningCertificate',
  'DeleteSSHPublicKey',
  'RemoveUserFromGroup',
  'RemoveRoleFromInstanceProfile',
  'DetachRolePolicy',
);

/**
 * Explicit Denies (they win over the Allows and over any session policy), by name at any path,
 * never by tag (whoever holds a leaked admin key can set a tag):
 *  - the responder role and the bot's role: no containment write at all (guard rails);
 *  - defender-named principals (OrganizationAccountAccessRole, protectedPrincipals): nothing
 *    that destroys them, and no managed policy but the quarantine ones detached from them.
 */
export function protectedPrincipalStatements(scope: AccountScope, p: ProtectedPrincipalOptions): PolicyStatement[] {
  const base = `arn:${scope.partition ?? 'aws'}:iam::${scope.account}`;
  // NAME and */NAME: the principal at any path (IAM refuses a wildcard before the first '/').
  const roleArns = (names: readonly string[]) => [...new Set(names)].flatMap((r) => [`${base}:role/${r}`, `${base}:role/*/${r}`]);
  const userArns = (names: readonly string[]) => [...new Set(names)].flatMap((u) => [`${base}:user/${u}`, `${base}:user/*/${u}`]);
  const guardRails = [p.responderRoleName, p.botRoleName];
  const named = [ORGANIZATION_ACCESS_ROLE, ...(p.protectedRoles ?? [])];
  const users = p.protectedUsers ?? [];
  return [
    {
      Sid: 'DenyGuardRailRoles',
      Effect: 'Deny',
      Action: containmentWriteActions(scope),
      Resource: roleArns(guardRails),
    },
    {
      Sid: 'DenyProtectedPrincipals',
      Effect: 'Deny',
      Action: [...DESTRUCTIVE_ACTIONS],
      Resource: [...roleArns([...guardRails, ...named]), ...userArns(users)],
    },
    ...(users.length > 0
      ? [{
          Sid: 'DenyDetachingFromProtectedUsers',
          Effect: 'Deny' as const,
          Action: iam('DetachUserPolicy'),
          Resource: userArns(users),
          Condition: { ArnNotEquals: { 'iam:PolicyARN': quarantinePolicyArns(scope.partition) } },
        }]
      : []),
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
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Resource: [`arn:${partition}:iam::*:role/${targetRoleName}`],
    },
  ];
}

// ---------------------------------------------------------------------------------------
// Whole documents

/** IR_TARGET_ROLE_NAME's default. */
export const DEFAULT_RESPONDER_ROLE_NAME = 'keyguard-responder';

export interface BotPolicyOptions extends AccountScope, TableOptions {
  /** The bot's own role, protected by the self-modification Deny. */
  botRoleArn: string;
  /** The incident table (its indexes are granted too). */
  tableArn: string;
  /** IR_TARGET_ROLE_NAME, default keyguard-responder: the role every IAM write goes through. */
  targetRoleName?: string;
  /** The intake queue (IR_INTAKE_QUEUE_URL) and its dead-letter queue. */
  intakeQueue?: { queueArn: string; deadLetterQueueArn: string };
}

/**
 * Intake: consume the queue (receive, delete after the record is written, shorten the
 * visibility of a failed attempt, read its RedrivePolicy); send unreadable messages to the
 * dead-letter queue (found by name with GetQueueUrl). Nothing else on SQS.
 */
export function intakeQueueStatements(q: { queueArn: string; deadLetterQueueArn: string }): PolicyStatement[] {
  return [
    {
      Sid: 'IntakeQueueConsume',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      Resource: [q.queueArn],
    },
    { Sid: 'IntakeDeadLetterSend', Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'], Resource: [q.deadLetterQueueArn] },
  ];
}

/** The bot's role: reads, the responder role, CloudTrail, its table. No IAM write. */
export function botPolicyStatements(opts: BotPolicyOptions): PolicyStatement[] {
  return [
    ...stsReadStatements(),
    ...iamReadStatements(opts),
    ...trailStatements(),
    ...tableStatements(opts.tableArn, opts),
    ...assumeTargetRoleStatements(opts.targetRoleName ?? DEFAULT_RESPONDER_ROLE_NAME, opts.partition),
    ...(opts.intakeQueue ? intakeQueueStatements(opts.intakeQueue) : []),
    ...selfProtectionStatements(opts.botRoleArn, opts),
  ];
}

export function botPolicyDocument(opts: BotPolicyOptions): PolicyDocument {
  return { Version: '2012-10-17', Statement: botPolicyStatements(opts) };
}

export interface ResponderPolicyOptions extends AccountScope, ContainmentOptions {
  /** The responder role itself, protected by the self-modification Deny. */
  responderRoleArn: string;
  /** The bot's role name (default keyguard-bot): never written to. */
  botRoleName?: string;
  protectedUsers?: readonly string[];
  protectedRoles?: readonly string[];
}

/**
 * The responder role, one per account (the bot's own included): the IAM reads the
 * containment actions make (pre-checks, read-backs, reconciliation), the containment
 * writes (the only principal that writes IAM), and CloudTrail lookups (the investigation
 * and the watch search the key's own account). No DynamoDB: the record stays with the bot.
 */
export function responderPolicyStatements(opts: ResponderPolicyOptions): PolicyStatement[] {
  const responderRoleName = opts.responderRoleArn.split('/').pop()!;
  return [
    ...iamReadStatements(opts),
    ...stsReadStatements(),
    { Sid: 'CloudTrailLookup', Effect: 'Allow', Action: ['cloudtrail:LookupEvents'], Resource: ['*'] },
    ...containmentStatements(opts, opts),
    ...selfProtectionStatements(opts.responderRoleArn, opts),
    ...protectedPrincipalStatements(opts, {
      responderRoleName,
      botRoleName: opts.botRoleName ?? 'keyguard-bot',
      protectedUsers: opts.protectedUsers,
      protectedRoles: opts.protectedRoles,
    }),
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
