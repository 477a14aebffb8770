/**
 * Posts an incident's review pack into its thread: the timeline as Markdown, CSV and JSON,
 * and the activity chart as a PNG, in one external upload. The files are written to a
 * temporary folder and streamed from there; the folder is removed afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WebClient } from '@slack/web-api';
import type { IncidentBundle } from '../store/incident-store';
import { reviewPackNames, reviewPackText, type ReviewPackText } from '../timeline/review-pack';
import { pngRenderer, type ChartRenderer } from '../timeline/chart-png';
import { compactMetrics } from '../timeline/review-metrics';
import { uploadFiles, type UploadItem } from './file-upload';
import type { Logger } from '../logger';

export interface ReviewPackWritten {
  dir: string;
  files: UploadItem[];
  pack: ReviewPackText;
  /** Set when the chart could not be drawn: the other files are still written. */
  chartError?: string;
}

let defaultRenderer: ChartRenderer | undefined;

/** Write the four files of the pack into `dir`. */
export async function writeReviewPack(b: IncidentBundle, dir: string, opts: { tz?: string; renderer?: ChartRenderer } = {}): Promise<ReviewPackWritten> {
  const pack = reviewPackText(b, { tz: opts.tz });
  const names = reviewPackNames(b.incident.id);
  const id = b.incident.id;
  const files: UploadItem[] = [];
  const write = (name: string, title: string, data: string | Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data);
    files.push({ path: p, filename: name, title });
  };
  write(names.markdown, `${id} timeline`, pack.markdown);
  write(names.csv, `${id} timeline (CSV)`, pack.csv);
  write(names.json, `${id} timeline (JSON)`, pack.json);
  let chartError: string | undefined;
  try {
    const renderer = opts.renderer ?? (defaultRenderer ??= pngRenderer());
    write(names.png, `${id} attacker activity by region`, await renderer.render(pack.chart));
  } catch (e) {
    chartError = (e as Error).message;
  }
  return { dir, files, pack, chartError };
}

/** Write the pack and upload it to the incident's thread. */
export async function postReviewPack(client: WebClient, b: IncidentBundle, opts: { tz?: string; renderer?: ChartRenderer; logger?: Logger } = {}): Promise<ReviewPackText> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-review-'));
  try {
    const w = await writeReviewPack(b, dir, opts);
    if (w.chartError) opts.logger?.error({ incident: b.incident.id, err: w.chartError }, 'the activity chart could not be drawn');
    const metrics = compactMetrics(w.pack.metrics);
    await uploadFiles(client, w.files, {
      channel: b.incident.channel,
      threadTs: b.incident.cardTs,
      comment: `Review pack of ${b.incident.id} (${b.events.length} recorded events, ${w.pack.entries} timeline entries)${metrics ? `. Time to ${metrics}` : ''}${w.chartError ? '. The chart could not be drawn this time; the other files are complete.' : ''}`,
    });
    return w.pack;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
