/**
 * Who may do what: membership of IR_RESPONDERS / IR_APPROVERS, which may name users (U…/W…)
 * and user groups (S…). Groups are resolved with usergroups.users.list and cached briefly,
 * so a person removed from a group loses access within a minute.
 */
import type { WebClient } from '@slack/web-api';
import { KeyguardError, slackErrorCode } from '../errors';
import type { AccessPolicy } from '../ports/access-policy';

export interface GroupResolver {
  membersOf(groupId: string): Promise<string[]>;
}

export class SlackGroupResolver implements GroupResolver {
  private cache = new Map<string, { at: number; members: Promise<string[]> }>();
  constructor(private readonly client: WebClient, private readonly ttlMs = 60_000, private readonly clock: () => number = Date.now) {}

  membersOf(groupId: string): Promise<string[]> {
    const hit = this.cache.get(groupId);
    if (hit && this.clock() - hit.at < this.ttlMs) return hit.members;
    const members = this.client.usergroups.users
      .list({ usergroup: groupId })
      .then((r) => r.users ?? [])
      .catch((e) => {
        this.cache.delete(groupId);
        const code = slackErrorCode(e);
        throw new KeyguardError(
          'NOT_AVAILABLE',
          `Could not read the members of user group ${groupId} (${code}), so nobody in it can be checked as a responder or approver. The app needs the usergroups:read scope, and the id must be a user group (S…).`,
          { cause: e },
        );
      });
    this.cache.set(groupId, { at: this.clock(), members });
    return members;
  }
}

async function isMember(userId: string, allowList: string[], groups: GroupResolver): Promise<boolean> {
  if (allowList.includes(userId)) return true;
  for (const id of allowList.filter((x) => x.startsWith('S'))) {
    if ((await groups.membersOf(id)).includes(userId)) return true;
  }
  return false;
}

export type { AccessPolicy } from '../ports/access-policy';

export function accessPolicy(responders: string[], approvers: string[], groups: GroupResolver): AccessPolicy {
  return {
    // Closed by default: an empty list is nobody; `*` (a trial) is every member of the
    // installed workspace (other teams and Slack Connect users are refused before this).
    isResponder: async (u) => responders.includes('*') || (await isMember(u, responders, groups)) || (await isMember(u, approvers, groups)),
    isApprover: async (u) => approvers.length > 0 && !approvers.includes('*') && isMember(u, approvers, groups),
    approversConfigured: approvers.length > 0 && !approvers.includes('*'),
    openToWorkspace: responders.includes('*'),
  };
}
