/**
 * Finds the key owner's Slack account from the IAM user's tags and sends them a DM.
 * Tags tried: `slack` (a U…/W… id), then `email`/`owner`/`contact` holding an email address.
 */
import type { WebClient } from '@slack/web-api';
import type { OwnerContactPort, OwnerNotice } from '../ports';
import { esc } from './text';

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function ownerCandidates(tags: Record<string, string>): { slackIds: string[]; emails: string[] } {
  const slackIds: string[] = [];
  const emails: string[] = [];
  for (const [k, raw] of Object.entries(tags)) {
    const v = raw.trim();
    if (/slack/i.test(k) && /^[UW][A-Z0-9]{2,}$/.test(v)) slackIds.push(v);
    if (/(email|owner|contact)/i.test(k) && EMAIL.test(v)) emails.push(v);
  }
  return { slackIds, emails };
}

/** What the owner is told: only what the record says actually happened. Pure. */
export function ownerMessage(n: OwnerNotice): string {
  const did = {
    dry_run: 'was reviewed in a DRY RUN: no change was made in AWS',
    deleted: 'has been deactivated and deleted',
    deactivated: 'has been deactivated (not deleted yet)',
    in_progress: 'is being handled; it has not been changed yet',
  }[n.done];
  return (
    `:rotating_light: Your AWS access key \`${n.keyId}\` was reported leaked (${esc(n.reason || 'no reason given')}) and ${did} ` +
    `by the security team (incident ${n.incidentId}).\n` +
    'What to do now:\n• Create a new key only if you still need one, and keep it in a secrets manager, never in code.\n' +
    '• Update every system that used the old key.\n• Re-enrol MFA if asked.\n• Reply in the incident thread with anything you know about how it leaked.'
  );
}

export class SlackOwnerContact implements OwnerContactPort {
  constructor(private readonly client: WebClient) {}

  async notifyOwner(o: { incidentId: string; keyId: string; tags: Record<string, string>; notice: OwnerNotice }): Promise<{ reached?: string; summary: string }> {
    const { slackIds, emails } = ownerCandidates(o.tags);
    let userId: string | undefined = slackIds[0];
    for (const email of emails) {
      if (userId) break;
      const r = await this.client.users.lookupByEmail({ email }).catch(() => undefined);
      userId = r?.user?.id;
    }
    if (!userId) {
      return { summary: 'no Slack owner found in the user\'s tags (slack, email, owner, contact): tell the owner yourself' };
    }
    const dm = await this.client.conversations.open({ users: userId });
    await this.client.chat.postMessage({ channel: dm.channel!.id!, text: ownerMessage(o.notice) });
    return { reached: userId, summary: `told <@${userId}> by DM what happened and what to do next` };
  }
}
