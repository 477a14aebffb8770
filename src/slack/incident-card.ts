/**
 * The incident card: one message per incident, updated in place. Pure.
 */
import type { Incident, StepRecord, StepState } from '../domain/incident';
import type { PlannedCall } from '../domain/aws-plan';
import { ACTION, encodeStepRef } from './ids';
import { clip, esc, escKeepMentions, mrkdwn, plain } from './text';
import type { Block } from './key-owner-blocks';
import { compactMetrics, reviewMetrics } from '../timeline/review-metrics';
import { intakeBlocks, who } from './intake-card';
import { dayMinute, hourMinute } from '../domain/time';

const STATE_ICON: Record<StepState, string> = {
  pending: ':white_circle:',
  awaiting_approval: ':hourglass_flowing_sand:',
  approved: ':large_green_circle:',
  running: ':arrows_counterclockwise:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  denied: ':no_entry:',
  expired: ':alarm_clock:',
  withdrawn: ':leftwards_arrow_with_hook:',
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
  withdrawn: 'withdrawn',
  skipped: 'skipped',
};

/** One line per call: `iam:Action {params}` and why. */
export function planLines(plan: readonly PlannedCall[] | undefined): string[] {
  return (plan ?? []).map((call) => {
    const params = call.params ? JSON.stringify(call.params) : '';
    return `${call.service ?? 'aws'}:${call.action ?? '?'} ${params}${call.why ? `\n   ↳ ${call.why}` : ''}`;
  });
}

/**
 * What a plan must say loudly before anyone approves it: a defender-protected principal (two
 * approvals) and attacker activity found about a principal. Each said once.
 */
export function planAlerts(plan: readonly PlannedCall[] | undefined): string[] {
  const warnings = [...new Set((plan ?? []).flatMap((c) => (c.protectedBy && !c.notSent ? [c.protectedBy] : [])))];
  const findings = [...new Set((plan ?? []).flatMap((c) => (c.finding ? [c.finding] : [])))];
  return [...warnings.map((w) => `:rotating_light: *${esc(w)}*`), ...findings.map((f) => `:warning: ${esc(f)}`)];
}

function planText(plan: readonly PlannedCall[] | undefined, max = 2700): string {
  const lines = planLines(plan);
  if (lines.length === 0) return '_no AWS calls_';
  const whole = lines.join('\n');
  if (whole.length <= max) return `\`\`\`${whole}\`\`\``;
  // Never cut silently: say how much is missing and where the whole plan is.
  const kept: string[] = [];
  let used = 0;
  for (const l of lines) {
    if (used + l.length + 1 > max - 80) break;
    kept.push(l);
    used += l.length + 1;
  }
  return `\`\`\`${kept.join('\n')}\`\`\`\n…and ${lines.length - kept.length} more call(s): the whole plan is in the thread.`;
}

export function incidentCard(incident: Incident, steps: StepRecord[], opts: { approvers?: readonly string[] } = {}): { text: string; blocks: Block[] } {
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
      mrkdwn(`*Requested by*\n${who(incident.requester)}`),
      mrkdwn(`*Reason*\n${esc(clip(incident.reason || '—', 500))}${incident.ticket ? `\n${esc(clip(incident.ticket, 300))}` : ''}`),
    ],
  });
  blocks.push(...intakeBlocks(incident, opts.approvers));
  const list = [...steps]
    .sort((a, b) => a.seq - b.seq)
    .map((s) => {
      const approvals = s.approvalsRequired > 0 ? ` (${s.approvals.length}/${s.approvalsRequired} approvals${s.approvals.length ? `: ${s.approvals.map((a) => who(a.userId)).join(', ')}` : ''})` : '';
      const note = s.note ? ` — ${escKeepMentions(clip(s.note, 200))}` : '';
      return `${STATE_ICON[s.state]} *${s.seq}. ${s.title}*: ${STATE_LABEL[s.state]}${approvals}${note}`;
    });
  blocks.push({ type: 'section', text: mrkdwn(clip(list.join('\n'), 3000)) });

  const open = incident.status === 'open';
  const waitingSteps = open ? steps.filter((s) => s.state === 'awaiting_approval').slice(0, 3) : [];
  for (const waiting of waitingSteps) {
    const need = waiting.approvalsRequired - waiting.approvals.length;
    blocks.push({ type: 'divider' });
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `*${waiting.title}* needs ${need} more approval(s) from ${waiting.approvalsRequired > 1 ? 'distinct approvers' : 'an approver'}${askers(incident.requester, waiting.requestedBy)}` +
          `${waiting.expiresAt ? `, before ${hourMinute(waiting.expiresAt)} UTC` : ''}.${incident.dryRun ? ' *DRY RUN: these calls will be recorded, not made.*' : ''}\n*Exact plan:*`,
      ),
    });
    const alerts = planAlerts(waiting.plan);
    if (alerts.length > 0) blocks.push({ type: 'section', text: mrkdwn(clip(alerts.join('\n'), 2900)) });
    blocks.push({ type: 'section', text: mrkdwn(planText(waiting.plan, waitingSteps.length > 1 ? 1300 : 2700)) });
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
  // Buttons a responder uses to ask: again after an expiry or a withdrawal, a retry after a failure, or an
  // optional step (Undo) once the step it follows has succeeded.
  const succeeded = new Set(steps.filter((s) => s.state === 'succeeded').map((s) => s.name));
  const asks = open
    ? steps.flatMap((s) => {
        if (s.state === 'expired' || s.state === 'withdrawn') return [{ s, label: 'Request approval again' }];
        if (s.state === 'failed') return [{ s, label: `Retry ${s.title}` }];
        if (s.state === 'pending' && s.offer && succeeded.has(s.offer.after)) return [{ s, label: s.offer.label }];
        return [];
      })
    : [];
  if (asks.length > 0) {
    blocks.push({
      type: 'actions',
      block_id: 'kg_asks',
      elements: asks.slice(0, 5).map(({ s, label }) => ({
        type: 'button', action_id: ACTION.rerequest, text: plain(label, 75), value: encodeStepRef({ i: incident.id, s: s.name, v: s.version }),
      })),
    });
  }
  // Review metrics measured so far (time to detect, contain, …), one compact line.
  const metrics = compactMetrics(reviewMetrics(incident, steps));
  if (metrics) blocks.push({ type: 'context', elements: [mrkdwn(`:stopwatch: Time to ${metrics}`)] });
  blocks.push({ type: 'context', elements: [mrkdwn(`Opened ${dayMinute(incident.createdAt)} UTC · details in the thread · \`/incident show ${incident.id}\``)] });
  const summary = `${incident.id}: leaked key ${incident.keyId}${dry}${closed}. ${steps.map((s) => `${s.title}: ${STATE_LABEL[s.state]}`).join(', ')}`;
  return { text: clip(summary, 3000), blocks };
}

/** Who may not approve: the incident's requester (a person) and whoever asked for the step. */
function askers(requester: string, requestedBy: string | undefined): string {
  const people = [...new Set([requester, requestedBy].filter((u): u is string => u !== undefined && /^[UW][A-Z0-9]+$/.test(u)))];
  return people.length === 0 ? '' : ` other than ${people.map((u) => `<@${u}>`).join(' and ')}`;
}
