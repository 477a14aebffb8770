/**
 * The calls that set who may reach a resource, and where each carries the grant: a policy
 * document (bucket, queue, topic, key, repository, secret, domain, vault, file system, event
 * bus, role trust), or a list of accounts (queue and topic permissions, KMS grants, VPC
 * peering, domain transfers). One table, read by the "made public" and "shared with another
 * account" rules. Pure.
 */
import { pick, pickString, TrailEvent } from '../trail-event';
import { baseName, ownAccount } from './match';
import { accountOf, mergeGrants, policyGrant, PolicyGrant, readDocument } from './policy';

export interface ResourceGrant extends PolicyGrant {
  /** What kind of resource, in words: "SQS queue". */
  kind: string;
  /** Its name or ARN, as the request gave it. */
  resource?: string;
}

interface GrantCall {
  service: string;
  names: readonly string[];
  kind: string;
  resource: (p: Record<string, unknown> | null) => string | undefined;
  grant: (e: TrailEvent) => PolicyGrant | undefined;
}

const str = (p: unknown, ...path: string[]) => pickString(p, ...path);
/** The short name at the end of a URL or ARN: a queue URL's queue, a topic ARN's topic, a key ARN's key id. */
const lastPart = (v: string | undefined) => v?.split(/[/:]/).pop() || v;

/** A grant from the policy document at one of these request paths. */
function documentAt(...paths: string[][]): (e: TrailEvent) => PolicyGrant | undefined {
  return (e) => {
    const docs = paths.map((path) => readDocument(pick(e.requestParameters, ...path))).filter((d) => d !== undefined);
    return docs.length === 0 ? undefined : mergeGrants(docs.map((d) => policyGrant(d, ownAccount(e))));
  };
}

/** A grant to the accounts listed at a request path (`*` in the list is everyone). */
function accountsAt(...path: string[]): (e: TrailEvent) => PolicyGrant | undefined {
  return (e) => {
    const raw = pick(e.requestParameters, ...path);
    const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    if (list.length === 0) return undefined;
    const own = ownAccount(e);
    const accounts = list.map(accountOf).filter((a): a is string => !!a && a !== own);
    return { public: list.some((v) => v === '*'), accounts: [...new Set(accounts)].sort() };
  };
}

const GRANT_CALLS: readonly GrantCall[] = [
  { service: 's3', names: ['PutBucketPolicy'], kind: 'S3 bucket', resource: (p) => str(p, 'bucketName'), grant: documentAt(['bucketPolicy'], ['policy']) },
  { service: 'ecr', names: ['SetRepositoryPolicy'], kind: 'ECR repository', resource: (p) => str(p, 'repositoryName'), grant: documentAt(['policyText']) },
  { service: 'ecr', names: ['PutRegistryPolicy'], kind: 'ECR registry', resource: () => undefined, grant: documentAt(['policyText']) },
  { service: 'sqs', names: ['SetQueueAttributes'], kind: 'SQS queue', resource: (p) => lastPart(str(p, 'queueUrl')), grant: documentAt(['attributes', 'Policy']) },
  { service: 'sqs', names: ['CreateQueue'], kind: 'SQS queue', resource: (p) => str(p, 'queueName'), grant: documentAt(['attributes', 'Policy']) },
  { service: 'sqs', names: ['AddPermission'], kind: 'SQS queue', resource: (p) => lastPart(str(p, 'queueUrl')), grant: accountsAt('aWSAccountIds') },
  {
    service: 'sns', names: ['SetTopicAttributes'], kind: 'SNS topic', resource: (p) => lastPart(str(p, 'topicArn')),
    grant: (e) => (str(e.requestParameters, 'attributeName') === 'Policy' ? documentAt(['attributeValue'])(e) : undefined),
  },
  { service: 'sns', names: ['CreateTopic'], kind: 'SNS topic', resource: (p) => str(p, 'name'), grant: documentAt(['attributes', 'Policy']) },
  { service: 'sns', names: ['AddPermission'], kind: 'SNS topic', resource: (p) => lastPart(str(p, 'topicArn')), grant: accountsAt('aWSAccountId') },
  {
    service: 'es', names: ['CreateDomain', 'UpdateDomainConfig', 'CreateElasticsearchDomain', 'UpdateElasticsearchDomainConfig'], kind: 'OpenSearch domain',
    resource: (p) => str(p, 'domainName'), grant: documentAt(['accessPolicies']),
  },
  { service: 'kms', names: ['PutKeyPolicy', 'CreateKey'], kind: 'KMS key', resource: (p) => lastPart(str(p, 'keyId')), grant: documentAt(['policy']) },
  { service: 'kms', names: ['CreateGrant'], kind: 'KMS key', resource: (p) => lastPart(str(p, 'keyId')), grant: accountsAt('granteePrincipal') },
  { service: 'secretsmanager', names: ['PutResourcePolicy'], kind: 'secret', resource: (p) => str(p, 'secretId'), grant: documentAt(['resourcePolicy']) },
  { service: 'glacier', names: ['SetVaultAccessPolicy'], kind: 'Glacier vault', resource: (p) => str(p, 'vaultName'), grant: documentAt(['policy', 'policy'], ['policy']) },
  { service: 'backup', names: ['PutBackupVaultAccessPolicy'], kind: 'backup vault', resource: (p) => str(p, 'backupVaultName'), grant: documentAt(['policy']) },
  { service: 'elasticfilesystem', names: ['PutFileSystemPolicy'], kind: 'EFS file system', resource: (p) => str(p, 'fileSystemId'), grant: documentAt(['policy']) },
  { service: 'glue', names: ['PutResourcePolicy'], kind: 'Glue Data Catalog', resource: () => undefined, grant: documentAt(['policyInJson']) },
  {
    service: 'events', names: ['PutPermission'], kind: 'EventBridge bus', resource: (p) => str(p, 'eventBusName') ?? 'default',
    grant: (e) => documentAt(['policy'])(e) ?? (str(e.requestParameters, 'condition', 'type') ? undefined : accountsAt('principal')(e)),
  },
  { service: 'iam', names: ['CreateRole'], kind: 'IAM role', resource: (p) => str(p, 'roleName'), grant: documentAt(['assumeRolePolicyDocument']) },
  { service: 'iam', names: ['UpdateAssumeRolePolicy'], kind: 'IAM role', resource: (p) => str(p, 'roleName'), grant: documentAt(['policyDocument']) },
  {
    service: 'lambda', names: ['AddPermission'], kind: 'Lambda function', resource: (p) => str(p, 'functionName'),
    grant: (e) => ({ public: false, accounts: [accountOf(str(e.requestParameters, 'principal')), accountOf(str(e.requestParameters, 'sourceAccount'))].filter((a): a is string => !!a && a !== ownAccount(e)) }),
  },
  { service: 'lambda', names: ['AddLayerVersionPermission'], kind: 'Lambda layer', resource: (p) => str(p, 'layerName'), grant: accountsAt('principal') },
  { service: 'ec2', names: ['CreateVpcPeeringConnection'], kind: 'VPC', resource: (p) => str(p, 'vpcId'), grant: accountsAt('peerOwnerId') },
  { service: 'route53domains', names: ['TransferDomainToAnotherAwsAccount'], kind: 'domain', resource: (p) => str(p, 'domainName'), grant: accountsAt('accountId') },
  {
    service: 'ssm', names: ['ModifyDocumentPermission'], kind: 'SSM document', resource: (p) => str(p, 'name'),
    grant: (e) => {
      const added = pick(e.requestParameters, 'accountIdsToAdd');
      const list = Array.isArray(added) ? added : [];
      if (list.length === 0) return undefined;
      const own = ownAccount(e);
      return { public: list.some((a) => String(a).toLowerCase() === 'all'), accounts: list.map(accountOf).filter((a): a is string => !!a && a !== own).sort() };
    },
  },
  { service: 'ram', names: ['CreateResourceShare', 'AssociateResourceShare'], kind: 'resource share', resource: (p) => str(p, 'name') ?? str(p, 'resourceShareArn'), grant: accountsAt('principals') },
];

const BY_CALL = new Map<string, GrantCall>(GRANT_CALLS.flatMap((c) => c.names.map((n) => [`${c.service}.amazonaws.com|${n}`, c] as const)));

/** The calls of the table, `service:Name`, for a rule's `events` list. */
export function grantCallEvents(filter: (service: string, name: string) => boolean = () => true): string[] {
  return GRANT_CALLS.flatMap((c) => c.names.filter((n) => filter(c.service, n)).map((n) => `${c.service}:${n}`));
}

/** Who a call lets reach a resource, when it is a call that sets that (undefined otherwise, or when the request says nothing readable). */
export function resourceGrant(e: TrailEvent): ResourceGrant | undefined {
  const c = BY_CALL.get(`${e.source}|${baseName(e.name)}`);
  if (!c) return undefined;
  const g = c.grant(e);
  if (!g) return undefined;
  const resource = c.resource(e.requestParameters);
  return { ...g, kind: c.kind, ...(resource ? { resource } : {}) };
}

/** "SQS queue orders → 999988887777, 444455556666". */
export function describeGrant(g: ResourceGrant, who: 'public' | 'accounts'): string {
  const what = `${g.kind}${g.resource ? ` ${g.resource}` : ''}`;
  return who === 'public' ? `${what} → everyone` : `${what} → ${g.accounts.join(', ')}`;
}
