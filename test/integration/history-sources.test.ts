/**
 * The Athena and CloudTrail Lake adapters against their emulators, through the real SDK
 * clients: results paged into TrailEvents, scanned bytes and cost, the export limit, the
 * timeout that stops the query, failures with the engine's own reason, and a credential
 * graph too large for one query.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { AthenaHistory } from '../../src/aws/history/athena-history';
import { LakeHistory } from '../../src/aws/history/lake-history';
import { HistoryQueryFailed, HistoryQueryRun } from '../../src/aws/history/history-query-source';
import { HistoryLookup, HistoryQueryError } from '../../src/domain/history-query';
import type { TrailEvent } from '../../src/domain/trail-event';
import { AthenaEmulator, startAthenaEmulator } from '../support/athena-emulator';
import { LakeEmulator, startLakeEmulator } from '../support/cloudtrail-lake-emulator';
import { TrailRecord, writeTrailLogFiles } from '../support/trail-log-files';

const ACCOUNT = '111122223333';
const KEY = 'AKIAHISTORYTEST00001';
const EDS = 'arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/eds-test-0001';
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };

let root: string;
let athenaEmu: AthenaEmulator;
let lakeEmu: LakeEmulator;
let athenaClient: AthenaClient;
let lakeClient: CloudTrailClient;

const T0 = Date.parse('2026-10-01T00:00:00Z');
const N = 2_500;

function record(i: number, key = KEY): TrailRecord {
  return {
    eventVersion: '1.09',
    eventID: `ev-${key}-${i}`,
    eventTime: new Date(T0 + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: i % 3 === 0 ? 'iam.amazonaws.com' : 's3.amazonaws.com',
    eventName: i % 3 === 0 ? 'ListUsers' : 'GetObject',
    awsRegion: i % 2 ? 'eu-west-1' : 'us-east-1',
    sourceIPAddress: '203.0.113.5',
    userAgent: 'aws-cli/2.15',
    readOnly: true,
    recipientAccountId: ACCOUNT,
    userIdentity: { type: 'IAMUser', accountId: ACCOUNT, accessKeyId: key, userName: 'ci', arn: `arn:aws:iam::${ACCOUNT}:user/ci` },
    requestParameters: i % 3 === 0 ? { maxItems: 100 } : { bucketName: 'payroll', key: `f${i}.csv` },
    responseElements: null,
  };
}

function lookup(over: Partial<HistoryLookup> = {}): HistoryLookup {
  return {
    accessKeyIds: [KEY], userNames: [], roleArns: [], accounts: [ACCOUNT], regions: ['us-east-1', 'eu-west-1'],
    start: new Date(T0), end: new Date(T0 + 4 * 86_400_000), ...over,
  };
}

async function drain(run: HistoryQueryRun): Promise<TrailEvent[]> {
  const out: TrailEvent[] = [];
  for await (const e of run.events) out.push(e);
  return out;
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'history-sources-'));
  writeTrailLogFiles(root, Array.from({ length: N }, (_, i) => record(i)));
  writeTrailLogFiles(root, [record(1, 'AKIAOTHERPRINCIPAL01')]);
  athenaEmu = await startAthenaEmulator({ logRoot: root, database: 'security', table: 'cloudtrail' });
  lakeEmu = await startLakeEmulator({ logRoot: root, eventDataStoreId: 'eds-test-0001' });
  athenaClient = new AthenaClient({ region: 'us-east-1', endpoint: athenaEmu.endpoint, credentials: creds });
  lakeClient = new CloudTrailClient({ region: 'us-east-1', endpoint: lakeEmu.endpoint, credentials: creds });
});

afterAll(async () => {
  athenaClient?.destroy();
  lakeClient?.destroy();
  await athenaEmu?.close();
  await lakeEmu?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const athena = (over: Partial<ConstructorParameters<typeof AthenaHistory>[0]> = {}) =>
  new AthenaHistory({ client: athenaClient, table: { database: 'security', table: 'cloudtrail' }, outputLocation: 's3://results/', pollIntervalMs: 10, ...over });

describe('Athena', () => {
  it('pages every result row into a TrailEvent, newest first, and reports scanned bytes and cost', async () => {
    const run = athena().run(lookup());
    const events = await drain(run);
    expect(events).toHaveLength(N);
    expect(events[0].id).toBe(`ev-${KEY}-${N - 1}`);
    expect(events.at(-1)!.id).toBe(`ev-${KEY}-0`);
    const e = events.find((x) => x.id === `ev-${KEY}-4`)!;
    expect(e).toMatchObject({
      name: 'GetObject', source: 's3.amazonaws.com', region: 'us-east-1', accessKeyId: KEY, userName: 'ci', readOnly: true,
      requestParameters: { bucketName: 'payroll', key: 'f4.csv' }, time: '2026-10-01T00:04:00.000Z',
    });
    const stats = run.stats();
    const q = athenaEmu.queries.at(-1)!;
    expect(stats).toMatchObject({ source: 'athena', queryIds: [q.id], events: N, pages: 3, scannedBytes: q.scannedBytes });
    expect(stats.scannedBytes).toBeGreaterThan(0);
    expect(stats.costUsd).toBeCloseTo((10 * 1024 * 1024 / 1e12) * 5, 10); // under 10 MB: billed as 10 MB
  });

  it('cuts the results at the export limit and names the query to rerun', async () => {
    const run = athena().run(lookup(), { maxEvents: 100 });
    expect(await drain(run)).toHaveLength(100);
    expect(run.stats().truncated).toEqual({ at: 100, queryId: athenaEmu.queries.at(-1)!.id });
  });

  it('stops a query that runs past the timeout and says so', async () => {
    athenaEmu.holdQueries(true);
    try {
      const err = await drain(athena({ timeoutMs: 200 }).run(lookup())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HistoryQueryFailed);
      expect(err).toMatchObject({ kind: 'timeout', source: 'athena', partial: false });
      expect(athenaEmu.queries.at(-1)!.state).toBe('CANCELLED');
    } finally {
      athenaEmu.holdQueries(false);
    }
  });

  it("reports the scan limit with Athena's reason", async () => {
    athenaEmu.setBytesScannedCutoff(1_000);
    try {
      const err = await drain(athena().run(lookup())).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'scan-limit', reason: 'Query cancelled! : Bytes scanned limit was exceeded' });
      expect((err as HistoryQueryFailed).userMessage).toMatch(/Athena query hit the scan limit \([0-9a-f-]{36}\)/);
    } finally {
      athenaEmu.setBytesScannedCutoff(undefined);
    }
  });

  it("a refused start (no output location) is a failure in Athena's words", async () => {
    const err = await drain(athena({ outputLocation: undefined }).run(lookup())).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/output location is required/) });
  });

  it('a credential graph larger than one query runs several, each partitioned, without duplicates', async () => {
    const keys = [KEY, ...Array.from({ length: 250 }, (_, i) => `ASIA${String(i).padStart(16, '0')}`), 'AKIAOTHERPRINCIPAL01'];
    const before = athenaEmu.queries.length;
    const run = athena().run(lookup({ accessKeyIds: keys, userNames: ['ci'] }));
    const events = await drain(run);
    const queries = athenaEmu.queries.slice(before);
    expect(queries).toHaveLength(2);
    for (const q of queries) expect(q.sql).toMatch(/WHERE account IN \(\?\)\n  AND region IN \(\?, \?\)\n  AND "timestamp" BETWEEN \? AND \?/);
    // KEY's events match the first query (key) and the second (user name ci): delivered once.
    expect(events).toHaveLength(N + 1);
    expect(new Set(events.map((e) => e.id)).size).toBe(N + 1);
    expect(run.stats().queryIds).toHaveLength(2);
  });
});

describe('CloudTrail Lake', () => {
  const lake = () => new LakeHistory({ client: lakeClient, eventDataStore: EDS, pollIntervalMs: 10 });

  it('polls until FINISHED, pages the rows into the same TrailEvents Athena gives', async () => {
    const run = lake().run(lookup());
    const events = await drain(run);
    expect(events).toHaveLength(N);
    const q = lakeEmu.queries.at(-1)!;
    expect(q.polls).toBeGreaterThanOrEqual(2); // answered RUNNING first
    expect(q.sql).toMatch(/FROM eds-test-0001 WHERE eventTime >= '2026-10-01 00:00:00'/);
    const fromAthena = await drain(athena().run(lookup()));
    const pickFields = (e: TrailEvent) => [e.id, e.time, e.name, e.source, e.region, e.accessKeyId, e.userName, e.sourceIp, e.readOnly];
    expect(events.map(pickFields)).toEqual(fromAthena.map(pickFields));
    // Lake keeps request parameters as a map of strings: text values read the same, numbers come back as text.
    const get = (list: TrailEvent[], id: string) => list.find((e) => e.id === id)!.requestParameters;
    expect(get(events, `ev-${KEY}-4`)).toEqual(get(fromAthena, `ev-${KEY}-4`));
    expect(get(events, `ev-${KEY}-3`)).toEqual({ maxItems: '100' });
    expect(run.stats()).toMatchObject({ source: 'lake', events: N, pages: 3, scannedBytes: q.bytesScanned });
  });

  it("reports a failed query with Lake's message", async () => {
    lakeEmu.failNext('Query failed: some columns could not be resolved');
    const err = await drain(lake().run(lookup())).catch((e: unknown) => e);
    expect(err).toMatchObject({ source: 'lake', kind: 'failed', reason: 'Query failed: some columns could not be resolved' });
  });

  it('refuses values outside AWS character sets before any call (Lake has no parameters)', async () => {
    const before = lakeEmu.queries.length;
    const err = await drain(lake().run(lookup({ userNames: ["ci' OR '1'='1"] }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryQueryError);
    expect(lakeEmu.queries).toHaveLength(before);
  });
});
