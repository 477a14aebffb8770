/**
 * The whole playbook under moto's IAM policy enforcement, through the real Bolt app: signed
 * Slack requests, the fake Slack, and the bot's AWS credentials being an IAM user that holds
 * exactly the synthesized bot policy (test/support/enforced-iam.ts: what moto can and cannot
 * evaluate, and the motoView widening). keyguard-responder holds the synthesized responder
 * policy. The store stays on the harness's dynalite and CloudTrail is the project's emulator;
 * every IAM and STS request goes through the fault proxy, which records who signed it.
 *
 * Two incidents: `/revoke-key` → Contain → Investigate (the leaked key assumed a role and
 * created a user and a role) → Revoke that role's sessions → Remove the user and the role
 * (two approvals each) → Eradicate (two approvals); then a second key,
 * contained and undone as a false positive. Afterwards: IAM as moto shows it, every IAM write
 * signed by a responder session, and every grant of the two policies used by someone, apart
 * from the grants listed in NOT_REACHED with the flow that uses them.
 */
import { GetRoleCommand, GetUserCommand, ListRolePoliciesCommand, PutGroupPolicyCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness } from '../support/harness';
import { startFaultProxy, type FaultProxy, type RecordedRequest } from '../support/fault-proxy';
import { ACCOUNT, botPolicy, responderPolicyDoc, RESPONDER_ARN, startEnforcedIam, type EnforcedIam } from '../support/enforced-iam';
import { seedRole, seedRoleWithDependencies, seedUser } from '../../sandbox/iam-seed';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { ACCOUNT_ID, assumedRoleArn, buildEvent, FixtureRandom, iamUserIdentity, loadEvents, roleArn } from '../../sandbox/cloudtrail-fixtures';
import { buttonOn, click, approveOnCard, ask as askOn, cardWith as cardOn } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION } from '../../src/slack/ids';
import { ROLE_SESSIONS_STEP } from '../../src/domain/role-sessions';
import { ROLE_REVOKE_POLICY_NAME } from '../../src/domain/aws-plan';
import { allowedActions, iamReadStatements, NO_PERMISSION_NEEDED, stsReadStatements } from '../../infra/lib/permissions';

const REQUESTER = 'U0REQUEST';
const APPROVERS = ['U0APPROVE1', 'U0APPROVE2'];
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: [...APPROVERS, REQUESTER].join(','), IR_CHANNEL_ID: CHANNEL, IR_REGIONS: 'us-east-1,eu-west-1' };

/**
 * Grants of the synthesized policies that this file's flows do not reach, each with the flow
 * that does. Everything else granted must be sent by the principal that holds it.
 */
const NOT_REACHED = {
  bot: {
    // The store is the harness's dynalite, not DynamoDB behind IAM.
    'dynamodb:DescribeTable': 'start-up table check (store on dynalite here)',
    'dynamodb:GetItem': 'incident record (store on dynalite here)',
    'dynamodb:PutItem': 'incident record (store on dynalite here)',
    'dynamodb:UpdateItem': 'incident record (store on dynalite here)',
    'dynamodb:Query': 'incident record (store on dynalite here)',
    // CloudTrail is the project's emulator, which does not authorise.
    'cloudtrail:LookupEvents': 'Investigate, the watch and /trail in the bot account (the emulator here)',
    'ec2:DescribeRegions': 'regions when IR_REGIONS is not set (set here)',
  },
  responder: {
    // In its own account the bot reads with its own credentials; the responder role's reads
    // are for a key of another account (identify, pre-checks, read-backs: target-account.test.ts).
    ...Object.fromEntries([...allowedActions([...iamReadStatements({ account: ACCOUNT }), ...stsReadStatements()])].map((a) => [a, 'reads in another account through its responder role'])),
    'cloudtrail:LookupEvents': 'Investigate and the watch for a key of another account (the emulator here)',
    'iam:DeleteSigningCertificate': 'Remove of a user with a signing certificate (planned in test/unit/aws-plan.test.ts)',
    'iam:DeleteSSHPublicKey': 'Remove of a user with an SSH public key (planned in test/unit/aws-plan.test.ts)',
  },
} satisfies Record<'bot' | 'responder', Record<string, string>>;

let enforced: EnforcedIam;
let proxy: FaultProxy;
let h: Harness | undefined;
let emu: CloudTrailEmulator | undefined;
/** Every IAM/STS request of the file, kept across its tests. */
const sent: RecordedRequest[] = [];

beforeAll(async () => {
  enforced = await startEnforcedIam();
  proxy = await startFaultProxy(enforced.moto.url);
}, 60_000);

afterEach(async () => {
  sent.push(...proxy.requests());
  proxy.reset();
  await h?.close();
  await emu?.close();
  h = undefined;
  emu = undefined;
});

afterAll(async () => {
  await proxy?.close();
  await enforced?.stop();
});

const probe = incidentProbe(() => h!.store);
const stepNamed = async (title: string) => (await probe.current())!.steps.find((s) => s.title === title);
const waitForStep = (name: string, state: string) => probe.until(`${name} to be ${state}`, probe.stepIs(name, state), 30_000);

const cardWith = (text: string) => cardOn(h!, CHANNEL, text);
const approveStep = (title: string, name: string) => approveOnCard(h!, CHANNEL, { title, name }, APPROVERS);
const ask = (label: string) => askOn(h!, CHANNEL, label, REQUESTER);

async function start(cloudTrailUrl: string, now?: () => Date) {
  h = await startHarness(ENV, { cloudTrailUrl, readEndpoint: proxy.url, iamEndpoint: proxy.url, botCredentials: enforced.botKeys, now });
}

/** Which principal signed a request: the bot user, a responder session, or someone else. */
function signers(requests: readonly RecordedRequest[]) {
  const sessions = new Set(requests.filter((r) => r.action === 'AssumeRole' && r.params.RoleArn === RESPONDER_ARN && r.issuedAccessKeyId).map((r) => r.issuedAccessKeyId!));
  return (r: RecordedRequest) => (r.accessKeyId === enforced.botKeys.accessKeyId ? 'bot' : sessions.has(r.accessKeyId ?? '') ? 'responder' : 'other');
}

/** The IAM/STS actions a request needs: its own, plus what AssumeRole's parameters ask for. */
function actionsOf(r: RecordedRequest): string[] {
  const own = `${r.service}:${r.action}`;
  if (r.action !== 'AssumeRole') return [own];
  return [own, ...(r.params.SourceIdentity ? ['sts:SetSourceIdentity'] : []), ...(Object.keys(r.params).some((k) => k.startsWith('Tags.')) ? ['sts:TagSession'] : [])];
}

describe('the playbook under moto policy enforcement', () => {
  it('contains, investigates, revokes role sessions, removes what the leaked key made and eradicates: reads as the bot, every IAM write as the responder session', async () => {
    const { leakedKey } = await enforced.withoutEnforcement(async (root) => {
      const { keyIds } = await seedUser(root, { userName: 'owner', keys: 1, groups: ['developers'] });
      await root.send(new PutGroupPolicyCommand({ GroupName: 'developers', PolicyName: 'dev-read', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }) }));
      await seedUser(root, { userName: 'backdoor', keys: 2, inactiveKeys: 1, consolePassword: true, mfa: true, inlinePolicyNames: ['p1'], groups: ['admins'] });
      await seedRoleWithDependencies(root, 'backdoor-role');
      await seedRole(root, 'ops-role');
      return { leakedKey: keyIds[0] };
    });
    emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
    const rng = new FixtureRandom(21);
    const t0 = Date.now();
    const leaked = iamUserIdentity({ accountId: ACCOUNT_ID, userName: 'owner', accessKeyId: leakedKey });
    const ev = (name: string, at: number, requestParameters: Record<string, unknown>, responseElements: Record<string, unknown>) =>
      buildEvent({ service: 'iam', name, timeMs: at, region: 'us-east-1', identity: leaked, sourceIp: '198.51.100.66', userAgent: 'aws-cli/2.15.30', requestParameters, responseElements }, rng);
    const issued = rng.awsId('ASIA');
    loadEvents(emu, [
      buildEvent({
        service: 'sts', name: 'AssumeRole', timeMs: t0 + 15_000, region: 'us-east-1', identity: leaked, sourceIp: '198.51.100.66', userAgent: 'aws-cli/2.15.30',
        requestParameters: { roleArn: roleArn(ACCOUNT_ID, 'ops-role'), roleSessionName: 'x1' },
        responseElements: { credentials: { accessKeyId: issued, expiration: new Date(t0 + 3_600_000).toUTCString(), sessionToken: 'FAKE' }, assumedRoleUser: { assumedRoleId: 'AROAOPSROLEEXAMPLE:x1', arn: assumedRoleArn(ACCOUNT_ID, 'ops-role', 'x1') } },
        resources: [{ ResourceType: 'AWS::IAM::AccessKey', ResourceName: issued }, { ResourceType: 'AWS::IAM::Role', ResourceName: roleArn(ACCOUNT_ID, 'ops-role') }],
      }, rng),
      ev('CreateUser', t0 + 30_000, { userName: 'backdoor' }, { user: { userName: 'backdoor', arn: `arn:aws:iam::${ACCOUNT_ID}:user/backdoor` } }),
      ev('CreateRole', t0 + 60_000, { roleName: 'backdoor-role' }, { role: { roleName: 'backdoor-role', arn: `arn:aws:iam::${ACCOUNT_ID}:role/backdoor-role` } }),
    ]);
    // The bot's clock after the attacker's calls (the key was made just before them).
    await start(emu.url, () => new Date(Date.now() + 120_000));

    await h!.slash('/revoke-key', `${leakedKey} found in a public repo`, REQUESTER);
    await waitForStep('contain', 'awaiting_approval');
    await click(h!, buttonOn(await cardWith('Contain* needs'), ACTION.approve), APPROVERS[0]);
    await waitForStep('investigate', 'succeeded');

    // The key reached ops-role: its sessions are revoked through the responder role too.
    await ask('Revoke');
    await waitForStep(ROLE_SESSIONS_STEP, 'awaiting_approval');
    const sessionsTitle = (await probe.current())!.steps.find((s) => s.name === ROLE_SESSIONS_STEP)!.title;
    await approveStep(sessionsTitle, ROLE_SESSIONS_STEP);
    await probe.until('role sessions to finish', async () => ['succeeded', 'failed'].includes((await probe.current())!.steps.find((s) => s.name === ROLE_SESSIONS_STEP)!.state), 30_000);
    expect((await probe.current())!.steps.find((s) => s.name === ROLE_SESSIONS_STEP)).toMatchObject({ state: 'succeeded' });

    for (const title of ['Remove IAM user backdoor', 'Remove IAM role backdoor-role']) {
      await ask(title);
      await probe.until(`${title} awaiting approval`, async () => (await stepNamed(title))?.state === 'awaiting_approval');
      await approveStep(title, (await stepNamed(title))!.name);
      await probe.until(`${title} to finish`, async () => ['succeeded', 'failed'].includes((await stepNamed(title))?.state ?? ''), 30_000);
      expect([title, (await stepNamed(title))!.state, (await stepNamed(title))!.note]).toEqual([title, 'succeeded', expect.anything()]);
    }

    await waitForStep('eradicate', 'awaiting_approval');
    await approveStep('Eradicate', 'eradicate');
    await waitForStep('eradicate', 'succeeded');

    const steps = (await probe.current())!.steps;
    expect(steps.filter((s) => s.state === 'failed').map((s) => [s.name, s.note])).toEqual([]);

    const requests = proxy.requests();
    expect(requests.filter((r) => r.status === 403).map((r) => `${r.action} by ${r.accessKeyId}`)).toEqual([]);
    const who = signers(requests);
    const writes = requests.filter((r) => r.service === 'iam' && !/^(Get|List)/.test(r.action));
    expect(writes.map((r) => r.action)).toEqual(expect.arrayContaining(['UpdateAccessKey', 'PutUserPolicy', 'AttachUserPolicy', 'PutRolePolicy', 'DeleteUser', 'DeleteRole', 'DeleteAccessKey']));
    expect(writes.filter((r) => who(r) !== 'responder').map((r) => `${r.action} signed by ${r.accessKeyId}`)).toEqual([]);
    expect(requests.filter((r) => r.action === 'AssumeRole').map((r) => [who(r), r.params.RoleArn])).toEqual(requests.filter((r) => r.action === 'AssumeRole').map(() => ['bot', RESPONDER_ARN]));

    await enforced.withoutEnforcement(async (root) => {
      expect((await root.send(new ListAccessKeysCommand({ UserName: 'owner' }))).AccessKeyMetadata).toEqual([]);
      await expect(root.send(new GetUserCommand({ UserName: 'backdoor' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
      await expect(root.send(new GetRoleCommand({ RoleName: 'backdoor-role' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
      expect((await root.send(new ListRolePoliciesCommand({ RoleName: 'ops-role' }))).PolicyNames).toEqual([ROLE_REVOKE_POLICY_NAME]);
    });
  }, 180_000);

  it('undoes a false positive on a second key: the quarantine and the deny policy go, the key is active again', async () => {
    const keyId = await enforced.withoutEnforcement(async (root) => (await seedUser(root, { userName: 'fp-owner', keys: 1 })).keyIds[0]);
    emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
    await start(emu.url);
    await h!.slash('/revoke-key', `${keyId} in a screenshot`, REQUESTER);
    await waitForStep('contain', 'awaiting_approval');
    await click(h!, buttonOn(await cardWith('Contain* needs'), ACTION.approve), APPROVERS[0]);
    await waitForStep('contain', 'succeeded');
    await ask('Undo containment (false positive)');
    await waitForStep('undo', 'awaiting_approval');
    await approveStep('Undo containment (false positive)', 'undo');
    await waitForStep('undo', 'succeeded');

    const requests = proxy.requests();
    expect(requests.filter((r) => r.status === 403).map((r) => `${r.action} by ${r.accessKeyId}`)).toEqual([]);
    const who = signers(requests);
    const writes = requests.filter((r) => r.service === 'iam' && !/^(Get|List)/.test(r.action));
    expect(writes.map((r) => r.action)).toEqual(expect.arrayContaining(['DetachUserPolicy', 'DeleteUserPolicy', 'UpdateAccessKey']));
    expect(writes.filter((r) => who(r) !== 'responder').map((r) => `${r.action} signed by ${r.accessKeyId}`)).toEqual([]);

    await enforced.withoutEnforcement(async (root) => {
      expect((await root.send(new ListAccessKeysCommand({ UserName: 'fp-owner' }))).AccessKeyMetadata?.map((k) => k.Status)).toEqual(['Active']);
      expect((await root.send(new ListUserPoliciesCommand({ UserName: 'fp-owner' }))).PolicyNames).toEqual([]);
      expect((await root.send(new ListAttachedUserPoliciesCommand({ UserName: 'fp-owner' }))).AttachedPolicies).toEqual([]);
    });
  }, 180_000);

  it('every grant is used: what the bot and the responder sessions sent is what their policies allow, less NOT_REACHED', () => {
    // Runs after the two flows above, on what they sent.
    const who = signers(sent);
    const used = { bot: new Set<string>(), responder: new Set<string>(), other: new Set<string>() };
    for (const r of sent) if (r.status !== 403) for (const a of actionsOf(r)) if (!NO_PERMISSION_NEEDED.includes(a)) used[who(r)].add(a);
    const expected = (granted: Set<string>, notReached: Record<string, string>) => [...granted].filter((a) => !(a in notReached)).sort();

    expect(used.other).toEqual(new Set());
    expect([...used.bot].sort()).toEqual(expected(allowedActions(botPolicy().Statement), NOT_REACHED.bot));
    expect([...used.responder].sort()).toEqual(expected(allowedActions(responderPolicyDoc().Statement), NOT_REACHED.responder));
    // A grant named as not reached must still be granted (the list cannot go stale).
    for (const a of Object.keys(NOT_REACHED.bot)) expect(allowedActions(botPolicy().Statement)).toContain(a);
    for (const a of Object.keys(NOT_REACHED.responder)) expect(allowedActions(responderPolicyDoc().Statement)).toContain(a);
  });
});
