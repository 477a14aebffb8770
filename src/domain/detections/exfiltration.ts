/** TA0010 Exfiltration: data handed to accounts or people outside. Pure. */
import { pick, pickString, TrailEvent } from '../trail-event';
import { eventRules } from './define';
import { call, documentAt, eventsOf, isEveryonePrincipal, someString, statements } from './match';

const TO_CLOUD_ACCOUNT = { id: 'T1537', name: 'Transfer Data to Cloud Account' };

const SHARES_EC2_IMAGE = call('ec2', ['ModifySnapshotAttribute', 'ModifyImageAttribute']);
const SHARES_RDS_SNAPSHOT = call('rds', ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute']);
const PUT_BUCKET_POLICY = call('s3', ['PutBucketPolicy']);
const PUT_BUCKET_ACL = call('s3', ['PutBucketAcl']);
const PUBLIC_ACCESS_BLOCK_REMOVED = call('s3', ['DeletePublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'DeleteAccountPublicAccessBlock']);
const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);
const PUBLIC_GROUPS = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

/** An Allow statement for anyone, with no Condition narrowing it (VPC endpoint, org id…). */
function policyIsPublic(e: TrailEvent): boolean {
  const doc = documentAt(e, 'bucketPolicy') ?? documentAt(e, 'policy');
  return statements(doc).some((s) => s.Effect === 'Allow' && isEveryonePrincipal(s.Principal) && s.Condition === undefined);
}

function aclIsPublic(e: TrailEvent): boolean {
  const canned = pickString(e.requestParameters, 'x-amz-acl');
  const cannedList = pick(e.requestParameters, 'x-amz-acl');
  if ((canned && PUBLIC_ACLS.has(canned)) || (Array.isArray(cannedList) && cannedList.some((c) => PUBLIC_ACLS.has(String(c))))) return true;
  return someString(e.requestParameters, (s) => PUBLIC_GROUPS.test(s));
}

/** Sharing adds to createVolumePermission/launchPermission (`all` is public); a call that only removes is not. */
function addsSharing(e: TrailEvent): boolean {
  const p = e.requestParameters;
  const adds = pick(p, 'createVolumePermission', 'add') ?? pick(p, 'launchPermission', 'add');
  const removes = pick(p, 'createVolumePermission', 'remove') ?? pick(p, 'launchPermission', 'remove');
  return adds !== undefined || removes === undefined;
}

export const EXFILTRATION = eventRules('exfiltration', [
  {
    id: 'exfil.snapshot-shared', severity: 'high',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Snapshot or image shared',
    why: 'Sharing a disk or database snapshot with another account copies the data out wholesale.',
    next: 'Remove the share, note the receiving account id, and treat the data on that disk or database as disclosed.',
    ignores: 'Removing a share; reading snapshot attributes.',
    events: [...eventsOf('ec2', ['ModifySnapshotAttribute', 'ModifyImageAttribute']), ...eventsOf('rds', ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'])],
    matches: (e) => (SHARES_EC2_IMAGE(e) && addsSharing(e)) || SHARES_RDS_SNAPSHOT(e),
  },
  {
    id: 'exfil.bucket-made-public', severity: 'high',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Bucket made public',
    why: 'A public bucket policy or ACL, or a removed public-access block, lets anyone on the internet download its objects.',
    next: 'Restore the public access block and the previous policy/ACL, then check S3 access logs for downloads.',
    ignores: 'Policies whose `*` principal is narrowed by a Condition (VPC endpoint, organization id); private ACLs; other bucket settings.',
    events: eventsOf('s3', ['PutBucketPolicy', 'PutBucketAcl', 'DeletePublicAccessBlock', 'DeleteBucketPublicAccessBlock']),
    matches: (e) => (PUT_BUCKET_POLICY(e) && policyIsPublic(e)) || (PUT_BUCKET_ACL(e) && aclIsPublic(e)) || PUBLIC_ACCESS_BLOCK_REMOVED(e),
  },
  {
    id: 'exfil.bucket-replication', severity: 'medium',
    technique: TO_CLOUD_ACCOUNT,
    title: 'Bucket replication configured',
    why: 'A replication rule copies every new object to a destination bucket, possibly in the attacker\'s account.',
    next: 'Check the destination bucket\'s account; delete the rule if it is not yours.',
    ignores: 'Reading or deleting replication rules.',
    events: ['s3:PutBucketReplication'],
    matches: call('s3', ['PutBucketReplication']),
  },
]);
