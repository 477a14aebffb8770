/** TA0002 Execution: running the attacker's code on the account's machines. Pure. */
import { pick } from '../trail-event';
import { eventRules } from './define';
import { call, eventsOf } from './match';

const RUN_COMMAND = ['SendCommand', 'CreateAssociation', 'StartAutomationExecution'];
const MODIFY_ATTRIBUTE = call('ec2', ['ModifyInstanceAttribute']);

export const EXECUTION = eventRules('execution', [
  {
    id: 'execution.ssm-run-command', severity: 'high',
    technique: { id: 'T1651', name: 'Cloud Administration Command' },
    title: 'Commands run on instances through SSM',
    why: 'Run Command executes shell commands as root on every targeted instance, with no SSH key or network path needed.',
    next: 'Read the command document and parameters (and its output in SSM), then treat the targeted instances as compromised.',
    ignores: 'Read-only SSM calls (ListCommands, GetCommandInvocation); commands started by AWS services such as Patch Manager.',
    events: eventsOf('ssm', RUN_COMMAND),
    matches: call('ssm', RUN_COMMAND),
  },
  {
    id: 'execution.user-data-changed', severity: 'high',
    technique: { id: 'T1059', name: 'Command and Scripting Interpreter' },
    title: 'Instance user data replaced',
    why: 'User data runs as root at the next boot: changing it and restarting the instance is remote code execution.',
    next: 'Read the new user data (DescribeInstanceAttribute), restore the old one and look for a StopInstances/StartInstances around it.',
    ignores: 'Other instance attributes (instance type, source/dest check, security groups); reading user data.',
    events: ['ec2:ModifyInstanceAttribute'],
    matches: (e) => MODIFY_ATTRIBUTE(e) && (pick(e.requestParameters, 'userData') !== undefined || pick(e.requestParameters, 'attribute') === 'userData'),
  },
]);
