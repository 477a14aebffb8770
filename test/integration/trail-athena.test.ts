/**
 * `/trail` answered by Athena: signed slash commands into the real Bolt app, the real
 * @aws-sdk/client-athena against the Athena emulator (DuckDB over log files in the
 * organization trail's layout), the same scenario also loaded into the LookupEvents
 * emulator. Athena finds what LookupEvents finds, plus what only data events show.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHarness, Harness, blocksText } from '../support/harness';
import { startCloudTrailEmulator, CloudTrailEmulator, WireEvent } from '../../sandbox/cloudtrail-emulator';
import { ACCOUNT_ID, attackerScenario, examplePrincipal, iamUserIdentity, loadEvents, routineActivity } from '../../sandbox/cloudtrail-fixtures';
import { AthenaEmulator, startAthenaEmulator } from '../support/athena-emulator';
import { TrailRecord, writeTrailLogFiles } from '../support/trail-log-files';
import { resetMoto } from '../../sandbox/moto';

const RESPONDER = 'U0RESPOND';
const REGIONS = 'us-east-1,eu-west-1,ap-southeast-3';
const principal = examplePrincipal(21, 'ci-deployer');

let h: Harness;
let lookup: CloudTrailEmulator;
let athena: AthenaEmulator;
let logRoot: string;

const ATHENA_ENV = {
  IR_RESPONDERS: RESPONDER,
  IR_CHANNEL_ID: 'C0SECOPS',
  IR_REGIONS: REGIONS,
  IR_HISTORY_SOURCE: 'athena',
  IR_ATHENA_DATABASE: 'security',
  IR_ATHENA_TABLE: 'cloudtrail_org',
  IR_ATHENA_WORKGROUP: 'keyguard',
  IR_ATHENA_OUTPUT: 's3://keyguard-athena-results/',
};

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-athena-'));
  lookup = await startCloudTrailEmulator({ requestsPerSecond: 50 });
  athena = await startAthenaEmulator({ logRoot, database: 'security', table: 'cloudtrail_org', workgroup: 'keyguard' });
  h = await startHarness(ATHENA_ENV, { cloudTrailUrl: lookup.url, athenaUrl: athena.endpoint });
});
afterEach(async () => {
  await h.close();
  await lookup.close();
  await athena.close();
  fs.rmSync(logRoot, { recursive: true, force: true });
});

function records(events: readonly WireEvent[]): TrailRecord[] {
  return events.map((e) => JSON.parse(e.CloudTrailEvent) as TrailRecord);
}

/** S3 object reads by the leaked key: data events, in the trail only, never in LookupEvents. */
function objectReads(startMs: number, count: number, bucket = 'payroll-exports'): TrailRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    eventVersion: '1.09',
    eventID: `data-${i}`,
    eventTime: new Date(startMs + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.77',
    userAgent: '[aws-cli/2.15.0]',
    userIdentity: iamUserIdentity(principal),
    requestParameters: { bucketName: bucket, key: `2026/${i}.csv`, Host: `${bucket}.s3.eu-west-1.amazonaws.com` },
    responseElements: null,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: false,
    eventCategory: 'Data',
    recipientAccountId: ACCOUNT_ID,
    resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/2026/${i}.csv` }],
  }));
}

async function summaryOf(text: string): Promise<{ text: string; ts: string; note?: string }> {
  const before = h.slack.callsTo('chat.update').length;
  await h.slash('/trail', text, RESPONDER);
  const summary = await h.slack.waitFor(
    () => h.slack.callsTo('chat.update').slice(before).find((c) => Array.isArray(c.args.blocks) && c.args.blocks[0]?.type === 'header'),
    'the summary',
    30_000, // an Athena query, then the whole summary: slow on a loaded machine
  );
  const note = await h.slack.waitFor(
    () => h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts === summary.args.ts && /answered/.test(c.args.text ?? '')),
    'the source note',
    30_000,
  );
  return { text: blocksText(summary.args), ts: summary.args.ts, note: note.args.text };
}

/** Finding title → count, as the summary shows them. */
function findings(text: string): Map<string, number> {
  const out = new Map<string, number>();
  // `*Title* <https://attack.mitre.org/…|T1234> ×N`: the title, the technique link, the count.
  for (const m of text.matchAll(/\*([^*\n]+)\*(?: <[^>\n]+>)? ×([\d,]+)/g)) out.set(m[1], Number(m[2].replace(/,/g, '')));
  return out;
}

it('finds what LookupEvents finds on the same scenario, plus the data-event findings, and says which source answered', async () => {
  const now = Date.now();
  const attack = attackerScenario({ seed: 5, principal, startMs: now - 2 * 86_400_000 });
  const routine = routineActivity({ seed: 6, principal, startMs: now - 6 * 86_400_000, endMs: now - 3 * 86_400_000, count: 120, regions: ['us-east-1', 'eu-west-1'] });
  loadEvents(lookup, [...attack.events, ...routine]);
  writeTrailLogFiles(logRoot, [...records(attack.events), ...records(routine), ...objectReads(attack.endMs + 60_000, 150)]);

  const viaLookup = await summaryOf(`${principal.accessKeyId} 7d source:lookup`);
  const viaAthena = await summaryOf(`${principal.accessKeyId} 7d source:athena`);

  const l = findings(viaLookup.text);
  const a = findings(viaAthena.text);
  expect(l.size).toBeGreaterThanOrEqual(8);
  // Every management-event finding, with the same count.
  for (const [title, count] of l) expect([title, a.get(title)]).toEqual([title, count]);
  // Plus what only the trail's data events show.
  const extra = [...a.keys()].filter((t) => !l.has(t));
  expect(extra.sort()).toEqual(['Burst of S3 GetObject', 'Objects read from S3 buckets']);
  expect(a.get('Burst of S3 GetObject')).toBe(150);
  expect(a.get('Objects read from S3 buckets')).toBe(150);
  expect(viaAthena.text).toMatch(new RegExp(`\\*Events\\*\\n${attack.events.length + routine.length + 150} `));

  expect(viaLookup.note).toMatch(/LookupEvents\* answered: asked for with `source:lookup`/);
  expect(viaAthena.note).toMatch(/Athena\* answered: asked for with `source:athena`/);
  // Athena bills at least 10 MB a query: $0.0001 at $5/TB.
  expect(viaAthena.note).toMatch(/Scanned [\d.]+ KB \(\$0\.0001 at \$5\/TB\)/);

  // One query, limited to the key's account, the configured regions and the window's days.
  expect(athena.queries).toHaveLength(1);
  const q = athena.queries[0];
  expect(q.state).toBe('SUCCEEDED');
  expect(q.workgroup).toBe('keyguard');
  expect(q.sql).toMatch(/WHERE account IN \(\?\)\n  AND region IN \(\?, \?, \?\)\n  AND "timestamp" BETWEEN \? AND \?/);
  expect(q.parameters.slice(0, 4)).toEqual([`'${ACCOUNT_ID}'`, "'us-east-1'", "'eu-west-1'", "'ap-southeast-3'"]);
  expect(q.parameters).toContain(`'${principal.accessKeyId}'`);
  expect(q.partitionsRead.every((p) => p.startsWith(`${ACCOUNT_ID}/`))).toBe(true);

  // The export in the thread has every event, data events included.
  const uploads = await h.slack.waitFor(() => (h.slack.callsTo('files.completeUploadExternal').length >= 2 ? true : undefined), 'both uploads');
  expect(uploads).toBe(true);
  const ndjson = [...h.slack.uploads.values()].filter((f) => f.filename!.endsWith('.ndjson')).map((f) => f.content.toString());
  expect(ndjson.map((t) => t.trim().split('\n').length).sort((x, y) => x - y)).toEqual([
    attack.events.length + routine.length,
    attack.events.length + routine.length + 150,
  ]);
});

it('IR_HISTORY_SOURCE=athena answers without being asked; a scan-limit failure falls back to LookupEvents with Athena\'s reason', async () => {
  const now = Date.now();
  const attack = attackerScenario({ seed: 7, principal, startMs: now - 86_400_000 });
  loadEvents(lookup, attack.events);
  writeTrailLogFiles(logRoot, records(attack.events));

  const first = await summaryOf(`${principal.accessKeyId} 3d`);
  expect(first.note).toMatch(/\*Athena\* answered: IR_HISTORY_SOURCE=athena/);
  expect(lookup.stats().total.requests).toBe(0);

  athena.setBytesScannedCutoff(10);
  const second = await summaryOf(`${principal.accessKeyId} 3d`);
  expect(second.note).toMatch(/\*LookupEvents\* answered: Athena could not answer, so LookupEvents did/);
  expect(second.note).toMatch(/Athena hit the workgroup scan limit \(query `[0-9a-f-]{36}`\): Query cancelled! : Bytes scanned limit was exceeded/);
  expect(findings(second.text)).toEqual(findings(first.text));
  expect(lookup.stats().total.requests).toBeGreaterThan(0);
});

it('beyond 90 days Athena searches the whole window; when it fails there, the reason is given and nothing is made up', async () => {
  const now = Date.now();
  const old = attackerScenario({ seed: 8, principal, startMs: now - 150 * 86_400_000 });
  writeTrailLogFiles(logRoot, records(old.events));

  const found = await summaryOf(`${principal.accessKeyId} 200d`);
  expect(found.note).toMatch(/\*Athena\* answered/);
  expect(findings(found.text).get('IAM user created')).toBeGreaterThan(0);

  athena.setBytesScannedCutoff(10);
  await h.slash('/trail', `${principal.accessKeyId} 200d`, RESPONDER);
  const failed = await h.slack.waitFor(
    () => h.slack.callsTo('chat.update').find((c) => /Bytes scanned limit was exceeded/.test(c.args.text ?? '')),
    'the failure',
  );
  expect(failed.args.text).toMatch(/Athena query hit the scan limit/);
});

it('a hostile-looking user name reaches Athena only as a parameter', async () => {
  await summaryOf('o.brien+ops@example 2d source:athena');
  const q = athena.queries.at(-1)!;
  expect(q.sql).not.toContain('o.brien');
  expect(q.parameters).toContain("'o.brien+ops@example'");
});
