/**
 * The credential graph end to end: a leaked key that assumed roles (chained, and into another
 * account), took a session token and a federation token, and, through its role session,
 * created a back-door user, beside the owner's legitimate CI key creating a user of its own.
 * Through the real Bolt app: `/revoke-key` → approval → Investigate → removal, with IAM
 * checked in moto afterwards.
 */
import { GetUserCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../support/iam-seed';
import { resetMoto } from '../support/moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../support/cloudtrail-emulator';
import { loadEvents } from '../support/cloudtrail-fixtures';
import { graphScenario } from '../support/graph-scenario';
import { latestCard, buttonOn, click } from '../support/clicks';
import { incidentProbe } from '../support/incident-probe';
import { ACTION } from '../../src/slack/ids';
import type { CredentialGraph } from '../../src/domain/credential-graph';

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

function cardWith(text: string) {
  return h.slack.waitFor(() => {
    const c = latestCard(h, CHANNEL);
    return c && blocksText(c).includes(text) ? c : undefined;
  }, `card showing ${text}`);
}

async function approveStep(title: string, name: string, needs: number) {
  for (let i = 0; i < needs; i++) {
    const card = await cardWith(`${title}* needs ${needs - i} more`);
    const approve = (card.blocks.find((b: any) => b.block_id === `kg_actions_${name}`) as any).elements[0];
    await click(h, { ...approve, block_id: `kg_actions_${name}` }, APPROVERS[i]);
  }
}

it('removes the user the attacker made through a role session; the user the owner\'s other key made is never offered', async () => {
  const iam = motoIam();
  const { keyIds: [leakedKey, ciKey] } = await seedUser(iam, { userName: 'owner', keys: 2 });
  await seedUser(iam, { userName: 'backdoor', consolePassword: true, keys: 1 });
  await seedUser(iam, { userName: 'ci-release', keys: 1 });
  const t0 = Date.now();
  const s = graphScenario({ userName: 'owner', leakedKey, ownerOtherKey: ciKey, startMs: t0 + 1000 });
  loadEvents(emu, s.events);
  const shift = s.endMs - t0 + 60_000;
  h = await startHarness(
    { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVERS.join(','), IR_CHANNEL_ID: CHANNEL, IR_REGIONS: 'us-east-1,eu-west-1' },
    { cloudTrailUrl: emu.url, now: () => new Date(Date.now() + shift) },
  );
  await h.slash('/revoke-key', `${leakedKey} found in a public repo`, REQUESTER);
  await probe.until('contain awaiting approval', probe.stepIs('contain', 'awaiting_approval'));
  await click(h, buttonOn(await cardWith('Contain* needs'), ACTION.approve), APPROVERS[0]);
  await probe.until('investigate done', probe.stepIs('investigate', 'succeeded'));

  // The query plan: the key by AccessKeyId first, then the keys it minted, the owner's name last.
  const attrs = emu.requestLog().map((r) => r.attribute);
  expect(attrs[0]).toBe('AccessKeyId');
  expect(attrs.lastIndexOf('AccessKeyId')).toBeLessThan(attrs.indexOf('Username'));
  expect(attrs.filter((a) => a === 'Username').length).toBe(2); // one page in each region

  // The thread shows the graph and, apart, the owner's other activity.
  const summary = await h.slack.waitFor(() => h.slack.callsTo('chat.update').find((c) => /CloudTrail for/.test(c.args.text ?? '') && c.args.blocks?.[0]?.type === 'header'), 'summary in thread');
  const text = blocksText(summary.args);
  expect(text).toContain('Credentials minted from the key');
  expect(text).toContain(`Longest path: ${leakedKey} → AssumeRole ops-admin/s1 → ${s.keys.s1} → AssumeRole deep-role/s2 → ${s.keys.s2}`);
  expect(text).toMatch(/Other activity of `owner`[\s\S]*ci-release/);

  const inv = (await incident()).steps.find((x) => x.name === 'investigate')!;
  const detail = inv.result as { graph: CredentialGraph; createdResources: Array<{ name: string; attribution?: { by: string } }> };
  expect(detail.graph.root).toBe(leakedKey);
  expect(detail.graph.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([s.keys.s1, s.keys.s2, s.keys.s3, s.keys.sessionToken, s.keys.federation, s.keys.backdoorKey]));
  expect(detail.graph.nodes.map((n) => n.id)).not.toContain(ciKey);
  expect(detail.createdResources.find((c) => c.name === 'backdoor')?.attribution?.by).toBe('derived');
  expect(detail.createdResources.map((c) => c.name)).not.toContain('ci-release');
  expect(inv.note).toMatch(/7 credential\(s\) minted/);

  const asks = await h.slack.waitFor(() => {
    const block = latestCard(h, CHANNEL)?.blocks.find((b: any) => b.block_id === 'kg_asks') as any;
    return block?.elements.some((e: any) => e.text.text.startsWith('Remove')) ? block.elements : undefined;
  }, 'the Remove buttons');
  const offered = asks.map((e: any) => e.text.text).filter((t: string) => t.startsWith('Remove'));
  expect(offered).toContain('Remove IAM user backdoor');
  expect(offered.join('\n')).not.toMatch(/ci-release|owner/);

  await click(h, { ...asks.find((e: any) => e.text.text === 'Remove IAM user backdoor'), block_id: 'kg_asks' }, REQUESTER);
  const step = async () => (await incident()).steps.find((x) => x.title === 'Remove IAM user backdoor')!;
  await probe.until('removal awaiting approval', async () => (await step()).state === 'awaiting_approval');
  await approveStep('Remove IAM user backdoor', (await step()).name, 2);
  await probe.until('removed', async () => (await step()).state === 'succeeded');

  await expect(iam.send(new GetUserCommand({ UserName: 'backdoor' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  await expect(iam.send(new GetUserCommand({ UserName: 'ci-release' }))).resolves.toMatchObject({ User: { UserName: 'ci-release' } });
  // Never offered, at any point.
  const everyCard = h.slack.calls.filter((c) => c.args.channel === CHANNEL).map((c) => JSON.stringify(c.args.blocks ?? [])).join('\n');
  expect(everyCard).not.toContain('Remove IAM user ci-release');
});
