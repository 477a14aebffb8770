/**
 * The one CloudTrail report flow on Slack, for `/trail` and the Investigate step: one
 * message shows the pull's progress and then becomes the summary; notes follow in the
 * thread; the full export (CSV and NDJSON) is uploaded there; the files on disk are removed
 * whatever happens. Once the summary is out, a failure after it (a note, the upload) is said
 * in the thread and the summary stays.
 */
import fs from 'node:fs';
import type { WebClient } from '@slack/web-api';
import type { LogPort, TrailPort, TrailPullRequest, TrailPullResult } from '../ports';
import { PROGRESS_UPDATE_INTERVAL_MS, trailProgressBlocks, trailSummaryBlocks } from './trail-blocks';
import { ThrottledUpdater } from './throttled-updater';
import { uploadFiles } from './file-upload';
import { slackErrorCode } from '../errors';

export interface TrailReport {
  /** The message that shows progress and then the summary. */
  where: { channel: string; ts: string };
  /** Where notes and files go: the summary's own thread, or the incident's (undefined: the channel). */
  threadTs: string | undefined;
  /** The subject as people know it (key id, user name, role ARN). */
  label: string;
  pull: Omit<TrailPullRequest, 'exportFiles' | 'onProgress' | 'progressIntervalMs'>;
  /** The export's files: their names, titles and the comment that goes with them. */
  files: { csv: string; ndjson: string; title: string; comment: (eventCount: number) => string };
  /** What the thread is told when the upload fails (the Slack error code given). */
  uploadFailed: (why: string) => string;
  /** Said on the progress message when the pull itself fails (then the error is rethrown). */
  pullFailed?: string;
  /** After the summary, before the upload: more in the thread (e.g. where a key came from). */
  afterSummary?: (result: TrailPullResult, say: (text: string) => Promise<void>) => Promise<void>;
}

export async function reportTrail(trail: TrailPort, client: WebClient, logger: LogPort, r: TrailReport): Promise<TrailPullResult> {
  const { where } = r;
  const { threadTs } = r;
  const updater = new ThrottledUpdater(
    (view: ReturnType<typeof trailProgressBlocks>) => client.chat.update({ channel: where.channel, ts: where.ts, ...view }),
    PROGRESS_UPDATE_INTERVAL_MS,
  );
  let result: TrailPullResult;
  try {
    result = await trail.pull({ ...r.pull, exportFiles: true, progressIntervalMs: 1000, onProgress: (p) => updater.push(trailProgressBlocks(r.label, p)) });
  } catch (e) {
    await updater.stop();
    if (r.pullFailed) {
      await client.chat.update({ channel: where.channel, ts: where.ts, text: r.pullFailed }).catch((err) => logger.warn({ err }, 'could not say that the CloudTrail pull failed'));
    }
    throw e;
  }
  await updater.stop();
  try {
    const summary = trailSummaryBlocks(result.summary, {
      subject: r.label,
      window: { start: r.pull.start.toISOString(), end: r.pull.end.toISOString() },
      regionsQueried: result.regions.length,
      regionsFailed: result.progress.regionsFailed,
      duplicatesDropped: result.progress.duplicatesDropped,
      ...(result.graph ? { graph: result.graph } : {}),
      ...(result.ownerActivity ? { ownerActivity: result.ownerActivity } : {}),
      ...(r.pull.alsoUserName && !r.pull.ownerActivity ? { ownerNotSearched: r.pull.alsoUserName } : {}),
    });
    await client.chat.update({ channel: where.channel, ts: where.ts, ...summary });
    // The summary is out: anything failing from here on is said in the thread.
    const say = async (text: string) => {
      await client.chat.postMessage({ channel: where.channel, thread_ts: threadTs, text }).catch((err) => logger.warn({ err }, 'could not post in the CloudTrail thread'));
    };
    await r.afterSummary?.(result, say);
    if (result.files) {
      try {
        await uploadFiles(
          client,
          [
            { path: result.files.csv, filename: r.files.csv, title: `${r.files.title} (CSV)` },
            { path: result.files.ndjson, filename: r.files.ndjson, title: `${r.files.title} (NDJSON)` },
          ],
          { channel: where.channel, threadTs, comment: r.files.comment(result.summary.eventCount) },
        );
      } catch (e) {
        logger.warn({ err: e }, 'CloudTrail export upload failed');
        await say(r.uploadFailed(slackErrorCode(e)));
      }
    }
  } finally {
    if (result.files) fs.rmSync(result.files.dir, { recursive: true, force: true });
  }
  return result;
}
