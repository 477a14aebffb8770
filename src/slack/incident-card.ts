/**
 * The incident card: one message per incident, updated in place. Pure.
 */
import type { Incident, StepRecord, StepState } from '../domain/incident';
import { ACTION, encodeStepRef } from './ids';
import { clip, esc, escKeepMentions, mrkdwn, plain } from './text';
import type { Block } from './key-owner-blocks';

const STATE_ICON: Record<StepState, string> = {
  pending: ':white_circle:',
  awaiting_approval: ':hourglass_flowing_sand:',
  approved: ':large_green_circle:',
  running: ':arrows_counterclockwise:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  denied: ':no_entry:',
  expired: ':alarm_clock:',
  skipped: ':fast_forward:',
};

const STATE_LABEL: Record<StepState, string> = {
  pending: 'pending',
  awaiting_approval: 'awaiting approval',
  approved: 'approved',
  running: 'running',
  succeeded: 'done',
  failed: 'failed',
  denied: 'denied',
  expired: 'approval expired',
  skipped: 'skipped',
};

function planText(plan: unknown[] | undefined): string {
  if (!plan || plan.length === 0) return '_no AWS calls_';
  const lines = plan.map((c) => {
    const call = c as { service?: string; action?: string; params?: Record<string, unknown>; why?: string };
    const params = call.params ? JSON.stringify(call.params) : '';
    return `${call.service ?? 'aws'}:${call.action ?? '?'} ${params}${call.why ? `\n   ↳ ${call.why}` : ''}`;
  });
  return `\`\`\`${clip(lines.join('\n'), 2700)}\`\`\``;
}

export function incidentCard(incident: Incident, steps: StepRecord[]): { text: string; blocks: Block[] } {
  const dry = incident.dryRun ? ' · DRY RUN' : '';
  const closed = incident.status === 'closed' ? ' · CLOSED' : '';
  const blocks: Block[] = [{ type: 'header', text: plain(`${incident.id} · leaked key ${incident.keyId}${dry}${closed}`) }];
  if (incident.dryRun) {
    blocks.push({ type: 'section', text: mrkdwn(':test_tube: *DRY RUN*: every step is recorded, but no AWS change is made.') });
  }
  const owner = incident.principal?.name ? `${incident.principal.type} ${incident.principal.name}` : 'unknown yet';
  blocks.push({
    type: 'section',
    fields: [
      mrkdwn(`*Key*\n\`${incident.keyId}\``),
      mrkdwn(`*Owner*\n${esc(owner)}`),
      mrkdwn(`*Account*\n${incident.account ?? 'unknown yet'}`),
      mrkdwn(`*Severity*\n${incident.severity}`),
      mrkdwn(`*Requested by*\n<@${incident.requester}>`),
      mrkdwn(`*Reason*\n${esc(clip(incident.reason || '—', 500))}${incident.ticket ? `\n${esc(clip(incident.ticket, 300))}` : ''}`),
    ],
  });
  const list = [...steps]
    .sort((a, b) => a.seq - b.seq)
    .map((s) => {
      const approvals = s.approvalsRequired > 0 ? ` (${s.approvals.length}/${s.approvalsRequired} approvals${s.approvals.length ? `: ${s.approvals.map((a) => `<@${a.userId}>`).join(', ')}` : ''})` : '';
      const note = s.note ? ` — ${escKeepMentions(clip(s.note, 200))}` : '';
      return `${STATE_ICON[s.state]} *${s.seq}. ${s.title}*: ${STATE_LABEL[s.state]}${approvals}${note}`;
    });
  blocks.push({ type: 'section', text: mrkdwn(clip(list.join('\n'), 3000)) });

  const waiting = steps.find((s) => s.state === 'awaiting_approval');
  if (waiting && incident.status === 'open') {
    const need = waiting.approvalsRequired - waiting.approvals.length;
    blocks.push({ type: 'divider' });
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `*${waiting.title}* needs ${need} more approval(s) from ${waiting.approvalsRequired > 1 ? 'distinct approvers' : 'an approver'} other than <@${incident.requester}>` +
          `${waiting.expiresAt ? `, before ${waiting.expiresAt.slice(11, 16)} UTC` : ''}.${incident.dryRun ? ' *DRY RUN: these calls will be recorded, not made.*' : ''}\n*Exact plan:*`,
      ),
    });
    blocks.push({ type: 'section', text: mrkdwn(planText(waiting.plan)) });
    const ref = encodeStepRef({ i: incident.id, s: waiting.name, v: waiting.version });
    blocks.push({
      type: 'actions',
      block_id: `kg_actions_${waiting.name}`,
      elements: [
        { type: 'button', action_id: ACTION.approve, style: 'primary', text: plain('Approve', 75), value: ref },
        { type: 'button', action_id: ACTION.deny, style: 'danger', text: plain('Deny', 75), value: ref },
      ],
    });
  }
  const again = steps.find((s) => s.state === 'expired' || (s.state === 'failed' && incident.status === 'open'));
  if (again && !waiting && incident.status === 'open') {
    const label = again.state === 'expired' ? 'Request approval again' : 'Retry';
    blocks.push({
      type: 'actions',
      block_id: `kg_again_${again.name}`,
      elements: [{ type: 'button', action_id: ACTION.rerequest, text: plain(label, 75), value: encodeStepRef({ i: incident.id, s: again.name, v: again.version }) }],
    });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(`Opened ${incident.createdAt.slice(0, 16).replace('T', ' ')} UTC · details in the thread · \`/incident show ${incident.id}\``)] });
  const summary = `${incident.id}: leaked key ${incident.keyId}${dry}${closed}. ${steps.map((s) => `${s.title}: ${STATE_LABEL[s.state]}`).join(', ')}`;
  return { text: clip(summary, 3000), blocks };
}
