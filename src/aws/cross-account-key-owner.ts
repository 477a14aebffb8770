/**
 * `/key-owner` and Identify for a key in another account: with IR_TARGET_ROLE_NAME set, the
 * lookup is repeated inside the key's account through that role (read-only calls), so the
 * owner, policies and status are known there too.
 */
import type { KeyFacts } from '../domain/key-facts';
import type { KeyKind } from '../domain/key-id';
import type { KeyOwnerPort } from '../ports';
import type { Logger } from '../logger';
import { KeyOwnerLookup } from './key-owner';
import type { AwsClientFactory } from './iam-sts-clients';
import { resolveTargetAccount } from './target-account';

export class CrossAccountKeyOwner implements KeyOwnerPort {
  constructor(
    private readonly own: KeyOwnerLookup,
    private readonly o: { factory: AwsClientFactory; targetRoleName?: string; now: () => Date; logger?: Pick<Logger, 'info' | 'warn'> },
  ) {}

  async lookup(keyId: string, kind: KeyKind): Promise<KeyFacts> {
    const facts = await this.own.lookup(keyId, kind);
    if (facts.sameAccount || kind === 'temporary' || !this.o.targetRoleName) return facts;
    const access = await resolveTargetAccount(
      { factory: this.o.factory, now: this.o.now, logger: this.o.logger },
      // Read-only lookups: the session is named after the bot, not an approver.
      { keyAccount: facts.account, targetRoleName: this.o.targetRoleName, approver: { slackUserId: 'keyguard-lookup' }, incidentId: 'identify' },
    );
    const there = await new KeyOwnerLookup({ iam: access.clients.iam, sts: access.clients.sts }).lookup(keyId, kind);
    return { ...there, botAccount: facts.botAccount, sameAccount: false, viaRole: access.mode === 'assumed-role' ? access.roleArn : undefined };
  }
}
