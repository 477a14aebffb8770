/**
 * An Amazon Athena emulator for the CloudTrail table, because no local AWS emulator runs
 * Athena queries. It speaks Athena's real AWS JSON 1.1 wire protocol, so the real
 * `@aws-sdk/client-athena` talks to it through an endpoint override
 * (`AWS_ENDPOINT_URL_ATHENA` or `endpoint`):
 *
 *   POST /  X-Amz-Target: AmazonAthena.StartQueryExecution | GetQueryExecution |
 *                         GetQueryResults | StopQueryExecution
 *           Content-Type: application/x-amz-json-1.1
 *
 * Queries run in DuckDB (`@duckdb/node-api`) over CloudTrail log files in the real trail
 * layout (gzipped `{"Records":[…]}` under `AWSLogs/<org>/<account>/CloudTrail/<region>/
 * YYYY/MM/DD/`, see trail-log-files.ts). The table `"<database>"."<table>"` is a view with
 * exactly the columns of the CloudTrail table AWS documents for Athena (lowercase names, the
 * `useridentity` struct, `requestparameters`/`responseelements`/`additionaleventdata` as JSON
 * text, `readonly` as text) plus the partition columns of the organization-trail table with
 * partition projection: `account`, `region`, `timestamp` (`yyyy/MM/dd`).
 *
 * What is emulated, like Athena:
 * - the SQL runs unchanged except for the table reference, which is replaced by the view;
 * - `ExecutionParameters` fill the positional `?` in order; each must be a SQL literal
 *   ('text' with '' for a quote, a number, true/false, NULL), as Athena requires;
 * - partition pruning: the WHERE clause's top-level conjuncts that only name partition
 *   columns select the files read (found with DuckDB's own parser); `DataScannedInBytes` is
 *   the compressed size of those files, as Athena counts bytes read from S3;
 * - the workgroup's `BytesScannedCutoffPerQuery`: a query scanning more fails;
 * - QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED, with `StateChangeReason` and
 *   `AthenaError` on failure; `GetQueryResults` pages (MaxResults ≤ 1000, NextToken), the
 *   first page starting with the header row, and `ResultSetMetadata.ColumnInfo`;
 * - results are kept in a DuckDB table (Athena keeps them in S3), so paging a million rows
 *   costs the emulator no JavaScript memory.
 *
 * Signatures are not verified. Listens on 127.0.0.1 only.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export interface AthenaEmulatorOptions {
  /** Directory holding `AWSLogs/…`. */
  logRoot: string;
  database: string;
  table: string;
  /** Workgroup name accepted (others: InvalidRequestException). Default 'primary'. */
  workgroup?: string;
  /** The workgroup's BytesScannedCutoffPerQuery. Default: none. */
  bytesScannedCutoffPerQuery?: number;
  /** The workgroup's own output location (then ResultConfiguration may be omitted). */
  workgroupOutputLocation?: string;
  /** Time a query stays QUEUED/RUNNING before it runs, to exercise polling. Default 0. */
  runDelayMs?: number;
  /**
   * Time a running query takes to read its files: it stays RUNNING that long and its
   * `DataScannedInBytes` grows meanwhile, as Athena reports a running query's. Default 0.
   */
  scanMs?: number;
}

export interface RecordedQuery {
  id: string;
  sql: string;
  parameters: string[];
  workgroup: string;
  state: QueryState;
  reason?: string;
  scannedBytes: number;
  /** Files read after partition pruning. */
  filesRead: number;
  /** `account/region/yyyy/MM/dd` of every partition read. */
  partitionsRead: string[];
  rows: number;
}

type QueryState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface AthenaEmulator {
  endpoint: string;
  queries: RecordedQuery[];
  /** Change the workgroup's scan limit (undefined: none). */
  setBytesScannedCutoff(bytes: number | undefined): void;
  /** Queries started from now on stay RUNNING until stopped (to exercise timeouts). */
  holdQueries(hold: boolean): void;
  close(): Promise<void>;
}

/** The partition columns of the organization-trail table with partition projection. */
const PARTITION_COLUMNS = ['account', 'region', 'timestamp'] as const;

/** What DuckDB reads from each record (camelCase, as CloudTrail writes it). */
export const RECORD_TYPE = `STRUCT(
  eventVersion VARCHAR,
  userIdentity STRUCT(
    "type" VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, invokedBy VARCHAR,
    accessKeyId VARCHAR, userName VARCHAR,
    onBehalfOf STRUCT(userId VARCHAR, identityStoreArn VARCHAR),
    sessionContext STRUCT(
      attributes STRUCT(mfaAuthenticated VARCHAR, creationDate VARCHAR),
      sessionIssuer STRUCT("type" VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, userName VARCHAR),
      ec2RoleDelivery VARCHAR,
      webIdFederationData STRUCT(federatedProvider VARCHAR, attributes MAP(VARCHAR, VARCHAR))
    )
  ),
  eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR,
  sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR,
  requestParameters JSON, responseElements JSON, additionalEventData JSON,
  requestID VARCHAR, eventID VARCHAR, readOnly VARCHAR,
  resources STRUCT(ARN VARCHAR, accountId VARCHAR, "type" VARCHAR)[],
  eventType VARCHAR, apiVersion VARCHAR, recipientAccountId VARCHAR, serviceEventDetails JSON,
  sharedEventID VARCHAR, vpcEndpointId VARCHAR, vpcEndpointAccountId VARCHAR, eventCategory VARCHAR,
  addendum STRUCT(reason VARCHAR, updatedFields VARCHAR, originalRequestID VARCHAR, originalEventID VARCHAR),
  sessionCredentialFromConsole VARCHAR, edgeDeviceDetails JSON,
  tlsDetails STRUCT(tlsVersion VARCHAR, cipherSuite VARCHAR, clientProvidedHostHeader VARCHAR)
)`.replace(/\s+/g, ' ');

/** The documented table's columns, in its order, from a record `r` and its file's partition. */
const VIEW_COLUMNS = `
  r.eventVersion AS eventversion,
  {'type': r.userIdentity."type", 'principalid': r.userIdentity.principalId, 'arn': r.userIdentity.arn,
   'accountid': r.userIdentity.accountId, 'invokedby': r.userIdentity.invokedBy,
   'accesskeyid': r.userIdentity.accessKeyId, 'username': r.userIdentity.userName,
   'onbehalfof': {'userid': r.userIdentity.onBehalfOf.userId, 'identitystorearn': r.userIdentity.onBehalfOf.identityStoreArn},
   'sessioncontext': {
     'attributes': {'mfaauthenticated': r.userIdentity.sessionContext.attributes.mfaAuthenticated,
                    'creationdate': r.userIdentity.sessionContext.attributes.creationDate},
     'sessionissuer': {'type': r.userIdentity.sessionContext.sessionIssuer."type",
                       'principalid': r.userIdentity.sessionContext.sessionIssuer.principalId,
                       'arn': r.userIdentity.sessionContext.sessionIssuer.arn,
                       'accountid': r.userIdentity.sessionContext.sessionIssuer.accountId,
                       'username': r.userIdentity.sessionContext.sessionIssuer.userName},
     'ec2roledelivery': r.userIdentity.sessionContext.ec2RoleDelivery,
     'webidfederationdata': {'federatedprovider': r.userIdentity.sessionContext.webIdFederationData.federatedProvider,
                             'attributes': r.userIdentity.sessionContext.webIdFederationData.attributes}}} AS useridentity,
  r.eventTime AS eventtime, r.eventSource AS eventsource, r.eventName AS eventname, r.awsRegion AS awsregion,
  r.sourceIPAddress AS sourceipaddress, r.userAgent AS useragent, r.errorCode AS errorcode, r.errorMessage AS errormessage,
  CAST(r.requestParameters AS VARCHAR) AS requestparameters, CAST(r.responseElements AS VARCHAR) AS responseelements,
  CAST(r.additionalEventData AS VARCHAR) AS additionaleventdata, r.requestID AS requestid, r.eventID AS eventid,
  r.readOnly AS readonly,
  list_transform(r.resources, x -> {'arn': x.ARN, 'accountid': x.accountId, 'type': x."type"}) AS resources,
  r.eventType AS eventtype, r.apiVersion AS apiversion, r.recipientAccountId AS recipientaccountid,
  CAST(r.serviceEventDetails AS VARCHAR) AS serviceeventdetails, r.sharedEventID AS sharedeventid,
  r.vpcEndpointId AS vpcendpointid, r.vpcEndpointAccountId AS vpcendpointaccountid, r.eventCategory AS eventcategory,
  {'reason': r.addendum.reason, 'updatedfields': r.addendum.updatedFields, 'originalrequestid': r.addendum.originalRequestID,
   'originaleventid': r.addendum.originalEventID} AS addendum,
  r.sessionCredentialFromConsole AS sessioncredentialfromconsole, CAST(r.edgeDeviceDetails AS VARCHAR) AS edgedevicedetails,
  {'tlsversion': r.tlsDetails.tlsVersion, 'ciphersuite': r.tlsDetails.cipherSuite,
   'clientprovidedhostheader': r.tlsDetails.clientProvidedHostHeader} AS tlsdetails,
  src.account AS account, src.region AS region, src."timestamp" AS "timestamp"`;

const FILE_RE = /AWSLogs\/[^/]+\/(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+\.json\.gz$/;

export interface LogFile {
  path: string;
  account: string;
  region: string;
  timestamp: string;
  bytes: number;
}

export function listLogFiles(root: string): LogFile[] {
  const out: LogFile[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of entries) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else {
        const m = FILE_RE.exec(p.split(path.sep).join('/'));
        if (m) out.push({ path: p, account: m[1], region: m[2], timestamp: `${m[3]}/${m[4]}/${m[5]}`, bytes: fs.statSync(p).size });
      }
    }
  };
  walk(path.join(root, 'AWSLogs'));
  return out;
}

/** Literal text of one execution parameter → the value bound in DuckDB. */
function parseParameterLiteral(text: string): string | number | boolean | null | undefined {
  const t = text.trim();
  if (/^'(?:[^']|'')*'$/s.test(t)) return t.slice(1, -1).replace(/''/g, "'");
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  if (/^null$/i.test(t)) return null;
  return undefined;
}

class AthenaFault extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

interface Execution {
  record: RecordedQuery;
  database?: string;
  output: string;
  submittedAt: number;
  startedAt?: number;
  /** When the files to read were known (the scan then takes `scanMs`). */
  scanFrom?: number;
  completedAt?: number;
  resultTable?: string;
  columns: Array<{ name: string; type: string }>;
  errorType?: number;
  cancel?: () => void;
}

function athenaType(duck: string): string {
  const t = duck.toUpperCase();
  if (t.endsWith('[]') || t.startsWith('LIST')) return 'array';
  if (t.startsWith('STRUCT')) return 'row';
  if (t.startsWith('MAP')) return 'map';
  if (t === 'BIGINT' || t === 'HUGEINT' || t === 'UBIGINT') return 'bigint';
  if (t === 'INTEGER') return 'integer';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DOUBLE' || t === 'FLOAT') return 'double';
  if (t.startsWith('DECIMAL')) return 'decimal';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t === 'DATE') return 'date';
  return 'varchar';
}

/** A value as Athena prints it in GetQueryResults (rows as `{a=1, b=x}`, arrays as `[x, y]`). */
export function render(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
  if (Array.isArray(v)) return `[${v.map((x) => render(x) ?? 'null').join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${render(x) ?? 'null'}`).join(', ')}}`;
  return String(v);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Expression nodes of DuckDB's serialized AST, walked generically. */
type Node = Record<string, unknown>;

function columnRefs(node: unknown, out: string[][] = []): string[][] {
  if (Array.isArray(node)) node.forEach((n) => columnRefs(n, out));
  else if (node && typeof node === 'object') {
    const n = node as Node;
    if (n.class === 'COLUMN_REF') out.push(n.column_names as string[]);
    if (n.class === 'SUBQUERY') out.push(['<subquery>']);
    for (const v of Object.values(n)) if (v && typeof v === 'object') columnRefs(v, out);
  }
  return out;
}

function parameterNodes(node: unknown, out: Node[] = []): Node[] {
  if (Array.isArray(node)) node.forEach((n) => parameterNodes(n, out));
  else if (node && typeof node === 'object') {
    const n = node as Node;
    if (n.class === 'PARAMETER') out.push(n);
    for (const v of Object.values(n)) if (v && typeof v === 'object') parameterNodes(v, out);
  }
  return out;
}

function conjuncts(where: Node | null | undefined): Node[] {
  if (!where) return [];
  if (where.class === 'CONJUNCTION' && where.type === 'CONJUNCTION_AND') return (where.children as Node[]).flatMap(conjuncts);
  return [where];
}

export async function startAthenaEmulator(o: AthenaEmulatorOptions): Promise<AthenaEmulator> {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const admin = await db.connect();
  const executions = new Map<string, Execution>();
  const queries: RecordedQuery[] = [];
  let cutoff = o.bytesScannedCutoffPerQuery;
  let hold = false;
  const workgroup = o.workgroup ?? 'primary';

  const tableRef = (database: string | undefined): RegExp => {
    const t = `"?${escapeRegex(o.table)}"?`;
    const d = `"?${escapeRegex(o.database)}"?`;
    const qualified = `(?:"?awsdatacatalog"?\\s*\\.\\s*)?${d}\\s*\\.\\s*${t}`;
    // Unqualified only when the execution context names the database.
    const alt = database?.toLowerCase() === o.database.toLowerCase() ? `|(?<=\\bFROM\\s+)${t}(?=[\\s)]|$)` : '';
    return new RegExp(`${qualified}${alt}`, 'gi');
  };

  /** Files admitted by the WHERE clause's partition-only conjuncts (Athena's pruning). */
  async function prune(conn: DuckDBConnection, sql: string, values: unknown[], files: LogFile[]): Promise<LogFile[]> {
    const ser = await conn.runAndReadAll('SELECT json_serialize_sql(?::VARCHAR) AS j', [sql]);
    // query_location values overflow JavaScript numbers; they carry no meaning here.
    const ast = JSON.parse(String(ser.getRowObjectsJS()[0].j).replace(/"query_location":\d+/g, '"query_location":0')) as Node;
    if (ast.error) throw new AthenaFault('SYNTAX', `SYNTAX_ERROR: line 1:1: ${String(ast.error_message ?? 'syntax error')}`);
    const node = (ast.statements as Node[])[0]?.node as Node | undefined;
    const kept = conjuncts(node?.where_clause as Node | null).filter((c) => {
      const refs = columnRefs(c);
      return refs.length > 0 && refs.every((r) => r.length === 1 && (PARTITION_COLUMNS as readonly string[]).includes(r[0].toLowerCase()));
    });
    if (kept.length === 0) return files; // no partition predicate: every file is read
    await conn.run('CREATE OR REPLACE TEMP TABLE __files (i INTEGER, account VARCHAR, region VARCHAR, "timestamp" VARCHAR)');
    const appender = await conn.createAppender('__files');
    files.forEach((f, i) => {
      appender.appendInteger(i);
      appender.appendVarchar(f.account);
      appender.appendVarchar(f.region);
      appender.appendVarchar(f.timestamp);
      appender.endRow();
    });
    appender.closeSync();
    // Renumber the kept conjuncts' parameters and bind their values only.
    const bound: unknown[] = [];
    for (const p of parameterNodes(kept)) {
      bound.push(values[Number(p.identifier) - 1]);
      p.identifier = String(bound.length);
    }
    const where = kept.length === 1 ? kept[0] : { class: 'CONJUNCTION', type: 'CONJUNCTION_AND', alias: '', query_location: 0, children: kept };
    const tpl = await conn.runAndReadAll(`SELECT json_serialize_sql('SELECT i FROM __files WHERE true') AS j`);
    const tplAst = JSON.parse(String(tpl.getRowObjectsJS()[0].j).replace(/"query_location":\d+/g, '"query_location":0')) as Node;
    ((tplAst.statements as Node[])[0].node as Node).where_clause = where;
    const back = await conn.runAndReadAll('SELECT json_deserialize_sql(?::JSON) AS s', [JSON.stringify(tplAst)]);
    const r = await conn.runAndReadAll(String(back.getRowObjectsJS()[0].s), bound as never);
    return r.getRowObjectsJS().map((row) => files[Number(row.i)]);
  }

  async function run(x: Execution, database: string | undefined): Promise<void> {
    const conn = await db.connect();
    try {
      const values = x.record.parameters.map((p, i) => {
        const v = parseParameterLiteral(p);
        if (v === undefined) {
          throw new AthenaFault('INVALID_PARAMETER', `INVALID_FUNCTION_ARGUMENT: Execution parameter ${i + 1} is not a literal: ${p.slice(0, 200)}`);
        }
        return v;
      });
      const sql = x.record.sql.replace(tableRef(database), '__cloudtrail');
      if (!sql.includes('__cloudtrail')) {
        throw new AthenaFault('TABLE_NOT_FOUND', `TABLE_NOT_FOUND: line 1:1: Table '${database ?? 'awsdatacatalog'}.<table>' does not exist`);
      }
      const files = await prune(conn, sql, values, listLogFiles(o.logRoot));
      x.record.filesRead = files.length;
      x.record.partitionsRead = [...new Set(files.map((f) => `${f.account}/${f.region}/${f.timestamp}`))].sort();
      x.record.scannedBytes = files.reduce((n, f) => n + f.bytes, 0);
      if (cutoff !== undefined && x.record.scannedBytes > cutoff) {
        throw new AthenaFault('SCAN_LIMIT', 'Query cancelled! : Bytes scanned limit was exceeded');
      }
      if (o.scanMs) {
        x.scanFrom = Date.now();
        await new Promise((r) => setTimeout(r, o.scanMs));
        if (x.record.state !== 'RUNNING') return; // stopped meanwhile
      }
      const list = files.map((f) => `'${f.path.replace(/'/g, "''")}'`).join(', ');
      const source = files.length > 0
        ? `(SELECT unnest(Records) AS r, regexp_extract(filename, '${FILE_RE.source.replace(/\\\//g, '/')}', ['account', 'region', 'y', 'm', 'd']) AS p FROM read_json([${list}], columns={Records: '${RECORD_TYPE}[]'}, filename=true, format='auto'))`
        : `(SELECT NULL::${RECORD_TYPE} AS r, NULL::STRUCT(account VARCHAR, region VARCHAR, y VARCHAR, m VARCHAR, d VARCHAR) AS p WHERE false)`;
      await conn.run(
        `CREATE OR REPLACE TEMP VIEW __cloudtrail AS SELECT ${VIEW_COLUMNS} FROM (SELECT r, p.account AS account, p.region AS region, p.y || '/' || p.m || '/' || p.d AS "timestamp" FROM ${source}) src`,
      );
      const table = `result_${x.record.id.replace(/-/g, '_')}`;
      await conn.run(`CREATE TABLE ${table} AS ${sql}`, values as never);
      const cols = await conn.runAndReadAll(`SELECT * FROM ${table} LIMIT 0`);
      x.columns = cols.columnNames().map((name, i) => ({ name, type: athenaType(cols.columnTypes()[i].toString()) }));
      const n = await conn.runAndReadAll(`SELECT count(*) AS n FROM ${table}`);
      x.record.rows = Number(n.getRowObjectsJS()[0].n);
      x.resultTable = table;
      if (x.record.state === 'RUNNING') x.record.state = 'SUCCEEDED';
    } catch (e) {
      if (x.record.state !== 'CANCELLED') {
        x.record.state = 'FAILED';
        const msg = (e as Error).message;
        x.record.reason = e instanceof AthenaFault ? msg : `${/Parser Error/i.test(msg) ? 'SYNTAX_ERROR' : 'GENERIC_INTERNAL_ERROR'}: ${msg}`;
        x.errorType = e instanceof AthenaFault && e.type === 'SCAN_LIMIT' ? 1 : 2;
      }
    } finally {
      x.completedAt = Date.now();
      conn.closeSync();
    }
  }

  function describe(x: Execution): unknown {
    const r = x.record;
    const end = x.completedAt ?? Date.now();
    const failed = r.state === 'FAILED' || r.state === 'CANCELLED';
    return {
      QueryExecutionId: r.id,
      Query: r.sql,
      StatementType: 'DML',
      ResultConfiguration: { OutputLocation: `${x.output.replace(/\/$/, '')}/${r.id}.csv` },
      QueryExecutionContext: x.database ? { Database: x.database, Catalog: 'AwsDataCatalog' } : {},
      Status: {
        State: r.state,
        ...(r.reason ? { StateChangeReason: r.reason } : {}),
        SubmissionDateTime: x.submittedAt / 1000,
        ...(x.completedAt ? { CompletionDateTime: x.completedAt / 1000 } : {}),
        ...(failed && r.reason
          ? { AthenaError: { ErrorCategory: x.errorType ?? 2, ErrorType: x.errorType === 1 ? 1205 : 1000, Retryable: false, ErrorMessage: r.reason } }
          : {}),
      },
      Statistics: {
        EngineExecutionTimeInMillis: x.startedAt ? end - x.startedAt : 0,
        DataScannedInBytes: r.state === 'RUNNING' && x.scanFrom !== undefined && o.scanMs
          ? Math.floor(r.scannedBytes * Math.min(1, (Date.now() - x.scanFrom) / o.scanMs))
          : r.scannedBytes,
        TotalExecutionTimeInMillis: end - x.submittedAt,
        QueryQueueTimeInMillis: (x.startedAt ?? end) - x.submittedAt,
        ServiceProcessingTimeInMillis: 0,
      },
      WorkGroup: r.workgroup,
      EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
      ...(r.parameters.length > 0 ? { ExecutionParameters: r.parameters } : {}),
    };
  }

  const handlers: Record<string, (body: Node) => Promise<unknown>> = {
    async StartQueryExecution(body) {
      const sql = body.QueryString;
      if (typeof sql !== 'string' || sql.length === 0) throw new AthenaFault('InvalidRequestException', 'QueryString is required');
      if (sql.length > 262_144) throw new AthenaFault('InvalidRequestException', 'Query string is longer than 262144 bytes');
      const wg = typeof body.WorkGroup === 'string' ? body.WorkGroup : 'primary';
      if (wg !== workgroup) throw new AthenaFault('InvalidRequestException', `WorkGroup ${wg} is not found.`);
      const output = (body.ResultConfiguration as Node | undefined)?.OutputLocation ?? o.workgroupOutputLocation;
      if (typeof output !== 'string' || !output.startsWith('s3://')) {
        throw new AthenaFault('InvalidRequestException', 'No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.');
      }
      const params = body.ExecutionParameters;
      if (params !== undefined && (!Array.isArray(params) || params.some((p) => typeof p !== 'string'))) {
        throw new AthenaFault('InvalidRequestException', 'ExecutionParameters must be a list of strings');
      }
      const database = (body.QueryExecutionContext as Node | undefined)?.Database as string | undefined;
      const id = randomUUID();
      const record: RecordedQuery = {
        id, sql, parameters: (params as string[] | undefined) ?? [], workgroup: wg, state: 'QUEUED',
        scannedBytes: 0, filesRead: 0, partitionsRead: [], rows: 0,
      };
      const x: Execution = { record, database, output, submittedAt: Date.now(), columns: [] };
      executions.set(id, x);
      queries.push(record);
      const held = hold;
      const timer = setTimeout(() => {
        if (record.state !== 'QUEUED') return;
        record.state = 'RUNNING';
        x.startedAt = Date.now();
        if (held) return; // stays RUNNING until StopQueryExecution
        void run(x, database);
      }, o.runDelayMs ?? 0);
      x.cancel = () => clearTimeout(timer);
      return { QueryExecutionId: id };
    },
    async GetQueryExecution(body) {
      const x = executions.get(String(body.QueryExecutionId));
      if (!x) throw new AthenaFault('InvalidRequestException', `QueryExecution ${String(body.QueryExecutionId)} was not found`);
      return { QueryExecution: describe(x) };
    },
    async StopQueryExecution(body) {
      const x = executions.get(String(body.QueryExecutionId));
      if (!x) throw new AthenaFault('InvalidRequestException', `QueryExecution ${String(body.QueryExecutionId)} was not found`);
      if (x.record.state === 'QUEUED' || x.record.state === 'RUNNING') {
        x.cancel?.();
        x.record.state = 'CANCELLED';
        x.record.reason = 'Query was cancelled by the user';
        x.completedAt = Date.now();
      }
      return {};
    },
    async GetQueryResults(body) {
      const x = executions.get(String(body.QueryExecutionId));
      if (!x) throw new AthenaFault('InvalidRequestException', `QueryExecution ${String(body.QueryExecutionId)} was not found`);
      if (x.record.state !== 'SUCCEEDED' || !x.resultTable) {
        throw new AthenaFault('InvalidRequestException', x.record.state === 'FAILED' || x.record.state === 'CANCELLED'
          ? `Query has failed or was cancelled: ${x.record.reason ?? x.record.state}`
          : `Query has not yet finished. Current state: ${x.record.state}`);
      }
      const max = body.MaxResults === undefined ? 1000 : Number(body.MaxResults);
      if (!Number.isInteger(max) || max < 1 || max > 1000) {
        throw new AthenaFault('InvalidRequestException', '1 validation error detected: Value at \'maxResults\' failed to satisfy constraint: Member must have value less than or equal to 1000');
      }
      let offset = 0;
      if (body.NextToken !== undefined) {
        const [qid, off] = Buffer.from(String(body.NextToken), 'base64url').toString().split(':');
        if (qid !== x.record.id || !/^\d+$/.test(off ?? '')) throw new AthenaFault('InvalidRequestException', 'Invalid NextToken');
        offset = Number(off);
      }
      const first = body.NextToken === undefined;
      const take = first ? max - 1 : max; // the header row counts towards the first page
      const conn = await db.connect();
      try {
        const r = await conn.runAndReadAll(`SELECT * FROM ${x.resultTable} WHERE rowid >= ? AND rowid < ? ORDER BY rowid`, [offset, offset + take] as never);
        const rows = r.getRowsJS().map((row) => ({ Data: row.map((v) => { const s = render(v); return s === undefined ? {} : { VarCharValue: s }; }) }));
        const header = first ? [{ Data: x.columns.map((c) => ({ VarCharValue: c.name })) }] : [];
        const next = offset + take < x.record.rows ? Buffer.from(`${x.record.id}:${offset + take}`).toString('base64url') : undefined;
        return {
          UpdateCount: 0,
          ResultSet: {
            Rows: [...header, ...rows],
            ResultSetMetadata: {
              ColumnInfo: x.columns.map((c) => ({
                CatalogName: 'hive', SchemaName: '', TableName: '', Name: c.name, Label: c.name, Type: c.type,
                Precision: c.type === 'varchar' ? 2147483647 : c.type === 'bigint' ? 19 : 0, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: c.type === 'varchar',
              })),
            },
          },
          ...(next ? { NextToken: next } : {}),
        };
      } finally {
        conn.closeSync();
      }
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith('AmazonAthena.') ? target.slice('AmazonAthena.'.length) : '';
      const handler = handlers[op];
      if (req.method !== 'POST' || !handler) {
        send(400, { __type: 'UnknownOperationException', message: `Unknown operation ${target}` });
        return;
      }
      let body: Node;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Node) : {};
      } catch {
        send(400, { __type: 'SerializationException', Message: 'Malformed JSON' });
        return;
      }
      handler(body).then(
        (out) => send(200, out),
        (e: unknown) => send(400, { __type: e instanceof AthenaFault ? e.type : 'InternalServerException', Message: (e as Error).message }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    queries,
    setBytesScannedCutoff: (bytes) => {
      cutoff = bytes;
    },
    holdQueries: (h) => {
      hold = h;
    },
    close: async () => {
      for (const x of executions.values()) x.cancel?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      admin.closeSync();
      db.closeSync();
    },
  };
}
