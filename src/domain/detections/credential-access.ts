/** TA0006 Credential Access: secrets and credentials taken for later. Pure. */
import { pick, TrailEvent } from '../trail-event';
import { eventRules, groupRule } from './define';
import { call, isInstanceRoleSession } from './match';

const READS_SECRET = call('secretsmanager', ['GetSecretValue', 'BatchGetSecretValue']);
const READS_PARAMETER = call('ssm', ['GetParameter', 'GetParameters', 'GetParametersByPath']);
/** Only decrypted SecureString reads reveal a secret; plain parameter reads are routine. */
const GETS_DECRYPTED_PARAMETER = (e: TrailEvent) => READS_PARAMETER(e) && pick(e.requestParameters, 'withDecryption') === true;

export const CREDENTIAL_ACCESS = [
  ...eventRules('credential-access', [
    {
      id: 'credentials.secret-read', severity: 'high',
      technique: { id: 'T1555.006', name: 'Credentials from Password Stores: Cloud Secrets Management Stores' },
      title: 'Secrets read',
      why: 'Secret values (database passwords, API tokens) must be rotated once read by an attacker.',
      next: 'Rotate every secret listed, then check the systems they open for use from the attacker\'s addresses.',
      ignores: 'Parameter Store reads without decryption; listing secrets (counted as discovery).',
      events: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue', 'ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      matches: (e) => READS_SECRET(e) || GETS_DECRYPTED_PARAMETER(e),
    },
    {
      id: 'credentials.windows-password', severity: 'medium',
      technique: { id: 'T1552', name: 'Unsecured Credentials' },
      title: 'Windows administrator password retrieved',
      why: 'GetPasswordData returns the encrypted Administrator password of a Windows instance; with the launch key it is a login.',
      next: 'Change the Administrator password on the instance and check it for RDP logins.',
      ignores: 'Calls for instances without password data (answered with an empty value).',
      events: ['ec2:GetPasswordData'],
      matches: call('ec2', ['GetPasswordData']),
    },
  ]),
  groupRule('credential-access', {
    id: 'credentials.instance-credentials-elsewhere', severity: 'high',
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
