/** TA0006 Credential Access: secrets and credentials taken for later. Pure. */
import { pick, TrailEvent } from '../trail-event';
import { burstRule, eventRules, groupRule } from './define';
import { call, eventsOf, isInstanceRoleSession, param } from './match';

const TRAFFIC_MIRRORING = ['CreateTrafficMirrorSession', 'CreateTrafficMirrorTarget', 'CreateTrafficMirrorFilter', 'CreateTrafficMirrorFilterRule', 'ModifyTrafficMirrorSession'];
const DESCRIBE_ATTRIBUTE = call('ec2', ['DescribeInstanceAttribute']);
const SECRET_ENUMERATION: ReadonlyArray<[string, string[]]> = [['secretsmanager', ['ListSecrets', 'DescribeSecret', 'GetResourcePolicy', 'ListSecretVersionIds']], ['ssm', ['DescribeParameters']]];
const SECRET_ENUMERATION_CALLS = SECRET_ENUMERATION.map(([s, n]) => call(s, n));

const READS_SECRET = call('secretsmanager', ['GetSecretValue', 'BatchGetSecretValue']);
const READS_PARAMETER = call('ssm', ['GetParameter', 'GetParameters', 'GetParametersByPath']);
/** Only decrypted SecureString reads reveal a secret; plain parameter reads are routine. */
const GETS_DECRYPTED_PARAMETER = (e: TrailEvent) => READS_PARAMETER(e) && pick(e.requestParameters, 'withDecryption') === true;

export const CREDENTIAL_ACCESS = [
  ...eventRules('credential-access', [
    {
      id: 'credentials.secret-read', family: 'credentials-and-sessions', severity: 'high',
      technique: { id: 'T1555.006', name: 'Credentials from Password Stores: Cloud Secrets Management Stores' },
      title: 'Secrets read',
      why: 'Secret values (database passwords, API tokens) must be rotated once read by an attacker.',
      next: 'Rotate every secret listed, then check the systems they open for use from the attacker\'s addresses.',
      ignores: 'Parameter Store reads without decryption; listing secrets (counted as discovery).',
      events: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue', 'ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      matches: (e) => READS_SECRET(e) || GETS_DECRYPTED_PARAMETER(e),
    },
    {
      id: 'credentials.windows-password', family: 'compute-and-functions', severity: 'medium',
      technique: { id: 'T1552', name: 'Unsecured Credentials' },
      title: 'Windows administrator password retrieved',
      why: 'GetPasswordData returns the encrypted Administrator password of a Windows instance; with the launch key it is a login.',
      next: 'Change the Administrator password on the instance and check it for RDP logins.',
      ignores: 'Calls for instances without password data (answered with an empty value).',
      events: ['ec2:GetPasswordData'],
      matches: call('ec2', ['GetPasswordData']),
    },
    {
      id: 'credentials.user-data-read', family: 'compute-and-functions', severity: 'low',
      technique: { id: 'T1552', name: 'Unsecured Credentials' },
      title: 'Instance user data read',
      why: 'User data often holds bootstrap scripts with passwords and tokens; reading it for several instances is how tools like Pacu harvest them.',
      next: 'Read the user data of the instances named (export) and rotate any secret in it.',
      ignores: 'Other instance attributes (instance type, termination protection…).',
      events: ['ec2:DescribeInstanceAttribute'],
      matches: (e) => DESCRIBE_ATTRIBUTE(e) && param(e, 'attribute') === 'userData',
      describe: (e) => param(e, 'instanceId'),
    },
    {
      id: 'credentials.traffic-mirroring', family: 'network', severity: 'high',
      technique: { id: 'T1040', name: 'Network Sniffing' },
      title: 'Traffic mirroring set up',
      why: 'A traffic mirror session copies an instance\'s network packets to a target the attacker reads: credentials and data in clear text go with them.',
      next: 'Delete the mirror session, target and filter; find where the target sends packets and treat the traffic as read.',
      ignores: 'Describing and deleting mirror sessions.',
      events: eventsOf('ec2', TRAFFIC_MIRRORING),
      matches: call('ec2', TRAFFIC_MIRRORING),
    },
  ]),
  burstRule('credential-access', {
    id: 'credentials.secret-enumeration', family: 'credentials-and-sessions', severity: 'medium',
    technique: { id: 'T1555.006', name: 'Credentials from Password Stores: Cloud Secrets Management Stores' },
    title: 'Secrets enumerated',
    why: 'Listing and describing secrets and parameters many times in minutes is the map drawn before they are read in bulk.',
    next: 'Expect the listed secrets to be read next: check for GetSecretValue and rotate those that were.',
    ignores: 'Fewer than 10 listing calls within 10 minutes.',
    events: SECRET_ENUMERATION.flatMap(([s, n]) => eventsOf(s, n)),
    counts: (e) => SECRET_ENUMERATION_CALLS.some((m) => m(e)),
    threshold: 10,
    windowMinutes: 10,
  }),
  groupRule('credential-access', {
    id: 'credentials.instance-credentials-elsewhere', family: 'credentials-and-sessions', severity: 'high',
    technique: { id: 'T1552.005', name: 'Unsecured Credentials: Cloud Instance Metadata API' },
    title: 'Instance role credentials used away from the instance',
    why: 'An instance role session (its name is the instance id) called AWS from several internet addresses or from another account\'s network: its credentials were taken from the metadata service.',
    next: 'Revoke the role\'s older sessions (AWSRevokeOlderSessions), enforce IMDSv2 on the instance and treat the instance as compromised.',
    ignores: 'Sessions seen from one public address (the instance itself or its NAT) or only from private addresses; a single outside address cannot be told from the instance\'s own without AWS\'s IP ranges.',
    events: ['*:* (instance role sessions)'],
    groupOf: (e) => (isInstanceRoleSession(e) ? e.identity.arn : undefined),
    fires: (g) => g.publicIps.size >= 2 || [...g.vpcEndpointAccounts].some((a) => a !== g.identityAccount),
  }),
];
