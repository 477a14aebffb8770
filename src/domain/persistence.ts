/**
 * What the investigation found the principal created, turned into items the Eradicate phase
 * offers for removal, one approval each. Pure.
 */
import type { PersistenceItem } from './aws-plan';
import { describePersistenceItem } from './aws-plan';
import type { CreatedResource } from './trail-summary';

const MAX_OFFERED_ITEMS = 10;

export interface Offered {
  item: PersistenceItem;
  title: string;
}

export interface RemovalScope {
  /** The leaked key: a resource recorded as created by another key, with no attribution, is not offered. */
  leakedKeyId?: string;
  /** The incident's account: what was created in another account is a follow-up naming it. */
  account?: string;
}

/**
 * Whether the attacker made it: created by the leaked key or a credential derived from it.
 * The owner's other activity is never the attacker's; without a graph, the creating key
 * must be the leaked key when it is known.
 */
function madeByAttacker(c: CreatedResource, leakedKeyId?: string): boolean {
  if (c.attribution) return c.attribution.by !== 'owner-other';
  return !leakedKeyId || !c.byAccessKeyId || c.byAccessKeyId === leakedKeyId;
}

/**
 * Users, roles, access keys and console passwords the attacker made. Keys and passwords of a
 * user that is itself offered go with the user; the compromised principal itself is never
 * offered (Eradicate handles its key). Trust-policy changes and policies given to existing
 * principals need a person's judgement and are listed as follow-ups instead. Only what the
 * leaked key or a credential derived from it created is considered (attribution first: a user
 * the owner's other key created is never offered); what was created in another account is a
 * follow-up naming that account.
 */
export function removableItems(all: readonly CreatedResource[], compromisedUser?: string, scope: RemovalScope = {}): { offered: Offered[]; followUps: string[] } {
  const followUps: string[] = [];
  const created: CreatedResource[] = [];
  for (const c of all) {
    if (!madeByAttacker(c, scope.leakedKeyId)) continue;
    if (scope.account && c.account && c.account !== scope.account) {
      const via = c.attribution?.by === 'derived' ? ` through ${c.attribution.path.join(' → ')}` : '';
      followUps.push(`${c.kind.replace('-', ' ')} ${c.name} was created in account ${c.account}${via} at ${c.time}: remove it there`);
      continue;
    }
    created.push(c);
  }
  const users = new Set(created.filter((c) => c.kind === 'iam-user' && c.name !== compromisedUser).map((c) => c.name));
  const items: PersistenceItem[] = [];
  const seen = new Set<string>();
  const add = (i: PersistenceItem) => {
    const key = JSON.stringify(i);
    if (!seen.has(key)) {
      seen.add(key);
      items.push(i);
    }
  };
  for (const c of created) {
    switch (c.kind) {
      case 'iam-user':
        if (c.name !== compromisedUser) add({ kind: 'user', userName: c.name });
        break;
      case 'role':
        add({ kind: 'role', roleName: c.name });
        break;
      case 'access-key': {
        const owner = c.target?.name;
        if (owner && !users.has(owner)) add({ kind: 'access-key', userName: owner, accessKeyId: c.name });
        break;
      }
      case 'login-profile': {
        const owner = c.target?.name ?? c.name;
        if (!users.has(owner)) add({ kind: 'login-profile', userName: owner });
        break;
      }
      case 'trust-policy':
        followUps.push(`trust policy of role ${c.name} was changed at ${c.time}: review it and restore the previous document`);
        break;
      case 'attached-policy':
      case 'inline-policy':
      case 'group-membership':
        if (!c.target || !users.has(c.target.name)) followUps.push(`${c.kind.replace('-', ' ')} ${c.name}${c.target ? ` given to ${c.target.type} ${c.target.name}` : ''} at ${c.time}: review it`);
        break;
      case 'ec2-instance':
        followUps.push(`EC2 instance ${c.name} launched in ${c.region}: terminate it`);
        break;
      case 'protection-tag':
        followUps.push(`keyguard:protected tag written on ${c.name} at ${c.time} by the leaked key's credentials: attacker activity, not honoured; remove the tag`);
        break;
    }
  }
  const offered = items.slice(0, MAX_OFFERED_ITEMS).map((item) => ({ item, title: `Remove ${describePersistenceItem(item)}` }));
  if (items.length > MAX_OFFERED_ITEMS) followUps.unshift(`${items.length - MAX_OFFERED_ITEMS} more created principals: remove them by hand`);
  return { offered, followUps };
}
