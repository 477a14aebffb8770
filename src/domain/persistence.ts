/**
 * What the investigation found the principal created, turned into items the Eradicate phase
 * offers for removal, one approval each. Pure.
 */
import type { PersistenceItem } from './aws-plan';
import { describePersistenceItem } from './aws-plan';
import type { CreatedResource } from './trail-summary';

export const MAX_OFFERED_ITEMS = 10;

export interface Offered {
  item: PersistenceItem;
  title: string;
}

/**
 * Users, roles, access keys and console passwords the attacker made. Keys and passwords of a
 * user that is itself offered go with the user; the compromised principal itself is never
 * offered (Eradicate handles its key). Trust-policy changes and policies given to existing
 * principals need a person's judgement and are listed as follow-ups instead.
 */
export function removableItems(created: readonly CreatedResource[], compromisedUser?: string): { offered: Offered[]; followUps: string[] } {
  const users = new Set(created.filter((c) => c.kind === 'iam-user' && c.name !== compromisedUser).map((c) => c.name));
  const items: PersistenceItem[] = [];
  const followUps: string[] = [];
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
    }
  }
  const offered = items.slice(0, MAX_OFFERED_ITEMS).map((item) => ({ item, title: `Remove ${describePersistenceItem(item)}` }));
  if (items.length > MAX_OFFERED_ITEMS) followUps.unshift(`${items.length - MAX_OFFERED_ITEMS} more created principals: remove them by hand`);
  return { offered, followUps };
}
