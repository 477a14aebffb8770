/**
 * Keys that are not an IAM user's key in the bot's own account: a temporary key traced through
 * CloudTrail to its role and root key, and a key in another account reached through
 * IR_TARGET_ROLE_NAME with the approver as SourceIdentity.
 */
import { GetRolePolicyCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { iamInAccount, seedRole, seedUser, seedUserInAccount } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { useFaultProxy, FaultProxy } from '../support/fault-proxy';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { assumeRoleChain, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { latestCard, buttonOn, click } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION } from '../../src/slack/ids';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVER, IR_CHANNEL_ID: CHANNEL };

let h: Harness;
let proxy: FaultProxy;
let emu: CloudTrailEmulator;

const faults = useFaultProxy();
beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  proxy = faults();
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 100));
  await h.close();
  await emu.close();
});

const probe = incidentProbe(() => h.store);
const bundle = probe.current;
const until = probe.until;
const stepIs = probe.stepIs;

it('a temporary key is traced to its role and root key; Contain revokes the role sessions and deactivates the root key', async () => {
  const iam = motoIam();
  const { keyIds: [rootKey] } = await seedUser(iam, { userName: 'ci-deployer' });
  await seedRole(iam, 'prod-admin');
  const chain = assumeRoleChain({
    seed: 21,
    origin: { kind: 'iam-user', principal: { accountId: '123456789012', userName: 'ci-deployer', accessKeyId: rootKey } },
    hops: [{ roleName: 'prod-admin', sessionName: 'nightly' }],
    startMs: Date.now() - 600_000,
  });
  loadEvents(emu, chain.events);
  const leaked = chain.issuedKeys[0];
  h = await startHarness(ENV, { iamEndpoint: proxy.url, cloudTrailUrl: emu.url });
  await h.slash('/revoke-key', `${leaked} seen in a CI log`, REQUESTER);
  await until('contain awaiting approval', stepIs('contain', 'awaiting_approval'));
  const b = (await bundle())!;
  expect(b.incident.principal).toMatchObject({ type: 'role', name: 'prod-admin' });
  expect(b.incident.rootKey).toMatchObject({ accessKeyId: rootKey, userName: 'ci-deployer' });
  const card = await h.slack.waitFor(() => {
    const c = latestCard(h, CHANNEL);
    return c && blocksText(c).includes('Contain* needs') ? c : undefined;
  }, 'the card');
  const text = blocksText(card);
  expect(text).toContain('iam:PutRolePolicy {"RoleName":"prod-admin","PolicyName":"AWSRevokeOlderSessions"');
  expect(text).toContain(`"AccessKeyId":"${rootKey}","Status":"Inactive"`);
  await click(h, buttonOn(card, ACTION.approve), APPROVER);
  await until('contain done', stepIs('contain', 'succeeded'));
  const pol = await iam.send(new GetRolePolicyCommand({ RoleName: 'prod-admin', PolicyName: 'AWSRevokeOlderSessions' }));
  expect(decodeURIComponent(pol.PolicyDocument!)).toContain('aws:TokenIssueTime');
  const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'ci-deployer' }));
  expect(keys.AccessKeyMetadata![0].Status).toBe('Inactive');
});

it('a key in another account is looked up and contained through IR_TARGET_ROLE_NAME, with the approver as SourceIdentity', async () => {
  const key = await seedUserInAccount('111111111111', 'contractor');
  const other = await iamInAccount('111111111111');
  h = await startHarness({ ...ENV, IR_TARGET_ROLE_NAME: 'keyguard-responder' }, { iamEndpoint: proxy.url, cloudTrailUrl: emu.url });
  await h.slash('/revoke-key', `${key} leaked by a vendor`, REQUESTER);
  await until('contain awaiting approval', stepIs('contain', 'awaiting_approval'));
  expect((await bundle())!.incident).toMatchObject({ account: '111111111111', principal: { type: 'user', name: 'contractor' } });
  const approve = await h.slack.waitFor(() => buttonOn(latestCard(h, CHANNEL), ACTION.approve), 'Approve');
  await click(h, approve, APPROVER);
  await until('contain done', stepIs('contain', 'succeeded'));
  const keys = await other.send(new ListAccessKeysCommand({ UserName: 'contractor' }));
  expect(keys.AccessKeyMetadata![0].Status).toBe('Inactive');
  // CloudTrail in that account names the approving human.
  const assumed = proxy.requests('AssumeRole').map((r) => r.params);
  expect(assumed).toEqual(expect.arrayContaining([expect.objectContaining({ SourceIdentity: APPROVER, RoleArn: 'arn:aws:iam::111111111111:role/keyguard-responder' })]));
  const contain = (await bundle())!.steps.find((s) => s.name === 'contain')!;
  expect(JSON.stringify(contain.result)).toContain(`keyguard-${APPROVER}-`);
  expect(contain.note).toContain('in 111111111111');
  // The investigation searches CloudTrail in that account, through the same role.
  await until('investigate done', stepIs('investigate', 'succeeded'));
  expect(proxy.requests('AssumeRole').map((r) => r.params)).toEqual(
    expect.arrayContaining([expect.objectContaining({ RoleArn: 'arn:aws:iam::111111111111:role/keyguard-responder', SourceIdentity: 'keyguard-cloudtrail' })]),
  );
  expect(emu.stats().total.succeeded).toBeGreaterThan(0);
});

it('/trail for a key in another account refuses to search the wrong account without IR_TARGET_ROLE_NAME', async () => {
  const key = await seedUserInAccount('222222222222', 'vendor');
  h = await startHarness(ENV, { iamEndpoint: proxy.url, cloudTrailUrl: emu.url });
  const res = await h.slash('/trail', key, REQUESTER);
  const answer = await h.slack.waitFor(() => h.slack.responses.find((r) => r.method === new URL(res.responseUrl).pathname && /IR_TARGET_ROLE_NAME/.test(r.args.text ?? '')), 'the refusal');
  expect(answer.args.text).toContain('222222222222');
  expect(emu.stats().total.requests).toBe(0);
});

