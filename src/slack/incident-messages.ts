/**
 * Every word the engine and the watch say, from their typed notices and click results: the
 * incident thread's messages and the answers to the person who clicked. Pure.
 */
import type { ClickResult, IncidentNotice } from '../domain/incident-notice';
import type { ApprovalProblem, OpenEnd, RefusalReason } from '../domain/approval-rules';
import { hourMinute } from '../domain/time';
import { MAX_WATCHED_KEYS, type WatchedKey, type WatchedSummary, type WatchFinding } from '../domain/watch';
import { describeExpectation, type Drift, type DriftChange } from '../domain/drift';
import { planAlerts, planLines } from './incident-card';
import { esc, escKeepMentions } from './text';

/** The thread message for a notice (undefined: nothing to say). */

/** A reason that already ends "Nothing was sent to AWS." (a refusal), said once by the sentence around it. */
function withoutNothingSent(reason: string): string {
  return reason.replace(/\s*Nothing was sent to AWS\.?\s*$/, '').replace(/([^.!?])$/, '$1.');
}

export function noticeText(n: IncidentNotice): string | undefined {
  switch (n.kind) {
    case 'approval_requested':
      return n.plan.length > 0 ? `*${n.title}*: approval requested.${planAlerts(n.plan).map((a) => `\n${a}\n`).join('')} The whole plan:\n\`\`\`${planLines(n.plan).join('\n')}\`\`\`` : undefined;
    case 'step_finished':
      return `${n.ok ? ':white_check_mark:' : ':x:'} *${n.title}*${n.dryRun ? ' (DRY RUN)' : ''}: ${escKeepMentions(n.note)}`;
    case 'step_denied':
      return `:no_entry: *${n.title}* denied by <@${n.by}>: ${esc(n.reason)}`;
    case 'step_withdrawn':
      return `:leftwards_arrow_with_hook: *${n.title}* withdrawn by <@${n.by}>, who asked for it: ${esc(n.reason)}. Nothing was changed in AWS; the card offers to request approval again.`;
    case 'plan_failed':
      return `:x: *${n.title}* could not be planned: ${escKeepMentions(withoutNothingSent(n.reason))} Nothing was sent to AWS. *Retry ${n.title}* on the card plans it again and asks for approval.`;
    case 'approval_rejected':
      return `:octagonal_sign: *${n.title}* did not run: ${approvalProblemText(n.problem)} Nothing was sent to AWS; this is in the record. Ask for approval again if the step is still wanted.`;
    case 'watch_started':
      return `:eyes: Watching \`${n.keyId}\`, and every credential the investigation finds it minted, for ${n.minutes} min: CloudTrail is checked every ${n.every} min for any use since containment or new persistence.`;
    case 'watch_stopped':
      return `Watch stopped: ${n.reason === 'undone' ? 'containment was undone' : 'the incident is closed'}.`;
    case 'watch_alert':
      return watchAlertText(n.finding, n.keyId);
    case 'containment_drift':
      return driftText(n.drifts, n.changes, n.next);
    case 'watch_ended':
      if (n.watched) return watchEndedText(n.watched);
      return n.total === 0
        ? `:white_check_mark: Watch ended: no use of \`${n.keyId}\` or its sessions since containment.`
        : `Watch ended: ${n.total} call(s) since containment in all; see the alerts above.`;
  }
}

const KIND_WORDS: Record<string, string> = {
  'role-session': 'session of role',
  'session-token': 'session token of',
  'federation-token': 'federation token of',
  'access-key': 'access key of',
  'login-profile': 'console access of',
};

/** The watch's closing line: exactly which credentials it followed, and what each did since containment. */
export function watchEndedText(w: WatchedSummary): string {
  const derived = w.keys.filter((k) => k.keyId !== w.keyId);
  const label = (k: WatchedKey) => `\`${k.keyId}\`${KIND_WORDS[k.kind] ? ` (${KIND_WORDS[k.kind]}${k.of ? ` ${esc(k.of)}` : ''})` : ''}`;
  const shown = derived.slice(0, 10);
  const more = derived.length > shown.length ? ` and ${derived.length - shown.length} more` : '';
  const what =
    derived.length > 0
      ? `\`${w.keyId}\` and the ${derived.length} credential(s) it minted: ${shown.map((k) => `${label(k)}${w.total > 0 ? ` ${k.events}` : ''}`).join(', ')}${more}`
      : `\`${w.keyId}\` (the investigation found no credential it minted)`;
  const head = `after ${w.minutes} min (${w.checks} check(s)), by AccessKeyId`;
  const lines = [
    w.total === 0
      ? `:white_check_mark: Watch ended ${head}: no use since containment of ${what}.`
      : `Watch ended ${head}: ${w.total} call(s) since containment. \`${w.keyId}\`: ${w.keys.find((k) => k.keyId === w.keyId)?.events ?? 0}; watched ${what}. See the alerts above.`,
  ];
  if (w.notFollowed > 0) lines.push(`${w.notFollowed} more minted credential(s) were not followed (the watch follows at most ${MAX_WATCHED_KEYS} besides the key); check them with \`/trail\`.`);
  if (w.unsearched.length > 0) lines.push(`Not searched in the last check (lookup failed): ${w.unsearched.map((k) => `\`${k}\``).join(', ')}.`);
  return lines.join('\n');
}

export function watchAlertText(f: WatchFinding, keyId: string): string | undefined {
  if (f.newEvents === 0 && f.created.length === 0) return undefined;
  const lines = [`:rotating_light: *Watch:* \`${keyId}\` or a session it minted was used after containment: ${f.newEvents} new call(s); since containment ${f.succeeded} succeeded, ${f.denied} were denied.`];
  // Source IPs come from CloudTrail, i.e. from whoever made the call: text, never markup.
  if (f.ips.length > 0) lines.push(`From: ${f.ips.map((ip) => `\`${esc(ip).replace(/`/g, "'")}\``).join(', ')}`);
  if (f.created.length > 0) lines.push(`:anchor: New persistence: ${f.created.slice(0, 10).join(', ')}${f.created.length > 10 ? ` …and ${f.created.length - 10} more` : ''}`);
  if (f.succeeded > 0) lines.push('Calls are still *succeeding*: check that the deny policy is in place and look for other credentials.');
  return lines.join('\n');
}

/** The watch found containment undone behind the bot's back: what, who (CloudTrail), and what happens next. */
export function driftText(drifts: readonly Drift[], changes: readonly DriftChange[], next: Extract<IncidentNotice, { kind: 'containment_drift' }>['next']): string {
  const lines = [`:rotating_light: *Containment no longer holds:* ${drifts.map((d) => `${esc(describeExpectation(d.expectation))} ${esc(d.now)}`).join('; ')}.`];
  // Caller ARNs, keys and IPs come from CloudTrail, i.e. from whoever made the call: text, never markup.
  const code = (s: string) => `\`${esc(s).replace(/`/g, "'")}\``;
  if (changes.length > 0) {
    lines.push(`Changed by (CloudTrail): ${changes.map((c) => `${c.eventName} at ${c.time} by ${c.callerArn ? code(c.callerArn) : 'an unknown caller'}${c.accessKeyId ? ` with ${code(c.accessKeyId)}` : ''}${c.sourceIp ? ` from ${code(c.sourceIp)}` : ''} (${esc(c.what)})`).join('; ')}.`);
  } else {
    lines.push('Who changed it: not in CloudTrail yet (events take minutes to arrive); the next check looks again.');
  }
  switch (next.kind) {
    case 'approve':
      lines.push(`*${next.title}* needs ${next.approvals} approval(s) on the card: the same containment with a fresh cut-off, so sessions minted while it was undone are denied too.`);
      break;
    case 'auto':
      lines.push(`Re-applied at once, approved by policy ${next.policy}, with a fresh cut-off: sessions minted while it was undone are denied too.`);
      break;
    case 'in_progress':
      lines.push(`*${next.title}* is already on the card; it re-applies everything with a fresh cut-off.`);
      break;
    case 'plan_failed':
      lines.push(`Re-applying could not be planned: ${esc(next.reason)} Retry it on the card.`);
      break;
  }
  return lines.join('\n');
}

/** The answer to the person who clicked Approve, Deny, Request again, Retry or Close. */
export function clickText(r: ClickResult): string {
  switch (r.kind) {
    case 'approved':
      return r.approvals < r.required
        ? `Approval recorded for *${r.title}*: ${r.approvals} of ${r.required}. One more approver (not the requester) is needed.`
        : `Approved *${r.title}*. It is running now; the card shows the result.`;
    case 'denied':
      return `Denied *${r.title}*. Nothing was changed in AWS.`;
    case 'withdrawn':
      return `Withdrew your request for *${r.title}*. Nothing was changed in AWS; it can be asked again from the card.`;
    case 'secret_refused':
      return `:rotating_light: That ${r.what} contains something shaped like a secret access key, so it was not recorded. Delete your message and treat that key as leaked; nothing was changed.`;
    case 'refused':
      return refusalText(r);
    case 'request_refused':
      switch (r.refusal) {
        case 'closed':
          return `Incident ${r.incidentId} is closed.`;
        case 'not_responder':
          return 'Only incident responders can ask for approval again.';
        case 'not_yet':
          return `*${r.title}* is only possible after ${r.afterTitle} has succeeded.`;
        case 'stale':
          return `*${r.title}* is ${r.state.replace('_', ' ')}; nothing to ask again. The card has been refreshed.`;
        case 'withdrawn':
          return `*${r.title}* is no longer possible: ${r.afterTitle} has started. Nothing was changed.`;
      }
      break;
    case 'retrying':
      return `Retrying *${r.title}*.`;
    case 'plan_failed':
      return `*${r.title}* could not be planned: ${withoutNothingSent(r.reason)} Nothing was sent to AWS; the card shows why and offers Retry.`;
    case 'requested':
      return r.again ? `Approval for *${r.title}* requested again.` : `Approval for *${r.title}* requested.`;
    case 'closed':
      return r.watchOutlivesClose
        ? `Closed ${r.incidentId}. The watch on the key, if one is running, keeps its full time: only an approver other than the requester ends it with the close.`
        : `Closed ${r.incidentId}.`;
    case 'close_refused':
      if (r.why === 'needs_second_person') {
        const people = r.askers.filter((u) => /^[UW][A-Z0-9]+$/.test(u)).map((u) => `<@${u}>`);
        return `Incident ${r.incidentId} still has ${r.openEnds.map(openEndText).join(', ')}. Closing it now needs an approver (IR_APPROVERS)${people.length ? ` other than ${people.join(' and ')}` : ''}: two people end what two people started. Nothing was changed.`;
      }
      return r.why === 'missing' ? `No incident ${r.incidentId}.` : `Incident ${r.incidentId} is already closed.`;
  }
}

/** One thing closing would leave open, in a few words. */
function openEndText(e: OpenEnd): string {
  switch (e.end) {
    case 'awaiting':
      return `*${e.title}* awaiting approval`;
    case 'undone':
      return 'containment undone';
    case 'not_done':
      return `*${e.title}* ${e.state === 'pending' ? 'not run' : e.state.replace('_', ' ')}`;
  }
}

/** Why the approval rules refused a click, said to the person who clicked. */
export function refusalText(r: RefusalReason): string {
  switch (r.refusal) {
    case 'closed':
      return `Incident ${r.incidentId} is closed; nothing was changed.`;
    case 'expired':
      return `The approval request for *${r.title}* expired at ${hourMinute(r.expiresAt)} UTC. Nothing was changed; the card now offers to request approval again.`;
    case 'stale':
      return `That card was out of date: *${r.title}* is now ${r.state.replace('_', ' ')}. Nothing was changed; the card has been refreshed.`;
    case 'no_approvers_configured':
      return 'No approvers are configured (IR_APPROVERS), so nobody can approve. Ask the bot\'s admin to set it.';
    case 'not_approver':
      return `Only approvers listed in IR_APPROVERS can ${r.action} *${r.title}*. Nothing was changed.`;
    case 'self_approval':
      return r.askedFor === 'step'
        ? `You asked for *${r.title}*, so someone else must approve it (you may withdraw it with Deny). Nothing was changed.`
        : 'You requested this incident, so someone else must approve it. Nothing was changed.';
    case 'already_approved':
      return `You already approved *${r.title}*; it needs ${r.need} more approval(s) from someone else.`;
    case 'withdraw_after_approval':
      return `*${r.title}* already has ${r.approvals} approval(s), so it is no longer yours to withdraw: an approver other than you may deny it. Nothing was changed.`;
  }
}

/** Why recorded approvals did not hold right before a step ran. */
export function approvalProblemText(p: ApprovalProblem | { problem: 'withdrawn'; by: string }): string {
  switch (p.problem) {
    case 'too_few':
      return `it has ${p.approvals} of the ${p.required} approvals it needs.`;
    case 'not_approver':
      return `<@${p.userId}> is recorded as approving it but is not an approver now.`;
    case 'requester_approved':
      return `<@${p.userId}> asked for it and is recorded as approving it.`;
    case 'duplicate':
      return `<@${p.userId}> is recorded as approving it twice.`;
    case 'plan_changed':
      return `what it would do is not what <@${p.userId}> approved (the plan or its data changed after approval).`;
    case 'withdrawn':
      return `it was withdrawn once ${p.by} started.`;
  }
}
