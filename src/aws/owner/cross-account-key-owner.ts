/**
 * `/key-owner` and Identify for a key in another account: with IR_TARGET_ROLE_NAME set, the
 * lookup is repeated inside the key's account through that role (read-only calls), so the
 * owner, policies and status are known there too.
 */
import type { KeyFacts } from '../../domain/key-facts';
import type { KeyKind } from '../../domain/key-id';
import type { KeyOwnerPort } from '../../ports';
import { KeyOwnerLookup } from './key-owner';
import type { AccountAccess } from '../access';

export class CrossAccountKeyOwner implements KeyOwnerPort {
  constructor(
    private readonly own: KeyOwnerLookup,
    private readonly o: { access: AccountAccess; targetRoleName?: string },
  ) {}

  async lookup(keyId: string, kind: KeyKind): Promise<KeyFacts> {
    const facts = await this.own.lookup(keyId, kind);
    if (facts.sameAccount || kind === 'temporary' || !this.o.targetRoleName) return facts;
    // Read-only lookups: the session is named after the bot, not an approver.
    const access = await this.o.access.forAccount({ account: facts.account, approver: { slackUserId: 'keyguard-lookup' }, incidentId: 'identify' });
    // The session's identity is known from the role assumed: no second GetCallerIdentity.
    const there = await new KeyOwnerLookup({ iam: access.clients.iam, sts: access.clients.sts }, async () => ({
      account: facts.account,
      arn: access.mode === 'assumed-role' ? access.roleArn : '',
    })).lookup(keyId, kind);
    return { ...there, botAccount: facts.botAccount, sameAccount: false, viaRole: access.mode === 'assumed-role' ? access.roleArn : undefined };
  }
}
