/**
 * Finds the key owner's Slack account from the IAM user's tags and sends them a DM.
 * Tags tried: `slack` (a U…/W… id), then `email`/`owner`/`contact` holding an email address.
 */
import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { LogPort, OwnerContactPort, OwnerNotice } from '../ports';
import { esc } from './text';

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function ownerCandidates(tags: Record<string, string>): { slackIds: string[]; emails: string[] } {
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
function ownerMessage(n: OwnerNotice): string {
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

/** Slack's answer when no account has that email: not a failure, just no match. */
const NOT_FOUND = 'users_not_found';

/** What Slack said, in a word a responder can act on (Slack's error code, or why the call failed). */
export function slackFailure(e: unknown): string {
  const o = (e ?? {}) as { code?: unknown; data?: { error?: unknown }; message?: unknown };
  if (typeof o.data?.error === 'string') {
    const hint = o.data.error === 'missing_scope' ? ' (the bot needs the users:read.email scope)' : '';
    return `Slack answered ${o.data.error}${hint}`;
  }
  if (o.code === 'slack_webapi_rate_limited_error') return 'Slack rate-limited the lookup';
  if (o.code === 'slack_webapi_request_error') return 'Slack could not be reached';
  return typeof o.message === 'string' && o.message ? o.message.slice(0, 120) : 'the lookup failed';
}

export class SlackOwnerContact implements OwnerContactPort {
  constructor(
    private readonly client: WebClient,
    private readonly logger: LogPort,
    private readonly newId: () => string = () => randomUUID().slice(0, 8),
  ) {}

  async notifyOwner(o: { incidentId: string; keyId: string; tags: Record<string, string>; notice: OwnerNotice }): Promise<{ reached?: string; summary: string }> {
    const { slackIds, emails } = ownerCandidates(o.tags);
    let userId: string | undefined = slackIds[0];
    // Lookups that failed (not "no such user"): logged with a reference, and told to the responder.
    const failed: string[] = [];
    for (const email of emails) {
      if (userId) break;
      try {
        const r = await this.client.users.lookupByEmail({ email });
        userId = r.user?.id;
      } catch (e) {
        if ((e as { data?: { error?: unknown } } | undefined)?.data?.error === NOT_FOUND) continue;
        const correlationId = this.newId();
        this.logger.warn({ correlationId, err: e, incidentId: o.incidentId, email }, 'owner email lookup failed');
        failed.push(`could not look up ${esc(email)} in Slack: ${slackFailure(e)} (reference \`${correlationId}\`)`);
      }
    }
    const failures = failed.length > 0 ? `; ${failed.join('; ')}` : '';
    if (!userId) {
      const why = failed.length > 0 ? 'the owner could not be found in Slack' : 'no Slack owner found in the user\'s tags (slack, email, owner, contact)';
      return { summary: `${why}${failures}: tell the owner yourself` };
    }
    const dm = await this.client.conversations.open({ users: userId });
    await this.client.chat.postMessage({ channel: dm.channel!.id!, text: ownerMessage(o.notice) });
    return { reached: userId, summary: `told <@${userId}> by DM what happened and what to do next${failures}` };
  }
}
