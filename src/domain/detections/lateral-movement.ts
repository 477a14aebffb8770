/** TA0008 Lateral Movement: from the key to machines and other accounts. Pure. */
import { pickString, TrailEvent } from '../trail-event';
import { eventRules } from './define';
import { call } from './match';

const DIRECT_VM = { id: 'T1021.008', name: 'Remote Services: Direct Cloud VM Connections' };
const ASSUME_ROLE = call('sts', ['AssumeRole']);
const SIGNIN_TOKEN = call('signin', ['GetSigninToken']);

/** IAM Identity Center's own console sessions: roles under the reserved path only AWS can create. */
function isIdentityCenterSession(e: TrailEvent): boolean {
  return (e.identity.sessionIssuerArn ?? '').includes(':role/aws-reserved/sso.amazonaws.com/');
}

function accountOfArn(arn: string | undefined): string | undefined {
  return arn?.split(':')[4] || undefined;
}

export const LATERAL_MOVEMENT = eventRules('lateral-movement', [
  {
    id: 'lateral.instance-connect-key', family: 'compute-and-functions', severity: 'high',
    technique: DIRECT_VM,
    title: 'SSH key pushed with EC2 Instance Connect',
    why: 'SendSSHPublicKey gives whoever holds the matching private key a shell on the instance for 60 seconds, enough to plant their own.',
    next: 'Treat the instance as compromised: check its authorized_keys and processes, and restrict ec2-instance-connect permissions.',
    ignores: 'Instance Connect endpoint management; AWS service activity.',
    events: ['ec2-instance-connect:SendSSHPublicKey'],
    matches: call('ec2-instance-connect', ['SendSSHPublicKey']),
  },
  {
    id: 'lateral.serial-console', family: 'compute-and-functions', severity: 'high',
    technique: DIRECT_VM,
    title: 'Serial console access enabled or used',
    why: 'The EC2 serial console reaches an instance even with no network path, bypassing security groups entirely.',
    next: 'Disable serial console access for the account and check the instances it was used on.',
    ignores: 'Reading the serial console setting.',
    events: ['ec2:EnableSerialConsoleAccess', 'ec2-instance-connect:SendSerialConsoleSSHPublicKey'],
    matches: (e) => call('ec2', ['EnableSerialConsoleAccess'])(e) || call('ec2-instance-connect', ['SendSerialConsoleSSHPublicKey'])(e),
  },
  {
    id: 'lateral.ssm-session', family: 'compute-and-functions', severity: 'high',
    technique: DIRECT_VM,
    title: 'Session Manager shell opened',
    why: 'StartSession gives an interactive shell on the instance through the SSM agent, with no SSH key or open port.',
    next: 'Read the session history (and its S3/CloudWatch log if enabled) and treat the instance as compromised.',
    ignores: 'Ending sessions; describing sessions.',
    events: ['ssm:StartSession', 'ssm:ResumeSession'],
    matches: call('ssm', ['StartSession', 'ResumeSession']),
  },
  {
    id: 'lateral.cross-account-role', family: 'credentials-and-sessions', severity: 'medium',
    technique: { id: 'T1550.001', name: 'Use Alternate Authentication Material: Application Access Token' },
    title: 'Role assumed in another account',
    why: 'A role session in another account carries the intrusion there; that account\'s own trail holds what it did next.',
    next: 'Tell the other account\'s owners; revoke the role\'s older sessions there and follow the issued key in that account\'s trail.',
    ignores: 'Roles in the caller\'s own account (followed through the credential graph).',
    events: ['sts:AssumeRole'],
    matches: (e) => {
      if (!ASSUME_ROLE(e)) return false;
      const target = accountOfArn(pickString(e.requestParameters, 'roleArn'));
      return target !== undefined && e.identity.accountId !== undefined && target !== e.identity.accountId;
    },
  },
  {
    id: 'lateral.console-from-keys', family: 'credentials-and-sessions', severity: 'high',
    technique: { id: 'T1550.001', name: 'Use Alternate Authentication Material: Application Access Token' },
    title: 'Console session minted from keys',
    why: 'GetSigninToken (the federation endpoint) turns temporary credentials into a console sign-in link: the attacker moves from the API to the console, with no password or MFA.',
    next: 'Revoke the sessions of the principal (user deny policy or AWSRevokeOlderSessions) and review what the console session did.',
    ignores: 'IAM Identity Center portal sign-ins (roles under aws-reserved/sso.amazonaws.com/).',
    events: ['signin:GetSigninToken'],
    matches: (e) => SIGNIN_TOKEN(e) && !isIdentityCenterSession(e),
  },
]);
