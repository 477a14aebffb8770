/**
 * The Athena emulator, driven by the real @aws-sdk/client-athena: the wire protocol, the
 * result shape (header row, ColumnInfo, paging), partition pruning and scanned bytes,
 * execution parameters, the workgroup's scan limit and failures as Athena reports them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, QueryExecution, StartQueryExecutionCommand, StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { AthenaEmulator, startAthenaEmulator } from '../support/athena-emulator';
import { TrailRecord, writeTrailLogFiles } from '../support/trail-log-files';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';

function rec(i: number, over: Partial<TrailRecord> = {}): TrailRecord {
  return {
    eventVersion: '1.09',
    eventID: `evt-${String(i).padStart(4, '0')}`,
    eventTime: `2026-11-${String(1 + (i % 5)).padStart(2, '0')}T10:${String(i % 60).padStart(2, '0')}:00Z`,
    awsRegion: i % 2 ? 'eu-west-1' : 'us-east-1',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    readOnly: true,
    recipientAccountId: ACCOUNT,
    userIdentity: { type: 'IAMUser', accountId: ACCOUNT, accessKeyId: 'AKIAEMULATORTEST0001', userName: 'alice', arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
    requestParameters: { bucketName: 'payroll', key: `f${i}.csv` },
    responseElements: null,
    ...over,
  };
}

let root: string;
let emu: AthenaEmulator;
let athena: AthenaClient;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'athena-emu-'));
  writeTrailLogFiles(root, Array.from({ length: 40 }, (_, i) => rec(i)));
  writeTrailLogFiles(root, [rec(100, { recipientAccountId: OTHER, userIdentity: { type: 'IAMUser', accountId: OTHER, userName: 'bob' } })]);
  emu = await startAthenaEmulator({ logRoot: root, database: 'security', table: 'cloudtrail' });
  athena = new AthenaClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
});

afterAll(async () => {
  athena?.destroy();
  await emu?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function finished(id: string): Promise<QueryExecution> {
  for (;;) {
    const q = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution!;
    if (q.Status?.State !== 'QUEUED' && q.Status?.State !== 'RUNNING') return q;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function start(sql: string, params?: string[]): Promise<string> {
  const r = await athena.send(new StartQueryExecutionCommand({
    QueryString: sql,
    ExecutionParameters: params,
    QueryExecutionContext: { Database: 'security' },
    ResultConfiguration: { OutputLocation: 's3://query-results/keyguard/' },
  }));
  return r.QueryExecutionId!;
}

function fileBytes(filter: (p: string) => boolean): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (filter(p)) n += fs.statSync(p).size;
    }
  };
  walk(root);
  return n;
}

const PARTITIONED = `SELECT eventid, eventname, useridentity.accesskeyid AS accesskeyid, requestparameters, readonly, account, region, "timestamp"
FROM "security"."cloudtrail"
WHERE account = ? AND region IN (?) AND "timestamp" BETWEEN ? AND ? ORDER BY eventid`;

test('a partitioned query succeeds, pages with a header row first, and scans only its partitions', async () => {
  const id = await start(PARTITIONED, [`'${ACCOUNT}'`, "'us-east-1'", "'2026/11/01'", "'2026/11/03'"]);
  const q = await finished(id);
  expect(q.Status?.State).toBe('SUCCEEDED');
  expect(q.ResultConfiguration?.OutputLocation).toBe(`s3://query-results/keyguard/${id}.csv`);
  const expectedBytes = fileBytes((p) => p.includes(`/${ACCOUNT}/CloudTrail/us-east-1/2026/11/0`) && /\/11\/0[123]\//.test(p));
  expect(expectedBytes).toBeGreaterThan(0);
  expect(q.Statistics?.DataScannedInBytes).toBe(expectedBytes);

  const rows: string[][] = [];
  let token: string | undefined;
  let pages = 0;
  let header: string[] | undefined;
  do {
    const r = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 3, NextToken: token }));
    const page = r.ResultSet!.Rows!.map((row) => row.Data!.map((d) => d.VarCharValue ?? '<null>'));
    if (pages === 0) {
      header = page.shift();
      expect(r.ResultSet!.ResultSetMetadata!.ColumnInfo!.map((c) => [c.Name, c.Type])).toEqual([
        ['eventid', 'varchar'], ['eventname', 'varchar'], ['accesskeyid', 'varchar'], ['requestparameters', 'varchar'],
        ['readonly', 'varchar'], ['account', 'varchar'], ['region', 'varchar'], ['timestamp', 'varchar'],
      ]);
    }
    rows.push(...page);
    token = r.NextToken;
    pages++;
  } while (token);
  expect(header).toEqual(['eventid', 'eventname', 'accesskeyid', 'requestparameters', 'readonly', 'account', 'region', 'timestamp']);
  // Even ids are us-east-1; days 01..03 are i % 5 in {0,1,2}.
  const expected = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 2 === 0 && i % 5 <= 2);
  expect(rows.map((r) => r[0])).toEqual(expected.map((i) => `evt-${String(i).padStart(4, '0')}`));
  expect(rows[0]).toEqual(['evt-0000', 'GetObject', 'AKIAEMULATORTEST0001', '{"bucketName":"payroll","key":"f0.csv"}', 'true', ACCOUNT, 'us-east-1', '2026/11/01']);
  expect(pages).toBe(Math.ceil((expected.length + 1) / 3));
});

test('a query without partition predicates reads every file', async () => {
  const q = await finished(await start('SELECT count(*) AS n FROM security.cloudtrail'));
  expect(q.Status?.State).toBe('SUCCEEDED');
  expect(q.Statistics?.DataScannedInBytes).toBe(fileBytes(() => true));
  const r = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: q.QueryExecutionId }));
  expect(r.ResultSet!.Rows![1].Data![0].VarCharValue).toBe('41');
  expect(r.ResultSet!.ResultSetMetadata!.ColumnInfo![0].Type).toBe('bigint');
});

test('the useridentity struct and the documented columns are there, lowercase', async () => {
  const q = await finished(await start(
    `SELECT useridentity.type AS t, useridentity.username AS u, useridentity.sessioncontext.sessionissuer.arn AS issuer, eventversion, eventsource, awsregion,
            sourceipaddress, useragent, errorcode, errormessage, responseelements, additionaleventdata, requestid, resources, eventtype, apiversion,
            recipientaccountid, serviceeventdetails, sharedeventid, vpcendpointid, eventcategory, tlsdetails.tlsversion AS tls
     FROM "security"."cloudtrail" WHERE account = ? AND "timestamp" = ?`,
    [`'${OTHER}'`, "'2026/11/01'"],
  ));
  expect(q.Status?.State).toBe('SUCCEEDED');
  const r = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: q.QueryExecutionId }));
  expect(r.ResultSet!.Rows).toHaveLength(2);
  expect(r.ResultSet!.Rows![1].Data!.slice(0, 3)).toEqual([{ VarCharValue: 'IAMUser' }, { VarCharValue: 'bob' }, {}]);
});

test('execution parameters are values, never SQL: quotes stay inside the literal, expressions are refused', async () => {
  const inj = "alice' OR '1'='1";
  const ok = await finished(await start(
    'SELECT eventid FROM "security"."cloudtrail" WHERE account = ? AND "timestamp" >= ? AND useridentity.username = ?',
    [`'${ACCOUNT}'`, "'2026/11/01'", `'${inj.replace(/'/g, "''")}'`],
  ));
  expect(ok.Status?.State).toBe('SUCCEEDED');
  const r = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: ok.QueryExecutionId }));
  expect(r.ResultSet!.Rows).toHaveLength(1); // the header only: no user has that name

  const bad = await finished(await start(
    'SELECT eventid FROM "security"."cloudtrail" WHERE account = ? AND useridentity.username = ?',
    [`'${ACCOUNT}'`, "'x' OR 1=1"],
  ));
  expect(bad.Status?.State).toBe('FAILED');
  expect(bad.Status?.StateChangeReason).toMatch(/Execution parameter 2 is not a literal/);
  await expect(athena.send(new GetQueryResultsCommand({ QueryExecutionId: bad.QueryExecutionId }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
});

test("a query scanning more than the workgroup's cutoff fails with Athena's reason", async () => {
  emu.setBytesScannedCutoff(100);
  try {
    const q = await finished(await start(PARTITIONED, [`'${ACCOUNT}'`, "'us-east-1'", "'2026/11/01'", "'2026/11/05'"]));
    expect(q.Status?.State).toBe('FAILED');
    expect(q.Status?.StateChangeReason).toBe('Query cancelled! : Bytes scanned limit was exceeded');
    expect(q.Status?.AthenaError?.ErrorMessage).toBe('Query cancelled! : Bytes scanned limit was exceeded');
  } finally {
    emu.setBytesScannedCutoff(undefined);
  }
});

test('syntax errors, unknown tables and missing output locations are reported as Athena does', async () => {
  const syntax = await finished(await start('SELEC eventid FROM "security"."cloudtrail"'));
  expect(syntax.Status?.State).toBe('FAILED');
  expect(syntax.Status?.StateChangeReason).toMatch(/SYNTAX_ERROR|TABLE_NOT_FOUND/);
  const table = await finished(await start('SELECT 1 FROM "security"."nope"'));
  expect(table.Status).toMatchObject({ State: 'FAILED', StateChangeReason: expect.stringMatching(/TABLE_NOT_FOUND/) });
  await expect(athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }))).rejects.toMatchObject({
    name: 'InvalidRequestException',
    message: expect.stringMatching(/output location is required/),
  });
});

test('a running query can be stopped; its results are then refused', async () => {
  emu.holdQueries(true);
  try {
    const id = await start('SELECT eventid FROM "security"."cloudtrail" WHERE account = ?', [`'${ACCOUNT}'`]);
    await new Promise((r) => setTimeout(r, 20));
    expect((await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status?.State).toBe('RUNNING');
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    const q = await finished(id);
    expect(q.Status?.State).toBe('CANCELLED');
    await expect(athena.send(new GetQueryResultsCommand({ QueryExecutionId: id }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
  } finally {
    emu.holdQueries(false);
  }
});
