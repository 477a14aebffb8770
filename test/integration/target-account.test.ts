/**
 * Acting in the key's own account. In moto, account ids come from credentials: the default
 * credentials are account 123456789012, and a session from AssumeRole into
 * arn:aws:iam::111111111111:role/… acts in 111111111111. The proxy records the AssumeRole
 * request so the test can see the SourceIdentity and RoleSessionName the bot sent.
 */
import { GetUserCommand } from '@aws-sdk/client-iam';
import { GetAccessKeyInfoCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { resetMoto } from '../../sandbox/moto';
import { seedRole, seedUser } from '../../sandbox/iam-seed';
import { FaultProxy, useFaultProxy } from '../support/fault-proxy';
import { FIXED_NOW, clientsInAccount, containmentRig, snapshotUser, testFactory } from '../support/iam-rig';
import { MOTO_ACCOUNT } from '../support/aws-clients';
import { AccountAccess } from '../../src/aws/access/account-access';
import type { AwsClientFactory, AwsClients } from '../../src/aws/access/iam-sts-clients';
import { KeyguardError } from '../../src/errors';

const TARGET = '111111111111';
const approver = { slackUserId: 'U123ABC', slackUserName: 'jane.doe' };

let proxy: FaultProxy;
let factory: AwsClientFactory;
let target: AwsClients;

const theProxy = useFaultProxy();
beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  proxy = theProxy();
  factory = testFactory(proxy.url);
  target = await clientsInAccount(testFactory(), testFactory()().sts, TARGET);
});

/** The account-access service as the app wires it, asked for a key's account. */
function resolveTargetAccount(deps: { factory: AwsClientFactory; now: () => Date }, req: { keyAccount: string; approver: typeof approver; incidentId: string; targetRoleName?: string }) {
  return new AccountAccess({ factory: deps.factory, now: deps.now, targetRoleName: req.targetRoleName }).forAccount({ account: req.keyAccount, approver: req.approver, incidentId: req.incidentId });
}

describe('account access', () => {
  it('uses the bot’s own clients for a key in its own account', async () => {
    const access = await resolveTargetAccount({ factory, now: () => FIXED_NOW }, { keyAccount: MOTO_ACCOUNT, approver, incidentId: 'INC42', targetRoleName: 'keyguard-responder' });
    expect(access.mode).toBe('same-account');
    expect(proxy.count('AssumeRole')).toBe(0);
  });

  it('assumes the target role with SourceIdentity and a readable session name, and acts in that account', async () => {
    await seedRole(target.iam, 'keyguard-responder');
    const { keyIds } = await seedUser(target.iam, { userName: 'carol' });
    const info = await testFactory()().sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: keyIds[0] }));
    expect(info.Account).toBe(TARGET);

    const access = await resolveTargetAccount(
      { factory, now: () => FIXED_NOW },
      { keyAccount: info.Account!, approver, incidentId: 'INC42', targetRoleName: 'keyguard-responder' },
    );

    if (access.mode !== 'assumed-role') throw new Error(`expected an assumed role, got ${access.mode}`);
    expect(access.sessionName).toBe('keyguard-U123ABC-INC42');
    expect(access.sourceIdentity).toBe('U123ABC-jane.doe');
    const [sent] = proxy.requests('AssumeRole');
    expect(sent.params).toMatchObject({
      RoleArn: `arn:aws:iam::${TARGET}:role/keyguard-responder`,
      RoleSessionName: 'keyguard-U123ABC-INC42',
      SourceIdentity: 'U123ABC-jane.doe',
      DurationSeconds: '900',
    });
    expect(access.call).toMatchObject({ action: 'AssumeRole', outcome: 'done', params: { SourceIdentity: 'U123ABC-jane.doe' } });
    expect(access.call.requestId).toBeDefined();
    expect(JSON.stringify(access.call)).not.toMatch(/SecretAccessKey|SessionToken/);

    const me = await access.clients.sts.send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:sts::${TARGET}:assumed-role/keyguard-responder/keyguard-U123ABC-INC42`);

    const out = await containmentRig(access.clients).containment.containUserKey({ userName: 'carol', accessKeyId: keyIds[0], quarantine: true });
    expect(out.ok).toBe(true);
    expect(await snapshotUser(target.iam, 'carol')).toMatchObject({ keys: [{ status: 'Inactive' }], attachedPolicyArns: ['arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3'] });
    await expect(testFactory()().iam.send(new GetUserCommand({ UserName: 'carol' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('keeps one session per account and approver: a second step for the same approver assumes the role once', async () => {
    await seedRole(target.iam, 'keyguard-responder');
    const access = new AccountAccess({ factory, now: () => FIXED_NOW, targetRoleName: 'keyguard-responder' });
    const first = await access.forAccount({ account: TARGET, approver, incidentId: 'INC42' });
    const again = await access.forAccount({ account: TARGET, approver, incidentId: 'INC42' });
    expect(again.clients).toBe(first.clients);
    expect(proxy.count('AssumeRole')).toBe(1);
    const other = await access.forAccount({ account: TARGET, approver: { slackUserId: 'U999' }, incidentId: 'INC42' });
    expect(other.mode === 'assumed-role' && other.sourceIdentity).toBe('U999');
    expect(proxy.count('AssumeRole')).toBe(2);
    // The bot's own identity is read once however often it is asked.
    await access.forAccount({ account: MOTO_ACCOUNT, approver, incidentId: 'INC42' });
    await access.partition();
    expect(proxy.count('GetCallerIdentity')).toBe(1);
  });

  it('explains exactly what to configure when IR_TARGET_ROLE_NAME is missing', async () => {
    const err = await resolveTargetAccount({ factory, now: () => FIXED_NOW }, { keyAccount: TARGET, approver, incidentId: 'INC42' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyguardError);
    expect(err).toMatchObject({ code: 'NOT_AVAILABLE' });
    const msg = (err as KeyguardError).userMessage;
    expect(msg).toContain('IR_TARGET_ROLE_NAME');
    expect(msg).toContain(`account ${TARGET}`);
    // moto's default caller is arn:aws:sts::123456789012:user/moto: the trust policy names it.
    expect(msg).toContain(`"Principal":{"AWS":"arn:aws:sts::${MOTO_ACCOUNT}:user/moto"}`);
    expect(msg).toContain('sts:SetSourceIdentity');
    expect(proxy.count('AssumeRole')).toBe(0);
  });

  it('turns a refused AssumeRole into a message about the trust policy', async () => {
    proxy.failNext('AssumeRole', 'access-denied', 1);
    await expect(
      resolveTargetAccount({ factory, now: () => FIXED_NOW }, { keyAccount: TARGET, approver, incidentId: 'INC42', targetRoleName: 'keyguard-responder' }),
    ).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED', userMessage: expect.stringContaining('trust policy') });
  });
});
