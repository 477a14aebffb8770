/**
 * Review pack build and render (Markdown + CSV + JSON written to disk, PNG chart drawn) for
 * the constructed incident with 1,000 / 10,000 / 100,000 attacker events. Each size runs in
 * a fresh process (bench/timeline-process.ts), so the peak memory is that size's own.
 * Targets at 100,000 events: under 3 s and under 300 MB.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Bench } from './bench';
import { fixed, markdownTable } from './bench';

const SIZES = [1_000, 10_000, 100_000];

interface Run {
  n: number;
  entries: number;
  ms: number;
  cpuMs: number;
  peakRssMb: number;
  recordRssMb: number;
  bytes: Record<string, number>;
}

function runOnce(n: number): Run {
  const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'timeline-process.ts'), String(n)], { encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`timeline bench at ${n} events failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Run;
}

export const timelineBench: Bench = {
  name: 'timeline',
  async run() {
    console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores\n`);
    const rows: Array<Array<string | number>> = [];
    for (const n of SIZES) {
      const r = runOnce(n);
      const kb = (k: string) => `${(r.bytes[k] / 1024).toFixed(0)}`;
      rows.push([n.toLocaleString('en-US'), r.entries.toLocaleString('en-US'), fixed(r.ms / 1000), fixed(r.cpuMs / 1000), r.peakRssMb.toFixed(0), r.recordRssMb.toFixed(0), `${kb('md')} / ${kb('csv')} / ${kb('json')} / ${kb('png')}`]);
    }
    console.log(markdownTable(['events', 'timeline rows', 'wall s', 'CPU s', 'peak RSS MB', 'RSS with record loaded MB', 'KB md / csv / json / png'], rows));
    console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  },
};
