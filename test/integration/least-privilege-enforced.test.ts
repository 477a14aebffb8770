/**
 * The containment steps under IAM policy enforcement: this test starts its own moto_server
 * and, once the principals are seeded, turns on moto's identity-policy enforcement
 * (INITIAL_NO_AUTH_ACTION_COUNT through /moto-api/reset-auth: every request after that is
 * checked against the caller's policies). The bot is an IAM user holding the synthesized
 * bot policy; keyguard-responder holds the synthesized responder policy and trusts only the
 * bot. Contain and Eradicate then run through the real account-access service and the
 * containment adapter: every read is the bot's, every write the responder session's.
 *
 * What moto cannot see is widened, nothing else (motoView below): moto authorises IAM user
 * actions against resource "*" (only role actions get the role's ARN), and it treats any
 * condition it cannot evaluate (iam:PolicyARN, iam:ResourceTag, sts:SourceIdentity) as
 * unmet. So statements keep exactly their actions; user-scoped resources become "*" and
 * conditioned statements lose their condition (the tag Deny, which moto could only apply
 * to everything, is left out). The conditions and session policies are proved by
 * test/unit/session-policy.test.ts and test/unit/protected-principals.test.ts.
 */
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand, PutRolePolicyCommand, PutUserPolicyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { AccountAccess } from '../../src/aws/account-access';
import { AwsContainment } from '../../src/aws/containment-adapter';
import { createClientFactory, type AwsClientFactory } from '../../src/aws/iam-sts-clients';
import { botPolicyDocument, responderPolicyDocument, responderTrustPolicy, PolicyDocument, PolicyStatement, TrustStatement } from '../../infra/lib/permissions';
import { startMoto, type MotoServer } from '../../sandbox/moto';
import { seedUser } from '../../sandbox/iam-seed';

const ACCOUNT = '123456789012';
const BOT_USER = 'keyguard-bot';
const BOT_ARN = `arn:aws:iam::${ACCOUNT}:user/${BOT_USER}`;
const RESPONDER_ARN = `arn:aws:iam::${ACCOUNT}:role/keyguard-responder`;
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/keyguard`;

/** The synthesized document as moto can evaluate it (see the file comment). */
function motoView<S extends PolicyStatement | TrustStatement>(doc: PolicyDocument<S>): string {
  const statements = doc.Statement.filter((s) => !(s.Effect === 'Deny' && s.Condition)).map((s) => {
    const { Condition: _dropped, ...rest } = s;
    if (!('Resource' in rest)) return rest;
    const seenByMoto = (rest as PolicyStatement).Resource.every((r) => r === '*' || /:role\//.test(r) || !r.startsWith('arn:aws:iam::'));
    return seenByMoto ? rest : { ...rest, Resource: ['*'] };
  });
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

let moto: MotoServer;
let root: IAMClient;
const botKeys = { accessKeyId: '', secretAccessKey: '' };

/** The next `n` requests are not checked; every one after them is. */
async function enforceAfter(n: number): Promise<void> {
  const res = await fetch(`${moto.url}/moto-api/reset-auth`, { method: 'POST', body: String(n) });
  if (!res.ok) throw new Error(`moto reset-auth failed: ${res.status}`);
}

function responderPolicy(without: string[] = []): string {
  const doc = responderPolicyDocument({ account: ACCOUNT, responderRoleArn: RESPONDER_ARN, botRoleName: BOT_USER });
  return motoView({ ...doc, Statement: doc.Statement.map((s) => (s.Effect === 'Allow' ? { ...s, Action: s.Action.filter((a) => !without.includes(a)) } : s)).filter((s) => s.Action.length > 0) });
}

beforeAll(async () => {
  moto = await startMoto();
  root = new IAMClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  await root.send(new CreateUserCommand({ UserName: BOT_USER }));
  const key = await root.send(new CreateAccessKeyCommand({ UserName: BOT_USER }));
  botKeys.accessKeyId = key.AccessKey!.AccessKeyId!;
  botKeys.secretAccessKey = key.AccessKey!.SecretAccessKey!;
  await root.send(new PutUserPolicyCommand({
    UserName: BOT_USER,
    PolicyName: 'keyguard',
    PolicyDocument: motoView(botPolicyDocument({ account: ACCOUNT, botRoleArn: BOT_ARN, tableArn: TABLE_ARN, targetRoleName: 'keyguard-responder' })),
  }));
  await root.send(new CreateRoleCommand({ RoleName: 'keyguard-responder', AssumeRolePolicyDocument: motoView(responderTrustPolicy(BOT_ARN)) }));
  await root.send(new PutRolePolicyCommand({ RoleName: 'keyguard-responder', PolicyName: 'keyguard-responder', PolicyDocument: responderPolicy() }));
}, 60_000);

afterAll(async () => {
  await enforceAfter(Number.MAX_SAFE_INTEGER).catch(() => undefined);
  await moto?.stop();
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

  it('refuses a user tagged keyguard:protected=true before planning and before running; nothing is sent', async () => {
    await enforceAfter(1_000);
    await root.send(new CreateUserCommand({ UserName: 'dave', Tags: [{ Key: 'keyguard:protected', Value: 'true' }] }));
    const keyId = (await root.send(new CreateAccessKeyCommand({ UserName: 'dave' }))).AccessKey!.AccessKeyId!;
    await enforceAfter(0);
    const c = containment();
    await expect(c.planContain(target('dave', keyId), new Date())).rejects.toMatchObject({ code: 'GUARD_RAIL', userMessage: expect.stringMatching(/user dave is tagged keyguard:protected=true/) });
    const out = await c.contain(target('dave', keyId), act);
    expect(out).toMatchObject({ ok: false, error: { code: 'GUARD_RAIL' } });
    await enforceAfter(1);
    expect((await root.send(new ListAccessKeysCommand({ UserName: 'dave' }))).AccessKeyMetadata?.[0]?.Status).toBe('Active');
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
