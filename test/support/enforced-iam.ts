/**
 * A moto_server of its own with identity-policy enforcement, seeded with the bot and the
 * responder role as infra/lib/permissions.ts synthesizes them.
 *
 * Once seeded, enforcement is turned on (INITIAL_NO_AUTH_ACTION_COUNT through
 * /moto-api/reset-auth: every request after that is checked against the caller's policies).
 * The bot is an IAM user holding the synthesized bot policy; keyguard-responder holds the
 * synthesized responder policy and trusts only the bot.
 *
 * What moto cannot see is widened, nothing else (motoView below): moto authorises IAM user
 * actions against resource "*" (only role actions get the role's ARN, and only while the
 * role exists: a read-back after DeleteRole is authorised against "*"), and it treats any
 * condition it cannot evaluate (iam:PolicyARN, iam:ResourceTag, sts:SourceIdentity) as
 * unmet. So statements keep exactly their actions; user-scoped resources become "*" and
 * conditioned statements lose their condition (a conditioned Deny, which moto could only
 * apply to everything, is left out; a Deny naming users would be widened to everything, so
 * the synthesized document here names no protected user). The conditions and session policies are proved by
 * test/unit/session-policy.test.ts and test/unit/protected-principals.test.ts.
 */
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { botPolicyDocument, responderPolicyDocument, responderTrustPolicy, PolicyDocument, PolicyStatement, TrustStatement } from '../../infra/lib/permissions';
import { startMoto, type MotoServer } from '../../sandbox/moto';

export const ACCOUNT = '123456789012';
const BOT_USER = 'keyguard-bot';
const BOT_ARN = `arn:aws:iam::${ACCOUNT}:user/${BOT_USER}`;
const RESPONDER_ROLE = 'keyguard-responder';
export const RESPONDER_ARN = `arn:aws:iam::${ACCOUNT}:role/${RESPONDER_ROLE}`;
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/keyguard`;

/** The synthesized documents, exactly as deployed (before motoView). */
export const botPolicy = (): PolicyDocument => botPolicyDocument({ account: ACCOUNT, botRoleArn: BOT_ARN, tableArn: TABLE_ARN, targetRoleName: RESPONDER_ROLE });
export const responderPolicyDoc = (): PolicyDocument => responderPolicyDocument({ account: ACCOUNT, responderRoleArn: RESPONDER_ARN, botRoleName: BOT_USER });

/** The synthesized document as moto can evaluate it (see the file comment). */
function motoView<S extends PolicyStatement | TrustStatement>(doc: PolicyDocument<S>): string {
  const statements = doc.Statement.filter((s) => !(s.Effect === 'Deny' && s.Condition)).map((s) => {
    const { Condition: _dropped, ...rest } = s;
    if (!('Resource' in rest)) return rest;
    // An Allow on every role (role/*) must also cover a role that is gone; a Deny stays as written.
    const seenByMoto = (rest as PolicyStatement).Resource.every((r) => r === '*' || (/:role\//.test(r) && !(s.Effect === 'Allow' && /:role\/\*$/.test(r))) || !r.startsWith('arn:aws:iam::'));
    return seenByMoto ? rest : { ...rest, Resource: ['*'] };
  });
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** The responder policy as moto sees it, optionally without some of its Allow actions. */
export function responderPolicy(without: string[] = []): string {
  const doc = responderPolicyDoc();
  return motoView({ ...doc, Statement: doc.Statement.map((s) => (s.Effect === 'Allow' ? { ...s, Action: s.Action.filter((a) => !without.includes(a)) } : s)).filter((s) => s.Action.length > 0) });
}

export interface EnforcedIam {
  moto: MotoServer;
  /** moto's default credentials: only usable while enforcement is off (see withoutEnforcement). */
  root: IAMClient;
  /** The bot user's key: the bot's own AWS credentials. */
  botKeys: { accessKeyId: string; secretAccessKey: string };
  /** The next `n` requests are not checked; every one after them is. */
  enforceAfter(n: number): Promise<void>;
  /** Run setup or an inspection as moto's root, then turn enforcement back on. */
  withoutEnforcement<T>(fn: (root: IAMClient) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/** Start moto, seed the bot user and the responder role, and turn enforcement on. */
export async function startEnforcedIam(): Promise<EnforcedIam> {
  const moto = await startMoto();
  const root = new IAMClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  const botKeys = { accessKeyId: '', secretAccessKey: '' };
  await root.send(new CreateUserCommand({ UserName: BOT_USER }));
  const key = await root.send(new CreateAccessKeyCommand({ UserName: BOT_USER }));
  botKeys.accessKeyId = key.AccessKey!.AccessKeyId!;
  botKeys.secretAccessKey = key.AccessKey!.SecretAccessKey!;
  await root.send(new PutUserPolicyCommand({ UserName: BOT_USER, PolicyName: 'keyguard', PolicyDocument: motoView(botPolicy()) }));
  await root.send(new CreateRoleCommand({ RoleName: RESPONDER_ROLE, AssumeRolePolicyDocument: motoView(responderTrustPolicy(BOT_ARN)) }));
  await root.send(new PutRolePolicyCommand({ RoleName: RESPONDER_ROLE, PolicyName: RESPONDER_ROLE, PolicyDocument: responderPolicy() }));
  const enforceAfter = async (n: number) => {
    const res = await fetch(`${moto.url}/moto-api/reset-auth`, { method: 'POST', body: String(n) });
    if (!res.ok) throw new Error(`moto reset-auth failed: ${res.status}`);
  };
  await enforceAfter(0);
  return {
    moto,
    root,
    botKeys,
    enforceAfter,
    async withoutEnforcement(fn) {
      await enforceAfter(Number.MAX_SAFE_INTEGER);
      try {
        return await fn(root);
      } finally {
        await enforceAfter(0);
      }
    },
    async stop() {
      await enforceAfter(Number.MAX_SAFE_INTEGER).catch(() => undefined);
      await moto.stop();
    },
  };
}
