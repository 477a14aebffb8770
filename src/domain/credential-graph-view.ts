/**
 * The credential graph in words, for the summary, the thread and the timeline. Pure.
 */
import type { CredentialGraph, CredentialNode } from './credential-graph';
import { pathTo } from './credential-graph';

/** How a node was minted, in a few words: `AssumeRole ops-admin/s1`, `GetSessionToken`, `CreateAccessKey for backdoor`. */
export function mintedHow(n: CredentialNode): string {
  const event = n.issuedBy?.eventName ?? n.kind;
  switch (n.kind) {
    case 'role-session': {
      const role = n.roleArn?.split(':role/').pop() ?? 'role';
      const account = n.roleArn?.split(':')[4];
      return `${event} ${role}${n.sessionName ? `/${n.sessionName}` : ''}${account && n.account && account !== n.issuedBy?.account ? ` (account ${account})` : ''}`;
    }
    case 'federation-token':
      return `${event}${n.federatedUserArn ? ` ${n.federatedUserArn.split('/').pop()}` : ''}`;
    case 'access-key':
    case 'login-profile':
      return `${event}${n.userName ? ` for ${n.userName}` : ''}`;
    default:
      return event;
  }
}

/** `AKIA… → AssumeRole ops-admin/s1 → ASIA… → AssumeRole deep-role/s2 → ASIA…`: how the attacker got from the leaked key to this credential. */
export function describePath(g: CredentialGraph, nodeId: string): string {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const ids = pathTo(g, nodeId);
  if (ids.length === 0) return nodeId;
  return ids
    .map((id, i) => {
      const n = byId.get(id)!;
      const label = n.kind === 'login-profile' ? `console access of ${n.userName ?? '?'}` : id;
      return i === 0 ? label : `${mintedHow(n)} → ${label}`;
    })
    .join(' → ');
}
