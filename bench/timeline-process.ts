/**
 * One timeline measurement in a process of its own (so its peak memory is its own): build
 * the review pack of the constructed incident with N attacker events and render all four
 * files (Markdown, CSV, JSON written to disk; the PNG chart drawn in its worker thread).
 * Prints one JSON line: milliseconds per phase and the process's peak resident memory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reviewScenario } from '../test/support/review-scenario';
import { writeReviewPack } from '../src/slack/review-pack-upload';
import { pngSize } from '../src/timeline/chart-png';

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  const bundle = reviewScenario(n);
  const rssBefore = process.memoryUsage().rss;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-bench-timeline-'));
  try {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const written = await writeReviewPack(bundle, dir, { tz: 'America/New_York' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // CPU time of the whole process (this thread and the chart's worker): the work done, whatever else the machine runs.
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    if (written.chartError) throw new Error(written.chartError);
    const png = fs.readFileSync(written.files[3].path);
    if (!pngSize(png)) throw new Error('the chart is not a PNG');
    const bytes = Object.fromEntries(written.files.map((f) => [path.extname(f.filename).slice(1), fs.statSync(f.path).size]));
    // maxRSS: the peak resident set of this process (kilobytes), worker thread included.
    console.log(JSON.stringify({ n, entries: written.pack.entries, ms, cpuMs, peakRssMb: process.resourceUsage().maxRSS / 1024, recordRssMb: rssBefore / 1024 / 1024, bytes }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
