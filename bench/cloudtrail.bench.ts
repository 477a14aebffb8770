/**
 * CloudTrail engine benchmarks, against the emulator run in a child process:
 *
 * 1. Throughput at the real limit (2 requests/s per region, 50 events a page): events/s as
 *    a fraction of the ceiling regions × 2 × 50, for 1 region and for 4 regions (20,000
 *    events), with zero failed requests.
 * 2. Side by side on the same data: the AWS CLI (`aws cloudtrail lookup-events` per region,
 *    one after another, with its own pagination and retries, as a responder would type it)
 *    and the engine. The CLI row is skipped, saying so, when `aws` is not installed.
 * 3. Peak memory streaming 100,000 events through the engine and the summary. This one runs
 *    the emulator at 200 requests/s per region (not the real 2/s) so it takes seconds, not
 *    eight minutes; memory does not depend on the rate. 10,000 events are run first for
 *    comparison: flat memory means the two peaks are about the same.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import {
  CloudTrailLookup, createCloudTrailClientFactory, LookupAttributeSpec, LookupProgress, principalLookupAttributes,
} from '../src/aws/history/cloudtrail-lookup';
import { CLOUDTRAIL_REQUESTS_PER_SECOND } from '../src/aws/history/rate-limiter';
import { parseTrailEvent } from '../src/domain/trail-event';
import { TrailSummaryBuilder } from '../src/domain/trail-summary';
import type { EmulatorStats, RegionStats } from '../sandbox/cloudtrail-emulator';
import { examplePrincipal } from '../sandbox/cloudtrail-fixtures';
import type { Bench } from './bench';
import { fixed, markdownTable, mb } from './bench';
import type { EmulatorProcessConfig } from './cloudtrail-emulator-process';

const PAGE = 50;
const DAY = 86_400_000;
const END_MS = Date.parse('2024-05-08T00:00:00Z');
const WINDOW = { start: new Date(END_MS - 7 * DAY), end: new Date(END_MS) };
const PRINCIPAL = examplePrincipal(1);
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const KEY_ONLY = principalLookupAttributes({ accessKeyId: PRINCIPAL.accessKeyId });
const KEY_AND_USER = principalLookupAttributes({ accessKeyId: PRINCIPAL.accessKeyId, userName: PRINCIPAL.userName });

interface EmulatorProcess {
  url: string;
  events: number;
  stats(): Promise<EmulatorStats>;
  close(): Promise<void>;
}

async function startEmulatorProcess(config: Omit<EmulatorProcessConfig, 'seed' | 'startMs' | 'endMs' | 'principal'>): Promise<EmulatorProcess> {
  const full: EmulatorProcessConfig = { ...config, seed: 7, startMs: WINDOW.start.getTime() + 1000, endMs: WINDOW.end.getTime() - 1000, principal: PRINCIPAL };
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'cloudtrail-emulator-process.ts'), JSON.stringify(full)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => { throw new Error('emulator process exited'); })])) as [string];
  const ready = JSON.parse(first) as { url: string; events: number };
  return {
    ...ready,
    stats: async () => (await (await fetch(`${ready.url}/__emulator/stats`)).json()) as EmulatorStats,
    close: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

function delta(after: EmulatorStats, before: EmulatorStats): RegionStats {
  const out = { ...after.total };
  for (const k of Object.keys(out) as Array<keyof RegionStats>) out[k] -= before.total[k];
  return out;
}

/** Samples the process's memory while `work` runs: RSS and V8 heap high-water marks. */
async function withMemorySampler<T>(work: () => Promise<T>): Promise<{ value: T; peakRss: number; peakHeap: number }> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 20);
  try {
    const value = await work();
    sample();
    return { value, peakRss, peakHeap };
  } finally {
    clearInterval(timer);
  }
}

interface EngineRun {
  events: number;
  elapsedMs: number;
  progress: LookupProgress;
}

async function runEngine(url: string, regions: string[], attributes: LookupAttributeSpec[], options: { requestsPerSecond?: number; summarise?: boolean } = {}): Promise<EngineRun> {
  const lookup = new CloudTrailLookup({
    clientFor: createCloudTrailClientFactory({ endpoint: url, credentials: CREDENTIALS }),
    attributes,
    window: WINDOW,
    regions,
    requestsPerSecond: options.requestsPerSecond,
  });
  const summary = options.summarise ? new TrailSummaryBuilder() : undefined;
  const started = performance.now();
  let events = 0;
  for await (const { region, event } of lookup.events()) {
    events++;
    summary?.add(parseTrailEvent(event, region));
  }
  if (summary && summary.result().eventCount !== events) throw new Error('summary lost events');
  return { events, elapsedMs: performance.now() - started, progress: lookup.progress() };
}

/** Fails the bench when a run lost events or had failed requests: a fast wrong answer is no answer. */
function checkComplete(what: string, got: number, expected: number, failedRequests: number, failedRegions: number): void {
  if (got !== expected || failedRequests > 0 || failedRegions > 0) {
    throw new Error(`${what}: got ${got} of ${expected} events, ${failedRequests} failed requests, ${failedRegions} failed regions`);
  }
}

async function throughput(): Promise<void> {
  const rows: string[][] = [];
  for (const { regions, perRegion } of [
    { regions: ['us-east-1'], perRegion: 20_000 },
    { regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1'], perRegion: 5_000 },
  ]) {
    const emu = await startEmulatorProcess({ requestsPerSecond: CLOUDTRAIL_REQUESTS_PER_SECOND, regions, perRegion });
    try {
      const before = await emu.stats();
      const run = await runEngine(emu.url, regions, KEY_ONLY);
      const s = delta(await emu.stats(), before);
      checkComplete(`${regions.length} region(s)`, run.events, emu.events, s.failed, run.progress.regionsFailed.length);
      const perSecond = run.events / (run.elapsedMs / 1000);
      const ceiling = regions.length * CLOUDTRAIL_REQUESTS_PER_SECOND * PAGE;
      rows.push([
        String(regions.length), run.events.toLocaleString('en-US'), fixed(run.elapsedMs / 1000, 1), fixed(perSecond, 1), String(ceiling),
        fixed(perSecond / ceiling), String(s.requests), String(s.throttled), String(s.failed),
      ]);
      console.log(`  ${regions.length} region(s): ${run.events} events in ${fixed(run.elapsedMs / 1000, 1)} s`);
    } finally {
      await emu.close();
    }
  }
  console.log('\nThroughput at the real limit (2 requests/s per region, 50 events a page, engine pacing 1.9/s):\n');
  console.log(markdownTable(['regions', 'events', 'seconds', 'events/s', 'ceiling/s', 'fraction', 'requests', 'throttled', 'failed'], rows));
}

function awsCliVersion(): string | undefined {
  const r = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim() : undefined;
}

/** One `aws cloudtrail lookup-events` per region, one after another, output discarded. */
async function runAwsCli(url: string, regions: string[]): Promise<{ elapsedMs: number; failures: string[] }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // Nothing from the machine's own AWS configuration may leak in.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  const failures: string[] = [];
  const started = performance.now();
  for (const region of regions) {
    const child = spawn(
      'aws',
      [
        'cloudtrail', 'lookup-events', '--endpoint-url', url, '--region', region,
        '--lookup-attributes', `AttributeKey=AccessKeyId,AttributeValue=${PRINCIPAL.accessKeyId}`,
        '--start-time', WINDOW.start.toISOString(), '--end-time', WINDOW.end.toISOString(),
      ],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) failures.push(`${region}: exit ${code} ${stderr.trim().split('\n').pop() ?? ''}`);
  }
  return { elapsedMs: performance.now() - started, failures };
}

async function cliComparison(): Promise<void> {
  const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1'];
  const emu = await startEmulatorProcess({ requestsPerSecond: CLOUDTRAIL_REQUESTS_PER_SECOND, regions, perRegion: 1_000 });
  const rows: string[][] = [];
  try {
    const version = awsCliVersion();
    let cliSeconds: number | undefined;
    if (!version) {
      console.log('  aws CLI not found on PATH: skipping the CLI row.');
    } else {
      const before = await emu.stats();
      const cli = await runAwsCli(emu.url, regions);
      const s = delta(await emu.stats(), before);
      cliSeconds = cli.elapsedMs / 1000;
      rows.push([`AWS CLI (${version.split(' ')[0]}), regions one after another`, fixed(cliSeconds, 1), s.eventsReturned.toLocaleString('en-US'), String(s.requests), String(s.throttled), String(cli.failures.length), '1.00']);
      if (cli.failures.length > 0) console.log(`  CLI failures: ${cli.failures.join('; ')}`);
      // Let the per-region token buckets refill before the engine's turn.
      await new Promise((r) => setTimeout(r, 2000));
    }
    const before = await emu.stats();
    const run = await runEngine(emu.url, regions, KEY_ONLY);
    const s = delta(await emu.stats(), before);
    checkComplete('engine vs CLI', run.events, emu.events, s.failed, run.progress.regionsFailed.length);
    const engineSeconds = run.elapsedMs / 1000;
    rows.push(['keyguard engine, regions in parallel', fixed(engineSeconds, 1), run.events.toLocaleString('en-US'), String(s.requests), String(s.throttled), '0', cliSeconds ? fixed(cliSeconds / engineSeconds) : 'n/a']);
  } finally {
    await emu.close();
  }
  console.log(`\nSame data (4 regions × 1,000 events, real 2 requests/s limit), AWS CLI vs engine:\n`);
  console.log(markdownTable(['tool', 'seconds', 'events', 'requests', 'throttled', 'failed runs', 'CLI time ÷ this'], rows));
}

async function memory(): Promise<void> {
  const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1'];
  const rows: string[][] = [];
  for (const total of [10_000, 100_000]) {
    const emu = await startEmulatorProcess({ requestsPerSecond: 200, burst: 200, regions, perRegion: total / regions.length });
    try {
      const { value: run, peakRss, peakHeap } = await withMemorySampler(() => runEngine(emu.url, regions, KEY_AND_USER, { requestsPerSecond: 190, summarise: true }));
      const s = await emu.stats();
      checkComplete(`memory ${total}`, run.events, emu.events, s.total.failed, run.progress.regionsFailed.length);
      rows.push([
        run.events.toLocaleString('en-US'), run.progress.duplicatesDropped.toLocaleString('en-US'), String(s.total.requests), fixed(run.elapsedMs / 1000, 1),
        fixed(run.events / (run.elapsedMs / 1000), 0), mb(peakRss), mb(peakHeap),
      ]);
      console.log(`  ${total} events: peak RSS ${mb(peakRss)} MB, peak heap ${mb(peakHeap)} MB`);
    } finally {
      await emu.close();
    }
  }
  console.log('\nMemory, engine + summary, AccessKeyId and Username lookups (each event found twice, deduplicated), emulator at 200 requests/s/region:\n');
  console.log(markdownTable(['unique events', 'duplicates dropped', 'requests', 'seconds', 'events/s', 'peak RSS MB', 'peak heap MB'], rows));
  console.log(`\nProcess max RSS over the whole bench: ${mb(process.resourceUsage().maxRSS * 1024)} MB`);
}

export const cloudTrailBench: Bench = {
  name: 'cloudtrail',
  async run() {
    // Memory first, while the process is fresh, so its RSS figures are not inflated by the other runs.
    await memory();
    await throughput();
    await cliComparison();
  },
};
