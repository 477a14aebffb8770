/**
 * `/trail` while an Athena query runs: the progress message says the query's state, the time
 * so far and the bytes scanned so far, as GetQueryExecution reports them, before the summary
 * replaces it. Signed slash command into the real Bolt app, the real Athena client against
 * the emulator, whose query reads its files over several seconds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHarness, Harness, blocksText } from '../support/harness';
import { ACCOUNT_ID, examplePrincipal, iamUserIdentity } from '../../sandbox/cloudtrail-fixtures';
import { AthenaEmulator, startAthenaEmulator } from '../support/athena-emulator';
import { TrailRecord, writeTrailLogFiles } from '../support/trail-log-files';

const RESPONDER = 'U0RESPOND';
const principal = examplePrincipal(33, 'etl-runner');
const SCAN_MS = 7000;

let h: Harness;
let athena: AthenaEmulator;
let logRoot: string;

beforeEach(async () => {
  logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'athena-progress-'));
  athena = await startAthenaEmulator({ logRoot, database: 'security', table: 'cloudtrail_org', workgroup: 'keyguard', scanMs: SCAN_MS });
  h = await startHarness(
    {
      IR_RESPONDERS: RESPONDER, IR_REGIONS: 'us-east-1,eu-west-1', IR_HISTORY_SOURCE: 'athena', IR_ATHENA_DATABASE: 'security',
      IR_ATHENA_TABLE: 'cloudtrail_org', IR_ATHENA_WORKGROUP: 'keyguard', IR_ATHENA_OUTPUT: 's3://keyguard-athena-results/',
    },
    { athenaUrl: athena.endpoint },
  );
});
afterEach(async () => {
  await h.close();
  await athena.close();
  fs.rmSync(logRoot, { recursive: true, force: true });
});

function reads(startMs: number, count: number): TrailRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    eventVersion: '1.09', eventID: `read-${i}`, eventTime: new Date(startMs + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 's3.amazonaws.com', eventName: 'GetObject', awsRegion: i % 2 ? 'eu-west-1' : 'us-east-1', sourceIPAddress: '198.51.100.9',
    userAgent: '[aws-cli/2.15.0]', userIdentity: iamUserIdentity(principal), requestParameters: { bucketName: 'ledger', key: `x/${i}.csv` },
    responseElements: null, readOnly: true, eventType: 'AwsApiCall', managementEvent: false, eventCategory: 'Data', recipientAccountId: ACCOUNT_ID,
  }));
}

const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };
/** "12.3 KB scanned so far" → bytes. */
function scannedSoFar(text: string): number | undefined {
  const m = /([\d.]+) (B|KB|MB|GB|TB) scanned so far/.exec(text);
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

it('shows the query state, elapsed time and bytes scanned so far while the query runs, then the summary', async () => {
  writeTrailLogFiles(logRoot, reads(Date.now() - 3 * 86_400_000, 400));
  const ack = await h.slash('/trail', `${principal.accessKeyId} 7d`, RESPONDER);
  expect(ack.json.text).toContain('Searching CloudTrail for');
  await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => /Pulling CloudTrail/.test(c.args.text ?? '')), 'the progress message');
  const summary = await h.slack.waitFor(
    () => h.slack.callsTo('chat.update').find((c) => Array.isArray(c.args.blocks) && c.args.blocks[0]?.type === 'header'),
    'the summary',
    60_000,
  );
  // The progress updates: the same message, before it became the summary.
  const progress = h.slack.callsTo('chat.update').filter((c) => c.args.ts === summary.args.ts && c.at <= summary.at && c !== summary).map((c) => blocksText(c.args));

  // While the query ran: its state, the time so far and the bytes scanned so far.
  const running = progress.filter((t) => t.includes('Athena query RUNNING'));
  expect(running.length).toBeGreaterThanOrEqual(1);
  for (const t of running) expect(t).toMatch(/Athena query RUNNING · [\d.]+ s · [\d.]+ (B|KB|MB) scanned so far \(\$[\d.]+\) · 0 events/);
  const bytes = running.map(scannedSoFar).filter((b): b is number => b !== undefined);
  // Growing as the engine reads, never past what the query scanned in the end.
  expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
  const total = athena.queries[0].scannedBytes;
  expect(total).toBeGreaterThan(0);
  // (The message shows three significant digits, e.g. 73,852 bytes as "73.9 KB": allow that rounding.)
  expect(Math.max(...bytes)).toBeLessThanOrEqual(total * 1.05);
  expect(bytes.some((b) => b > 0)).toBe(true);
  // No region bar for a query engine: the regions are in the query, not pulled one by one.
  expect(progress.join('\n')).not.toMatch(/\d+\/\d+ regions ·/);

  // Then the summary, with every event.
  expect(blocksText(summary.args)).toMatch(/\*Events\*\n400 /);
});
