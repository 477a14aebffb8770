/**
 * The playbook's Investigate step with the CloudTrail emulator: after containment the bot
 * pulls the key's history, posts the summary and the export in the incident thread, and
 * offers what the attacker created for removal, each with two approvals.
 */
import { GetUserCommand } from '@aws-sdk/client-iam';
import { blocksText } from '../support/harness';
import { incidentRig } from '../support/incident-rig';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { attackerScenario, loadEvents } from '../../sandbox/cloudtrail-fixtures';

const REQUESTER = 'U0REQUEST';
const APPROVERS = ['U0APPROVE1', 'U0APPROVE2'];

const rig = incidentRig();

it('investigates after containment and offers the attacker\'s back-door user for removal', async () => {
  const iam = motoIam();
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'leaky' });
  // What the attacker made with the key, in IAM and in CloudTrail.
  await seedUser(iam, { userName: 'backup-svc', consolePassword: true, keys: 1 });
  // The attack starts just after the key was created; the bot's clock is set to just after
  // it ended (CloudTrail events cannot predate the key, and the search starts at its creation).
  const t0 = Date.now();
  const attack = attackerScenario({ seed: 5, principal: { accountId: '123456789012', userName: 'leaky', accessKeyId: keyId }, startMs: t0 + 1000 });
  loadEvents(rig.emu, attack.events);
  const shift = attack.endMs - t0 + 60_000;
  const h = await rig.start(
    { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVERS.join(','), IR_REGIONS: 'us-east-1,eu-west-1,ap-southeast-3' },
    { now: () => new Date(Date.now() + shift) },
  );
  await rig.containAndInvestigate(keyId, 'found on pastebin', REQUESTER, APPROVERS[0]);

  // The summary and the export are in the incident thread.
  const progress = h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts && /Pulling CloudTrail/.test(c.args.text ?? ''))!;
  expect(progress).toBeDefined();
  const summary = await h.slack.waitFor(() => h.slack.callsTo('chat.update').find((c) => /CloudTrail for/.test(c.args.text ?? '') && c.args.blocks?.[0]?.type === 'header'), 'summary in thread');
  expect(blocksText(summary.args)).toContain('IAM user created');
  const upload = await h.slack.waitFor(() => h.slack.callsTo('files.completeUploadExternal')[0], 'export upload');
  expect(upload.args.thread_ts).toBe(progress.args.thread_ts);
  // Both lookups ran in every region: by key and by user name.
  expect(Object.keys(rig.emu.stats().byRegion).sort()).toEqual(['ap-southeast-3', 'eu-west-1', 'us-east-1']);

  const inv = (await rig.incident()).steps.find((s) => s.name === 'investigate')!;
  expect(inv.note).toMatch(/\d+ events in 3 regions, \d+ findings \(\d+ high\), \d+ created principal\(s\) to remove/);
  expect(JSON.stringify(inv.result)).toContain('backup-svc');

  // One removable item per thing the attacker created, offered as a button.
  const asks = await rig.asks('Remove');
  await rig.ask('Remove IAM user backup-svc', REQUESTER);
  const step = async () => (await rig.stepTitled('Remove IAM user backup-svc'))!;
  await rig.probe.until('removal awaiting approval', async () => (await step()).state === 'awaiting_approval');
  const withPlan = await rig.cardWith('Remove IAM user backup-svc* needs 2 more');
  expect(blocksText(withPlan)).toContain('DeleteLoginProfile');
  expect(blocksText(withPlan)).toContain('DeleteUser');
  await rig.approve(await step(), APPROVERS);
  await rig.probe.until('removed', async () => (await step()).state === 'succeeded');
  await expect(iam.send(new GetUserCommand({ UserName: 'backup-svc' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  // The compromised user itself is never offered.
  expect(asks.map((e: any) => e.text.text)).not.toContain('Remove IAM user leaky');
});
