/** TA0005 Defense Evasion: blinding the logs, alarms and guard rails. Pure. */
import { TrailEvent } from '../trail-event';
import { eventRules, groupRule } from './define';
import { call, eventsOf, LAUNCH_CALLS, LAUNCH_EVENTS, someString } from './match';
import { protectionTagWrite } from '../protection';

const CLOUD_LOGS = { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' };
const DISABLE_TOOLS = { id: 'T1562.001', name: 'Impair Defenses: Disable or Modify Tools' };
const UNUSED_REGIONS = { id: 'T1535', name: 'Unused/Unsupported Cloud Regions' };

const TRAIL_CALLS = ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors', 'DeleteEventDataStore', 'StopEventDataStoreIngestion'];
const GUARDDUTY_CALLS = [
  'DeleteDetector', 'UpdateDetector', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount',
  'DeleteMembers', 'StopMonitoringMembers', 'CreateIPSet', 'UpdateIPSet', 'DeleteIPSet', 'ArchiveFindings', 'CreateFilter', 'UpdateFilter',
  'DeletePublishingDestination',
];
const CONFIG_CALLS = ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'];
const LOG_CALLS = ['DeleteLogGroup', 'DeleteLogStream', 'PutRetentionPolicy', 'DeleteSubscriptionFilter'];
const RESOLVER_CALLS = ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'];
const SECURITY_SERVICES: ReadonlyArray<[string, string[]]> = [
  ['securityhub', ['DisableSecurityHub', 'BatchDisableStandards', 'DisableImportFindingsForProduct', 'DeleteInsight', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount']],
  ['access-analyzer', ['DeleteAnalyzer', 'CreateArchiveRule', 'UpdateArchiveRule']],
  ['macie2', ['DisableMacie', 'UpdateMacieSession']],
  ['inspector2', ['Disable']],
  ['detective', ['DeleteGraph', 'DisassociateMembership']],
];
const SECURITY_SERVICE_MATCHERS = SECURITY_SERVICES.map(([service, names]) => call(service, names));

const OPEN_TO_WORLD = new Set(['0.0.0.0/0', '::/0']);
const INGRESS = call('ec2', ['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules']);

export const DEFENSE_EVASION = [
  ...eventRules('defense-evasion', [
    {
      id: 'evasion.protection-tag', severity: 'high',
      technique: DISABLE_TOOLS,
      title: 'keyguard:protected tag written',
      why: 'Tagging a user or role keyguard:protected tries to shield it from the response; keyguard never honours a tag the leaked key\'s credentials wrote.',
      next: 'Remove the tag; contain and remove the principal as the playbook offers (a back door it tagged stays removable).',
      ignores: 'Tags with other keys; reading tags.',
      events: eventsOf('iam', ['TagUser', 'TagRole', 'CreateUser', 'CreateRole']),
      matches: (e) => protectionTagWrite(e) !== undefined,
    },
    {
      id: 'evasion.cloudtrail-tampered', severity: 'high',
      technique: CLOUD_LOGS,
      title: 'CloudTrail logging stopped or changed',
      why: 'Stopping or narrowing the trail blinds the investigation from that moment on.',
      next: 'Start logging again (StartLogging), restore the event selectors, and rely on the event history for the gap.',
      ignores: 'StartLogging, CreateTrail and read-only trail calls.',
      events: eventsOf('cloudtrail', TRAIL_CALLS),
      matches: call('cloudtrail', TRAIL_CALLS),
    },
    {
      id: 'evasion.flow-logs-deleted', severity: 'high',
      technique: CLOUD_LOGS,
      title: 'VPC flow logs deleted',
      why: 'Without flow logs the network side of the intrusion goes unrecorded.',
      next: 'Recreate the flow logs and note the gap in the incident record.',
      ignores: 'Creating or describing flow logs.',
      events: ['ec2:DeleteFlowLogs'],
      matches: call('ec2', ['DeleteFlowLogs']),
    },
    {
      id: 'evasion.service-logging-deleted', severity: 'high',
      technique: CLOUD_LOGS,
      title: 'DNS or model-invocation logging removed',
      why: 'Route 53 Resolver query logs show where instances connect (mining pools, C2); Bedrock invocation logs show what the models were asked.',
      next: 'Recreate the query-log configuration (or invocation logging) and associate it again.',
      ignores: 'Creating or reading these configurations.',
      events: [...eventsOf('route53resolver', RESOLVER_CALLS), 'bedrock:DeleteModelInvocationLoggingConfiguration'],
      matches: (e) => call('route53resolver', RESOLVER_CALLS)(e) || call('bedrock', ['DeleteModelInvocationLoggingConfiguration'])(e),
    },
    {
      id: 'evasion.guardduty-changed', severity: 'high',
      technique: DISABLE_TOOLS,
      title: 'GuardDuty disabled or changed',
      why: 'Deleting detectors, trusted-IP lists or archiving findings hides the attacker from alerts.',
      next: 'Re-enable the detector, remove unknown IP sets and filters, and unarchive findings.',
      ignores: 'Reading GuardDuty configuration and findings.',
      events: eventsOf('guardduty', GUARDDUTY_CALLS),
      matches: call('guardduty', GUARDDUTY_CALLS),
    },
    {
      id: 'evasion.security-services-disabled', severity: 'high',
      technique: DISABLE_TOOLS,
      title: 'Security Hub, Access Analyzer, Macie, Inspector or Detective disabled',
      why: 'Turning off the account\'s detectors and analyzers silences the findings that would expose the intrusion.',
      next: 'Re-enable the service and its standards, then read the findings it had before.',
      ignores: 'Reading findings; enabling services.',
      events: SECURITY_SERVICES.flatMap(([service, names]) => eventsOf(service, names)),
      matches: (e) => SECURITY_SERVICE_MATCHERS.some((m) => m(e)),
    },
    {
      id: 'evasion.config-stopped', severity: 'medium',
      technique: CLOUD_LOGS,
      title: 'AWS Config recording stopped',
      why: 'Config is the record of what changed; stopping it hides resource changes.',
      next: 'Start the recorder again and restore the delivery channel.',
      ignores: 'Starting recorders; reading configuration.',
      events: eventsOf('config', CONFIG_CALLS),
      matches: call('config', CONFIG_CALLS),
    },
    {
      id: 'evasion.log-groups-deleted', severity: 'medium',
      technique: CLOUD_LOGS,
      title: 'CloudWatch log data deleted',
      why: 'Deleting log groups, streams or their subscriptions, or shortening retention, destroys evidence.',
      next: 'Check which log groups are gone and whether copies exist (subscriptions, S3 exports).',
      ignores: 'Creating log groups; reading logs.',
      events: eventsOf('logs', LOG_CALLS),
      matches: call('logs', LOG_CALLS),
    },
    {
      id: 'evasion.leave-organization', severity: 'high',
      technique: { id: 'T1666', name: 'Modify Cloud Resource Hierarchy' },
      title: 'Account left its organization',
      why: 'Leaving the organization drops every SCP guard rail and the organization trail in one call.',
      next: 'Contact the organization\'s management account owners at once; invite the account back and re-apply SCPs.',
      ignores: 'Organization reads (DescribeOrganization, counted as discovery).',
      events: ['organizations:LeaveOrganization'],
      matches: call('organizations', ['LeaveOrganization']),
    },
    {
      id: 'evasion.region-enabled', severity: 'medium',
      technique: UNUSED_REGIONS,
      title: 'Opt-in region enabled',
      why: 'Turning on a region nobody uses gives the attacker a place the account\'s monitoring does not cover.',
      next: 'Disable the region unless it was requested, and look for activity there.',
      ignores: 'Listing regions.',
      events: ['account:EnableRegion'],
      matches: call('account', ['EnableRegion']),
    },
    {
      id: 'evasion.security-group-opened', severity: 'high',
      technique: { id: 'T1562.007', name: 'Impair Defenses: Disable or Modify Cloud Firewall' },
      title: 'Security group opened to the internet',
      why: 'An ingress rule for 0.0.0.0/0 or ::/0 exposes the instances behind it to anyone (SSH, RDP, databases).',
      next: 'Revoke the rule and check the instances behind the group for logins since.',
      ignores: 'Rules for specific address ranges, prefix lists or other security groups; egress rules.',
      events: eventsOf('ec2', ['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules']),
      matches: (e: TrailEvent) => INGRESS(e) && someString(e.requestParameters, (s) => OPEN_TO_WORLD.has(s.trim())),
    },
  ]),
  groupRule('defense-evasion', {
    id: 'evasion.unusual-region', severity: 'high',
    technique: UNUSED_REGIONS,
    title: 'Instances launched in an unusual region',
    why: 'Miners pick regions nobody watches; a launch outside the usual regions is rarely legitimate.',
    next: 'Terminate the instances there and look for other resources in that region.',
    ignores: 'Launches in the usual regions (IR_USUAL_REGIONS, or learned from activity before the first suspicious event).',
    events: LAUNCH_EVENTS,
    groupOf: (e) => (LAUNCH_CALLS(e) ? e.region : undefined),
    notBaseline: true,
    fires: (g, h) => !h.usualRegions.has(g.key),
  }),
];
