/**
 * Protection is the defenders', not the target's, through the real Bolt app (signed
 * requests, the fake Slack, IAM in moto, CloudTrail in the emulator):
 *  - an attacker who tags the leaked key's user keyguard:protected is contained all the same
 *    (the tag is not even read before the investigation), the tag it wrote is reported as
 *    attacker activity, and the back door it created and tagged stays removable;
 *  - a principal the defenders named (IR_PROTECTED_PRINCIPALS) has its leaked key contained
 *    too, with two approvals and a loud warning on the card and in the record; deleting a
 *    defender-protected principal stays refused.
 */
import { GetUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { incidentRig, INCIDENT_CHANNEL } from '../support/incident-rig';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { ACCOUNT_ID, buildEvent, FixtureRandom, iamUserIdentity, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { blocksText, buttonOn, click, latestCard } from '../../sandbox/clicks';
import { ACTION } from '../../src/slack/ids';
import { AwsContainment } from '../../src/aws/containment/containment-adapter';
import { AccountAccess } from '../../src/aws/access/account-access';
import { testFactory } from '../support/iam-rig';

const REQUESTER = 'U0REQUEST';
const APPROVERS = ['U0APPROVE1', 'U0APPROVE2'];
const PROTECTED = { type: 'user', name: 'leaky' };

const rig = incidentRig();
const iam = motoIam();
const keyStatus = async (userName: string) => (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata![0].Status;

it('a self-tagged attacker is contained; the tag it wrote is reported, and the back door it tagged stays removable', async () => {
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'leaky', tags: { 'keyguard:protected': 'true' } });
  await seedUser(iam, { userName: 'backdoor', tags: { 'keyguard:protected': 'true' }, keys: 0 });
  // What the attacker did with the leaked key: tagged its own user, created a tagged back door.
  const rng = new FixtureRandom(61);
  const identity = iamUserIdentity({ accountId: ACCOUNT_ID, userName: 'leaky', accessKeyId: keyId });
  const t = Date.now() + 1000;
  const tag = [{ key: 'keyguard:protected', value: 'true' }];
  loadEvents(rig.emu, [
    buildEvent({ service: 'iam', name: 'TagUser', region: 'us-east-1', identity, sourceIp: '198.51.100.9', timeMs: t, userAgent: 'aws-cli/2', requestParameters: { userName: 'leaky', tags: tag } }, rng),
    buildEvent({ service: 'iam', name: 'CreateUser', region: 'us-east-1', identity, sourceIp: '198.51.100.9', timeMs: t + 1000, userAgent: 'aws-cli/2', requestParameters: { userName: 'backdoor', tags: tag }, responseElements: { user: { userName: 'backdoor', arn: `arn:aws:iam::${ACCOUNT_ID}:user/backdoor` } } }, rng),
  ]);
  const h = await rig.start({ IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVERS.join(',') }, { now: () => new Date(Date.now() + 60_000) });

  // Contain: one approval, planned and run although the user carries the tag.
  await h.slash('/revoke-key', `${keyId} in a public gist`, REQUESTER);
  await rig.probe.until('contain awaiting approval', rig.probe.stepIs('contain', 'awaiting_approval'));
  const card = await rig.cardWith('Contain* needs 1 more');
  expect(blocksText(card)).not.toContain('PROTECTED PRINCIPAL');
  await click(h, buttonOn(card, ACTION.approve), APPROVERS[0]);
  await rig.probe.until('investigate done', rig.probe.stepIs('investigate', 'succeeded'));
  expect((await rig.incident()).steps.find((s) => s.name === 'contain')!.state).toBe('succeeded');
  expect(await keyStatus('leaky')).toBe('Inactive');

  // The investigation reports the tags the leaked key wrote as attacker activity.
  const inv = (await rig.incident()).steps.find((s) => s.name === 'investigate')!;
  expect((inv.result as { protectionTagWrites: unknown[] }).protectionTagWrites).toEqual([
    expect.objectContaining({ type: 'user', name: 'leaky', eventName: 'TagUser', byAccessKeyId: keyId }),
    expect.objectContaining({ type: 'user', name: 'backdoor', eventName: 'CreateUser', byAccessKeyId: keyId }),
  ]);
  expect((inv.result as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule)).toContain('evasion.protection-tag');
  const summary = await h.slack.waitFor(() => h.slack.calls.find((c) => c.args.channel === INCIDENT_CHANNEL && /keyguard:protected tag written/.test(blocksText(c.args))), 'the finding in the investigation summary');
  expect(blocksText(summary.args)).toContain('keyguard:protected');

  // The tagged back door is offered for removal, with the finding said, and removed with two approvals.
  await rig.ask('Remove IAM user backdoor', REQUESTER);
  const step = async () => (await rig.stepTitled('Remove IAM user backdoor'))!;
  await rig.probe.until('removal awaiting approval', async () => (await step()).state === 'awaiting_approval');
  const removal = blocksText(await rig.cardWith('Remove IAM user backdoor* needs 2 more'));
  expect(removal).toContain('ATTACKER ACTIVITY: the keyguard:protected tag on user backdoor was written by the leaked key');
  await rig.approve(await step(), APPROVERS);
  await rig.probe.until('removed', async () => (await step()).state === 'succeeded');
  await expect(iam.send(new GetUserCommand({ UserName: 'backdoor' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
});

it("a defender-protected principal's leaked key is contained with two approvals and a loud warning; deleting it stays refused", async () => {
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'leaky' });
  const h = await rig.start({ IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVERS.join(','), IR_PROTECTED_PRINCIPALS: `${PROTECTED.type}/${PROTECTED.name}` });

  await h.slash('/revoke-key', `${keyId} on a pastebin`, REQUESTER);
  await rig.probe.until('contain awaiting approval', rig.probe.stepIs('contain', 'awaiting_approval'));
  const text = blocksText(await rig.cardWith('Contain* needs 2 more'));
  expect(text).toContain('PROTECTED PRINCIPAL: user leaky is named in IR_PROTECTED_PRINCIPALS (break-glass)');
  expect(text).toContain('TWO approvals');
  const contain = (await rig.incident()).steps.find((s) => s.name === 'contain')!;
  expect(contain.approvalsRequired).toBe(2);
  const requested = (await rig.incident()).events.find((e) => e.type === 'approval_requested' && e.step === 'contain')!;
  expect(requested.detail).toMatchObject({ approvalsRequired: 2, protectedPrincipals: [expect.stringContaining('user leaky is named in IR_PROTECTED_PRINCIPALS')] });
  const thread = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts && /\*Contain\*: approval requested/.test(c.args.text ?? '')), 'the request in the thread');
  expect(thread.args.text).toContain('PROTECTED PRINCIPAL');

  // One approval is not enough: the key stays as it is.
  await click(h, buttonOn(latestCard(h, INCIDENT_CHANNEL), ACTION.approve), APPROVERS[0]);
  await rig.cardWith('Contain* needs 1 more');
  expect(await keyStatus('leaky')).toBe('Active');
  await click(h, buttonOn(latestCard(h, INCIDENT_CHANNEL), ACTION.approve), APPROVERS[1]);
  await rig.probe.until('contain done', rig.probe.stepIs('contain', 'succeeded'));
  expect(await keyStatus('leaky')).toBe('Inactive');

  // Deleting it (or its console password) is refused before any plan is shown, with why;
  // removing a key on it stays possible (two approvals).
  const containment = new AwsContainment({ access: new AccountAccess({ factory: testFactory(), now: () => new Date() }), quarantine: true, protectedPrincipals: { users: ['leaky'], roles: [] }, now: () => new Date(), readBackDelaysMs: [] });
  const target = { incidentId: 'IR-1', keyId, keyKind: 'long-term' as const, userName: 'leaky', tagEvidence: { writes: [] } };
  for (const item of [{ kind: 'user', userName: 'leaky' }, { kind: 'login-profile', userName: 'leaky' }] as const) {
    await expect(containment.planRemovePersistence(target, item)).rejects.toMatchObject({
      code: 'GUARD_RAIL', userMessage: expect.stringContaining('user leaky is named in IR_PROTECTED_PRINCIPALS (break-glass): defender-protected, so keyguard never deletes it'),
    });
  }
  const removeKey = await containment.planRemovePersistence(target, { kind: 'access-key', userName: 'leaky', accessKeyId: keyId });
  expect(removeKey.every((c) => c.protectedBy?.startsWith('PROTECTED PRINCIPAL'))).toBe(true);
  await expect(iam.send(new GetUserCommand({ UserName: 'leaky' }))).resolves.toMatchObject({ User: { UserName: 'leaky' } });
});
