/**
 * The ports the playbook engine needs, for the break-glass CLI: no Slack. Notices are
 * printed as the bot would say them in the incident thread; the investigation prints the
 * CloudTrail summary and keeps the export files; the owner is told by the operator.
 */
import type { AccessPolicy, IncidentNotifier, InvestigationPort, InvestigationRequest, InvestigationResult, OwnerContactPort, TrailPort } from '../ports';
import type { IncidentBundle } from '../ports';
import type { Incident } from '../domain/incident';
import type { IncidentNotice } from '../domain/incident-notice';
import type { LookupProgress } from '../domain/trail-progress';
import { noticeText } from '../slack/incident-messages';
import { trailSummaryBlocks } from '../slack/trail-blocks';
import { plainMrkdwn, renderBlocks } from './plain-text';

/** Every record the CLI writes names its actor with this prefix: the break-glass flag. */
const BREAK_GLASS_PREFIX = 'break-glass:';

export function breakGlassActor(osUser: string): string {
  return `${BREAK_GLASS_PREFIX}${osUser}`;
}

/** The operator's approval: the plan confirmed by typing the key id back. */
export function typedConfirmationActor(osUser: string): string {
  return `${BREAK_GLASS_PREFIX}${osUser}/typed-confirmation`;
}

/** The second operator of a destructive step, named with --second-approver. */
export function secondApproverActor(name: string): string {
  return `${BREAK_GLASS_PREFIX}${name}/second-approver`;
}

/** Where the CLI writes what the bot would post (stderr: stdout stays for --json). */
export type Say = (text: string) => void;

/** The card lives in Slack: the CLI keeps no card, it says the notices. */
export class TerminalNotifier implements IncidentNotifier {
  constructor(private readonly say: Say) {}

  async renderCard(_bundle: IncidentBundle): Promise<string | undefined> {
    return undefined;
  }

  async notify(_incident: Incident, notice: IncidentNotice): Promise<void> {
    const text = noticeText(notice);
    if (text) this.say(plainMrkdwn(text));
  }
}

/**
 * Break-glass access: only break-glass actors (the OS user running the CLI with the AWS
 * credentials in hand) act here; the CLI itself asks for the typed confirmation and the
 * second approver before it approves anything.
 */
export class BreakGlassAccess implements AccessPolicy {
  readonly approversConfigured = true;

  async isResponder(userId: string): Promise<boolean> {
    return userId.startsWith(BREAK_GLASS_PREFIX);
  }

  async isApprover(userId: string): Promise<boolean> {
    return userId.startsWith(BREAK_GLASS_PREFIX);
  }
}

/** Without Slack the bot cannot DM the owner: the step records who to tell, the operator does it. */
export class OperatorTellsOwner implements OwnerContactPort {
  async notifyOwner(o: { incidentId: string; keyId: string; tags: Record<string, string> }): Promise<{ reached?: string; summary: string }> {
    const who = Object.entries(o.tags)
      .filter(([k]) => /slack|owner|email|contact|team/i.test(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    return { summary: `break-glass: Slack not used; the operator must tell the owner${who ? ` (${who})` : ' (no owner tags on the user)'} about ${o.keyId}` };
  }
}

/** The Investigate step in a terminal: progress while pulling, then the summary. */
export class TerminalInvestigation implements InvestigationPort {
  constructor(private readonly trail: TrailPort, private readonly say: Say, private readonly progress: (label: string) => (p: LookupProgress) => void) {}

  async investigate(o: InvestigationRequest): Promise<InvestigationResult> {
    const label = o.userName ? `${o.keyId} (${o.userName})` : o.keyId;
    const r = await this.trail.pull({
      subject: { kind: 'key', accessKeyId: o.keyId, temporary: o.keyId.startsWith('ASIA') },
      alsoUserName: o.userName,
      account: o.account,
      start: o.start,
      end: o.end,
      signal: o.signal,
      exportFiles: true,
      onProgress: this.progress(`CloudTrail ${label}`),
      progressIntervalMs: 200,
    });
    const blocks = trailSummaryBlocks(r.summary, {
      subject: label,
      window: { start: o.start.toISOString(), end: o.end.toISOString() },
      regionsQueried: r.regions.length,
      regionsFailed: r.progress.regionsFailed.map((f) => ({ region: f.region, errorName: f.errorName })),
      duplicatesDropped: r.progress.duplicatesDropped,
    });
    this.say(renderBlocks(blocks.blocks).join('\n'));
    if (r.files) this.say(`Full export: ${r.files.csv} and ${r.files.ndjson}`);
    return { summary: r.summary, regionsQueried: r.regions.length, regionsFailed: r.progress.regionsFailed.map((f) => f.region) };
  }
}
