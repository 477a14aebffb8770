/**
 * The playbook's Investigate step on Slack: pulls CloudTrail for the leaked key (and its
 * user), posts the summary in the incident thread and uploads the full export there (the
 * same report flow as `/trail`, src/slack/trail-report.ts).
 */
import type { WebClient } from '@slack/web-api';
import type { InvestigationPort, InvestigationRequest, InvestigationResult, LogPort, TrailPort } from '../ports';
import { reportTrail } from './trail-report';
import { historyNote } from './history-note';

export class SlackInvestigation implements InvestigationPort {
  constructor(private readonly trail: TrailPort, private readonly client: WebClient, private readonly logger: LogPort) {}

  async investigate(o: InvestigationRequest): Promise<InvestigationResult> {
    const label = o.userName ? `${o.keyId} (${o.userName})` : o.keyId;
    // One message in the thread shows progress, then becomes the summary.
    const first = await this.client.chat.postMessage({ channel: o.channel, thread_ts: o.threadTs, text: `:hourglass_flowing_sand: Pulling CloudTrail for ${label}…` });
    const r = await reportTrail(this.trail, this.client, this.logger, {
      where: { channel: o.channel, ts: first.ts! },
      threadTs: o.threadTs,
      label,
      pull: { subject: { kind: 'key', accessKeyId: o.keyId, temporary: o.keyId.startsWith('ASIA') }, alsoUserName: o.userName, ownerActivity: true, account: o.account, start: o.start, end: o.end, signal: o.signal },
      files: { csv: `${o.incidentId}-cloudtrail.csv`, ndjson: `${o.incidentId}-cloudtrail.ndjson`, title: `${o.incidentId} CloudTrail`, comment: (n) => `All ${n} events for ${label}` },
      // The findings stand; only the attachment is missing. Say so instead of failing the step.
      uploadFailed: (why) => `:warning: The full CloudTrail export could not be uploaded (${why}). Run \`/trail ${o.keyId}\` to get it.`,
      pullFailed: `:warning: CloudTrail pull for ${label} failed.`,
      // Which history answered (LookupEvents, Athena or Lake) and why, as /trail says it.
      afterSummary: async (res, say) => {
        if (res.history) await say(historyNote(res.history));
      },
    });
    return {
      summary: r.summary,
      regionsQueried: r.regions.length,
      regionsFailed: r.progress.regionsFailed.map((f) => f.region),
      ...(r.graph ? { graph: r.graph } : {}),
      ...(r.ownerActivity ? { ownerActivity: r.ownerActivity } : {}),
    };
  }
}
