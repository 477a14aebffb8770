/** TA0040 Impact: money burned, access removed, data destroyed or held to ransom. Pure. */
import { pick, pickString, TrailEvent } from '../trail-event';
import { LIFECYCLE_EXPIRY_MAX_DAYS, MANY_INSTANCES_AT_ONCE, RANSOM_NOTE_EXTENSION, RANSOM_NOTE_NAMES } from './data';
import { burstRule, eventRules } from './define';
import knownBadImages from './lists/known-bad-images.json';
import {
  call, eventsOf, flag, isAcceleratedInstanceType, isLargeInstanceType, LAUNCH_CALLS, LAUNCH_EVENTS, otherAccount, param, requestedInstanceCount, requestedInstanceTypes,
} from './match';

const COMPUTE_HIJACKING = { id: 'T1496.001', name: 'Resource Hijacking: Compute Hijacking' };
const SERVICE_HIJACKING = { id: 'T1496.004', name: 'Resource Hijacking: Cloud Service Hijacking' };
const DATA_DESTRUCTION = { id: 'T1485', name: 'Data Destruction' };
const ENCRYPTED_FOR_IMPACT = { id: 'T1486', name: 'Data Encrypted for Impact' };
const INHIBIT_RECOVERY = { id: 'T1490', name: 'Inhibit System Recovery' };

const MODEL_ACCESS = ['PutFoundationModelEntitlement', 'PutUseCaseForModelAccess', 'CreateFoundationModelAgreement'];
const MODEL_INVOKE = ['InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream'];
const ACCESS_REMOVAL = ['DeleteLoginProfile', 'DeleteAccessKey', 'DeleteUser', 'DeactivateMFADevice', 'DeleteSAMLProvider', 'DeleteOpenIDConnectProvider'];
const DESTRUCTION: ReadonlyArray<[string, string[]]> = [
  ['s3', ['DeleteBucket']],
  ['ec2', ['DeleteSnapshot', 'DeleteVolume']],
  ['rds', ['DeleteDBInstance', 'DeleteDBCluster', 'DeleteDBSnapshot', 'DeleteDBClusterSnapshot', 'DeleteGlobalCluster']],
  ['dynamodb', ['DeleteTable', 'DeleteBackup']],
  ['backup', ['DeleteBackupVault', 'DeleteRecoveryPoint', 'DeleteBackupPlan']],
  ['elasticfilesystem', ['DeleteFileSystem']],
  ['kms', ['ScheduleKeyDeletion', 'DisableKey', 'DeleteImportedKeyMaterial']],
];
const DESTRUCTION_CALLS = DESTRUCTION.map(([service, names]) => call(service, names));

const UPDATE_ACCESS_KEY = call('iam', ['UpdateAccessKey']);
const PUT_VERSIONING = call('s3', ['PutBucketVersioning']);
const BUCKET_ENCRYPTION = call('s3', ['DeleteBucketEncryption', 'PutBucketEncryption']);
const LIFECYCLE = call('s3', ['PutBucketLifecycle', 'PutBucketLifecycleConfiguration']);
const OBJECT_WRITES = ['PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy'];
const OBJECT_WRITE = call('s3', OBJECT_WRITES);
const PUT_OBJECT = call('s3', ['PutObject']);
const DB_RECOVERY = ['DeleteDBInstanceAutomatedBackup', 'DeleteDBClusterAutomatedBackup', 'ModifyDBInstance', 'ModifyDBCluster'];
const DB_MODIFY = call('rds', ['ModifyDBInstance', 'ModifyDBCluster']);
const DB_REBOOT = ['RebootDBInstance', 'RebootDBCluster', 'FailoverDBCluster', 'FailoverGlobalCluster', 'StopDBInstance', 'StopDBCluster'];
const TERMINATE = call('ec2', ['TerminateInstances']);
const KEY_MATERIAL = ['ImportKeyMaterial', 'CreateCustomKeyStore', 'ConnectCustomKeyStore', 'UpdateCustomKeyStore'];
const LIGHTSAIL = ['CreateInstances', 'CreateInstancesFromSnapshot', 'CreateContainerService'];
const REGISTER_TASK = call('ecs', ['RegisterTaskDefinition']);
const RUN_INSTANCES = call('ec2', ['RunInstances']);

const BAD_AMIS = new Set<string>(knownBadImages.amiIds);
const BAD_CONTAINERS = new Set<string>(knownBadImages.containerImages.map((i) => i.toLowerCase()));

/** The last part of an object key, when it is named like a ransom note. */
function ransomNoteName(key: string | undefined): boolean {
  const name = key?.split('/').pop() ?? '';
  return RANSOM_NOTE_EXTENSION.test(name) && RANSOM_NOTE_NAMES.some((r) => r.test(name));
}

/** Versioning suspended or MFA delete turned off: deleted and overwritten objects can no longer be recovered. */
function versioningWeakened(e: TrailEvent): boolean {
  const config = pick(e.requestParameters, 'VersioningConfiguration');
  return pickString(config, 'Status') === 'Suspended' || pickString(config, 'MfaDelete') === 'Disabled';
}

/** The KMS key a bucket's default encryption names, when it belongs to another account. */
function bucketKeyElsewhere(e: TrailEvent): string | undefined {
  const rules = pick(e.requestParameters, 'ServerSideEncryptionConfiguration', 'Rule');
  const list = Array.isArray(rules) ? rules : rules ? [rules] : [];
  for (const r of list) {
    const account = otherAccount(e, pickString(r, 'ApplyServerSideEncryptionByDefault', 'KMSMasterKeyID'));
    if (account) return account;
  }
  return undefined;
}

/** The shortest expiry (days) any enabled lifecycle rule sets on current or noncurrent versions. */
function shortestExpiryDays(e: TrailEvent): number | undefined {
  const rules = pick(e.requestParameters, 'LifecycleConfiguration', 'Rule');
  const list = Array.isArray(rules) ? rules : rules ? [rules] : [];
  const days = list
    .filter((r) => pickString(r, 'Status') !== 'Disabled')
    .flatMap((r) => [pick(r, 'Expiration', 'Days'), pick(r, 'NoncurrentVersionExpiration', 'NoncurrentDays')])
    .map((d) => (typeof d === 'string' ? Number(d) : d))
    .filter((d): d is number => typeof d === 'number' && Number.isFinite(d));
  return days.length > 0 ? Math.min(...days) : undefined;
}

/** Objects written with a key the owner does not hold: a customer-provided key (SSE-C), or another account's KMS key. */
function encryptedAway(e: TrailEvent): string | undefined {
  if (!OBJECT_WRITE(e)) return undefined;
  const p = e.requestParameters;
  if (pick(p, 'x-amz-server-side-encryption-customer-algorithm') !== undefined) return 'customer-provided key (SSE-C)';
  const account = otherAccount(e, pickString(p, 'x-amz-server-side-encryption-aws-kms-key-id'));
  return account ? `KMS key of ${account}` : undefined;
}

function dbProtectionOff(e: TrailEvent): boolean {
  return DB_MODIFY(e) && flag(e, 'deletionProtection') === false;
}

function dbBackupsOff(e: TrailEvent): boolean {
  if (call('rds', ['DeleteDBInstanceAutomatedBackup', 'DeleteDBClusterAutomatedBackup'])(e)) return true;
  const retention = pick(e.requestParameters, 'backupRetentionPeriod');
  return DB_MODIFY(e) && (retention === 0 || retention === '0');
}

/** How many instances one TerminateInstances names. */
function instancesTerminated(e: TrailEvent): number {
  const items = pick(e.requestParameters, 'instancesSet', 'items');
  return Array.isArray(items) ? items.length : 1;
}

/** A container image without its registry host and tag: `docker.io/yenik65958/secret:user` → `yenik65958/secret`. */
function imageRepository(image: string): string {
  const noDigest = image.split('@')[0];
  const parts = noDigest.split('/');
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0])) parts.shift();
  const last = parts.pop() ?? '';
  parts.push(last.split(':')[0]);
  const repo = parts.join('/').toLowerCase();
  return repo.startsWith('library/') ? repo.slice('library/'.length) : repo;
}

/** The known-bad images a launch or task definition names. */
function knownBadImagesIn(e: TrailEvent): string[] {
  if (RUN_INSTANCES(e)) {
    const items = pick(e.requestParameters, 'instancesSet', 'items');
    const ids = (Array.isArray(items) ? items : []).map((i) => pickString(i, 'imageId')).filter((x): x is string => !!x);
    return ids.filter((id) => BAD_AMIS.has(id));
  }
  if (REGISTER_TASK(e)) {
    const defs = pick(e.requestParameters, 'containerDefinitions');
    const images = (Array.isArray(defs) ? defs : []).map((d) => pickString(d, 'image')).filter((x): x is string => !!x);
    return images.filter((i) => BAD_CONTAINERS.has(imageRepository(i)));
  }
  return [];
}

export const IMPACT = [
  ...eventRules('impact', [
    {
      id: 'impact.gpu-instances', severity: 'high', family: 'compute-and-functions',
      technique: COMPUTE_HIJACKING,
      title: 'GPU instances launched',
      why: 'GPU and accelerator instances are what crypto-miners launch; they cost thousands a day.',
      next: 'Terminate them (check every region), then ask AWS Support about the charges.',
      ignores: 'General-purpose families; describing instances.',
      events: LAUNCH_EVENTS,
      matches: (e) => LAUNCH_CALLS(e) && requestedInstanceTypes(e).some(isAcceleratedInstanceType),
    },
    {
      id: 'impact.large-instances', severity: 'medium', family: 'compute-and-functions',
      technique: COMPUTE_HIJACKING,
      title: 'Very large instances launched',
      why: 'Bare-metal, high-memory (x, u-) and 24xlarge-and-up instances are the other favourite of miners: many cores, big bills.',
      next: 'Confirm with the team that runs the account; terminate them if nobody asked for them.',
      ignores: 'Sizes below 24xlarge outside the x/u-/metal families.',
      events: LAUNCH_EVENTS,
      matches: (e) => LAUNCH_CALLS(e) && requestedInstanceTypes(e).some(isLargeInstanceType),
    },
    {
      id: 'impact.many-instances', severity: 'medium', family: 'compute-and-functions',
      technique: COMPUTE_HIJACKING,
      title: 'Fleet of instances launched',
      why: `One request for ${MANY_INSTANCES_AT_ONCE} or more instances is a fleet: a miner scales out before anyone notices.`,
      next: 'Terminate the fleet unless the team expected it; look for the same request in other regions.',
      ignores: `Launches of fewer than ${MANY_INSTANCES_AT_ONCE} instances per request.`,
      events: LAUNCH_EVENTS,
      matches: (e) => LAUNCH_CALLS(e) && requestedInstanceCount(e) >= MANY_INSTANCES_AT_ONCE,
    },
    {
      id: 'impact.known-bad-image', severity: 'high', family: 'compute-and-functions',
      technique: COMPUTE_HIJACKING,
      title: 'Known miner image launched',
      why: 'The instance or ECS task runs an image listed as carrying a miner or back door (src/domain/detections/lists/known-bad-images.json, with its source and date).',
      next: 'Stop the tasks or terminate the instances, deregister the task definition, and look for the same image in every region.',
      ignores: 'Images not on the list (the list is only as current as its date; "Instances launched from a new image" covers the rest).',
      events: ['ec2:RunInstances', 'ecs:RegisterTaskDefinition'],
      matches: (e) => knownBadImagesIn(e).length > 0,
      describe: (e) => knownBadImagesIn(e).join(', '),
    },
    {
      id: 'impact.quota-increase', severity: 'medium', family: 'account-and-organization',
      technique: COMPUTE_HIJACKING,
      title: 'Service quota increase requested',
      why: 'Raising instance quotas is how miners get room for more machines.',
      next: 'Ask AWS Support to cancel the request if nobody in the team made it.',
      ignores: 'Reading quotas.',
      events: ['servicequotas:RequestServiceQuotaIncrease'],
      matches: call('servicequotas', ['RequestServiceQuotaIncrease']),
    },
    {
      id: 'impact.bedrock-model-access', severity: 'high', family: 'ai-services',
      technique: SERVICE_HIJACKING,
      title: 'Bedrock model access turned on',
      why: 'Enabling foundation models is the first step of LLM-jacking: the attacker resells model access and the account pays.',
      next: 'Remove the model access in the Bedrock console and set an SCP denying bedrock:InvokeModel where it is not used.',
      ignores: 'Listing models (counted as discovery); invocation logging changes (defense evasion).',
      events: eventsOf('bedrock', MODEL_ACCESS),
      matches: call('bedrock', MODEL_ACCESS),
    },
    {
      id: 'impact.bedrock-invoke', severity: 'medium', family: 'ai-services',
      technique: SERVICE_HIJACKING,
      title: 'Bedrock models invoked',
      why: 'Model invocations from a stolen key are LLM-jacking: each call is billed to the account.',
      next: 'Check the Bedrock bill and invocation logs; deny bedrock:Invoke* to the key\'s principal.',
      ignores: 'Invocations by other principals.',
      events: eventsOf('bedrock', MODEL_INVOKE),
      matches: call('bedrock', MODEL_INVOKE),
    },
    {
      id: 'impact.access-removal', severity: 'medium', family: 'identity',
      technique: { id: 'T1531', name: 'Account Access Removal' },
      title: 'Someone\'s access removed',
      why: 'Deleting passwords, keys, MFA devices, users or the identity providers people sign in through locks the real owners out while the attacker keeps their own way in.',
      next: 'Check whose access went; restore it through a break-glass path and compare with the attacker\'s persistence.',
      ignores: 'keyguard\'s own containment and eradication calls (deactivating the leaked key, removing what the attacker created); keys set back to Active.',
      events: ['iam:UpdateAccessKey', ...eventsOf('iam', ACCESS_REMOVAL)],
      matches: (e: TrailEvent) => call('iam', ACCESS_REMOVAL)(e) || (UPDATE_ACCESS_KEY(e) && pickString(e.requestParameters, 'status') === 'Inactive'),
    },
    {
      id: 'impact.data-destroyed', severity: 'high', family: 'storage-and-encryption',
      technique: DATA_DESTRUCTION,
      title: 'Data, backups or keys destroyed',
      why: 'Deleting buckets, snapshots, databases, tables, backups, file systems or disabling and scheduling KMS keys for deletion destroys data, often before a ransom note.',
      next: 'Cancel KMS key deletion (CancelKeyDeletion, 7-day minimum wait), restore from backups and lock remaining vaults.',
      ignores: 'Deleting single objects; terminating instances.',
      events: DESTRUCTION.flatMap(([service, names]) => eventsOf(service, names)),
      matches: (e) => DESTRUCTION_CALLS.some((m) => m(e)),
    },
    {
      id: 'impact.bucket-recovery-weakened', severity: 'high', family: 'storage-and-encryption',
      technique: INHIBIT_RECOVERY,
      title: 'Bucket versioning suspended or replication removed',
      why: 'With versioning suspended, MFA delete off or the replica gone, overwritten and deleted objects cannot be recovered: the step before S3 ransomware.',
      next: 'Re-enable versioning (and MFA delete), restore the replication rule, and check the bucket for deletions since.',
      ignores: 'Enabling versioning; writing replication rules (judged by the replication rule).',
      events: eventsOf('s3', ['PutBucketVersioning', 'DeleteBucketReplication']),
      matches: (e) => (PUT_VERSIONING(e) && versioningWeakened(e)) || call('s3', ['DeleteBucketReplication'])(e),
      describe: (e) => pickString(e.requestParameters, 'bucketName'),
    },
    {
      id: 'impact.bucket-encryption-changed', severity: 'high', family: 'storage-and-encryption',
      technique: ENCRYPTED_FOR_IMPACT,
      title: 'Bucket encryption removed or handed to an outside key',
      why: 'A bucket\'s default encryption removed, or set to another account\'s KMS key, lets new objects be encrypted with a key the owner does not hold.',
      next: 'Restore the bucket\'s default encryption with an account key and check what was written since.',
      ignores: 'Default encryption with S3-managed keys or the account\'s own KMS keys.',
      events: eventsOf('s3', ['DeleteBucketEncryption', 'PutBucketEncryption']),
      matches: (e) => BUCKET_ENCRYPTION(e) && (e.name === 'DeleteBucketEncryption' || bucketKeyElsewhere(e) !== undefined),
      describe: (e) => { const a = bucketKeyElsewhere(e); return `${pickString(e.requestParameters, 'bucketName') ?? 'bucket'}${a ? ` → key of ${a}` : ''}`; },
    },
    {
      id: 'impact.bucket-lifecycle-expiry', severity: 'high', family: 'storage-and-encryption',
      technique: DATA_DESTRUCTION,
      title: 'Lifecycle rule expiring objects within days',
      why: `A lifecycle rule that expires objects within ${LIFECYCLE_EXPIRY_MAX_DAYS} days deletes the bucket's contents (trail logs included) without a single DeleteObject call.`,
      next: 'Delete the rule now, then check versioning and backups for what expired.',
      ignores: `Expiry after more than ${LIFECYCLE_EXPIRY_MAX_DAYS} days; transitions to other storage classes; disabled rules.`,
      events: eventsOf('s3', ['PutBucketLifecycle', 'PutBucketLifecycleConfiguration']),
      matches: (e) => LIFECYCLE(e) && (shortestExpiryDays(e) ?? Infinity) <= LIFECYCLE_EXPIRY_MAX_DAYS,
      describe: (e) => `${pickString(e.requestParameters, 'bucketName') ?? 'bucket'}: ${shortestExpiryDays(e)} days`,
    },
    {
      id: 'impact.objects-encrypted', severity: 'high', family: 'storage-and-encryption', dataEvents: true,
      technique: ENCRYPTED_FOR_IMPACT,
      title: 'Objects re-encrypted with a key the owner lacks',
      why: 'Objects rewritten with a customer-provided key (SSE-C) or another account\'s KMS key can only be read by whoever holds that key: S3 ransomware (needs S3 data events).',
      next: 'Stop the writes (contain the key), restore earlier versions, and list every object rewritten.',
      ignores: 'Writes with S3-managed keys or the account\'s own KMS keys.',
      events: eventsOf('s3', OBJECT_WRITES),
      matches: (e) => encryptedAway(e) !== undefined,
      describe: (e) => `${pickString(e.requestParameters, 'bucketName') ?? 'bucket'}: ${encryptedAway(e) ?? ''}`,
    },
    {
      id: 'impact.ransom-note', severity: 'medium', family: 'storage-and-encryption', dataEvents: true,
      technique: ENCRYPTED_FOR_IMPACT,
      title: 'Ransom-note style object uploaded',
      why: 'An uploaded text or HTML file named like a ransom note (decrypt, recover, ransom…) is how S3 extortion announces itself (needs S3 data events).',
      next: 'Read the note (do not pay), check versioning and deletions in that bucket, and start the ransomware process.',
      ignores: 'Other object names: a plain README or "disaster-recovery.md" does not match (the patterns are in data.ts).',
      events: ['s3:PutObject'],
      matches: (e) => PUT_OBJECT(e) && ransomNoteName(pickString(e.requestParameters, 'key')),
      describe: (e) => `${pickString(e.requestParameters, 'bucketName') ?? ''}/${pickString(e.requestParameters, 'key') ?? ''}`,
    },
    {
      id: 'impact.kms-outside-key-material', severity: 'high', family: 'storage-and-encryption',
      technique: ENCRYPTED_FOR_IMPACT,
      title: 'KMS key material brought from outside',
      why: 'Imported key material (with an expiry) or an external key store puts the ability to decrypt in the attacker\'s hands: when they delete or expire it, everything encrypted under it is gone.',
      next: 'Find the keys using imported material or the external store; re-encrypt data under AWS-generated keys before the material expires.',
      ignores: 'Keys with AWS-generated key material; reading key stores.',
      events: eventsOf('kms', KEY_MATERIAL),
      matches: call('kms', KEY_MATERIAL),
    },
    {
      id: 'impact.lightsail-instances', severity: 'medium', family: 'compute-and-functions',
      technique: COMPUTE_HIJACKING,
      title: 'Lightsail instances created',
      why: 'Lightsail sits outside the EC2 console and quotas people watch: miners and phishing servers are started there.',
      next: 'Delete the instances unless the team uses Lightsail, and check every region.',
      ignores: 'Reading Lightsail resources.',
      events: eventsOf('lightsail', LIGHTSAIL),
      matches: call('lightsail', LIGHTSAIL),
    },
    {
      id: 'impact.ebs-encryption-disabled', severity: 'medium', family: 'storage-and-encryption',
      technique: ENCRYPTED_FOR_IMPACT,
      title: 'EBS encryption by default turned off',
      why: 'New volumes and snapshot copies in the region are no longer encrypted: they can be shared and read elsewhere, and the attacker can bring their own keys.',
      next: 'Turn encryption by default back on (EnableEbsEncryptionByDefault) and check volumes created since.',
      ignores: 'Turning it on; reading the setting.',
      events: ['ec2:DisableEbsEncryptionByDefault'],
      matches: call('ec2', ['DisableEbsEncryptionByDefault']),
    },
    {
      id: 'impact.db-recovery-weakened', severity: 'high', family: 'databases',
      technique: INHIBIT_RECOVERY,
      title: 'Database backups removed',
      why: 'Deleting automated backups or setting retention to 0 removes point-in-time recovery: the next deletion is final.',
      next: 'Restore the backup retention period, take a manual snapshot now, and check for deletions.',
      ignores: 'Retention periods above 0; other database changes.',
      events: eventsOf('rds', DB_RECOVERY),
      matches: dbBackupsOff,
      describe: (e) => param(e, 'dBInstanceIdentifier', 'dBClusterIdentifier', 'dbiResourceId', 'dbClusterResourceId'),
    },
    {
      id: 'impact.db-deletion-protection-off', severity: 'medium', family: 'databases',
      technique: DATA_DESTRUCTION,
      title: 'Database deletion protection turned off',
      why: 'Deletion protection is what stops a database being deleted in one call; turning it off is the step before.',
      next: 'Turn deletion protection back on and take a manual snapshot.',
      ignores: 'Turning it on; other database changes.',
      events: eventsOf('rds', ['ModifyDBInstance', 'ModifyDBCluster']),
      matches: dbProtectionOff,
      describe: (e) => param(e, 'dBInstanceIdentifier', 'dBClusterIdentifier'),
    },
    {
      id: 'impact.db-reboot', severity: 'low', family: 'databases',
      technique: { id: 'T1529', name: 'System Shutdown/Reboot' },
      title: 'Database stopped, rebooted or failed over',
      why: 'Stopping, rebooting or forcing a failover takes the database away from its applications; after a master password change it is also how the new password takes effect.',
      next: 'Check with the team that owns the database; look for a master password change or snapshot just before.',
      ignores: 'Starting databases; describing them.',
      events: eventsOf('rds', DB_REBOOT),
      matches: call('rds', DB_REBOOT),
      describe: (e) => param(e, 'dBInstanceIdentifier', 'dBClusterIdentifier', 'globalClusterIdentifier'),
    },
    {
      id: 'impact.function-deleted', severity: 'medium', family: 'compute-and-functions',
      technique: DATA_DESTRUCTION,
      title: 'Lambda function deleted',
      why: 'Deleting functions takes services down and removes the code and configuration an investigation needs.',
      next: 'Redeploy from the pipeline and check what else the key deleted.',
      ignores: 'Deleting versions through aliases; listing functions.',
      events: ['lambda:DeleteFunction'],
      matches: call('lambda', ['DeleteFunction']),
    },
    {
      id: 'impact.image-deregistered', severity: 'medium', family: 'compute-and-functions',
      technique: DATA_DESTRUCTION,
      title: 'Machine image deregistered',
      why: 'Deregistering the account\'s AMIs removes what instances are rebuilt from: recovery after the incident becomes a rebuild.',
      next: 'Check whether the image\'s snapshots still exist and register it again from them.',
      ignores: 'Registering and copying images.',
      events: ['ec2:DeregisterImage'],
      matches: call('ec2', ['DeregisterImage']),
    },
  ]),
  burstRule('impact', {
    id: 'impact.mass-termination', severity: 'high', family: 'compute-and-functions',
    technique: DATA_DESTRUCTION,
    title: 'Many instances terminated',
    why: 'Terminating many instances in minutes destroys their disks and takes services down: sabotage, or making room for miners.',
    next: 'List the instances terminated (export), restore from snapshots or images, and check what else the key deleted.',
    ignores: 'Fewer than 10 instances terminated within 10 minutes; stopping instances.',
    events: ['ec2:TerminateInstances'],
    counts: TERMINATE,
    weight: instancesTerminated,
    threshold: 10,
    windowMinutes: 10,
  }),
];
