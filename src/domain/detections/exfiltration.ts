/** TA0010 Exfiltration: data handed to accounts or people outside. Pure. */
import { pick, pickString, TrailEvent } from '../trail-event';
import { eventRules } from './define';
import { baseName, call, eventsOf, flag, otherAccount, ownAccount, param } from './match';
import { describeGrant, grantCallEvents, resourceGrant } from './resource-policies';

const TO_CLOUD_ACCOUNT = { id: 'T1537', name: 'Transfer Data to Cloud Account' };

const EC2_SHARE = ['ModifySnapshotAttribute', 'ModifyImageAttribute'];
const RDS_SHARE = ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'];
const BLOCK_PUBLIC_SHARING_OFF = ['DisableSnapshotBlockPublicAccess', 'DisableImageBlockPublicAccess'];
const PUT_BUCKET_POLICY = call('s3', ['PutBucketPolicy']);
const PUT_BUCKET_ACL = call('s3', ['PutBucketAcl']);
const PUBLIC_ACCESS_BLOCK_REMOVED = call('s3', ['DeletePublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'DeleteAccountPublicAccessBlock']);
const PUBLIC_ACCESS_BLOCK_PUT = call('s3', ['PutPublicAccessBlock', 'PutBucketPublicAccessBlock', 'PutAccountPublicAccessBlock']);
const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);
const PUBLIC_GROUPS = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;
const CODEBUILD_VISIBILITY = call('codebuild', ['UpdateProjectVisibility']);
const DB_EXPORT: ReadonlyArray<[string, string[]]> = [['rds', ['StartExportTask']], ['dynamodb', ['ExportTableToPointInTime']]];
const DB_EXPORT_CALLS = DB_EXPORT.map(([s, n]) => call(s, n));
const VM_EXPORT = call('ec2', ['CreateInstanceExportTask', 'ExportImage']);
const SNAPSHOT_COPY: ReadonlyArray<[string, string[]]> = [['rds', ['CopyDBSnapshot', 'CopyDBClusterSnapshot']], ['ec2', ['CopySnapshot', 'CopyImage']]];
const SNAPSHOT_COPY_CALLS = SNAPSHOT_COPY.map(([s, n]) => call(s, n));
const DB_PUBLIC_CALLS = ['ModifyDBInstance', 'ModifyDBCluster', 'CreateDBInstance', 'RestoreDBInstanceFromDBSnapshot', 'RestoreDBInstanceToPointInTime', 'RestoreDBInstanceFromS3', 'RestoreDBClusterFromSnapshot', 'RestoreDBClusterToPointInTime'];
const DB_PUBLIC = call('rds', DB_PUBLIC_CALLS);
const OBJECT_COPY_CALLS = ['CopyObject', 'PutObject', 'UploadPartCopy', 'CreateMultipartUpload', 'CompleteMultipartUpload'];
const OBJECT_COPY = call('s3', OBJECT_COPY_CALLS);
const REPLICATION = call('s3', ['PutBucketReplication']);

// ---- snapshots and images ------------------------------------------------------------------

/** The grantees a share *adds* (EC2: `createVolumePermission`/`launchPermission` add items; RDS: `valuesToAdd`; Redshift: the account given restore access). */
function addedGrantees(e: TrailEvent): string[] {
  const p = e.requestParameters;
  if (call('ec2', EC2_SHARE)(e)) {
    const items = pick(p, 'createVolumePermission', 'add', 'items') ?? pick(p, 'launchPermission', 'add', 'items');
    const list = Array.isArray(items) ? items : [];
    return list.map((i) => pickString(i, 'group') ?? pickString(i, 'userId') ?? pickString(i, 'organizationArn') ?? pickString(i, 'organizationalUnitArn')).filter((x): x is string => !!x);
  }
  if (call('rds', RDS_SHARE)(e)) {
    if ((pickString(p, 'attributeName') ?? 'restore') !== 'restore') return [];
    const values = pick(p, 'valuesToAdd');
    return (Array.isArray(values) ? values : typeof values === 'string' ? [values] : []).map(String);
  }
  if (call('redshift', ['AuthorizeSnapshotAccess'])(e)) return [pickString(p, 'accountWithRestoreAccess')].filter((x): x is string => !!x);
  return [];
}

const isPublicGrantee = (g: string) => g.toLowerCase() === 'all';

function snapshotName(e: TrailEvent): string {
  return param(e, 'snapshotId', 'imageId', 'dBSnapshotIdentifier', 'dBClusterSnapshotIdentifier', 'snapshotIdentifier') ?? 'snapshot';
}

function externalGrantees(e: TrailEvent): string[] {
  return addedGrantees(e).filter((g) => !isPublicGrantee(g) && g !== ownAccount(e));
}

// ---- buckets ---------------------------------------------------------------------------------

function aclIsPublic(e: TrailEvent): boolean {
  const canned = pick(e.requestParameters, 'x-amz-acl');
  const list = Array.isArray(canned) ? canned : [canned];
  if (list.some((c) => typeof c === 'string' && PUBLIC_ACLS.has(c))) return true;
  return JSON.stringify(pick(e.requestParameters, 'AccessControlPolicy') ?? '').match(PUBLIC_GROUPS) !== null;
}

/** A public access block written with any of its four protections off. */
function accessBlockWeakened(e: TrailEvent): boolean {
  const config = pick(e.requestParameters, 'PublicAccessBlockConfiguration') ?? pick(e.requestParameters, 'publicAccessBlock');
  if (config === null || typeof config !== 'object') return false;
  return ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'].some((k) => {
    const v = (config as Record<string, unknown>)[k];
    return v === false || v === 'false';
  });
}

function bucketPublic(e: TrailEvent): boolean {
  if (PUT_BUCKET_POLICY(e)) return resourceGrant(e)?.public === true;
  if (PUT_BUCKET_ACL(e)) return aclIsPublic(e);
  return PUBLIC_ACCESS_BLOCK_REMOVED(e) || (PUBLIC_ACCESS_BLOCK_PUT(e) && accessBlockWeakened(e));
}

// ---- other resources -------------------------------------------------------------------------

/** Calls the bucket, Lambda and snapshot rules judge themselves. */
function judgedElsewhere(e: TrailEvent): boolean {
  return PUT_BUCKET_POLICY(e) || call('lambda', ['AddPermission'])(e);
}

function resourcePublic(e: TrailEvent): boolean {
  if (CODEBUILD_VISIBILITY(e)) return param(e, 'projectVisibility') === 'PUBLIC_READ';
  if (judgedElsewhere(e)) return false;
  return resourceGrant(e)?.public === true;
}

// ---- databases ---------------------------------------------------------------------------------

/** A copy that leaves the region (a source ARN or region elsewhere) or is re-encrypted with another account's key. */
function copyLeaves(e: TrailEvent): string | undefined {
  const key = param(e, 'kmsKeyId', 'kmsKeyID', 'KmsKeyId');
  const outsideKey = otherAccount(e, key);
  if (outsideKey) return `re-encrypted with a key of ${outsideKey}`;
  const source = param(e, 'sourceDBSnapshotIdentifier', 'sourceDBClusterSnapshotIdentifier', 'sourceSnapshotId', 'sourceImageId');
  const sourceRegion = param(e, 'sourceRegion', 'SourceRegion') ?? (source?.startsWith('arn:') ? source.split(':')[3] : undefined);
  const destinationRegion = param(e, 'destinationRegion') ?? e.region;
  if (sourceRegion && destinationRegion && sourceRegion !== destinationRegion) return `${sourceRegion} → ${destinationRegion}`;
  const sourceAccount = source?.startsWith('arn:') ? otherAccount(e, source) : undefined;
  return sourceAccount ? `from account ${sourceAccount}` : undefined;
}

// ---- objects (data events) ---------------------------------------------------------------------

/** The owner of the bucket an object call wrote to, when CloudTrail names it (resources[].accountId of the AWS::S3::Bucket). */
function destinationBucketOwner(e: TrailEvent): string | undefined {
  const resources = pick(e.record, 'resources');
  if (!Array.isArray(resources)) return undefined;
  const bucket = resources.find((r) => pickString(r, 'type') === 'AWS::S3::Bucket');
  return pickString(bucket, 'accountId');
}

function objectsCopiedOut(e: TrailEvent): boolean {
  if (!OBJECT_COPY(e)) return false;
  const owner = destinationBucketOwner(e);
  return owner !== undefined && owner !== ownAccount(e);
}

/** The account a replication rule sends objects to, when it is not the caller's own. */
function replicationDestination(e: TrailEvent): string | undefined {
  const rules = pick(e.requestParameters, 'ReplicationConfiguration', 'Rule');
  const list = Array.isArray(rules) ? rules : rules ? [rules] : [];
  for (const r of list) {
    const account = otherAccount(e, pickString(r, 'Destination', 'Account'));
    if (account) return account;
  }
  return undefined;
}

function replicationLeavesAccount(e: TrailEvent): boolean {
  if (!REPLICATION(e)) return false;
  const rules = pick(e.requestParameters, 'ReplicationConfiguration', 'Rule');
  const list = Array.isArray(rules) ? rules : rules ? [rules] : [];
  // No readable destination: say so rather than assume it is ours.
  if (list.length === 0) return true;
  return list.some((r) => {
    const account = pickString(r, 'Destination', 'Account');
    return account === undefined || account !== ownAccount(e);
  });
}

export const EXFILTRATION = eventRules('exfiltration', [
  {
    id: 'exfil.snapshot-shared', severity: 'high', family: 'public-exposure',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Snapshot or image shared with another account',
    why: 'Sharing a disk, image or database snapshot with another account copies the data out wholesale: that account can restore it at leisure.',
    next: 'Remove the share, note the receiving account id, and treat the data on that disk or database as disclosed.',
    ignores: 'Removing a share (only accounts *added* count); shares with the caller\'s own account; other attributes (descriptions, product codes).',
    events: [...eventsOf('ec2', EC2_SHARE), ...eventsOf('rds', RDS_SHARE), 'redshift:AuthorizeSnapshotAccess'],
    matches: (e) => externalGrantees(e).length > 0,
    describe: (e) => `${snapshotName(e)} → ${externalGrantees(e).join(', ')}`,
  },
  {
    id: 'exfil.snapshot-made-public', severity: 'high', family: 'public-exposure',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Snapshot or image made public',
    why: 'A public snapshot or image (`all`) can be restored by every AWS account in the world; turning off block public access for snapshots or images allows it.',
    next: 'Make it private again (remove `all`), re-enable block public access, and treat its data as disclosed.',
    ignores: 'Shares with named accounts (their own finding); removing `all`.',
    events: [...eventsOf('ec2', [...EC2_SHARE, ...BLOCK_PUBLIC_SHARING_OFF]), ...eventsOf('rds', RDS_SHARE)],
    matches: (e) => addedGrantees(e).some(isPublicGrantee) || call('ec2', BLOCK_PUBLIC_SHARING_OFF)(e),
    describe: (e) => (call('ec2', BLOCK_PUBLIC_SHARING_OFF)(e) ? `${baseName(e.name)} in ${e.region}` : `${snapshotName(e)} → all`),
  },
  {
    id: 'exfil.bucket-made-public', severity: 'high', family: 'public-exposure',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Bucket made public',
    why: 'A public bucket policy or ACL, or a removed or weakened public access block, lets anyone on the internet download its objects.',
    next: 'Restore the public access block and the previous policy/ACL, then check S3 access logs for downloads.',
    ignores: 'Policies whose `*` principal a condition narrows to known callers (organization, VPC endpoint, source account, ARN or address range); private ACLs; public access blocks written with every protection on.',
    events: eventsOf('s3', ['PutBucketPolicy', 'PutBucketAcl', 'PutBucketPublicAccessBlock', 'PutPublicAccessBlock', 'PutAccountPublicAccessBlock', 'DeletePublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'DeleteAccountPublicAccessBlock']),
    matches: bucketPublic,
  },
  {
    id: 'exfil.resource-made-public', severity: 'high', family: 'public-exposure',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Resource opened to everyone',
    why: 'A resource policy granting `*` with no narrowing condition lets any AWS account (or anyone on the internet) read the queue, topic, repository, secret, key, domain or role; a public CodeBuild project shows its builds and logs.',
    next: 'Restore the previous policy (or private visibility), then look for use of the resource from outside the account since the change.',
    ignores: 'Policies whose `*` principal a condition narrows (aws:PrincipalOrgID, aws:SourceVpce, aws:SourceAccount, aws:SourceArn, aws:PrincipalAccount, aws:SourceIp…); grants to named accounts (their own finding); Deny statements.',
    events: [...grantCallEvents((service, name) => !(service === 's3' && name === 'PutBucketPolicy') && !(service === 'lambda' && name === 'AddPermission')), 'codebuild:UpdateProjectVisibility'],
    matches: resourcePublic,
    describe: (e) => (CODEBUILD_VISIBILITY(e) ? `CodeBuild project ${param(e, 'projectArn') ?? ''} → public` : (() => { const g = resourceGrant(e); return g ? describeGrant(g, 'public') : undefined; })()),
  },
  {
    id: 'exfil.resource-shared-external', severity: 'medium', family: 'public-exposure',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Resource shared with another account',
    why: 'A policy, permission or grant naming another account lets that account read the bucket, queue, key, secret or repository, assume the role, peer with the VPC or take the domain.',
    next: 'Check whether the named account is one of yours or a known partner; if not, remove the grant and look for its use.',
    ignores: 'Grants to the caller\'s own account; AWS service principals; grants to everyone (their own finding).',
    events: grantCallEvents(),
    matches: (e) => (resourceGrant(e)?.accounts.length ?? 0) > 0,
    describe: (e) => { const g = resourceGrant(e); return g ? describeGrant(g, 'accounts') : undefined; },
  },
  {
    id: 'exfil.db-made-public', severity: 'high', family: 'databases',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Database made publicly accessible',
    why: 'A database instance that is publicly accessible gets an internet address: with a changed master password or a restored copy, the attacker connects from anywhere.',
    next: 'Set PubliclyAccessible to false, check its security groups, and rotate the master password.',
    ignores: 'Modifications and restores that keep the database private (publiclyAccessible false or absent).',
    events: eventsOf('rds', DB_PUBLIC_CALLS),
    matches: (e) => DB_PUBLIC(e) && flag(e, 'publiclyAccessible') === true,
    describe: (e) => param(e, 'dBInstanceIdentifier', 'dBClusterIdentifier', 'targetDBInstanceIdentifier'),
  },
  {
    id: 'exfil.db-export', severity: 'high', family: 'databases',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Database exported to S3',
    why: 'An export task writes a whole database snapshot or table to S3 in a readable format, where it can be copied out.',
    next: 'Cancel the export if it runs, find the destination bucket and who can read it, and treat the data as disclosed.',
    ignores: 'Listing or describing export tasks.',
    events: DB_EXPORT.flatMap(([s, n]) => eventsOf(s, n)),
    matches: (e) => DB_EXPORT_CALLS.some((m) => m(e)),
    describe: (e) => { const to = param(e, 's3BucketName', 's3Bucket', 'S3Bucket'); const from = param(e, 'sourceArn', 'tableArn'); return from || to ? `${from ?? ''}${to ? ` → s3://${to}` : ''}`.trim() : undefined; },
  },
  {
    id: 'exfil.vm-exported', severity: 'medium', family: 'compute-and-functions',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Instance or image exported',
    why: 'Exporting an instance or image writes its whole disk to an S3 bucket as a VM file, ready to be downloaded.',
    next: 'Cancel the export task, check the destination bucket\'s owner and access, and treat the disk as disclosed.',
    ignores: 'Importing images; describing export tasks.',
    events: eventsOf('ec2', ['CreateInstanceExportTask', 'ExportImage']),
    matches: VM_EXPORT,
  },
  {
    id: 'exfil.snapshot-copied', severity: 'medium', family: 'databases',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Snapshot copied to another region or account key',
    why: 'Copying a snapshot to another region, or re-encrypting the copy with another account\'s KMS key, is how a database or disk is staged to be shared out.',
    next: 'Delete the copy unless the team made it, and check whether it was then shared.',
    ignores: 'Copies within the same region encrypted with the account\'s own keys (routine backups).',
    events: SNAPSHOT_COPY.flatMap(([s, n]) => eventsOf(s, n)),
    matches: (e) => SNAPSHOT_COPY_CALLS.some((m) => m(e)) && copyLeaves(e) !== undefined,
    describe: (e) => { const how = copyLeaves(e); return how ? `${snapshotName(e)} ${how}` : undefined; },
  },
  {
    id: 'exfil.objects-copied-out', severity: 'high', family: 'storage-and-encryption', dataEvents: true,
    technique: TO_CLOUD_ACCOUNT,
    title: 'Objects written to another account\'s bucket',
    why: 'Copying or uploading objects into a bucket another account owns moves the data out of the account (needs S3 data events).',
    next: 'Name the destination account from the export, list the objects copied, and start the data-breach process for them.',
    ignores: 'Writes to the account\'s own buckets; calls whose bucket owner CloudTrail does not name.',
    events: eventsOf('s3', OBJECT_COPY_CALLS),
    matches: objectsCopiedOut,
    describe: (e) => `${pickString(e.requestParameters, 'bucketName') ?? 'bucket'} (account ${destinationBucketOwner(e) ?? '?'})`,
  },
  {
    id: 'exfil.bucket-replication', severity: 'medium', family: 'storage-and-encryption',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Bucket replication configured',
    why: 'A replication rule copies every new object to a destination bucket; one owned by another account (named when the rule says) is a standing data feed.',
    next: 'Check the destination bucket\'s account; delete the rule if it is not yours.',
    ignores: 'Rules whose destination names the caller\'s own account; reading or deleting replication rules.',
    events: ['s3:PutBucketReplication'],
    matches: replicationLeavesAccount,
    describe: (e) => { const a = replicationDestination(e); return `${pickString(e.requestParameters, 'bucketName') ?? 'bucket'}${a ? ` → ${a}` : ''}`; },
  },
]);
