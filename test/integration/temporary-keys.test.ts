/**
 * Temporary-key incidents (`/revoke-key ASIA…`) through the real Bolt app, CloudTrail in the
 * emulator and IAM in moto: the issuer the trace found wins over a typed role (refused, both
 * shown); a role that does not exist is an error, never "already contained"; a
 * GetFederationToken key's federated user is never taken for a role; a GetSessionToken key is
 * contained through its user (deny policy + the long-term key) with a plan that is what runs.
 */
import { GetRolePolicyCommand, GetUserPolicyCommand, ListAccessKeysCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedRole, seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { ACCOUNT_ID, assumeRoleChain, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { userSessionMinted } from '../support/minted-credentials';
import { latestCard, buttonOn, click, submitView } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION, FIELD, VIEW } from '../../src/slack/ids';
import type { CallRecord, PlannedCall } from '../../src/domain/aws-plan';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVER, IR_CHANNEL_ID: CHANNEL };

let h: Harness;
let emu: CloudTrailEmulator;
beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
  h = await startHarness(ENV, { cloudTrailUrl: emu.url });
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 100));
  await h.close();
  await emu.close();
});

const probe = incidentProbe(() => h.store);
const { until, stepIs } = probe;
const bundle = async () => (await probe.current())!;
const step = async (name: string) => (await bundle()).steps.find((s) => s.name === name)!;
const iam = motoIam();

async function containCard(): Promise<{ text: string; approve: unknown }> {
  await until('contain awaiting approval', stepIs('contain', 'awaiting_approval'));
  const card = await h.slack.waitFor(() => {
    const c = latestCard(h, CHANNEL);
    return c && blocksText(c).includes('Contain* needs') ? c : undefined;
  }, 'the card asking for Contain');
  return { text: blocksText(card), approve: buttonOn(card, ACTION.approve) };
}

async function startFromModal(keyId: string, roleArn: string): Promise<void> {
  await h.slash('/revoke-key', '', REQUESTER, { channel_id: CHANNEL, trigger_id: 'trig-temp' });
  const open = await h.slack.waitFor(() => h.slack.callsTo('views.open')[0], 'modal');
  await submitView(h, VIEW.revokeKey, REQUESTER, {
    [FIELD.keyId.block]: { value: { type: 'plain_text_input', value: keyId } },
    [FIELD.reason.block]: { value: { type: 'plain_text_input', value: 'found in a build log' } },
    [FIELD.severity.block]: { value: { type: 'static_select', selected_option: { value: 'high' } } },
    [FIELD.roleArn.block]: { value: { type: 'plain_text_input', value: roleArn } },
  }, open.args.view.private_metadata);
}

const rolePolicies = async (roleName: string) => (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
const keyStatus = async (userName: string) => (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata![0].Status;
/** What a call acted on, without the cut-off time (taken again when the step runs). */
const target = (c: Pick<PlannedCall | CallRecord, 'action' | 'params'>) => {
  const { PolicyDocument: _moves, ...rest } = c.params;
  return { action: c.action, ...rest };
};

it('the role the trace found wins; a typed role that disagrees is refused, both shown, and left untouched', async () => {
  const { keyIds: [rootKey] } = await seedUser(iam, { userName: 'ci-deployer' });
  await seedRole(iam, 'prod-admin');
  await seedRole(iam, 'readonly');
  const chain = assumeRoleChain({
    seed: 31,
    origin: { kind: 'iam-user', principal: { accountId: ACCOUNT_ID, userName: 'ci-deployer', accessKeyId: rootKey } },
    hops: [{ roleName: 'prod-admin', sessionName: 'nightly' }],
    startMs: Date.now() - 600_000,
  });
  loadEvents(emu, chain.events);
  const typed = `arn:aws:iam::${ACCOUNT_ID}:role/readonly`;
  await startFromModal(chain.issuedKeys[0], typed);

  const { text, approve } = await containCard();
  expect((await bundle()).incident.principal).toMatchObject({ type: 'role', name: 'prod-admin', arn: chain.roleArns[0] });
  const identify = await step('identify');
  expect(identify.note).toContain(`the role given (${typed}) was refused: CloudTrail shows ${chain.issuedKeys[0]} was issued by ${chain.roleArns[0]}`);
  expect(identify.result).toMatchObject({ refusedRole: typed });
  expect(text).toContain('"RoleName":"prod-admin"');
  expect(text).not.toContain('"RoleName":"readonly"');

  await click(h, approve, APPROVER);
  await until('contain done', stepIs('contain', 'succeeded'));
  expect(await rolePolicies('prod-admin')).toEqual(['AWSRevokeOlderSessions']);
  expect(await rolePolicies('readonly')).toEqual([]);
  expect(await keyStatus('ci-deployer')).toBe('Inactive');
});

it('a role that does not exist is an error, never "already contained"', async () => {
  const { keyIds: [rootKey] } = await seedUser(iam, { userName: 'ci-deployer' });
  // CloudTrail shows a role that IAM does not have (deleted, or the wrong account).
  const chain = assumeRoleChain({
    seed: 32,
    origin: { kind: 'iam-user', principal: { accountId: ACCOUNT_ID, userName: 'ci-deployer', accessKeyId: rootKey } },
    hops: [{ roleName: 'ghost-admin', sessionName: 's' }],
    startMs: Date.now() - 600_000,
  });
  loadEvents(emu, chain.events);
  await h.slash('/revoke-key', `${chain.issuedKeys[0]} in a paste`, REQUESTER);
  const { approve } = await containCard();
  await click(h, approve, APPROVER);
  await until('contain failed', stepIs('contain', 'failed'));
  const contain = await step('contain');
  expect(contain.note).toContain('Role ghost-admin does not exist in account 123456789012: nothing was contained');
  expect(JSON.stringify(contain.result)).not.toContain('"outcome":"already"');
  // Investigate does not start on a failed Contain.
  expect((await step('investigate')).state).toBe('pending');
  const thread = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => /Contain\*: Role ghost-admin does not exist/.test(c.args.text ?? '')), 'the failure in the thread');
  expect(thread.args.thread_ts).toBeDefined();
});

it('a GetFederationToken key: its federated user is never taken for a role; contained through the IAM user', async () => {
  const { keyIds: [userKey] } = await seedUser(iam, { userName: 'partner-sync' });
  // A role with the federated user's name: it must not be touched.
  await seedRole(iam, 'mallory');
  const minted = userSessionMinted({ seed: 33, principal: { accountId: ACCOUNT_ID, userName: 'partner-sync', accessKeyId: userKey }, via: 'GetFederationToken', federatedName: 'mallory', startMs: Date.now() - 600_000 });
  loadEvents(emu, minted.events);
  await startFromModal(minted.issuedKey, `arn:aws:iam::${ACCOUNT_ID}:role/mallory`);

  const { text, approve } = await containCard();
  expect((await bundle()).incident).toMatchObject({ principal: { type: 'user', name: 'partner-sync' }, rootKey: { accessKeyId: userKey, userName: 'partner-sync' } });
  const identify = await step('identify');
  expect(identify.note).toContain(`federated user ${minted.federatedUserArn}, not a role`);
  expect(identify.note).toContain(`the role given (arn:aws:iam::${ACCOUNT_ID}:role/mallory) was refused`);
  expect(text).not.toContain('PutRolePolicy');
  expect(text).toContain(`iam:UpdateAccessKey {"UserName":"partner-sync","AccessKeyId":"${userKey}","Status":"Inactive"}`);
  expect(text).toContain('iam:PutUserPolicy {"UserName":"partner-sync","PolicyName":"keyguard-revoke-older-sessions"');
  expect(text).toContain('GetFederationToken (federated user) session minted from partner-sync');

  await click(h, approve, APPROVER);
  await until('contain done', stepIs('contain', 'succeeded'));
  expect(await keyStatus('partner-sync')).toBe('Inactive');
  const deny = await iam.send(new GetUserPolicyCommand({ UserName: 'partner-sync', PolicyName: 'keyguard-revoke-older-sessions' }));
  expect(decodeURIComponent(deny.PolicyDocument!)).toContain('aws:TokenIssueTime');
  expect(await rolePolicies('mallory')).toEqual([]);
  await expect(iam.send(new GetRolePolicyCommand({ RoleName: 'mallory', PolicyName: 'AWSRevokeOlderSessions' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
});

it('a GetSessionToken key is contained through its user: the plan shown is what runs', async () => {
  const { keyIds: [userKey] } = await seedUser(iam, { userName: 'dev-laptop' });
  const minted = userSessionMinted({ seed: 34, principal: { accountId: ACCOUNT_ID, userName: 'dev-laptop', accessKeyId: userKey }, via: 'GetSessionToken', startMs: Date.now() - 600_000 });
  loadEvents(emu, minted.events);
  await h.slash('/revoke-key', `${minted.issuedKey} in a screenshot`, REQUESTER);

  const { approve } = await containCard();
  expect((await step('identify')).note).toContain(`a GetSessionToken session of dev-laptop from long-term key ${userKey} of dev-laptop, contained through the user`);
  const shown = (await step('contain')).plan!;
  expect(shown.map((c) => c.action)).toEqual(['UpdateAccessKey', 'PutUserPolicy', 'AttachUserPolicy']);
  // The temporary key itself is never sent to IAM as if it were a user's key.
  expect(JSON.stringify(shown)).not.toContain(minted.issuedKey);

  await click(h, approve, APPROVER);
  await until('contain done', stepIs('contain', 'succeeded'));
  const ran = ((await step('contain')).result as { calls: CallRecord[] }).calls;
  expect(ran.map(target)).toEqual(shown.map(target));
  expect(ran.every((c) => c.outcome === 'done')).toBe(true);
  expect(await keyStatus('dev-laptop')).toBe('Inactive');
  await iam.send(new GetUserPolicyCommand({ UserName: 'dev-laptop', PolicyName: 'keyguard-revoke-older-sessions' }));
});
