/**
 * The playbook's Investigate step on Slack: pulls CloudTrail for the leaked key (and its
 * user), posts the summary in the incident thread and uploads the full export there.
 */
import fs from 'node:fs';
import type { KnownBlock, WebClient } from '@slack/web-api';
import type { InvestigationPort, InvestigationRequest, InvestigationResult, TrailPort } from '../ports';
import { PROGRESS_UPDATE_INTERVAL_MS, trailProgressBlocks, trailSummaryBlocks } from './trail-blocks';
import { ThrottledUpdater } from './throttled-updater';
import { uploadFiles } from './file-upload';
import { slackErrorCode } from '../errors';

export class SlackInvestigation implements InvestigationPort {
  constructor(private readonly trail: TrailPort, private readonly client: WebClient) {}

  async investigate(o: InvestigationRequest): Promise<InvestigationResult> {
    const label = o.userName ? `${o.keyId} (${o.userName})` : o.keyId;
    // One message in the thread shows progress, then becomes the summary.
    const first = await this.client.chat.postMessage({ channel: o.channel, thread_ts: o.threadTs, text: `:hourglass_flowing_sand: Pulling CloudTrail for ${label}…` });
    const ts = first.ts!;
    const updater = new ThrottledUpdater(
      (view: ReturnType<typeof trailProgressBlocks>) => this.client.chat.update({ channel: o.channel, ts, text: view.text, blocks: view.blocks as unknown as KnownBlock[] }),
      PROGRESS_UPDATE_INTERVAL_MS,
    );
    let r;
    try {
      r = await this.trail.pull({
        subject: { kind: 'key', accessKeyId: o.keyId, temporary: o.keyId.startsWith('ASIA') },
        alsoUserName: o.userName,
        account: o.account,
        start: o.start,
        end: o.end,
        exportFiles: true,
        signal: o.signal,
        progressIntervalMs: 1000,
        onProgress: (p) => updater.push(trailProgressBlocks(label, p)),
      });
    } catch (e) {
      await updater.stop();
      await this.client.chat.update({ channel: o.channel, ts, text: `:warning: CloudTrail pull for ${label} failed.` }).catch(() => undefined);
      throw e;
    }
    await updater.stop();
    const view = trailSummaryBlocks(r.summary, {
      subject: label,
      window: { start: o.start.toISOString(), end: o.end.toISOString() },
      regionsQueried: r.regions.length,
      regionsFailed: r.progress.regionsFailed,
      duplicatesDropped: r.progress.duplicatesDropped,
    });
    await this.client.chat.update({ channel: o.channel, ts, text: view.text, blocks: view.blocks as unknown as KnownBlock[] });
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
        const why = slackErrorCode(e);
        await this.client.chat.postMessage({ channel: o.channel, thread_ts: o.threadTs, text: `:warning: The full CloudTrail export could not be uploaded (${why}). Run \`/trail ${o.keyId}\` to get it.` }).catch(() => undefined);
      } finally {
        fs.rmSync(r.files.dir, { recursive: true, force: true });
      }
    }
    return { summary: r.summary, regionsQueried: r.regions.length, regionsFailed: r.progress.regionsFailed.map((f) => f.region) };
  }
}
