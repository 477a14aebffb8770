/** TA0005 Defense Evasion: blinding the logs, alarms, detectors and firewalls. Pure. */
import { pick, pickString, TrailEvent } from '../trail-event';
import { LOG_RETENTION_MAX_DAYS } from './data';
import { eventRules, groupRule } from './define';
import { call, cidrsIn, eventsOf, flag, isAnywhere, LAUNCH_CALLS, LAUNCH_EVENTS, param, someString } from './match';
import { protectionTagWrite } from '../protection';

const CLOUD_LOGS = { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' };
const DISABLE_TOOLS = { id: 'T1562.001', name: 'Impair Defenses: Disable or Modify Tools' };
const CLOUD_FIREWALL = { id: 'T1562.007', name: 'Impair Defenses: Disable or Modify Cloud Firewall' };
const UNUSED_REGIONS = { id: 'T1535', name: 'Unused/Unsupported Cloud Regions' };
const CREATE_SNAPSHOT = { id: 'T1578.001', name: 'Modify Cloud Compute Infrastructure: Create Snapshot' };

const TRAIL_ALWAYS = ['StopLogging', 'DeleteTrail', 'DeleteEventDataStore', 'StopEventDataStoreIngestion'];
const TRAIL_CHANGES = ['UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors', 'UpdateEventDataStore'];
const GUARDDUTY_ALWAYS = [
  'DeleteDetector', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount', 'DeleteMembers', 'DisassociateMembers', 'StopMonitoringMembers',
  'CreateIPSet', 'UpdateIPSet', 'DeleteIPSet', 'DeleteThreatIntelSet', 'DeletePublishingDestination', 'DeleteMalwareProtectionPlan',
];
const GUARDDUTY_CHANGES = ['UpdateDetector', 'UpdateOrganizationConfiguration', 'UpdateMalwareScanSettings'];
const CONFIG_CALLS = ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel', 'DeleteConfigRule', 'DeleteConformancePack', 'DeleteOrganizationConfigRule'];
const LOG_CALLS = ['DeleteLogGroup', 'DeleteLogStream', 'DeleteSubscriptionFilter', 'DeleteDataProtectionPolicy'];
const RESOLVER_CALLS = ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'];
const SECURITY_SERVICES: ReadonlyArray<[string, string[]]> = [
  ['securityhub', ['DisableSecurityHub', 'BatchDisableStandards', 'DisableImportFindingsForProduct', 'DeleteInsight', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount', 'DisableOrganizationAdminAccount']],
  ['access-analyzer', ['DeleteAnalyzer']],
  ['macie2', ['DisableMacie', 'DisableOrganizationAdminAccount']],
  ['inspector2', ['Disable']],
  ['detective', ['DeleteGraph', 'DisassociateMembership']],
];
const SECURITY_SERVICE_MATCHERS = SECURITY_SERVICES.map(([service, names]) => call(service, names));
const MACIE_SESSION = call('macie2', ['UpdateMacieSession']);
const FINDING_FILTERS: ReadonlyArray<[string, string[]]> = [
  ['guardduty', ['ArchiveFindings', 'CreateFilter', 'UpdateFilter']],
  ['securityhub', ['BatchUpdateFindings', 'UpdateFindings', 'CreateAutomationRule', 'BatchUpdateAutomationRules']],
  ['macie2', ['CreateFindingsFilter', 'UpdateFindingsFilter']],
  ['access-analyzer', ['CreateArchiveRule', 'UpdateArchiveRule']],
];
const WAF_CALLS: ReadonlyArray<[string, string[]]> = [
  ['wafv2', ['DisassociateWebACL', 'DeleteWebACL', 'DeleteFirewallManagerRuleGroups']],
  ['waf-regional', ['DisassociateWebACL', 'DeleteWebACL']],
  ['waf', ['DeleteWebACL']],
  ['network-firewall', ['DeleteFirewall', 'DisassociateFirewallPolicy', 'UpdateFirewallDeleteProtection']],
];
const WAF_MATCHERS = WAF_CALLS.map(([s, n]) => call(s, n));
const GUARDRAIL_CALLS = ['DeleteGuardrail', 'UpdateGuardrail'];
const ALARM_CALLS: ReadonlyArray<[string, string[]]> = [['monitoring', ['DeleteAlarms', 'DisableAlarmActions']], ['events', ['DisableRule']]];
const ALARM_MATCHERS = ALARM_CALLS.map(([s, n]) => call(s, n));
const SCP_CALLS = ['DetachPolicy', 'DeletePolicy', 'DisablePolicyType'];

const INGRESS = call('ec2', ['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules']);
const NACL_ENTRY = call('ec2', ['CreateNetworkAclEntry', 'ReplaceNetworkAclEntry']);
const DB_INGRESS: ReadonlyArray<[string, string[]]> = [['rds', ['AuthorizeDBSecurityGroupIngress']], ['redshift', ['AuthorizeClusterSecurityGroupIngress']]];
const DB_INGRESS_CALLS = DB_INGRESS.map(([s, n]) => call(s, n));
const DB_MODIFY = call('rds', ['ModifyDBInstance', 'ModifyDBCluster']);
const MODIFY_INSTANCE = call('ec2', ['ModifyInstanceAttribute']);
const METADATA_OPTIONS = call('ec2', ['ModifyInstanceMetadataOptions', 'ModifyInstanceMetadataDefaults']);

/** IMDSv1 allowed again: `HttpTokens` optional, wherever the request carries it. */
function imdsV1Allowed(e: TrailEvent): boolean {
  if (!METADATA_OPTIONS(e)) return false;
  const p = e.requestParameters;
  const tokens = pick(p, 'ModifyInstanceMetadataOptionsRequest', 'HttpTokens') ?? pick(p, 'ModifyInstanceMetadataDefaultsRequest', 'HttpTokens') ?? pick(p, 'httpTokens') ?? pick(p, 'HttpTokens');
  return String(tokens ?? '').toLowerCase() === 'optional';
}

// ---- trails ------------------------------------------------------------------------------------

/** Event selectors that drop management events, or record only reads or only writes. */
function selectorsNarrowed(e: TrailEvent): boolean {
  const selectors = pick(e.requestParameters, 'eventSelectors');
  if (Array.isArray(selectors) && selectors.some((s) => pick(s, 'includeManagementEvents') === false || ['ReadOnly', 'WriteOnly'].includes(String(pick(s, 'readWriteType'))))) return true;
  const advanced = pick(e.requestParameters, 'advancedEventSelectors');
  // An advanced selector set with no management-event selector stops logging management events.
  if (Array.isArray(advanced) && advanced.length > 0) {
    return !advanced.some((s) => JSON.stringify(pick(s, 'fieldSelectors') ?? '').includes('Management'));
  }
  return false;
}

/** An UpdateTrail that turns something off or sends the logs elsewhere. */
function trailWeakened(e: TrailEvent): boolean {
  return (
    flag(e, 'isMultiRegionTrail') === false ||
    flag(e, 'includeGlobalServiceEvents') === false ||
    flag(e, 'enableLogFileValidation') === false ||
    param(e, 's3BucketName') !== undefined
  );
}

function trailTampered(e: TrailEvent): boolean {
  if (call('cloudtrail', TRAIL_ALWAYS)(e)) return true;
  if (call('cloudtrail', ['UpdateTrail'])(e)) return trailWeakened(e);
  if (call('cloudtrail', ['PutEventSelectors', 'PutInsightSelectors'])(e)) return e.name === 'PutEventSelectors' ? selectorsNarrowed(e) : false;
  if (call('cloudtrail', ['UpdateEventDataStore'])(e)) return flag(e, 'multiRegionEnabled') === false || flag(e, 'terminationProtectionEnabled') === false;
  return false;
}

// ---- detectors ---------------------------------------------------------------------------------

/** A GuardDuty detector or its protections turned off. */
function guardDutyWeakened(e: TrailEvent): boolean {
  if (call('guardduty', GUARDDUTY_ALWAYS)(e)) return true;
  if (!call('guardduty', GUARDDUTY_CHANGES)(e)) return false;
  if (flag(e, 'enable') === false || flag(e, 'autoEnable') === false) return true;
  const text = JSON.stringify(e.requestParameters ?? {});
  return /"(status|Status)":"DISABLED"|"enable":false|"autoEnable":false|"AutoEnable":"NONE"/.test(text);
}

/** Findings hidden: archived, suppressed, or filtered out automatically. */
function findingsSuppressed(e: TrailEvent): boolean {
  if (call('guardduty', ['ArchiveFindings'])(e) || call('access-analyzer', ['CreateArchiveRule', 'UpdateArchiveRule'])(e)) return true;
  if (call('guardduty', ['CreateFilter', 'UpdateFilter'])(e) || call('macie2', ['CreateFindingsFilter', 'UpdateFindingsFilter'])(e)) {
    return String(pick(e.requestParameters, 'action') ?? '').toUpperCase() === 'ARCHIVE';
  }
  if (call('securityhub', FINDING_FILTERS[1][1])(e)) {
    const text = JSON.stringify(e.requestParameters ?? {});
    return /"Status":"SUPPRESSED"|"RecordState":"ARCHIVED"/i.test(text);
  }
  return false;
}

// ---- networks ----------------------------------------------------------------------------------

function openRanges(e: TrailEvent): string[] {
  return cidrsIn(e.requestParameters).filter(isAnywhere);
}

/** A NACL entry letting every protocol (or every port) in from anywhere. */
function naclAllowsAll(e: TrailEvent): boolean {
  if (!NACL_ENTRY(e)) return false;
  if (String(param(e, 'ruleAction') ?? '').toLowerCase() !== 'allow' || flag(e, 'egress') === true) return false;
  if (openRanges(e).length === 0) return false;
  const protocol = String(pick(e.requestParameters, 'protocol') ?? pick(e.requestParameters, 'aclProtocol') ?? '');
  if (protocol === '-1' || protocol.toLowerCase() === 'all') return true;
  const from = Number(pick(e.requestParameters, 'portRange', 'from') ?? NaN);
  const to = Number(pick(e.requestParameters, 'portRange', 'to') ?? NaN);
  return from <= 1 && to >= 65535;
}

// ---- databases ---------------------------------------------------------------------------------

function dbLogsDisabled(e: TrailEvent): boolean {
  if (call('rds', ['StopActivityStream'])(e)) return true;
  const disabled = pick(e.requestParameters, 'cloudwatchLogsExportConfiguration', 'disableLogTypes');
  return DB_MODIFY(e) && Array.isArray(disabled) && disabled.length > 0;
}

export const DEFENSE_EVASION = [
  ...eventRules('defense-evasion', [
    {
      id: 'evasion.protection-tag', severity: 'high', family: 'defences',
      technique: DISABLE_TOOLS,
      title: 'keyguard:protected tag written',
      why: 'Tagging a user or role keyguard:protected tries to shield it from the response; keyguard never honours a tag the leaked key\'s credentials wrote.',
      next: 'Remove the tag; contain and remove the principal as the playbook offers (a back door it tagged stays removable).',
      ignores: 'Tags with other keys; reading tags.',
      events: eventsOf('iam', ['TagUser', 'TagRole', 'CreateUser', 'CreateRole']),
      matches: (e) => protectionTagWrite(e) !== undefined,
    },
    {
      id: 'evasion.cloudtrail-tampered', severity: 'high', family: 'defences',
      technique: CLOUD_LOGS,
      title: 'CloudTrail logging stopped or narrowed',
      why: 'Stopping, deleting or narrowing the trail (management events dropped, one region only, logs sent to another bucket) blinds the investigation from that moment on.',
      next: 'Start logging again (StartLogging), restore the event selectors and bucket, and rely on the event history for the gap.',
      ignores: 'StartLogging, CreateTrail; updates that only add logging (data events, CloudWatch Logs, KMS encryption, more regions).',
      events: eventsOf('cloudtrail', [...TRAIL_ALWAYS, ...TRAIL_CHANGES]),
      matches: trailTampered,
      describe: (e) => param(e, 'name', 'trailName', 'eventDataStore'),
    },
    {
      id: 'evasion.flow-logs-deleted', severity: 'high', family: 'defences',
      technique: CLOUD_LOGS,
      title: 'VPC flow logs deleted',
      why: 'Without flow logs the network side of the intrusion goes unrecorded.',
      next: 'Recreate the flow logs and note the gap in the incident record.',
      ignores: 'Creating or describing flow logs.',
      events: ['ec2:DeleteFlowLogs'],
      matches: call('ec2', ['DeleteFlowLogs']),
    },
    {
      id: 'evasion.service-logging-deleted', severity: 'high', family: 'defences',
      technique: CLOUD_LOGS,
      title: 'DNS or model-invocation logging removed',
      why: 'Route 53 Resolver query logs show where instances connect (mining pools, C2); Bedrock invocation logs show what the models were asked.',
      next: 'Recreate the query-log configuration (or invocation logging) and associate it again.',
      ignores: 'Creating or reading these configurations.',
      events: [...eventsOf('route53resolver', RESOLVER_CALLS), 'bedrock:DeleteModelInvocationLoggingConfiguration'],
      matches: (e) => call('route53resolver', RESOLVER_CALLS)(e) || call('bedrock', ['DeleteModelInvocationLoggingConfiguration'])(e),
    },
    {
      id: 'evasion.bucket-logging-disabled', severity: 'medium', family: 'defences',
      technique: CLOUD_LOGS,
      title: 'S3 server access logging turned off',
      why: 'Without server access logs a bucket\'s downloads go unrecorded (GuardDuty reports it as Stealth:S3/ServerAccessLoggingDisabled).',
      next: 'Turn access logging back on for the bucket and note the gap.',
      ignores: 'Turning logging on or moving it to another target bucket.',
      events: ['s3:PutBucketLogging'],
      matches: (e) => call('s3', ['PutBucketLogging'])(e) && pick(e.requestParameters, 'BucketLoggingStatus', 'LoggingEnabled') === undefined,
      describe: (e) => pickString(e.requestParameters, 'bucketName'),
    },
    {
      id: 'evasion.db-audit-stopped', severity: 'high', family: 'databases',
      technique: CLOUD_LOGS,
      title: 'Database activity stream or log export stopped',
      why: 'Stopping a database activity stream or its log exports hides the queries that read or changed the data.',
      next: 'Start the activity stream and log exports again and note the gap.',
      ignores: 'Enabling log types; other database changes.',
      events: [...eventsOf('rds', ['StopActivityStream', 'ModifyDBInstance', 'ModifyDBCluster'])],
      matches: dbLogsDisabled,
      describe: (e) => param(e, 'resourceArn', 'dBInstanceIdentifier', 'dBClusterIdentifier'),
    },
    {
      id: 'evasion.guardduty-changed', severity: 'high', family: 'defences',
      technique: DISABLE_TOOLS,
      title: 'GuardDuty disabled or weakened',
      why: 'Deleting detectors, turning protections off, trusting the attacker\'s addresses (IP sets) or dropping members hides the attacker from alerts.',
      next: 'Re-enable the detector and its protections, remove unknown IP sets, and re-add members.',
      ignores: 'Reading GuardDuty configuration and findings; updates that enable the detector or its protections; threat-intel lists added.',
      events: eventsOf('guardduty', [...GUARDDUTY_ALWAYS, ...GUARDDUTY_CHANGES]),
      matches: guardDutyWeakened,
    },
    {
      id: 'evasion.findings-suppressed', severity: 'high', family: 'defences',
      technique: DISABLE_TOOLS,
      title: 'Security findings archived or suppressed',
      why: 'Archiving GuardDuty, Security Hub, Macie or Access Analyzer findings, or a filter that archives them on arrival, hides the alerts the intrusion raises.',
      next: 'Delete the archive filter or automation rule and unarchive the findings; read them.',
      ignores: 'Filters and updates that only tag, note or notify (GuardDuty action NOOP, Security Hub workflow NOTIFIED/NEW).',
      events: FINDING_FILTERS.flatMap(([s, n]) => eventsOf(s, n)),
      matches: findingsSuppressed,
    },
    {
      id: 'evasion.security-services-disabled', severity: 'high', family: 'defences',
      technique: DISABLE_TOOLS,
      title: 'Security Hub, Access Analyzer, Macie, Inspector or Detective disabled',
      why: 'Turning off the account\'s detectors and analyzers silences the findings that would expose the intrusion.',
      next: 'Re-enable the service and its standards, then read the findings it had before.',
      ignores: 'Reading findings; enabling services; Macie session updates that keep it enabled.',
      events: [...SECURITY_SERVICES.flatMap(([service, names]) => eventsOf(service, names)), 'macie2:UpdateMacieSession'],
      matches: (e) => SECURITY_SERVICE_MATCHERS.some((m) => m(e)) || (MACIE_SESSION(e) && param(e, 'status') === 'PAUSED'),
    },
    {
      id: 'evasion.config-stopped', severity: 'medium', family: 'defences',
      technique: CLOUD_LOGS,
      title: 'AWS Config recording or rules removed',
      why: 'Config is the record of what changed; stopping the recorder or deleting its rules hides resource changes and their compliance alarms.',
      next: 'Start the recorder again, restore the delivery channel and the deleted rules.',
      ignores: 'Starting recorders; reading configuration.',
      events: eventsOf('config', CONFIG_CALLS),
      matches: call('config', CONFIG_CALLS),
    },
    {
      id: 'evasion.log-groups-deleted', severity: 'medium', family: 'defences',
      technique: CLOUD_LOGS,
      title: 'CloudWatch log data deleted',
      why: 'Deleting log groups, streams or their subscriptions, or cutting retention to days, destroys evidence.',
      next: 'Check which log groups are gone and whether copies exist (subscriptions, S3 exports).',
      ignores: `Creating log groups; reading logs; retention of more than ${LOG_RETENTION_MAX_DAYS} days.`,
      events: eventsOf('logs', [...LOG_CALLS, 'PutRetentionPolicy']),
      matches: (e) => call('logs', LOG_CALLS)(e) || (call('logs', ['PutRetentionPolicy'])(e) && Number(pick(e.requestParameters, 'retentionInDays') ?? Infinity) <= LOG_RETENTION_MAX_DAYS),
    },
    {
      id: 'evasion.alarms-silenced', severity: 'low', family: 'defences',
      technique: DISABLE_TOOLS,
      title: 'Alarms or event rules silenced',
      why: 'Deleting CloudWatch alarms, turning their actions off or disabling EventBridge rules stops the notifications (billing, GuardDuty forwarding) that would reach a person.',
      next: 'Restore the alarms and rules; check which notifications were lost.',
      ignores: 'Creating or updating alarms; enabling rules.',
      events: ALARM_CALLS.flatMap(([s, n]) => eventsOf(s, n)),
      matches: (e) => ALARM_MATCHERS.some((m) => m(e)),
    },
    {
      id: 'evasion.waf-removed', severity: 'high', family: 'network',
      technique: CLOUD_FIREWALL,
      title: 'Web application firewall or network firewall removed',
      why: 'Disassociating or deleting a web ACL, or a network firewall, exposes the application or VPC behind it without its filtering and logging.',
      next: 'Associate the web ACL (or firewall policy) again and check the traffic since.',
      ignores: 'Associating or updating web ACLs; reading them.',
      events: WAF_CALLS.flatMap(([s, n]) => eventsOf(s, n)),
      matches: (e) => WAF_MATCHERS.some((m) => m(e)) && !(e.name === 'UpdateFirewallDeleteProtection' && flag(e, 'deleteProtection') !== false),
    },
    {
      id: 'evasion.guardrail-changed', severity: 'medium', family: 'ai-services',
      technique: DISABLE_TOOLS,
      title: 'Bedrock guardrail deleted or changed',
      why: 'Removing or loosening a guardrail lets the models produce what the account filtered out: a step in LLM-jacking for resale.',
      next: 'Restore the guardrail version the team approved and check invocations since.',
      ignores: 'Creating guardrails; reading them.',
      events: eventsOf('bedrock', GUARDRAIL_CALLS),
      matches: call('bedrock', GUARDRAIL_CALLS),
    },
    {
      id: 'evasion.leave-organization', severity: 'high', family: 'account-and-organization',
      technique: { id: 'T1666', name: 'Modify Cloud Resource Hierarchy' },
      title: 'Account left its organization',
      why: 'Leaving the organization drops every SCP guard rail and the organization trail in one call.',
      next: 'Contact the organization\'s management account owners at once; invite the account back and re-apply SCPs.',
      ignores: 'Organization reads (DescribeOrganization, counted as discovery).',
      events: ['organizations:LeaveOrganization'],
      matches: call('organizations', ['LeaveOrganization']),
    },
    {
      id: 'evasion.guard-rails-removed', severity: 'high', family: 'account-and-organization',
      technique: DISABLE_TOOLS,
      title: 'Organization policies detached or deleted',
      why: 'Detaching or deleting SCPs (or turning the policy type off) removes the guard rails that deny the dangerous calls everywhere.',
      next: 'Re-attach the policies from the organization\'s source of truth and check what was done while they were off.',
      ignores: 'Attaching and creating policies.',
      events: eventsOf('organizations', SCP_CALLS),
      matches: call('organizations', SCP_CALLS),
    },
    {
      id: 'evasion.region-enabled', severity: 'medium', family: 'account-and-organization',
      technique: UNUSED_REGIONS,
      title: 'Opt-in region enabled',
      why: 'Turning on a region nobody uses gives the attacker a place the account\'s monitoring does not cover.',
      next: 'Disable the region unless it was requested, and look for activity there.',
      ignores: 'Listing regions.',
      events: ['account:EnableRegion'],
      matches: call('account', ['EnableRegion']),
    },
    {
      id: 'evasion.security-group-opened', severity: 'high', family: 'network',
      technique: CLOUD_FIREWALL,
      title: 'Security group opened to the internet',
      why: 'An ingress rule for 0.0.0.0/0, ::/0 (or a public /8 and wider) on any port exposes the instances behind it to anyone (SSH, RDP, databases).',
      next: 'Revoke the rule and check the instances behind the group for logins since.',
      ignores: 'Rules for narrower address ranges, prefix lists or other security groups; egress rules; text in descriptions.',
      events: eventsOf('ec2', ['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules']),
      matches: (e) => INGRESS(e) && openRanges(e).length > 0,
      describe: (e) => `${param(e, 'groupId', 'groupName') ?? pickString(e.requestParameters, 'ModifySecurityGroupRulesRequest', 'GroupId') ?? 'group'} ← ${[...new Set(openRanges(e))].join(', ')}`,
    },
    {
      id: 'evasion.nacl-opened', severity: 'high', family: 'network',
      technique: CLOUD_FIREWALL,
      title: 'Network ACL opened to all traffic',
      why: 'An inbound network ACL entry allowing every protocol from anywhere removes the subnet\'s own firewall.',
      next: 'Replace or delete the entry and check the subnet\'s instances for connections since.',
      ignores: 'Deny entries; entries for specific ports or narrower ranges; outbound entries.',
      events: eventsOf('ec2', ['CreateNetworkAclEntry', 'ReplaceNetworkAclEntry']),
      matches: naclAllowsAll,
      describe: (e) => `${param(e, 'networkAclId') ?? 'acl'} rule ${String(pick(e.requestParameters, 'ruleNumber') ?? '?')}`,
    },
    {
      id: 'evasion.db-firewall-opened', severity: 'high', family: 'databases',
      technique: CLOUD_FIREWALL,
      title: 'Database security group opened to the internet',
      why: 'A DB or Redshift security group authorising 0.0.0.0/0 lets anyone reach the database port.',
      next: 'Revoke the range and check the database\'s logins since.',
      ignores: 'Narrower ranges; EC2 security group authorisations.',
      events: DB_INGRESS.flatMap(([s, n]) => eventsOf(s, n)),
      matches: (e) => DB_INGRESS_CALLS.some((m) => m(e)) && openRanges(e).length > 0,
      describe: (e) => param(e, 'dBSecurityGroupName', 'clusterSecurityGroupName'),
    },
    {
      id: 'evasion.termination-protection', severity: 'medium', family: 'compute-and-functions',
      technique: { id: 'T1578.005', name: 'Modify Cloud Compute Infrastructure: Modify Cloud Compute Configurations' },
      title: 'Instances protected from termination',
      why: 'Miners turn on termination protection (disableApiTermination) so that responders must undo it, instance by instance, before cleaning up.',
      next: 'Turn the protection off and terminate the instances if they are the attacker\'s.',
      ignores: 'Turning protection off; other instance attributes.',
      events: ['ec2:ModifyInstanceAttribute', 'ec2:RunInstances'],
      matches: (e) => (MODIFY_INSTANCE(e) || call('ec2', ['RunInstances'])(e)) && flag(e, 'disableApiTermination') === true,
      describe: (e) => param(e, 'instanceId'),
    },
    {
      id: 'evasion.imdsv1-allowed', severity: 'medium', family: 'compute-and-functions',
      technique: DISABLE_TOOLS,
      title: 'Instance metadata v1 allowed again',
      why: 'With IMDSv2 no longer required, a single server-side request forgery on the instance can read its role credentials (the path to "instance credentials used elsewhere").',
      next: 'Require IMDSv2 again (HttpTokens required) and look for the instance role\'s credentials used from outside.',
      ignores: 'Requiring tokens; changing the hop limit or tags access.',
      events: eventsOf('ec2', ['ModifyInstanceMetadataOptions', 'ModifyInstanceMetadataDefaults']),
      matches: imdsV1Allowed,
      describe: (e) => pickString(e.requestParameters, 'ModifyInstanceMetadataOptionsRequest', 'InstanceId') ?? `account default in ${e.region}`,
    },
    {
      id: 'evasion.db-snapshot-created', severity: 'low', family: 'databases',
      technique: CREATE_SNAPSHOT,
      title: 'Database snapshot created',
      why: 'A manual snapshot is how a database is copied before it is shared, restored publicly or exported; it also survives the database\'s deletion.',
      next: 'Check whether the snapshot was then shared, copied or restored, and delete it unless the team made it.',
      ignores: 'Automated snapshots (taken by AWS); describing snapshots.',
      events: eventsOf('rds', ['CreateDBSnapshot', 'CreateDBClusterSnapshot']),
      matches: call('rds', ['CreateDBSnapshot', 'CreateDBClusterSnapshot']),
      describe: (e) => param(e, 'dBSnapshotIdentifier', 'dBClusterSnapshotIdentifier'),
    },
    {
      id: 'evasion.disk-snapshot-created', severity: 'low', family: 'storage-and-encryption',
      technique: CREATE_SNAPSHOT,
      title: 'Disk snapshot or image created',
      why: 'A snapshot or image of an instance\'s disks is how its data is copied before it is shared or exported.',
      next: 'Check whether it was then shared, copied or exported, and delete it unless the team made it.',
      ignores: 'Snapshots taken by AWS Backup or Data Lifecycle Manager (AWS service activity).',
      events: eventsOf('ec2', ['CreateSnapshot', 'CreateSnapshots', 'CreateImage']),
      matches: call('ec2', ['CreateSnapshot', 'CreateSnapshots', 'CreateImage']),
    },
    {
      id: 'evasion.session-token-no-mfa', severity: 'medium', family: 'credentials-and-sessions',
      technique: { id: 'T1550.001', name: 'Use Alternate Authentication Material: Application Access Token' },
      title: 'Session token minted without MFA',
      why: 'GetSessionToken without an MFA code gives temporary credentials that keep working for up to 36 hours after the key itself is deactivated.',
      next: 'Make sure the user deny policy (revoke older sessions) is in place and follow the minted key in the credential graph.',
      ignores: 'GetSessionToken with an MFA device (serialNumber and tokenCode): the usual way people get MFA-backed sessions.',
      events: ['sts:GetSessionToken'],
      matches: (e) => call('sts', ['GetSessionToken'])(e) && param(e, 'serialNumber', 'SerialNumber') === undefined,
    },
  ]),
  groupRule('defense-evasion', {
    id: 'evasion.unusual-region', severity: 'high', family: 'compute-and-functions',
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
