/**
 * The playbook's Investigate step on Slack: pulls CloudTrail for the leaked key (and its
 * user), posts the summary in the incident thread and uploads the full export there.
 */
import fs from 'node:fs';
import type { KnownBlock, WebClient } from '@slack/web-api';
import type { InvestigationPort, TrailPort } from '../ports';
import { trailSummaryBlocks } from './trail-blocks';
import { uploadFiles } from './file-upload';

export class SlackInvestigation implements InvestigationPort {
  constructor(private readonly trail: TrailPort, private readonly client: WebClient) {}

  async investigate(o: Parameters<InvestigationPort['investigate']>[0]) {
    const r = await this.trail.pull({
      subject: { kind: 'key', accessKeyId: o.keyId, temporary: o.keyId.startsWith('ASIA') },
      alsoUserName: o.userName,
      account: o.account,
      start: o.start,
      end: o.end,
      exportFiles: true,
    });
    const label = o.userName ? `${o.keyId} (${o.userName})` : o.keyId;
    const view = trailSummaryBlocks(r.summary, {
      subject: label,
      window: { start: o.start.toISOString(), end: o.end.toISOString() },
      regionsQueried: r.regions.length,
      regionsFailed: r.progress.regionsFailed,
      duplicatesDropped: r.progress.duplicatesDropped,
    });
    await this.client.chat.postMessage({ channel: o.channel, thread_ts: o.threadTs, text: view.text, blocks: view.blocks as unknown as KnownBlock[] });
    if (r.files) {
      try {
        await uploadFiles(
          this.client,
          [
            { path: r.files.csv, filename: `${o.incidentId}-cloudtrail.csv`, title: `${o.incidentId} CloudTrail (CSV)` },
            { path: r.files.ndjson, filename: `${o.incidentId}-cloudtrail.ndjson`, title: `${o.incidentId} CloudTrail (NDJSON)` },
          ],
          { channel: o.channel, threadTs: o.threadTs, comment: `All ${r.summary.eventCount} events for ${label}` },
        );
      } catch (e) {
        // The findings stand; only the attachment is missing. Say so instead of failing the step.
        const why = (e as { data?: { error?: string } }).data?.error ?? (e as Error).message;
        await this.client.chat.postMessage({ channel: o.channel, thread_ts: o.threadTs, text: `:warning: The full CloudTrail export could not be uploaded (${why}). Run \`/trail ${o.keyId}\` to get it.` }).catch(() => undefined);
      } finally {
        fs.rmSync(r.files.dir, { recursive: true, force: true });
      }
    }
    return { summary: r.summary, regionsQueried: r.regions.length, regionsFailed: r.progress.regionsFailed.map((f) => f.region) };
  }
}
