/**
 * CloudTrail in the key's account when it is not the bot's: the same IR_TARGET_ROLE_NAME role
 * that containment uses, assumed for read-only LookupEvents and cached while its credentials
 * last. Without the role, searching would silently look in the wrong account, so it refuses.
 */
import type { CloudTrailClientFactory } from './cloudtrail-lookup';
import type { AwsClientFactory, SessionCredentials } from './iam-sts-clients';
import { GuardRails } from './guard-rails';
import { resolveTargetAccount } from './target-account';
import { KeyguardError } from '../errors';

const CACHE_MS = 10 * 60_000; // the role session lasts 15 minutes

export function otherAccountCloudTrail(o: {
  factory: AwsClientFactory;
  targetRoleName?: string;
  now: () => Date;
  withCredentials: (credentials: SessionCredentials) => CloudTrailClientFactory;
}): (account: string) => Promise<CloudTrailClientFactory | undefined> {
  let own: Promise<string> | undefined;
  const cache = new Map<string, { at: number; clients: CloudTrailClientFactory }>();
  return async (account) => {
    own ??= new GuardRails(o.factory().sts).identity().then((me) => me.account);
    if (account === (await own)) return undefined;
    const hit = cache.get(account);
    if (hit && o.now().getTime() - hit.at < CACHE_MS) return hit.clients;
    if (!o.targetRoleName) {
      throw new KeyguardError(
        'NOT_AVAILABLE',
        `The key belongs to account ${account}; its CloudTrail can only be searched through a role there. Set IR_TARGET_ROLE_NAME (see the README) and ask again.`,
      );
    }
    let credentials: SessionCredentials | undefined;
    await resolveTargetAccount(
      { factory: (creds) => ((credentials = creds ?? credentials), o.factory(creds)), now: o.now },
      { keyAccount: account, targetRoleName: o.targetRoleName, approver: { slackUserId: 'keyguard-cloudtrail' }, incidentId: 'investigate' },
    );
    if (!credentials) throw new KeyguardError('AWS_FAILED', `Assuming ${o.targetRoleName} in ${account} gave no credentials.`);
    const clients = o.withCredentials(credentials);
    cache.set(account, { at: o.now().getTime(), clients });
    return clients;
  };
}
