/**
 * A decoy under the bot's own revocation name, through the real Bolt app (signed requests,
 * the fake Slack, IAM in moto, CloudTrail in the emulator). The attacker plants
 * `keyguard-revoke-older-sessions` (user) or `AWSRevokeOlderSessions` (role) denying `*` on
 * `arn:aws:s3:::none` until 2099: it looks like a revocation and denies nothing that matters.
 * Contain reads it by content, overwrites it with the real statement, keeps the decoy's text
 * in the record (Undo restores it), and says so in the step's result and the thread.
 */
import { GetRolePolicyCommand, GetUserPolicyCommand, PutRolePolicyCommand, PutUserPolicyCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { incidentRig, INCIDENT_CHANNEL } from '../support/incident-rig';
import { motoIam } from '../support/aws-clients';
import { seedRole, seedUser } from '../../sandbox/iam-seed';
import { ACCOUNT_ID, assumeRoleChain, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { readRevocation, ROLE_REVOKE_POLICY_NAME, USER_REVOKE_POLICY_NAME, type AddedArtifact } from '../../src/domain/aws-plan';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const APPROVER2 = 'U0APPROVE2';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: `${APPROVER},${APPROVER2}` };
const DECOY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: '*', Resource: 'arn:aws:s3:::none', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2099-01-01T00:00:00Z' } } }],
});

const rig = incidentRig();
const iam = motoIam();

const document = (raw: string | undefined) => decodeURIComponent(raw ?? '');

async function containStep() {
  return (await rig.incident()).steps.find((s) => s.name === 'contain')!;
}

function threadLine(pattern: RegExp) {
  return rig.h.slack.waitFor(() => rig.h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === INCIDENT_CHANNEL && c.args.thread_ts && pattern.test(c.args.text ?? '')), `a thread reply matching ${pattern}`);
}

it('a decoy keyguard-revoke-older-sessions on the user is replaced by the real one, its text kept and reported', async () => {
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'leaky' });
  await iam.send(new PutUserPolicyCommand({ UserName: 'leaky', PolicyName: USER_REVOKE_POLICY_NAME, PolicyDocument: DECOY }));
  await rig.start(ENV);

  await rig.h.slash('/revoke-key', `${keyId} pasted in a gist`, REQUESTER);
  await rig.approve({ title: 'Contain', name: 'contain' }, [APPROVER]);
  await rig.probe.until('contain done', rig.probe.stepIs('contain', 'succeeded'));

  // IAM: the bot's exact statement, with a cut-off of now, not the decoy's 2099.
  const now = await iam.send(new GetUserPolicyCommand({ UserName: 'leaky', PolicyName: USER_REVOKE_POLICY_NAME }));
  const reading = readRevocation(now.PolicyDocument);
  expect(reading.kind).toBe('own');
  expect(reading.kind === 'own' && Date.parse(reading.cutoff)).toBeLessThan(Date.parse('2098-01-01T00:00:00Z'));
  expect(document(now.PolicyDocument)).not.toContain('arn:aws:s3:::none');
  expect((await iam.send(new ListAccessKeysCommand({ UserName: 'leaky' }))).AccessKeyMetadata![0].Status).toBe('Inactive');

  // The record: the call was sent (never 'already'), the decoy's text kept for Undo, the finding stored.
  const contain = await containStep();
  const result = contain.result as { calls: Array<{ action: string; outcome: string }>; added: AddedArtifact[]; findings?: string[] };
  expect(result.calls.find((c) => c.action === 'PutUserPolicy')).toMatchObject({ outcome: 'done' });
  const replaced = result.added.find((a) => a.kind === 'user-inline-policy');
  expect(replaced && 'previousDocument' in replaced && JSON.parse(replaced.previousDocument!)).toEqual(JSON.parse(DECOY));
  expect(result.findings).toEqual([expect.stringMatching(/^DECOY: keyguard-revoke-older-sessions on user leaky was not the bot's revocation .*arn:aws:s3:::none/)]);
  expect((contain.before as { denyPolicy: { document?: string } }).denyPolicy.document).toContain('arn:aws:s3:::none');
  // The thread says it.
  const said = await threadLine(/DECOY: keyguard-revoke-older-sessions on user leaky/);
  expect(said.args.text).toContain('Undo restores it');

  // Undo (false positive) puts the decoy's text back, exactly as it was.
  await rig.ask('Undo containment', REQUESTER);
  await rig.approve({ title: 'Undo containment (false positive)', name: 'undo' }, [APPROVER, APPROVER2]);
  await rig.probe.until('undo done', rig.probe.stepIs('undo', 'succeeded'));
  const restored = await iam.send(new GetUserPolicyCommand({ UserName: 'leaky', PolicyName: USER_REVOKE_POLICY_NAME }));
  expect(JSON.parse(document(restored.PolicyDocument))).toEqual(JSON.parse(DECOY));
});

it('a decoy AWSRevokeOlderSessions on the role a temporary key came from is replaced by the real one and reported', async () => {
  const { keyIds: [rootKey] } = await seedUser(iam, { userName: 'ci-deployer' });
  await seedRole(iam, 'prod-admin');
  await iam.send(new PutRolePolicyCommand({ RoleName: 'prod-admin', PolicyName: ROLE_REVOKE_POLICY_NAME, PolicyDocument: DECOY }));
  const chain = assumeRoleChain({
    seed: 41,
    origin: { kind: 'iam-user', principal: { accountId: ACCOUNT_ID, userName: 'ci-deployer', accessKeyId: rootKey } },
    hops: [{ roleName: 'prod-admin', sessionName: 'nightly' }],
    startMs: Date.now() - 600_000,
  });
  loadEvents(rig.emu, chain.events);
  await rig.start(ENV);

  await rig.h.slash('/revoke-key', `${chain.issuedKeys[0]} in a build log`, REQUESTER);
  await rig.approve({ title: 'Contain', name: 'contain' }, [APPROVER]);
  await rig.probe.until('contain done', rig.probe.stepIs('contain', 'succeeded'));

  const now = await iam.send(new GetRolePolicyCommand({ RoleName: 'prod-admin', PolicyName: ROLE_REVOKE_POLICY_NAME }));
  expect(readRevocation(now.PolicyDocument).kind).toBe('own');
  const result = (await containStep()).result as { calls: Array<{ action: string; outcome: string }>; added: AddedArtifact[]; findings?: string[] };
  expect(result.calls.find((c) => c.action === 'PutRolePolicy')).toMatchObject({ outcome: 'done' });
  const replaced = result.added.find((a) => a.kind === 'role-inline-policy');
  expect(replaced && 'previousDocument' in replaced && JSON.parse(replaced.previousDocument!)).toEqual(JSON.parse(DECOY));
  expect(result.findings).toEqual([expect.stringMatching(/^DECOY: AWSRevokeOlderSessions on role prod-admin was not the bot's revocation/)]);
  await threadLine(/DECOY: AWSRevokeOlderSessions on role prod-admin/);
});
