/**
 * Finds the key owner's Slack account from the IAM user's tags and sends them a DM.
 * Tags tried: `slack` (a U…/W… id), then `email`/`owner`/`contact` holding an email address.
 */
import type { WebClient } from '@slack/web-api';
import type { OwnerContactPort } from '../ports';

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

export class SlackOwnerContact implements OwnerContactPort {
  constructor(private readonly client: WebClient) {}

  async notifyOwner(o: { incidentId: string; keyId: string; tags: Record<string, string>; text: string }): Promise<{ reached?: string; summary: string }> {
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
    await this.client.chat.postMessage({ channel: dm.channel!.id!, text: o.text });
    return { reached: userId, summary: `told <@${userId}> by DM what happened and what to do next` };
  }
}
