/**
 * The credential graph end to end: a leaked key that assumed roles (chained, and into another
 * account), took a session token and a federation token, and, through its role session,
 * created a back-door user, beside the owner's legitimate CI key creating a user of its own.
 * Through the real Bolt app: `/revoke-key` → approval → Investigate → removal, with IAM
 * checked in moto afterwards.
 */
import { GetUserCommand } from '@aws-sdk/client-iam';
import { blocksText } from '../support/harness';
import { incidentRig, INCIDENT_CHANNEL } from '../support/incident-rig';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { graphScenario } from '../support/graph-scenario';
import type { CredentialGraph } from '../../src/domain/credential-graph';

const REQUESTER = 'U0REQUEST';
const APPROVERS = ['U0APPROVE1', 'U0APPROVE2'];

const rig = incidentRig();

it('removes the user the attacker made through a role session; the user the owner\'s other key made is never offered', async () => {
  const iam = motoIam();
  const { keyIds: [leakedKey, ciKey] } = await seedUser(iam, { userName: 'owner', keys: 2 });
  await seedUser(iam, { userName: 'backdoor', consolePassword: true, keys: 1 });
  await seedUser(iam, { userName: 'ci-release', keys: 1 });
  const t0 = Date.now();
  const s = graphScenario({ userName: 'owner', leakedKey, ownerOtherKey: ciKey, startMs: t0 + 1000 });
  loadEvents(rig.emu, s.events);
  const shift = s.endMs - t0 + 60_000;
  const h = await rig.start(
    { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVERS.join(','), IR_REGIONS: 'us-east-1,eu-west-1' },
    { now: () => new Date(Date.now() + shift) },
  );
  await rig.containAndInvestigate(leakedKey, 'found in a public repo', REQUESTER, APPROVERS[0]);

  // The query plan: the key by AccessKeyId first, then the keys it minted, the owner's name last.
  const attrs = rig.emu.requestLog().map((r) => r.attribute);
  expect(attrs[0]).toBe('AccessKeyId');
  expect(attrs.lastIndexOf('AccessKeyId')).toBeLessThan(attrs.indexOf('Username'));
  expect(attrs.filter((a) => a === 'Username').length).toBe(2); // one page in each region

  // The thread shows the graph and, apart, the owner's other activity.
  const summary = await h.slack.waitFor(() => h.slack.callsTo('chat.update').find((c) => /CloudTrail for/.test(c.args.text ?? '') && c.args.blocks?.[0]?.type === 'header'), 'summary in thread');
  const text = blocksText(summary.args);
  expect(text).toContain('Credentials minted from the key');
  expect(text).toContain(`Longest path: ${leakedKey} → AssumeRole ops-admin/s1 → ${s.keys.s1} → AssumeRole deep-role/s2 → ${s.keys.s2}`);
  expect(text).toMatch(/Other activity of `owner`[\s\S]*ci-release/);

  const inv = (await rig.incident()).steps.find((x) => x.name === 'investigate')!;
  const detail = inv.result as { graph: CredentialGraph; createdResources: Array<{ name: string; attribution?: { by: string } }> };
  expect(detail.graph.root).toBe(leakedKey);
  expect(detail.graph.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([s.keys.s1, s.keys.s2, s.keys.s3, s.keys.sessionToken, s.keys.federation, s.keys.backdoorKey]));
  expect(detail.graph.nodes.map((n) => n.id)).not.toContain(ciKey);
  expect(detail.createdResources.find((c) => c.name === 'backdoor')?.attribution?.by).toBe('derived');
  expect(detail.createdResources.map((c) => c.name)).not.toContain('ci-release');
  expect(inv.note).toMatch(/7 credential\(s\) minted/);

  const asks = await rig.asks('Remove');
  const offered = asks.map((e: any) => e.text.text).filter((t: string) => t.startsWith('Remove'));
  expect(offered).toContain('Remove IAM user backdoor');
  expect(offered.join('\n')).not.toMatch(/ci-release|owner/);

  await rig.ask('Remove IAM user backdoor', REQUESTER);
  const step = async () => (await rig.stepTitled('Remove IAM user backdoor'))!;
  await rig.probe.until('removal awaiting approval', async () => (await step()).state === 'awaiting_approval');
  await rig.cardWith('Remove IAM user backdoor* needs 2 more');
  await rig.approve(await step(), APPROVERS);
  await rig.probe.until('removed', async () => (await step()).state === 'succeeded');

  await expect(iam.send(new GetUserCommand({ UserName: 'backdoor' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  await expect(iam.send(new GetUserCommand({ UserName: 'ci-release' }))).resolves.toMatchObject({ User: { UserName: 'ci-release' } });
  // Never offered, at any point.
  const everyCard = h.slack.calls.filter((c) => c.args.channel === INCIDENT_CHANNEL).map((c) => JSON.stringify(c.args.blocks ?? [])).join('\n');
  expect(everyCard).not.toContain('Remove IAM user ci-release');
});
