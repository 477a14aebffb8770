/**
 * The card's part for incidents opened by automatic intake: where the alert came from (with
 * its link), when it was detected, and the approvers, mentioned so they are paged when the
 * card is posted. Also how a non-person requester or approver is named. Pure.
 */
import type { Incident } from '../domain/incident';
import type { Block } from './key-owner-blocks';
import { clip, esc, mrkdwn } from './text';

const SOURCE_NAME: Record<string, string> = {
  'aws-health': 'AWS Health',
  guardduty: 'Amazon GuardDuty',
  github: 'GitHub secret scanning',
  cli: 'the command line',
};

/** `<@U…>` for a Slack user; a readable name for an intake source or an approval policy. */
export function who(id: string): string {
  if (id.startsWith('intake:')) return `${SOURCE_NAME[id.slice(7)] ?? id.slice(7)} (automatic)`;
  if (id.startsWith('policy:')) return `policy ${id.slice(7)}`;
  return `<@${id}>`;
}

/** An approver entry of IR_APPROVERS as a mention: users `<@U…>`, user groups `<!subteam^S…>`. */
function approverMention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

function openedAutomatically(incident: Incident): boolean {
  return Boolean(incident.source && incident.source.kind !== 'slack' && incident.source.kind !== 'cli');
}

/** `approvers` undefined (a copy of the card shown to one person): no approvers line. */
export function intakeBlocks(incident: Incident, approvers: readonly string[] | undefined): Block[] {
  if (!openedAutomatically(incident)) return [];
  const src = incident.source!;
  const name = SOURCE_NAME[src.kind] ?? src.kind;
  const title = esc(clip(src.title ?? name, 300));
  const alert = src.link && /^https:\/\//.test(src.link) ? `<${src.link.replace(/[<>|]/g, '')}|${title}>` : title;
  const detected = incident.detectedAt ? ` · detected ${incident.detectedAt.slice(0, 16).replace('T', ' ')} UTC` : '';
  const lines = [`:satellite_antenna: *Opened automatically from ${name}*${detected}`, alert];
  if (incident.status === 'open' && approvers) {
    lines.push(approvers.length > 0
      ? `Approvers: ${approvers.slice(0, 20).map(approverMention).join(' ')}`
      : ':warning: No approvers are configured (IR_APPROVERS): nobody can approve containment.');
  }
  return [{ type: 'section', block_id: 'kg_intake', text: mrkdwn(lines.join('\n')) }];
}
