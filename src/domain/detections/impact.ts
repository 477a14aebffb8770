/** TA0040 Impact: money burned, access removed, data destroyed. Pure. */
import { pickString, TrailEvent } from '../trail-event';
import { MANY_INSTANCES_AT_ONCE } from './data';
import { eventRules } from './define';
import {
  call, eventsOf, isAcceleratedInstanceType, isLargeInstanceType, LAUNCH_CALLS, LAUNCH_EVENTS, requestedInstanceCount, requestedInstanceTypes,
} from './match';

const COMPUTE_HIJACKING = { id: 'T1496.001', name: 'Resource Hijacking: Compute Hijacking' };
const SERVICE_HIJACKING = { id: 'T1496.004', name: 'Resource Hijacking: Cloud Service Hijacking' };

const MODEL_ACCESS = ['PutFoundationModelEntitlement', 'PutUseCaseForModelAccess', 'CreateFoundationModelAgreement'];
const MODEL_INVOKE = ['InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream'];
const ACCESS_REMOVAL = ['DeleteLoginProfile', 'DeleteAccessKey', 'DeleteUser', 'DeactivateMFADevice'];
const DESTRUCTION: ReadonlyArray<[string, string[]]> = [
  ['s3', ['DeleteBucket']],
  ['ec2', ['DeleteSnapshot', 'DeleteVolume']],
  ['rds', ['DeleteDBInstance', 'DeleteDBCluster', 'DeleteDBSnapshot', 'DeleteDBClusterSnapshot']],
  ['backup', ['DeleteBackupVault', 'DeleteRecoveryPoint', 'DeleteBackupPlan']],
  ['kms', ['ScheduleKeyDeletion', 'DisableKey']],
];
const DESTRUCTION_CALLS = DESTRUCTION.map(([service, names]) => call(service, names));

const UPDATE_ACCESS_KEY = call('iam', ['UpdateAccessKey']);

export const IMPACT = eventRules('impact', [
  {
    id: 'impact.gpu-instances', severity: 'high',
    technique: COMPUTE_HIJACKING,
    title: 'GPU instances launched',
    why: 'GPU and accelerator instances are what crypto-miners launch; they cost thousands a day.',
    next: 'Terminate them (check every region), then ask AWS Support about the charges.',
    ignores: 'General-purpose families; describing instances.',
    events: LAUNCH_EVENTS,
    matches: (e) => LAUNCH_CALLS(e) && requestedInstanceTypes(e).some(isAcceleratedInstanceType),
  },
  {
    id: 'impact.large-instances', severity: 'medium',
    technique: COMPUTE_HIJACKING,
    title: 'Very large instances launched',
    why: 'Bare-metal, high-memory (x, u-) and 24xlarge-and-up instances are the other favourite of miners: many cores, big bills.',
    next: 'Confirm with the team that runs the account; terminate them if nobody asked for them.',
    ignores: 'Sizes below 24xlarge outside the x/u-/metal families.',
    events: LAUNCH_EVENTS,
    matches: (e) => LAUNCH_CALLS(e) && requestedInstanceTypes(e).some(isLargeInstanceType),
  },
  {
    id: 'impact.many-instances', severity: 'medium',
    technique: COMPUTE_HIJACKING,
    title: 'Fleet of instances launched',
    why: `One request for ${MANY_INSTANCES_AT_ONCE} or more instances is a fleet: a miner scales out before anyone notices.`,
    next: 'Terminate the fleet unless the team expected it; look for the same request in other regions.',
    ignores: `Launches of fewer than ${MANY_INSTANCES_AT_ONCE} instances per request.`,
    events: LAUNCH_EVENTS,
    matches: (e) => LAUNCH_CALLS(e) && requestedInstanceCount(e) >= MANY_INSTANCES_AT_ONCE,
  },
  {
    id: 'impact.quota-increase', severity: 'medium',
    technique: COMPUTE_HIJACKING,
    title: 'Service quota increase requested',
    why: 'Raising instance quotas is how miners get room for more machines.',
    next: 'Ask AWS Support to cancel the request if nobody in the team made it.',
    ignores: 'Reading quotas.',
    events: ['servicequotas:RequestServiceQuotaIncrease'],
    matches: call('servicequotas', ['RequestServiceQuotaIncrease']),
  },
  {
    id: 'impact.bedrock-model-access', severity: 'high',
    technique: SERVICE_HIJACKING,
    title: 'Bedrock model access turned on',
    why: 'Enabling foundation models is the first step of LLM-jacking: the attacker resells model access and the account pays.',
    next: 'Remove the model access in the Bedrock console and set an SCP denying bedrock:InvokeModel where it is not used.',
    ignores: 'Listing models (counted as discovery); invocation logging changes (defense evasion).',
    events: eventsOf('bedrock', MODEL_ACCESS),
    matches: call('bedrock', MODEL_ACCESS),
  },
  {
    id: 'impact.bedrock-invoke', severity: 'medium',
    technique: SERVICE_HIJACKING,
    title: 'Bedrock models invoked',
    why: 'Model invocations from a stolen key are LLM-jacking: each call is billed to the account.',
    next: 'Check the Bedrock bill and invocation logs; deny bedrock:Invoke* to the key\'s principal.',
    ignores: 'Invocations by other principals.',
    events: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:Converse', 'bedrock:ConverseStream'],
    matches: call('bedrock', MODEL_INVOKE),
  },
  {
    id: 'impact.access-removal', severity: 'medium',
    technique: { id: 'T1531', name: 'Account Access Removal' },
    title: 'Someone\'s access removed',
    why: 'Deleting passwords, keys, MFA devices or users locks the real owners out while the attacker keeps their own way in.',
    next: 'Check whose access went; restore it through a break-glass path and compare with the attacker\'s persistence.',
    ignores: 'keyguard\'s own containment and eradication calls (deactivating the leaked key, removing what the attacker created).',
    events: ['iam:UpdateAccessKey', ...eventsOf('iam', ACCESS_REMOVAL)],
    matches: (e: TrailEvent) => call('iam', ACCESS_REMOVAL)(e) || (UPDATE_ACCESS_KEY(e) && pickString(e.requestParameters, 'status') === 'Inactive'),
  },
  {
    id: 'impact.data-destroyed', severity: 'high',
    technique: { id: 'T1485', name: 'Data Destruction' },
    title: 'Data, backups or keys destroyed',
    why: 'Deleting buckets, snapshots, databases, backups or scheduling KMS key deletion destroys data, often before a ransom note.',
    next: 'Cancel KMS key deletion (CancelKeyDeletion, 7-day minimum wait), restore from backups and lock remaining vaults.',
    ignores: 'Deleting single objects; terminating instances.',
    events: DESTRUCTION.flatMap(([service, names]) => eventsOf(service, names)),
    matches: (e) => DESTRUCTION_CALLS.some((m) => m(e)),
  },
]);
