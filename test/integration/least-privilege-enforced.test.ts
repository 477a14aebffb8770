/**
 * The containment steps under IAM policy enforcement: this test starts its own moto_server
 * with enforcement on (test/support/enforced-iam.ts: what moto can and cannot evaluate, and
 * the motoView widening). The bot is an IAM user holding the synthesized bot policy;
 * keyguard-responder holds the synthesized responder policy and trusts only the bot.
 * Contain and Eradicate then run through the real account-access service and the
 * containment adapter: every read is the bot's, every write the responder session's.
 * test/integration/least-privilege-playbook.test.ts runs the whole playbook the same way.
 */
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand, PutRolePolicyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { AccountAccess } from '../../src/aws/access/account-access';
import { AwsContainment } from '../../src/aws/containment/containment-adapter';
import { createClientFactory, type AwsClientFactory } from '../../src/aws/access/iam-sts-clients';
import type { MotoServer } from '../../sandbox/moto';
import { seedUser } from '../../sandbox/iam-seed';
import { ACCOUNT, RESPONDER_ARN, responderPolicy, startEnforcedIam, type EnforcedIam } from '../support/enforced-iam';

let enforced: EnforcedIam;
let moto: MotoServer;
let root: IAMClient;
let botKeys: EnforcedIam['botKeys'];

/** The next `n` requests are not checked; every one after them is. */
const enforceAfter = (n: number) => enforced.enforceAfter(n);

beforeAll(async () => {
  enforced = await startEnforcedIam();
  ({ moto, root, botKeys } = enforced);
}, 60_000);

afterAll(async () => {
  await enforced?.stop();
});

/** The bot's own clients sign with the bot user's key; sessions with the responder's. */
function botFactory(): AwsClientFactory {
  const base = createClientFactory({ region: 'us-east-1', endpoint: moto.url, maxAttempts: 1 });
  const f = (credentials?: Parameters<AwsClientFactory>[0]) => base(credentials ?? { ...botKeys });
  return Object.assign(f, { options: base.options });
}

function containment(directWrites = false) {
  const access = new AccountAccess({ factory: botFactory(), responderRoleName: 'keyguard-responder', directWrites, now: () => new Date() });
  return new AwsContainment({ access, quarantine: false, now: () => new Date(), readBackDelaysMs: [0, 50, 200] });
}

async function newVictim(name: string): Promise<string> {
  await enforceAfter(1_000);
  const { keyIds } = await seedUser(root, { userName: name, keys: 1 });
  await enforceAfter(0);
  return keyIds[0];
}

const target = (userName: string, keyId: string) => ({ incidentId: 'INC-LP', keyId, keyKind: 'long-term' as const, userName });
const act = { approvers: ['U0APPROVER'], dryRun: false, now: new Date() };

describe('least privilege under moto policy enforcement', () => {
  it('contains and eradicates a key: reads as the bot, every write as the responder session', async () => {
    const keyId = await newVictim('alice');
    const c = containment();
    const contained = await c.contain(target('alice', keyId), act);
    expect([contained.summary, contained.ok]).toEqual([contained.ok ? expect.any(String) : "(ok)", true]);
    const detail = contained.detail as { calls: Array<{ action: string; outcome: string }>; session?: { roleArn: string; sourceIdentity: string; sessionPolicy?: string } };
    expect(detail.calls.map((r) => [r.action, r.outcome])).toEqual([['UpdateAccessKey', 'done'], ['PutUserPolicy', 'done']]);
    expect(detail.session).toMatchObject({ roleArn: RESPONDER_ARN, sourceIdentity: 'U0APPROVER' });
    expect(JSON.parse(detail.session!.sessionPolicy!).Statement).toEqual([
      { Effect: 'Allow', Action: ['iam:UpdateAccessKey', 'iam:PutUserPolicy'], Resource: [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:user/*/alice`] },
    ]);

    const eradicated = await c.eradicate(target('alice', keyId), act);
    expect(eradicated).toMatchObject({ ok: true });
    await enforceAfter(1);
    const keys = await root.send(new ListAccessKeysCommand({ UserName: 'alice' }));
    expect(keys.AccessKeyMetadata).toEqual([]);
  }, 120_000);

  it("refuses IAM writes signed by the bot's own credentials (its policy grants none)", async () => {
    const keyId = await newVictim('bob');
    const own = botFactory()().iam;
    await expect(own.send(new UpdateAccessKeyCommand({ UserName: 'bob', AccessKeyId: keyId, Status: 'Inactive' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    // IR_DIRECT_WRITES would write with exactly those credentials: it fails here, as it would with the deployed bot role.
    const direct = await containment(true).contain(target('bob', keyId), act);
    expect(direct.ok).toBe(false);
    expect(direct.summary).toMatch(/^DIRECT WRITES/);
  }, 120_000);

  it('contains a user tagged keyguard:protected=true: the tag is the target\'s word, and the policy no longer denies by tag', async () => {
    await enforceAfter(1_000);
    await root.send(new CreateUserCommand({ UserName: 'dave', Tags: [{ Key: 'keyguard:protected', Value: 'true' }] }));
    const keyId = (await root.send(new CreateAccessKeyCommand({ UserName: 'dave' }))).AccessKey!.AccessKeyId!;
    await enforceAfter(0);
    const c = containment();
    // Before the investigation the tag is not even read: one approval, no warning.
    const plan = await c.planContain(target('dave', keyId), new Date());
    expect(plan.map((p) => [p.action, p.protectedBy])).toEqual([['UpdateAccessKey', undefined], ['PutUserPolicy', undefined]]);
    const out = await c.contain(target('dave', keyId), act);
    expect([out.summary, out.ok]).toEqual([expect.any(String), true]);
    await enforceAfter(1);
    expect((await root.send(new ListAccessKeysCommand({ UserName: 'dave' }))).AccessKeyMetadata?.[0]?.Status).toBe('Inactive');
  }, 120_000);

  it("contains a user named in IR_PROTECTED_PRINCIPALS through the responder session with two approvers; with one nothing is sent", async () => {
    const keyId = await newVictim('erin');
    const access = new AccountAccess({ factory: botFactory(), responderRoleName: 'keyguard-responder', now: () => new Date() });
    const c = new AwsContainment({ access, quarantine: false, protectedPrincipals: { users: ['erin'], roles: [] }, now: () => new Date(), readBackDelaysMs: [0, 50, 200] });
    const plan = await c.planContain(target('erin', keyId), new Date());
    expect(plan.every((p) => p.protectedBy?.startsWith('PROTECTED PRINCIPAL: user erin is named in IR_PROTECTED_PRINCIPALS'))).toBe(true);
    const alone = await c.contain(target('erin', keyId), { ...act, plan });
    expect(alone).toMatchObject({ ok: false, error: { code: 'GUARD_RAIL', message: expect.stringContaining('It has 1 approval(s); nothing was sent to AWS') } });
    const two = await c.contain(target('erin', keyId), { ...act, approvers: ['U0APPROVER', 'U0APPROVER2'], plan });
    expect([two.summary, two.ok]).toEqual([expect.any(String), true]);
    await enforceAfter(1);
    expect((await root.send(new ListAccessKeysCommand({ UserName: 'erin' }))).AccessKeyMetadata?.[0]?.Status).toBe('Inactive');
  }, 120_000);

  it('a grant missing from the responder policy fails the step (the test can fail)', async () => {
    const keyId = await newVictim('carol');
    await enforceAfter(1);
    await root.send(new PutRolePolicyCommand({ RoleName: 'keyguard-responder', PolicyName: 'keyguard-responder', PolicyDocument: responderPolicy(['iam:PutUserPolicy']) }));
    try {
      const out = await containment().contain(target('carol', keyId), act);
      expect([out.summary, out.ok]).toEqual([expect.any(String), false]);
      const calls = (out.detail as { calls: Array<{ action: string; outcome: string; error?: { name: string } }> }).calls;
      expect(calls.find((r) => r.action === 'PutUserPolicy')).toMatchObject({ outcome: 'failed', error: { name: 'AccessDenied' } });
    } finally {
      await enforceAfter(1);
      await root.send(new PutRolePolicyCommand({ RoleName: 'keyguard-responder', PolicyName: 'keyguard-responder', PolicyDocument: responderPolicy() }));
    }
  }, 120_000);
});
