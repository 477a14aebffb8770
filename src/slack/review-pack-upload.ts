/**
 * Posts an incident's review pack into its thread: the timeline as Markdown, CSV and JSON,
 * and the activity chart as a PNG, in one external upload. The files are written to a
 * temporary folder and streamed from there; the folder is removed afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WebClient } from '@slack/web-api';
import type { IncidentBundle } from '../ports';
import { LINE_BREAK, reviewPack, reviewPackNames, type ReviewPack } from '../timeline/review-pack';
import { pngRenderer, type ChartRenderer } from '../timeline/chart-png';
import { compactMetrics } from '../timeline/review-metrics';
import { uploadFiles, type UploadItem } from './file-upload';
import type { LogPort } from '../ports';

export interface ReviewPackWritten {
  dir: string;
  files: UploadItem[];
  pack: ReviewPack;
  /** Set when the chart could not be drawn: the other files are still written. */
  chartError?: string;
}

let defaultRenderer: ChartRenderer | undefined;

/** Write the four files of the pack into `dir`. */
/** Write lines to a file in chunks of about 1 MB: the whole text never sits in memory. */
function writeLines(file: string, lines: Iterable<string>, br: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    let chunk: string[] = [];
    let size = 0;
    for (const line of lines) {
      chunk.push(line);
      size += line.length + br.length;
      if (size > 1_000_000) {
        fs.writeSync(fd, `${chunk.join(br)}${br}`);
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) fs.writeSync(fd, `${chunk.join(br)}${br}`);
  } finally {
    fs.closeSync(fd);
  }
}

export async function writeReviewPack(b: IncidentBundle, dir: string, opts: { tz?: string; renderer?: ChartRenderer } = {}): Promise<ReviewPackWritten> {
  const pack = reviewPack(b, { tz: opts.tz });
  const names = reviewPackNames(b.incident.id);
  const id = b.incident.id;
  // The chart is drawn in a worker thread while this thread writes the text files.
  const renderer = opts.renderer ?? (defaultRenderer ??= pngRenderer());
  const drawing = renderer.render(pack.chart).then((png) => ({ png }), (e: Error) => ({ error: e.message }));
  const files: UploadItem[] = [];
  const item = (name: string, title: string) => {
    const p = path.join(dir, name);
    files.push({ path: p, filename: name, title });
    return p;
  };
  writeLines(item(names.markdown, `${id} timeline`), pack.markdown(), LINE_BREAK.markdown);
  writeLines(item(names.csv, `${id} timeline (CSV)`), pack.csv(), LINE_BREAK.csv);
  writeLines(item(names.json, `${id} timeline (JSON)`), pack.json(), LINE_BREAK.json);
  const drawn = await drawing;
  if ('png' in drawn) fs.writeFileSync(item(names.png, `${id} attacker activity by region`), drawn.png);
  return { dir, files, pack, chartError: 'error' in drawn ? drawn.error : undefined };
}

/** Write the pack and upload it to the incident's thread. */
export async function postReviewPack(client: WebClient, b: IncidentBundle, opts: { tz?: string; renderer?: ChartRenderer; logger?: LogPort } = {}): Promise<ReviewPack> {
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
