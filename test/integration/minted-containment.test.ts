/**
 * Containment of what the leaked key minted, end to end through the real Bolt app: the key
 * assumes ops-admin and mints a session token; after Contain and Investigate (the credential
 * graph from the CloudTrail emulator), the card offers "Revoke sessions of 1 role(s) the key
 * reached" with the exact plan; one approval later moto shows AWSRevokeOlderSessions on the
 * role. The watch then follows the role session's key and the session token by their own ids,
 * and its closing line names them.
 */
import { GetRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { blocksText } from '../support/harness';
import { incidentRig } from '../support/incident-rig';
import { motoIam } from '../support/aws-clients';
import { seedRole, seedUser } from '../../sandbox/iam-seed';
import { ACCOUNT_ID, assumedRoleIdentity, assumeRoleChain, buildEvent, FixtureRandom, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { userSessionMinted } from '../support/minted-credentials';
import { graphScenario, OTHER_ACCOUNT_ID } from '../support/graph-scenario';
import { clientsInAccount, testFactory } from '../support/iam-rig';
import { ROLE_SESSIONS_STEP } from '../../src/domain/role-sessions';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';

const rig = incidentRig({ settleMsBeforeClose: 100 });
const { until, stepIs } = rig.probe;
const step = async (name: string) => (await rig.incident()).steps.find((s) => s.name === name);

it('revokes the sessions of the role the key assumed, after one approval, and the watch follows every minted key', async () => {
  const iam = motoIam();
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'alice' });
  await seedRole(iam, 'ops-admin');
  await seedRole(iam, 'bystander');
  const alice = { accountId: ACCOUNT_ID, userName: 'alice', accessKeyId: keyId };
  const t0 = Date.now();
  const chain = assumeRoleChain({ seed: 41, origin: { kind: 'iam-user', principal: alice }, hops: [{ roleName: 'ops-admin', sessionName: 's1' }], startMs: t0 + 1000 });
  const token = userSessionMinted({ seed: 42, principal: alice, via: 'GetSessionToken', startMs: t0 + 5 * 60_000 });
  loadEvents(rig.emu, [...chain.events, ...token.events]);
  const [roleKey] = chain.issuedKeys;
  let shift = 10 * 60_000;
  const h = await rig.start(
    { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVER, IR_REGIONS: 'us-east-1', IR_WATCH_MINUTES: '30', IR_WATCH_INTERVAL_MINUTES: '5' },
    { now: () => new Date(Date.now() + shift) },
  );

  await rig.containAndInvestigate(keyId, 'found on pastebin', REQUESTER, APPROVER, 40_000);
  expect((await step('investigate'))!.note).toContain(`${token.issuedKey} (GetSessionToken of alice): covered by Contain's deny policy`);

  // The generated step, offered as a button; asked for, its exact plan is on the card.
  await rig.ask('Revoke sessions of 1 role(s) the key reached', REQUESTER);
  await until('awaiting approval', stepIs(ROLE_SESSIONS_STEP, 'awaiting_approval'));
  const card = await rig.cardWith('Revoke sessions of 1 role(s) the key reached* needs 1 more');
  const text = blocksText(card);
  expect(text).toContain('iam:PutRolePolicy {"RoleName":"ops-admin","PolicyName":"AWSRevokeOlderSessions"');
  expect(text).toContain(`${keyId} → ${roleKey} (session s1)`);
  expect(text).not.toContain('bystander');
  await rig.approve((await step(ROLE_SESSIONS_STEP))!, [APPROVER]);
  await until('role sessions revoked', stepIs(ROLE_SESSIONS_STEP, 'succeeded'));

  const doc = decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'ops-admin', PolicyName: 'AWSRevokeOlderSessions' }))).PolicyDocument!);
  expect(JSON.parse(doc).Statement[0]).toMatchObject({ Effect: 'Deny', Action: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': expect.any(String) } } });
  expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'bystander' }))).PolicyNames).toEqual([]);

  // After containment the role session is used again (denied): the watch sees it by its own key id.
  const rng = new FixtureRandom(43);
  const identity = assumedRoleIdentity({ accountId: ACCOUNT_ID, roleName: 'ops-admin', sessionName: 's1', accessKeyId: roleKey });
  loadEvents(rig.emu, [buildEvent({ service: 'ec2', name: 'RunInstances', region: 'us-east-1', identity, sourceIp: '198.51.100.7', timeMs: Date.now() + shift + 60_000, errorCode: 'AccessDenied', userAgent: 'aws-cli/2' }, rng)]);
  shift += 6 * 60_000;
  expect(await h.app.watcher.tick()).toBe(1);
  const alert = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => /\*Watch:\*/.test(c.args.text ?? '')), 'watch alert');
  expect(alert.args.text).toContain(roleKey);
  shift += 40 * 60_000;
  expect(await h.app.watcher.tick()).toBe(1);
  const ended = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => /Watch ended/.test(c.args.text ?? '')), 'watch ended');
  expect(ended.args.text).toContain(`watched \`${keyId}\` and the 2 credential(s) it minted:`);
  expect(ended.args.text).toContain(`\`${roleKey}\` (session of role ops-admin) 1`);
  expect(ended.args.text).toContain(`\`${token.issuedKey}\` (session token of alice) 0`);
});

it('roles reached by chaining and in another account: all revoked with one approval, the other account through IR_TARGET_ROLE_NAME', async () => {
  const iam = motoIam();
  const { keyIds: [leakedKey, ciKey] } = await seedUser(iam, { userName: 'owner', keys: 2 });
  await seedRole(iam, 'ops-admin');
  await seedRole(iam, 'deep-role');
  const other = (await clientsInAccount(testFactory(), testFactory()().sts, OTHER_ACCOUNT_ID)).iam;
  await seedRole(other, 'keyguard-responder');
  await seedRole(other, 'xacct');
  const t0 = Date.now();
  const s = graphScenario({ userName: 'owner', leakedKey, ownerOtherKey: ciKey, startMs: t0 + 1000 });
  loadEvents(rig.emu, s.events);
  const shift = s.endMs - t0 + 60_000;
  await rig.start(
    { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVER, IR_REGIONS: 'us-east-1,eu-west-1', IR_TARGET_ROLE_NAME: 'keyguard-responder' },
    { now: () => new Date(Date.now() + shift) },
  );
  await rig.containAndInvestigate(leakedKey, 'found in a public repo', REQUESTER, APPROVER, 40_000);
  const note = (await step('investigate'))!.note!;
  expect(note).toContain(`${s.keys.sessionToken} (GetSessionToken of owner): covered by Contain's deny policy`);
  expect(note).toContain(`${s.keys.federation} (GetFederationToken of owner): covered by Contain's deny policy`);

  await rig.ask('Revoke sessions of 3 role(s) the key reached', REQUESTER);
  await until('awaiting approval', stepIs(ROLE_SESSIONS_STEP, 'awaiting_approval'));
  const plan = (await step(ROLE_SESSIONS_STEP))!.plan!;
  expect(plan.map((c) => [c.params.RoleName, c.account])).toEqual([['ops-admin', undefined], ['deep-role', undefined], ['xacct', OTHER_ACCOUNT_ID]]);
  expect(plan[2].why).toContain(`${leakedKey} → ${s.keys.s1} → ${s.keys.s2} → ${s.keys.s3} (session s3)`);
  expect(plan[2].why).toContain(`in account ${OTHER_ACCOUNT_ID} (through keyguard-responder)`);
  await rig.cardWith('Revoke sessions of 3 role(s) the key reached* needs 1 more');
  await rig.approve((await step(ROLE_SESSIONS_STEP))!, [APPROVER]);
  await until('role sessions revoked', stepIs(ROLE_SESSIONS_STEP, 'succeeded'));

  for (const [client, role] of [[iam, 'ops-admin'], [iam, 'deep-role'], [other, 'xacct']] as const) {
    await client.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'AWSRevokeOlderSessions' }));
  }
  expect((await other.send(new ListRolePoliciesCommand({ RoleName: 'keyguard-responder' }))).PolicyNames).toEqual([]);
  expect((await step(ROLE_SESSIONS_STEP))!.note).toContain('Revoked the sessions of 3 role(s)');
});
