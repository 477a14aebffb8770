/**
 * `npm run bench -- athena`: a busy leaked key's history, 1,000,000 events over 4 regions
 * and 30 days, pulled through the Athena path (TrailService with Athena forced: the
 * AthenaHistory adapter, the summary with every detection rule, CSV and NDJSON export on
 * disk) against the Athena emulator in a child process (DuckDB over gzipped log files in the
 * organization trail's layout, one file per region per hour). Side by side: the time LookupEvents would need for the same history at its
 * ceiling (2 requests/s per region × 50 events a page).
 *
 * The log files are generated once under the temp dir and reused by later runs
 * (KEYGUARD_ATHENA_BENCH_EVENTS changes the size; the directory name carries it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { AthenaClient } from '@aws-sdk/client-athena';
import { Bench, fixed, markdownTable, mb } from './bench';
import { AthenaHistory } from '../src/aws/history/athena-history';
import { HistorySelector } from '../src/aws/history/history-source';
import { TrailService } from '../src/aws/history/trail-service';
import { TrailLogFileWriter, TrailRecord } from '../test/support/trail-log-files';

const EVENTS = Number(process.env.KEYGUARD_ATHENA_BENCH_EVENTS ?? 1_000_000);
const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-3'];
const DAYS = 30;
const ACCOUNT = '123456789012';
const KEY = 'AKIABENCHATHENA00001';
const END = Date.parse('2026-11-30T00:00:00Z');
const START = END - DAYS * 86_400_000;
/** One file per region per hour (CloudTrail delivers about every 5 minutes; fewer, larger files keep the run short). */
const SLOT_MS = 60 * 60_000;
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

const NAMES: Array<[string, string]> = [
  ['s3.amazonaws.com', 'GetObject'], ['s3.amazonaws.com', 'GetObject'], ['s3.amazonaws.com', 'PutObject'],
  ['ec2.amazonaws.com', 'DescribeInstances'], ['sts.amazonaws.com', 'GetCallerIdentity'], ['iam.amazonaws.com', 'ListUsers'],
  ['secretsmanager.amazonaws.com', 'GetSecretValue'], ['kms.amazonaws.com', 'Decrypt'], ['lambda.amazonaws.com', 'Invoke'],
  ['dynamodb.amazonaws.com', 'Query'],
];

function record(i: number, region: string, timeMs: number): TrailRecord {
  const [source, name] = NAMES[i % NAMES.length];
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDABENCH', arn: `arn:aws:iam::${ACCOUNT}:user/ci-deployer`, accountId: ACCOUNT, accessKeyId: KEY, userName: 'ci-deployer' },
    eventTime: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: region,
    sourceIPAddress: `198.51.100.${i % 200}`,
    userAgent: 'aws-sdk-go-v2/1.30.0 os/linux',
    requestParameters: source === 's3.amazonaws.com' ? { bucketName: `data-${i % 7}`, key: `exports/${i}.csv` } : { maxResults: 100 },
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `bench-${i}`,
    readOnly: name !== 'PutObject',
    eventType: 'AwsApiCall',
    managementEvent: !['GetObject', 'PutObject', 'Invoke'].includes(name),
    eventCategory: ['GetObject', 'PutObject', 'Invoke'].includes(name) ? 'Data' : 'Management',
    recipientAccountId: ACCOUNT,
  };
}

/** Writes the history once: per region, time order, one file per five-minute delivery. */
function ensureLogFiles(): { root: string; files: number; bytes: number; seconds: number } {
  const root = path.join(os.tmpdir(), `keyguard-athena-bench-${EVENTS}-v2`);
  const marker = path.join(root, 'DONE.json');
  if (fs.existsSync(marker)) return { ...(JSON.parse(fs.readFileSync(marker, 'utf8')) as { files: number; bytes: number }), root, seconds: 0 };
  fs.rmSync(root, { recursive: true, force: true });
  const started = Date.now();
  const writer = new TrailLogFileWriter(root, undefined, SLOT_MS);
  const perRegion = Math.floor(EVENTS / REGIONS.length);
  let i = 0;
  for (const [r, region] of REGIONS.entries()) {
    const count = r === REGIONS.length - 1 ? EVENTS - perRegion * (REGIONS.length - 1) : perRegion;
    const step = (END - START - SLOT_MS) / count;
    for (let k = 0; k < count; k++) writer.add(record(i++, region, START + Math.floor(k * step)));
  }
  writer.flush();
  const done = { files: writer.files.length, bytes: writer.bytes };
  fs.writeFileSync(marker, JSON.stringify(done));
  return { ...done, root, seconds: (Date.now() - started) / 1000 };
}

/** CPU seconds (user + system) a process and its descendants have used so far, from /proc (Linux; tsx runs the emulator in a child of the process spawned). */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    let seconds = (Number(fields[11]) + Number(fields[12])) / 100;
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const child of children) seconds += processCpuSeconds(Number(child)) ?? 0;
    return seconds;
  } catch {
    return undefined;
  }
}

async function startEmulatorProcess(logRoot: string): Promise<{ endpoint: string; cpuSeconds(): number | undefined; close(): Promise<void> }> {
  const options = { logRoot, database: 'security', table: 'cloudtrail_org', workgroup: 'keyguard' };
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'athena-emulator-process.ts'), JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => { throw new Error('emulator process exited'); })])) as [string];
  return {
    endpoint: (JSON.parse(first) as { endpoint: string }).endpoint,
    cpuSeconds: () => processCpuSeconds(child.pid),
    close: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

async function withMemorySampler<T>(work: () => Promise<T>): Promise<{ value: T; peakRss: number; peakHeap: number; baseRss: number }> {
  const baseRss = process.memoryUsage().rss;
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 50);
  try {
    const value = await work();
    sample();
    return { value, peakRss, peakHeap, baseRss };
  } finally {
    clearInterval(timer);
  }
}

/** Lines in a file, read in chunks (the export is larger than one string may be). */
async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of fs.createReadStream(file)) {
    for (const byte of chunk as Buffer) if (byte === 10) n++;
  }
  return n;
}

export const athenaBench: Bench = {
  name: 'athena',
  async run() {
    const files = ensureLogFiles();
    console.log(`${EVENTS.toLocaleString('en-US')} events, ${REGIONS.length} regions, ${DAYS} days: ${files.files.toLocaleString('en-US')} log files, ${mb(files.bytes)} MB gzipped under ${files.root}${files.seconds ? ` (written in ${fixed(files.seconds, 0)} s)` : ' (reused)'}`);
    const emu = await startEmulatorProcess(files.root);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-athena-bench-out-'));
    const client = new AthenaClient({ region: 'us-east-1', endpoint: emu.endpoint, credentials: CREDENTIALS, maxAttempts: 3 });
    try {
      const service = new TrailService({
        clientFor: () => { throw new Error('LookupEvents is not used in this bench'); },
        regions: REGIONS,
        tmpDir: tmp,
        history: new HistorySelector({
          setting: 'athena',
          athena: new AthenaHistory({ client, table: { database: 'security', table: 'cloudtrail_org' }, workgroup: 'keyguard', outputLocation: 's3://bench-results/', timeoutMs: 30 * 60_000 }),
          ownAccount: async () => ACCOUNT,
          now: () => new Date(END),
        }),
      });
      const started = Date.now();
      const cpuBefore = process.cpuUsage();
      const emuCpuBefore = emu.cpuSeconds() ?? 0;
      const { value: result, peakRss, peakHeap, baseRss } = await withMemorySampler(() =>
        service.pull({ subject: { kind: 'key', accessKeyId: KEY, temporary: false }, start: new Date(START), end: new Date(END), exportFiles: true }),
      );
      const seconds = (Date.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const benchCpu = (cpu.user + cpu.system) / 1e6;
      const emuCpu = (emu.cpuSeconds() ?? NaN) - emuCpuBefore;
      const q = result.history?.query;
      if (!q || result.summary.eventCount !== EVENTS) throw new Error(`expected ${EVENTS} events through Athena, got ${result.summary.eventCount} (${result.history?.why})`);
      const ndjsonLines = await countLines(result.files!.ndjson);
      if (ndjsonLines !== EVENTS) throw new Error(`the export holds ${ndjsonLines} events, expected ${EVENTS}`);

      // LookupEvents at its ceiling: 2 requests/s per region, 50 events a page, regions in parallel.
      const lookupSeconds = EVENTS / (REGIONS.length * 2 * 50);
      console.log(markdownTable(
        ['path', 'events', 'seconds (wall)', 'CPU s (bench + emulator)', 'events/s', 'peak RSS MB', 'peak heap MB', 'scanned', 'cost'],
        [
          ['Athena (emulated), summary + CSV/NDJSON export', EVENTS.toLocaleString('en-US'), fixed(seconds, 1), `${fixed(benchCpu, 0)} + ${fixed(emuCpu, 0)}`, fixed(EVENTS / seconds, 0), mb(peakRss), mb(peakHeap), `${mb(q.scannedBytes)} MB`, `$${q.costUsd.toFixed(4)}`],
          ['LookupEvents at its ceiling (computed)', EVENTS.toLocaleString('en-US'), fixed(lookupSeconds, 0), '', String(REGIONS.length * 100), '', '', '', ''],
        ],
      ));
      console.log(`\nAthena side: ${q.pages} result pages of up to 1,000 rows; RSS before the pull ${mb(baseRss)} MB. LookupEvents would take ${fixed(lookupSeconds / 60, 1)} minutes (${fixed(lookupSeconds / seconds, 1)}× the emulated Athena path) and cannot read the ${Math.round(EVENTS * 0.3).toLocaleString('en-US')} data events at all.`);
      console.log(`Findings: ${result.summary.findings.map((f) => `${f.ruleId} ×${f.count}`).join(', ')}`);
    } finally {
      client.destroy();
      await emu.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
