/**
 * Revoking the sessions of every role the leaked key reached, in moto: the role in the bot's
 * account and the one in another account (through IR_TARGET_ROLE_NAME, the approver as
 * SourceIdentity) get AWSRevokeOlderSessions; the responder role and a service-linked role are
 * never touched; an account the bot cannot reach is left to a person with the command to run.
 */
import { GetRolePolicyCommand, ListRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { resetMoto } from '../../sandbox/moto';
import { seedRole, seedServiceLinkedRole } from '../../sandbox/iam-seed';
import { FaultProxy, useFaultProxy } from '../support/fault-proxy';
import { FIXED_CUTOFF, FIXED_NOW, clientsInAccount, testFactory } from '../support/iam-rig';
import { MOTO_ACCOUNT } from '../support/aws-clients';
import { AccountAccess } from '../../src/aws/access/account-access';
import { AwsRoleSessions } from '../../src/aws/containment/role-sessions';
import { roleSessionsParams } from '../../src/domain/role-sessions';
import type { CredentialGraph } from '../../src/domain/credential-graph';
import type { CallRecord } from '../../src/domain/aws-plan';

const OTHER = '111111111111';
const FAR = '444455556666';
const LEAKED = 'AKIAEXAMPLELEAKED234';
const APPROVER = 'U0APPROVE1';

let proxy: FaultProxy;
let own: IAMClient;
let other: IAMClient;
let slr: string;
const theProxy = useFaultProxy();

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  proxy = theProxy();
  own = testFactory()().iam;
  other = (await clientsInAccount(testFactory(), testFactory()().sts, OTHER)).iam;
  await seedRole(own, 'ops-admin');
  slr = await seedServiceLinkedRole(own);
  await seedRole(other, 'keyguard-responder');
  await seedRole(other, 'deploy');
  await seedRole((await clientsInAccount(testFactory(), testFactory()().sts, FAR)).iam, 'far-admin');
});

/** What the investigation's graph holds: ops-admin here, chained to deploy there, the responder role, a service-linked role, a far account. */
function graph(): CredentialGraph {
  const role = (id: string, arn: string, parent = LEAKED) => ({ id, kind: 'role-session' as const, parent, depth: 1, created: [], roleArn: arn, sessionName: 's' });
  return {
    root: LEAKED,
    nodes: [
      { id: LEAKED, kind: 'leaked-key', depth: 0, created: [], userName: 'alice' },
      role('ASIAOPSADMIN00000001', `arn:aws:iam::${MOTO_ACCOUNT}:role/ops-admin`),
      role('ASIADEPLOY0000000001', `arn:aws:iam::${OTHER}:role/deploy`, 'ASIAOPSADMIN00000001'),
      role('ASIARESPONDER0000001', `arn:aws:iam::${OTHER}:role/keyguard-responder`),
      role('ASIASERVICELINKED001', `arn:aws:iam::${MOTO_ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/${slr}`),
      role('ASIAFARACCOUNT000001', `arn:aws:iam::${FAR}:role/far-admin`),
    ],
    caps: { maxDepth: 5, maxFanOut: 50, depthHits: 0, fanOutHits: 0 },
    incompleteRegions: [],
  };
}

function revoker(targetRoleName?: string): AwsRoleSessions {
  const access = new AccountAccess({ factory: testFactory(proxy.url), now: () => FIXED_NOW, targetRoleName });
  return new AwsRoleSessions({ access, targetRoleName, now: () => FIXED_NOW, readBackDelaysMs: [] });
}

const policies = async (iam: IAMClient, role: string) => (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
const outcomes = (calls: CallRecord[]) => calls.map((c) => [c.params.RoleName, c.outcome]);

it('revokes the roles it may reach, in their accounts, and leaves the rest to a person with what to run', async () => {
  const params = roleSessionsParams(graph(), 'alice');
  const r = revoker('keyguard-responder');
  const plan = await r.planRevoke('IR-1', params, FIXED_NOW);
  expect(plan.map((c) => [c.params.RoleName, c.account, Boolean(c.notSent)])).toEqual([
    ['ops-admin', undefined, false],
    ['deploy', OTHER, false],
    ['keyguard-responder', OTHER, true],
    [slr, undefined, true],
    ['far-admin', FAR, false],
  ]);

  const out = await r.revoke('IR-1', params, { approvers: [APPROVER], dryRun: false, now: FIXED_NOW });
  if (!('calls' in out.detail!)) throw new Error('no calls recorded');
  expect(outcomes(out.detail.calls)).toEqual([
    ['ops-admin', 'done'],
    ['deploy', 'done'],
    ['keyguard-responder', 'skipped'],
    [slr, 'skipped'],
    ['far-admin', 'done'],
  ]);
  expect(out.ok).toBe(true);
  expect(out.summary).toContain('Revoked the sessions of 3 role(s) issued before 2026-03-01T12:00:00Z; 2 left to a person');

  // IAM afterwards: the two roles carry the console's document with the step's cut-off.
  for (const [iam, role] of [[own, 'ops-admin'], [other, 'deploy']] as const) {
    const doc = decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'AWSRevokeOlderSessions' }))).PolicyDocument!);
    expect(JSON.parse(doc).Statement[0].Condition).toEqual({ DateLessThan: { 'aws:TokenIssueTime': FIXED_CUTOFF } });
  }
  expect(await policies(other, 'keyguard-responder')).toEqual([]);
  expect(await policies(own, slr)).toEqual([]);
  // In the other account the bot acted as the approver (SourceIdentity), through the responder role.
  expect(proxy.requests('AssumeRole').map((q) => q.params)).toEqual(
    expect.arrayContaining([expect.objectContaining({ RoleArn: `arn:aws:iam::${OTHER}:role/keyguard-responder`, SourceIdentity: APPROVER })]),
  );

  // Run again (after a crash, or to retry the far account): what is in place is 'already'.
  const again = await r.revoke('IR-1', params, { approvers: [APPROVER], dryRun: false, now: FIXED_NOW });
  if (!('calls' in again.detail!)) throw new Error('no calls recorded');
  expect(outcomes(again.detail.calls)).toEqual([['ops-admin', 'already'], ['deploy', 'already'], ['keyguard-responder', 'skipped'], [slr, 'skipped'], ['far-admin', 'already']]);
});

it('without IR_TARGET_ROLE_NAME, roles in other accounts are a follow-up naming account, role and command; nothing is sent there', async () => {
  const params = roleSessionsParams(graph(), 'alice');
  const r = revoker(undefined);
  const out = await r.revoke('IR-2', params, { approvers: [APPROVER], dryRun: false, now: FIXED_NOW });
  if (!('calls' in out.detail!)) throw new Error('no calls recorded');
  const deploy = out.detail.calls.find((c) => c.params.RoleName === 'deploy')!;
  expect(deploy).toMatchObject({ outcome: 'skipped', params: { Account: OTHER } });
  expect(deploy.note).toContain(`account ${OTHER} has no role the bot can act through (IR_TARGET_ROLE_NAME is not set)`);
  expect(deploy.note).toContain(`aws iam put-role-policy --role-name deploy --policy-name AWSRevokeOlderSessions --policy-document '{"Version":"2012-10-17"`);
  expect(out.ok).toBe(true);
  expect(out.summary).toContain('Revoked the sessions of 1 role(s)');
  expect(out.summary).toContain('4 left to a person');
  // Nothing goes to the other account; the bot's own account is written through its responder
  // role, narrowed by a session policy to exactly the one planned call on ops-admin.
  const assumed = proxy.requests('AssumeRole').map((q) => q.params);
  expect(assumed.map((p) => String(p.RoleArn))).toEqual([expect.stringMatching(/^arn:aws:iam::\d{12}:role\/keyguard-responder$/)]);
  expect(String(assumed[0].RoleArn)).not.toContain(OTHER);
  expect(String(assumed[0].Policy)).toContain('role/ops-admin');
  expect(String(assumed[0].Policy)).not.toContain('deploy');
  expect(await policies(other, 'deploy')).toEqual([]);
  expect(await policies(own, 'ops-admin')).toEqual(['AWSRevokeOlderSessions']);
});

it('a role since deleted is already done; a dry run sends nothing', async () => {
  const g = graph();
  g.nodes = g.nodes.filter((n) => n.kind === 'leaked-key' || n.roleArn?.endsWith('/ops-admin'));
  g.nodes.push({ id: 'ASIAGONEROLE00000001', kind: 'role-session', parent: LEAKED, depth: 1, created: [], roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/created-and-deleted` });
  const params = roleSessionsParams(g, 'alice');
  const dry = await revoker().revoke('IR-3', params, { approvers: [APPROVER], dryRun: true, now: FIXED_NOW });
  if (!('calls' in dry.detail!)) throw new Error('no calls recorded');
  expect(outcomes(dry.detail.calls)).toEqual([['ops-admin', 'dry-run'], ['created-and-deleted', 'already']]);
  expect(await policies(own, 'ops-admin')).toEqual([]);
  const out = await revoker().revoke('IR-3', params, { approvers: [APPROVER], dryRun: false, now: FIXED_NOW });
  expect(out.ok).toBe(true);
  if (!('calls' in out.detail!)) throw new Error('no calls recorded');
  expect(out.detail.calls.find((c) => c.params.RoleName === 'created-and-deleted')!.note).toContain('no longer exists');
});

it('a role IAM keeps throttling fails the step as retryable; the other roles are revoked; running it again finishes', async () => {
  const g = graph();
  g.nodes = g.nodes.filter((n) => n.kind === 'leaked-key' || /\/(ops-admin|deploy)$/.test(n.roleArn ?? ''));
  const params = roleSessionsParams(g, 'alice');
  const r = revoker('keyguard-responder');
  proxy.failNext('PutRolePolicy', 'throttling', 3);
  const out = await r.revoke('IR-4', params, { approvers: [APPROVER], dryRun: false, now: FIXED_NOW });
  if (!('calls' in out.detail!)) throw new Error('no calls recorded');
  expect(outcomes(out.detail.calls)).toEqual([['ops-admin', 'failed'], ['deploy', 'done']]);
  expect(out).toMatchObject({ ok: false, retryable: true, error: { code: 'RETRYABLE' } });
  expect(out.summary).toContain('Revoked 1 of 2 role(s)');
  expect(await policies(own, 'ops-admin')).toEqual([]);

  const again = await r.revoke('IR-4', params, { approvers: [APPROVER], dryRun: false, now: FIXED_NOW });
  if (!('calls' in again.detail!)) throw new Error('no calls recorded');
  expect(outcomes(again.detail.calls)).toEqual([['ops-admin', 'done'], ['deploy', 'already']]);
  expect(again.ok).toBe(true);
});
