/**
 * CloudTrail Lake's SQL constraints, as the emulator checks them (one SELECT, FROM the event
 * data store ID, at most 10,000 characters), and keyguard's Lake queries within them: a
 * credential graph too large for one statement is searched by several, each accepted, every
 * event delivered once. The real @aws-sdk/client-cloudtrail against the emulator.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudTrailClient, StartQueryCommand } from '@aws-sdk/client-cloudtrail';
import { LakeHistory } from '../../src/aws/history/lake-history';
import { HistoryQueryRun } from '../../src/aws/history/history-query-source';
import { HistoryLookup, LAKE_MAX_STATEMENT_CHARS } from '../../src/domain/history-query';
import type { TrailEvent } from '../../src/domain/trail-event';
import { LakeEmulator, startLakeEmulator } from '../support/cloudtrail-lake-emulator';
import { TrailRecord, writeTrailLogFiles } from '../support/trail-log-files';

const ACCOUNT = '111122223333';
const KEY = 'AKIALAKELIMITTEST001';
const EDS_ID = 'eds-limit-0001';
const EDS = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:eventdatastore/${EDS_ID}`;
const T0 = Date.parse('2026-10-01T00:00:00Z');

let root: string;
let emu: LakeEmulator;
let client: CloudTrailClient;

function record(i: number): TrailRecord {
  return {
    eventVersion: '1.09', eventID: `lake-${i}`, eventTime: new Date(T0 + i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'iam.amazonaws.com', eventName: 'ListUsers', awsRegion: 'us-east-1', sourceIPAddress: '203.0.113.5', userAgent: 'aws-cli/2.15',
    readOnly: true, recipientAccountId: ACCOUNT, requestParameters: { maxItems: 100 }, responseElements: null,
    userIdentity: { type: 'IAMUser', accountId: ACCOUNT, accessKeyId: KEY, userName: 'etl', arn: `arn:aws:iam::${ACCOUNT}:user/etl` },
  };
}

async function drain(run: HistoryQueryRun): Promise<TrailEvent[]> {
  const out: TrailEvent[] = [];
  for await (const e of run.events) out.push(e);
  return out;
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-constraints-'));
  writeTrailLogFiles(root, Array.from({ length: 40 }, (_, i) => record(i)));
  emu = await startLakeEmulator({ logRoot: root, eventDataStoreId: EDS_ID });
  client = new CloudTrailClient({ region: 'us-east-1', endpoint: emu.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await emu?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('the emulator refuses what Lake refuses', () => {
  const start = (sql: string) => client.send(new StartQueryCommand({ QueryStatement: sql })).then(() => 'accepted', (e: Error) => `${e.name}: ${e.message}`);

  it('anything but one SELECT from the event data store', async () => {
    expect(await start(`DELETE FROM ${EDS_ID} WHERE eventName = 'ListUsers'`)).toMatch(/^InvalidQueryStatementException: Only one SELECT/);
    expect(await start(`SELECT eventID FROM ${EDS_ID}; SELECT eventID FROM ${EDS_ID}`)).toMatch(/^InvalidQueryStatementException: Only one SELECT/);
    expect(await start(`SELECT eventID FROM some_other_table`)).toMatch(/^InvalidQueryStatementException: .*event data store ID/);
    expect(await start(`SELECT eventID FROM ${EDS_ID} WHERE eventName = 'ListUsers'`)).toBe('accepted');
  });

  it('a statement over 10,000 characters', async () => {
    const long = `SELECT eventID FROM ${EDS_ID} WHERE eventName IN (${Array.from({ length: 1200 }, (_, i) => `'Name${i}'`).join(', ')})`;
    expect(long.length).toBeGreaterThan(LAKE_MAX_STATEMENT_CHARS);
    expect(await start(long)).toMatch(/^InvalidParameterException: QueryStatement must be 1 to 10000 characters/);
  });
});

describe("keyguard's Lake queries stay within the constraints", () => {
  it('a credential graph too large for one statement is searched by several; every event once', async () => {
    // 600 derived key ids and 60 role ARNs besides the leaked key, and the owner's user name,
    // which matches the same events as the key (found twice, delivered once).
    const keys = [KEY, ...Array.from({ length: 600 }, (_, i) => `ASIAGRAPH${String(i).padStart(11, '0').replace(/\d/g, (d) => 'ABCDEFGHIJ'[Number(d)])}`)];
    const roles = Array.from({ length: 60 }, (_, i) => `arn:aws:iam::${ACCOUNT}:role/service-role/very-long-role-name-for-a-pipeline-stage-${i}`);
    const lookup: HistoryLookup = {
      accessKeyIds: keys, userNames: ['etl'], roleArns: roles, accounts: [ACCOUNT], regions: ['us-east-1', 'eu-west-1'],
      start: new Date(T0), end: new Date(T0 + 86_400_000),
    };
    const before = emu.queries.length;
    const run = new LakeHistory({ client, eventDataStore: EDS, pollIntervalMs: 10 }).run(lookup);
    const events = await drain(run);
    const sent = emu.queries.slice(before);
    expect(sent.length).toBeGreaterThan(1);
    for (const q of sent) {
      expect(q.sql.length).toBeLessThanOrEqual(LAKE_MAX_STATEMENT_CHARS);
      expect(q.status).toBe('FINISHED');
      // Every statement keeps the window, account and region bounds.
      expect(q.sql).toContain("eventTime >= '2026-10-01 00:00:00' AND eventTime <= '2026-10-02 00:00:00'");
      expect(q.sql).toContain(`recipientAccountId IN ('${ACCOUNT}')`);
    }
    // Every principal is in exactly one statement.
    for (const k of keys) expect(sent.filter((q) => q.sql.includes(`'${k}'`))).toHaveLength(1);
    expect(sent.filter((q) => q.sql.includes(`'etl'`))).toHaveLength(1);
    expect(events.map((e) => e.id).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `lake-${i}`).sort());
    expect(run.stats()).toMatchObject({ events: 40, queryIds: sent.map((q) => q.id) });
    expect(run.stats().scannedBytes).toBe(sent.reduce((n, q) => n + q.bytesScanned, 0));
  });
});
