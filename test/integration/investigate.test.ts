/**
 * The playbook's Investigate step with the CloudTrail emulator: after containment the bot
 * pulls the key's history, posts the summary and the export in the incident thread, and
 * offers what the attacker created for removal, each with two approvals.
 */
import { GetUserCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { attackerScenario, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { latestCard, buttonOn, click } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION } from '../../src/slack/ids';

const REQUESTER = 'U0REQUEST';
const APPROVERS = ['U0APPROVE1', 'U0APPROVE2'];
const CHANNEL = 'C0INCIDENT';

let h: Harness;
let emu: CloudTrailEmulator;

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
});
afterEach(async () => {
  await h.close();
  await emu.close();
});

const probe = incidentProbe(() => h.store);
const incident = async () => (await probe.current()) ?? { incident: undefined, steps: [], events: [] };
const until = probe.until;
const stepIs = probe.stepIs;

function cardWith(text: string) {
  return h.slack.waitFor(() => {
    const c = latestCard(h, CHANNEL);
    return c && blocksText(c).includes(text) ? c : undefined;
  }, `card showing ${text}`);
}

it('investigates after containment and offers the attacker\'s back-door user for removal', async () => {
  const iam = motoIam();
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'leaky' });
  // What the attacker made with the key, in IAM and in CloudTrail.
  await seedUser(iam, { userName: 'backup-svc', consolePassword: true, keys: 1 });
  // The attack starts just after the key was created; the bot's clock is set to just after
  // it ended (CloudTrail events cannot predate the key, and the search starts at its creation).
  const t0 = Date.now();
  const attack = attackerScenario({ seed: 5, principal: { accountId: '123456789012', userName: 'leaky', accessKeyId: keyId }, startMs: t0 + 1000 });
  loadEvents(emu, attack.events);
  const shift = attack.endMs - t0 + 60_000;
  h = await startHarness(
    { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVERS.join(','), IR_CHANNEL_ID: CHANNEL, IR_REGIONS: 'us-east-1,eu-west-1,ap-southeast-3' },
    { cloudTrailUrl: emu.url, now: () => new Date(Date.now() + shift) },
  );
  await h.slash('/revoke-key', `${keyId} found on pastebin`, REQUESTER);
  await until('contain awaiting approval', stepIs('contain', 'awaiting_approval'));
  await click(h, buttonOn(await cardWith('Contain* needs'), ACTION.approve), APPROVERS[0]);
  await until('investigate done', stepIs('investigate', 'succeeded'));

  // The summary and the export are in the incident thread.
  const progress = h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts && /Pulling CloudTrail/.test(c.args.text ?? ''))!;
  expect(progress).toBeDefined();
  const summary = await h.slack.waitFor(() => h.slack.callsTo('chat.update').find((c) => /CloudTrail for/.test(c.args.text ?? '') && c.args.blocks?.[0]?.type === 'header'), 'summary in thread');
  expect(blocksText(summary.args)).toContain('IAM user created');
  const upload = await h.slack.waitFor(() => h.slack.callsTo('files.completeUploadExternal')[0], 'export upload');
  expect(upload.args.thread_ts).toBe(progress.args.thread_ts);
  // Both lookups ran in every region: by key and by user name.
  expect(Object.keys(emu.stats().byRegion).sort()).toEqual(['ap-southeast-3', 'eu-west-1', 'us-east-1']);

  const inv = (await incident()).steps.find((s) => s.name === 'investigate')!;
  expect(inv.note).toMatch(/\d+ events in 3 regions, \d+ findings \(\d+ high\), \d+ created principal\(s\) to remove/);
  expect(JSON.stringify(inv.result)).toContain('backup-svc');

  // One removable item per thing the attacker created, offered as a button.
  const asks = await h.slack.waitFor(() => {
    const block = latestCard(h, CHANNEL)?.blocks.find((b: any) => b.block_id === 'kg_asks') as any;
    return block?.elements.some((e: any) => e.text.text.startsWith('Remove')) ? block.elements : undefined;
  }, 'the Remove buttons');
  const removeUser = asks.find((e: any) => e.text.text === 'Remove IAM user backup-svc');
  await click(h, { ...removeUser, block_id: 'kg_asks' }, REQUESTER);
  const step = async () => (await incident()).steps.find((s) => s.title === 'Remove IAM user backup-svc')!;
  await until('removal awaiting approval', async () => (await step()).state === 'awaiting_approval');
  const withPlan = await cardWith('Remove IAM user backup-svc* needs 2 more');
  expect(blocksText(withPlan)).toContain('DeleteLoginProfile');
  expect(blocksText(withPlan)).toContain('DeleteUser');
  const s = await step();
  const approve = (withPlan.blocks.find((b: any) => b.block_id === `kg_actions_${s.name}`) as any).elements[0];
  await click(h, { ...approve, block_id: `kg_actions_${s.name}` }, APPROVERS[0]);
  await until('one approval', async () => (await step()).approvals.length === 1);
  const again = await cardWith('Remove IAM user backup-svc* needs 1 more');
  const approve2 = (again.blocks.find((b: any) => b.block_id === `kg_actions_${s.name}`) as any).elements[0];
  await click(h, { ...approve2, block_id: `kg_actions_${s.name}` }, APPROVERS[1]);
  await until('removed', async () => (await step()).state === 'succeeded');
  await expect(iam.send(new GetUserCommand({ UserName: 'backup-svc' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  // The compromised user itself is never offered.
  expect(asks.map((e: any) => e.text.text)).not.toContain('Remove IAM user leaky');
});
