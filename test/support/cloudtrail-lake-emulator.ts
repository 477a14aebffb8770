/**
 * A small CloudTrail Lake emulator: `StartQuery`, `GetQueryResults` (status while running,
 * then rows page by page with NextToken) and `CancelQuery`, on CloudTrail's JSON 1.1 wire
 * protocol (`X-Amz-Target: CloudTrail_20131101.<Op>`), so the real
 * `@aws-sdk/client-cloudtrail` talks to it. The query runs in DuckDB over the same trail log
 * files as the Athena emulator, the event data store being a view of the records with
 * CloudTrail's camelCase fields and `eventTime` as a timestamp. Rows come back as Lake
 * sends them: a list of one-entry `{column: text}` maps, maps printed as `{key=value}`.
 *
 * What it checks of Lake's SQL constraints (AWS CloudTrail User Guide, "CloudTrail Lake SQL
 * constraints"; StartQuery in the API reference), refusing at StartQuery as Lake does:
 * - the statement is at most 10,000 characters (StartQuery's `QueryStatement` limit;
 *   refused with InvalidParameterException: AWS documents the limit, not the error name);
 * - it is one `SELECT` statement (no DDL or DML, no second statement), checked with DuckDB's
 *   own parser (InvalidQueryStatementException);
 * - its `FROM` names the event data store by its ID (the last part of the ARN).
 * The statement then runs in DuckDB, so it must also be SQL DuckDB shares with Lake's Trino:
 * keyguard's builder keeps to SELECT of columns and dotted struct fields with aliases, WHERE
 * with `AND`/`OR`/`IN`/`>=`/`<=` and parentheses (all in Lake's list of condition
 * operators), string literals (eventTime compared with `'YYYY-MM-DD hh:mm:ss'`), and
 * `ORDER BY … DESC`: no functions, no joins, no casts, no parameters (Lake takes none).
 *
 * Not emulated: the rest of Trino's dialect (a query DuckDB accepts and Trino would not
 * passes here), the event data store's retention and organization settings, and
 * `DescribeQuery`.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { listLogFiles, RECORD_TYPE, render } from './athena-emulator';

export interface LakeEmulatorOptions {
  logRoot: string;
  /** The event data store id (the last part of its ARN). */
  eventDataStoreId: string;
  /** Polls answered RUNNING before the query runs. Default 1. */
  runningPolls?: number;
}

export interface LakeQuery {
  id: string;
  sql: string;
  status: 'QUEUED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';
  error?: string;
  rows: Array<Array<Record<string, string>>>;
  bytesScanned: number;
  polls: number;
}

export interface LakeEmulator {
  endpoint: string;
  queries: LakeQuery[];
  /** The next query fails with this message (as Lake reports a failed query). */
  failNext(message: string): void;
  close(): Promise<void>;
}

/** A JSON object as Lake prints a map: `{key=value, …}`. */
function lakeText(v: unknown): string | undefined {
  if (typeof v === 'string' && v.startsWith('{')) {
    try {
      const o = JSON.parse(v) as Record<string, unknown>;
      return `{${Object.entries(o).map(([k, x]) => `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`).join(', ')}}`;
    } catch {
      return v;
    }
  }
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
  return render(v);
}

export async function startLakeEmulator(o: LakeEmulatorOptions): Promise<LakeEmulator> {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const queries = new Map<string, LakeQuery>();
  const list: LakeQuery[] = [];
  let failNext: string | undefined;

  async function run(q: LakeQuery): Promise<void> {
    const conn = await db.connect();
    try {
      const files = listLogFiles(o.logRoot);
      q.bytesScanned = files.reduce((n, f) => n + f.bytes, 0);
      const paths = files.map((f) => `'${f.path.replace(/'/g, "''")}'`).join(', ');
      const source = files.length
        ? `(SELECT unnest(Records) AS r FROM read_json([${paths}], columns={Records: '${RECORD_TYPE}[]'}))`
        : `(SELECT NULL::${RECORD_TYPE} AS r WHERE false)`;
      await conn.run(`CREATE OR REPLACE TEMP VIEW __lake AS SELECT r.* REPLACE (CAST(replace(r.eventTime, 'Z', '') AS TIMESTAMP) AS eventTime, CAST(r.requestParameters AS VARCHAR) AS requestParameters, CAST(r.responseElements AS VARCHAR) AS responseElements) FROM ${source}`);
      const sql = q.sql.replace(new RegExp(`\\bFROM\\s+${o.eventDataStoreId.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\b`, 'i'), 'FROM __lake');
      const r = await conn.runAndReadAll(sql);
      const names = r.columnNames();
      q.rows = r.getRowsJS().map((row) => row.map((v, i) => ({ [names[i]]: lakeText(v) ?? '' })));
      if (q.status === 'RUNNING') q.status = 'FINISHED';
    } catch (e) {
      q.status = 'FAILED';
      q.error = (e as Error).message;
    } finally {
      conn.closeSync();
    }
  }

  const fromEds = new RegExp(`\\bFROM\\s+${o.eventDataStoreId.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\b`, 'i');
  const refuse = (type: string, message: string) => Object.assign(new Error(message), { type });

  /** Lake's constraints on a statement, checked before it is accepted (see the header). */
  async function checkStatement(sql: string): Promise<void> {
    if (sql.length === 0 || sql.length > 10_000) {
      throw refuse('InvalidParameterException', `QueryStatement must be 1 to 10000 characters long; it is ${sql.length}`);
    }
    if (!fromEds.test(sql)) throw refuse('InvalidQueryStatementException', 'The query must select FROM the event data store ID');
    const conn = await db.connect();
    try {
      const r = await conn.runAndReadAll('SELECT json_serialize_sql(?::VARCHAR) AS j', [sql.replace(fromEds, 'FROM __lake')]);
      const ast = JSON.parse(String(r.getRowObjectsJS()[0].j).replace(/"query_location":\d+/g, '"query_location":0')) as { error?: boolean; error_message?: string; statements?: unknown[] };
      if (ast.error) throw refuse('InvalidQueryStatementException', `Only one SELECT statement is allowed: ${ast.error_message ?? 'not a SELECT'}`);
      if ((ast.statements ?? []).length !== 1) throw refuse('InvalidQueryStatementException', 'Only one SELECT statement is allowed');
    } finally {
      conn.closeSync();
    }
  }

  const handlers: Record<string, (b: Record<string, unknown>) => Promise<unknown>> = {
    async StartQuery(b) {
      if (typeof b.QueryStatement !== 'string') throw Object.assign(new Error('QueryStatement is required'), { type: 'InvalidParameterException' });
      await checkStatement(b.QueryStatement);
      const q: LakeQuery = { id: randomUUID(), sql: b.QueryStatement, status: 'QUEUED', rows: [], bytesScanned: 0, polls: 0 };
      if (failNext) {
        q.status = 'FAILED';
        q.error = failNext;
        failNext = undefined;
      }
      queries.set(q.id, q);
      list.push(q);
      return { QueryId: q.id };
    },
    async GetQueryResults(b) {
      const q = queries.get(String(b.QueryId));
      if (!q) throw Object.assign(new Error('The query ID does not exist'), { type: 'QueryIdNotFoundException' });
      if (q.status === 'QUEUED' || q.status === 'RUNNING') {
        q.polls++;
        if (q.polls > (o.runningPolls ?? 1)) {
          q.status = 'RUNNING';
          await run(q);
        } else {
          q.status = 'RUNNING';
          return { QueryStatus: 'RUNNING', QueryStatistics: { ResultsCount: 0, TotalResultsCount: 0, BytesScanned: 0 }, QueryResultRows: [] };
        }
      }
      if (q.status !== 'FINISHED') return { QueryStatus: q.status, ErrorMessage: q.error, QueryResultRows: [] };
      const max = Number(b.MaxQueryResults ?? 1000);
      const offset = b.NextToken ? Number(Buffer.from(String(b.NextToken), 'base64url').toString()) : 0;
      const page = q.rows.slice(offset, offset + max);
      const next = offset + max < q.rows.length ? Buffer.from(String(offset + max)).toString('base64url') : undefined;
      return {
        QueryStatus: 'FINISHED',
        QueryStatistics: { ResultsCount: page.length, TotalResultsCount: q.rows.length, BytesScanned: q.bytesScanned },
        QueryResultRows: page,
        ...(next ? { NextToken: next } : {}),
      };
    },
    async CancelQuery(b) {
      const q = queries.get(String(b.QueryId));
      if (!q) throw Object.assign(new Error('The query ID does not exist'), { type: 'QueryIdNotFoundException' });
      if (q.status === 'QUEUED' || q.status === 'RUNNING') q.status = 'CANCELLED';
      return { QueryId: q.id, QueryStatus: q.status };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const op = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      const handler = handlers[op];
      if (!handler) {
        send(400, { __type: 'UnknownOperationException', message: `Unknown operation ${op}` });
        return;
      }
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      handler(body).then(
        (out) => send(200, out),
        (e: { type?: string; message: string }) => send(400, { __type: e.type ?? 'ServiceException', message: e.message }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries: list,
    failNext: (m) => {
      failNext = m;
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      db.closeSync();
    },
  };
}
