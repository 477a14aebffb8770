/**
 * The App Home tab, per viewer: the steps waiting for *their* approval (with the card's own
 * Approve/Deny buttons), open incidents with their state and age, and recently closed ones
 * with a Timeline button. Pure: the record, the viewer's rights and `now` in, a view out.
 * Bounded so the view stays within Slack's 100 blocks for any number of incidents.
 *
 * Only responders and approvers see any of it; anyone else gets noAccessHomeView: how to
 * get access, and nothing about any incident (no key id, state or count).
 */
import type { Incident, StepRecord } from '../domain/incident';
import { formatDuration } from '../timeline/review-metrics';
import { slackTime } from '../timeline/zoned-time';
import { ACTION, encodeStepRef } from './ids';
import { clip, esc, mrkdwn, plain } from './text';
import type { Block } from './key-owner-blocks';

/** Each list is cut here, with "…and N more": 15×3 + 20 + 10 blocks plus headings stays under 100. */
export const HOME_LIMITS = { approvals: 15, open: 20, closed: 10 } as const;

export interface HomeInput {
  viewer: string;
  tz: string;
  now: Date;
  open: Array<{ incident: Incident; steps: StepRecord[] }>;
  closed: Incident[];
  /** The server-side approval rules (checkClick), for this viewer and step. */
  mayApprove: (incident: Incident, step: StepRecord) => boolean;
  /** IR_RESPONDERS is `*`: say that every member of the workspace sees this. */
  openToWorkspace?: boolean;
}

/** The tab of someone who is neither a responder nor an approver: how to get access, nothing else. */
export function noAccessHomeView(): { type: 'home'; blocks: Block[] } {
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: plain('keyguard: leaked AWS keys') },
      {
        type: 'section',
        text: mrkdwn(
          'This tab shows leaked-key incidents to incident responders and approvers only, and you are not one of them.\n' +
            'To get access, ask whoever runs keyguard for your security team to add you, or a user group you are in, to *IR_RESPONDERS* (or *IR_APPROVERS* to approve).',
        ),
      },
    ],
  };
}

const LABEL: Partial<Record<StepRecord['state'], string>> = {
  awaiting_approval: 'awaiting approval',
  running: 'running',
  failed: 'failed',
  approved: 'approved',
  expired: 'approval expired',
  withdrawn: 'withdrawn',
};

/** Where an open incident stands: the step that needs someone, else the last one done. */
function incidentState(steps: StepRecord[]): string {
  const sorted = [...steps].sort((a, b) => a.seq - b.seq);
  const active = sorted.filter((s) => LABEL[s.state]);
  if (active.length > 0) return active.map((s) => `${s.title}: ${LABEL[s.state]}${s.state === 'awaiting_approval' ? ` (${s.approvals.length}/${s.approvalsRequired})` : ''}`).join(', ');
  const done = sorted.filter((s) => s.state === 'succeeded').at(-1);
  return done ? `${done.title} done` : 'opened';
}

const more = (n: number, what: string): Block[] => (n > 0 ? [{ type: 'context', elements: [mrkdwn(`…and ${n} more ${what}. \`/incident list\` shows every open incident.`)] }] : []);

export function homeView(h: HomeInput): { type: 'home'; blocks: Block[] } {
  const blocks: Block[] = [{ type: 'header', text: plain('keyguard: leaked AWS keys') }];

  const waiting = h.open.flatMap(({ incident, steps }) =>
    steps.filter((s) => s.state === 'awaiting_approval' && h.mayApprove(incident, s)).map((step) => ({ incident, step })));
  blocks.push({ type: 'section', text: mrkdwn(`*Waiting for your approval* (${waiting.length})`) });
  if (waiting.length === 0) blocks.push({ type: 'context', elements: [mrkdwn('Nothing waits for you.')] });
  for (const { incident, step } of waiting.slice(0, HOME_LIMITS.approvals)) {
    const need = step.approvalsRequired - step.approvals.length;
    const calls = step.plan?.length ?? 0;
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `*${incident.id}* · \`${incident.keyId}\` · ${incident.severity}${incident.dryRun ? ' · DRY RUN' : ''}\n` +
          `*${esc(step.title)}* needs ${need} more approval(s); requested by <@${incident.requester}>` +
          `${step.expiresAt ? `, until ${slackTime(step.expiresAt, h.tz)}` : ''}. ${calls} AWS call(s): the exact plan is on the card.`,
      ),
    });
    const ref = encodeStepRef({ i: incident.id, s: step.name, v: step.version });
    blocks.push({
      type: 'actions',
      block_id: clip(`kg_home_${incident.id}_${step.name}`, 255),
      elements: [
        { type: 'button', action_id: ACTION.approve, style: 'primary', text: plain('Approve', 75), value: ref },
        { type: 'button', action_id: ACTION.deny, style: 'danger', text: plain('Deny', 75), value: ref },
      ],
    });
  }
  blocks.push(...more(waiting.length - HOME_LIMITS.approvals, 'step(s) waiting for you'));

  blocks.push({ type: 'divider' }, { type: 'section', text: mrkdwn(`*Open incidents* (${h.open.length})`) });
  if (h.open.length === 0) blocks.push({ type: 'context', elements: [mrkdwn('No open incidents.')] });
  const byAge = [...h.open].sort((a, b) => a.incident.createdAt.localeCompare(b.incident.createdAt));
  for (const { incident, steps } of byAge.slice(0, HOME_LIMITS.open)) {
    const age = formatDuration(h.now.getTime() - Date.parse(incident.createdAt));
    blocks.push({
      type: 'section',
      text: mrkdwn(`*${incident.id}* · \`${incident.keyId}\` · ${incident.severity}${incident.dryRun ? ' · DRY RUN' : ''} · open ${age}\n${esc(clip(incidentState(steps), 600))}`),
    });
  }
  blocks.push(...more(h.open.length - HOME_LIMITS.open, 'open incident(s)'));

  blocks.push({ type: 'divider' }, { type: 'section', text: mrkdwn('*Recently closed*') });
  if (h.closed.length === 0) blocks.push({ type: 'context', elements: [mrkdwn('None yet.')] });
  for (const incident of h.closed.slice(0, HOME_LIMITS.closed)) {
    blocks.push({
      type: 'section',
      text: mrkdwn(`*${incident.id}* · \`${incident.keyId}\` · closed ${incident.closedAt ? slackTime(incident.closedAt, h.tz) : ''}\n${esc(clip(incident.resolution ?? '', 300))}`),
      accessory: { type: 'button', action_id: ACTION.homeTimeline, text: plain('Timeline', 75), value: incident.id },
    });
  }
  if (h.openToWorkspace) {
    blocks.push({ type: 'context', elements: [mrkdwn('Trial: IR_RESPONDERS is `*`, so every member of this workspace is a responder and sees these incidents. Name the responders before real use.')] });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(`Updated ${slackTime(h.now.toISOString(), h.tz)} (your time zone). Buttons follow the same rules as on the incident card.`)] });
  return { type: 'home', blocks };
}
