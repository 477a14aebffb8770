/** TA0002 Execution: running the attacker's code on the account's machines. Pure. */
import { pick, TrailEvent } from '../trail-event';
import { eventRules } from './define';
import { call, eventsOf, param } from './match';

const LIFECYCLE_CONFIG = ['CreateNotebookInstanceLifecycleConfig', 'UpdateNotebookInstanceLifecycleConfig'];

/** A notebook given a lifecycle script: it runs as root with the notebook's role at the next start. */
function notebookScriptChanged(e: TrailEvent): boolean {
  if (call('sagemaker', LIFECYCLE_CONFIG)(e)) return true;
  return call('sagemaker', ['UpdateNotebookInstance'])(e) && pick(e.requestParameters, 'lifecycleConfigName') !== undefined;
}

const RUN_COMMAND = ['SendCommand', 'CreateAssociation', 'StartAutomationExecution'];
const MODIFY_ATTRIBUTE = call('ec2', ['ModifyInstanceAttribute']);

export const EXECUTION = eventRules('execution', [
  {
    id: 'execution.ssm-run-command', family: 'compute-and-functions', severity: 'high',
    technique: { id: 'T1651', name: 'Cloud Administration Command' },
    title: 'Commands run on instances through SSM',
    why: 'Run Command executes shell commands as root on every targeted instance, with no SSH key or network path needed.',
    next: 'Read the command document and parameters (and its output in SSM), then treat the targeted instances as compromised.',
    ignores: 'Read-only SSM calls (ListCommands, GetCommandInvocation); commands started by AWS services such as Patch Manager.',
    events: eventsOf('ssm', RUN_COMMAND),
    matches: call('ssm', RUN_COMMAND),
  },
  {
    id: 'execution.user-data-changed', family: 'compute-and-functions', severity: 'high',
    technique: { id: 'T1059', name: 'Command and Scripting Interpreter' },
    title: 'Instance user data replaced',
    why: 'User data runs as root at the next boot: changing it and restarting the instance is remote code execution.',
    next: 'Read the new user data (DescribeInstanceAttribute), restore the old one and look for a StopInstances/StartInstances around it.',
    ignores: 'Other instance attributes (instance type, source/dest check, security groups); reading user data.',
    events: ['ec2:ModifyInstanceAttribute'],
    matches: (e) => MODIFY_ATTRIBUTE(e) && (pick(e.requestParameters, 'userData') !== undefined || pick(e.requestParameters, 'attribute') === 'userData'),
  },
  {
    id: 'execution.notebook-lifecycle', family: 'compute-and-functions', severity: 'high',
    technique: { id: 'T1059.009', name: 'Command and Scripting Interpreter: Cloud API' },
    title: 'SageMaker notebook lifecycle script set',
    why: 'A lifecycle configuration runs as root on the notebook at every start, with the notebook\'s execution role: a way to steal that role or keep a foothold.',
    next: 'Read the script, detach it from the notebook, and rotate whatever the execution role can reach.',
    ignores: 'Notebook updates that leave the lifecycle configuration alone (instance type, volume size).',
    events: eventsOf('sagemaker', [...LIFECYCLE_CONFIG, 'UpdateNotebookInstance']),
    matches: notebookScriptChanged,
    describe: (e) => param(e, 'notebookInstanceName', 'notebookInstanceLifecycleConfigName'),
  },
]);
