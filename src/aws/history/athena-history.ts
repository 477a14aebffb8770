/**
 * CloudTrail history from Athena: StartQueryExecution with the lookup's SQL and execution
 * parameters, GetQueryExecution until it ends, then GetQueryResults page by page (1,000
 * rows), each row turned into a `TrailEvent` and yielded at once. One page is in memory at
 * a time, whatever the size of the result.
 *
 * A query that fails, is cancelled, exceeds the workgroup's scan limit or runs past
 * `timeoutMs` (then stopped with StopQueryExecution) ends the stream with
 * `HistoryQueryFailed`, carrying Athena's own reason.
 */
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, QueryExecution, StartQueryExecutionCommand, StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { ATHENA_MIN_BILLED_BYTES, scanCostUsd } from '../../domain/history-choice';
import { AthenaTable, buildAthenaQuery, HistoryLookup, recordFromAthenaRow, splitLookup } from '../../domain/history-query';
import { parseTrailEvent, TrailEvent } from '../../domain/trail-event';
import { fromAwsError } from '../../errors';
import { HistoryQueryFailed, HistoryQueryOptions, HistoryQueryRun, HistoryQuerySource, HistoryQueryStats } from './history-query-source';
import { sleep } from './rate-limiter';

export interface AthenaHistoryOptions {
  client: AthenaClient;
  table: AthenaTable;
  workgroup?: string;
  /** s3:// location for results; optional when the workgroup enforces its own. */
  outputLocation?: string;
  /** First poll delay; doubles up to 2 s. Default 200 ms. */
  pollIntervalMs?: number;
  /** A query still running after this is stopped. Default 5 minutes. */
  timeoutMs?: number;
  /** Rows per GetQueryResults page (Athena's maximum is 1,000). */
  pageSize?: number;
  now?: () => number;
}

const SCAN_LIMIT = /bytes scanned limit/i;

export class AthenaHistory implements HistoryQuerySource {
  readonly name = 'athena' as const;

  constructor(private readonly o: AthenaHistoryOptions) {}

  run(lookup: HistoryLookup, options: HistoryQueryOptions = {}): HistoryQueryRun {
    const now = this.o.now ?? Date.now;
    const started = now();
    const bytes: number[] = [];
    // Bytes the query running now has scanned so far (Athena reports them while it runs).
    let running = 0;
    const stats: HistoryQueryStats = { source: 'athena', queryIds: [], scannedBytes: 0, costUsd: 0, events: 0, pages: 0, elapsedMs: 0 };
    const update = () => {
      stats.scannedBytes = bytes.reduce((a, b) => a + b, 0) + running;
      stats.costUsd = scanCostUsd(running > 0 ? [...bytes, running] : bytes, ATHENA_MIN_BILLED_BYTES);
      stats.elapsedMs = now() - started;
    };
    const self = this;
    async function* events(): AsyncGenerator<TrailEvent> {
      const parts = splitLookup(lookup);
      // Parts overlap only when one event matches principals in two parts: remember ids then.
      const seen = parts.length > 1 ? new Set<string>() : undefined;
      for (const part of parts) {
        const queryId = await self.start(part, stats);
        const done = await self.wait(queryId, stats.events > 0, options.signal, (q) => {
          stats.state = q.Status?.State;
          running = q.Status?.State === 'SUCCEEDED' ? 0 : q.Statistics?.DataScannedInBytes ?? 0;
          update();
          options.onPoll?.();
        });
        running = 0;
        bytes.push(done.Statistics?.DataScannedInBytes ?? 0);
        update();
        for await (const e of self.results(queryId, stats, options.signal)) {
          if (seen) {
            if (seen.has(e.id)) continue;
            seen.add(e.id);
          }
          if (options.maxEvents !== undefined && stats.events >= options.maxEvents) {
            stats.truncated = { at: stats.events, queryId };
            update();
            return;
          }
          stats.events++;
          yield e;
        }
      }
      update();
    }
    return { events: events(), stats: () => (update(), { ...stats }) };
  }

  private async start(lookup: HistoryLookup, stats: HistoryQueryStats): Promise<string> {
    const q = buildAthenaQuery(lookup, this.o.table);
    try {
      const r = await this.o.client.send(new StartQueryExecutionCommand({
        QueryString: q.sql,
        ExecutionParameters: q.parameters,
        QueryExecutionContext: { Database: this.o.table.database },
        WorkGroup: this.o.workgroup,
        ...(this.o.outputLocation ? { ResultConfiguration: { OutputLocation: this.o.outputLocation } } : {}),
      }));
      stats.queryIds.push(r.QueryExecutionId!);
      return r.QueryExecutionId!;
    } catch (e) {
      // Refused before it ran (no workgroup, no output location, access denied): Athena's words.
      const name = (e as { name?: string }).name ?? 'Error';
      if (name === 'InvalidRequestException') throw new HistoryQueryFailed('athena', 'failed', (e as Error).message);
      throw fromAwsError(e, 'athena:StartQueryExecution');
    }
  }

  private async wait(queryId: string, partial: boolean, signal?: AbortSignal, polled?: (q: QueryExecution) => void): Promise<QueryExecution> {
    const now = this.o.now ?? Date.now;
    const deadline = now() + (this.o.timeoutMs ?? 300_000);
    let delay = this.o.pollIntervalMs ?? 200;
    for (;;) {
      let q: QueryExecution | undefined;
      try {
        q = (await this.o.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }), { abortSignal: signal })).QueryExecution;
      } catch (e) {
        if (signal?.aborted) await this.stop(queryId);
        throw fromAwsError(e, 'athena:GetQueryExecution');
      }
      const state = q?.Status?.State;
      if (q) polled?.(q);
      if (state === 'SUCCEEDED') return q!;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = q?.Status?.StateChangeReason ?? q?.Status?.AthenaError?.ErrorMessage ?? state;
        throw new HistoryQueryFailed('athena', SCAN_LIMIT.test(reason) ? 'scan-limit' : state === 'FAILED' ? 'failed' : 'cancelled', reason, queryId, partial);
      }
      if (now() >= deadline) {
        await this.stop(queryId);
        throw new HistoryQueryFailed('athena', 'timeout', `still ${state ?? 'RUNNING'} after ${Math.round((this.o.timeoutMs ?? 300_000) / 1000)} s; stopped`, queryId, partial);
      }
      try {
        await sleep(Math.min(delay, Math.max(0, deadline - now())), signal);
      } catch (e) {
        await this.stop(queryId);
        throw e;
      }
      delay = Math.min(delay * 2, 2_000);
    }
  }

  private async stop(queryId: string): Promise<void> {
    await this.o.client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId })).catch(() => undefined);
  }

  private async *results(queryId: string, stats: HistoryQueryStats, signal?: AbortSignal): AsyncGenerator<TrailEvent> {
    let token: string | undefined;
    let first = true;
    do {
      let page;
      try {
        page = await this.o.client.send(
          new GetQueryResultsCommand({ QueryExecutionId: queryId, NextToken: token, MaxResults: this.o.pageSize ?? 1000 }),
          { abortSignal: signal },
        );
      } catch (e) {
        throw new HistoryQueryFailed('athena', 'failed', `reading results: ${(e as Error).message}`, queryId, stats.events > 0);
      }
      stats.pages++;
      const names = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
      const rows = page.ResultSet?.Rows ?? [];
      // The first page of a SELECT starts with the header row (the column names).
      const start = first && rows.length > 0 && rows[0].Data?.every((d, i) => d.VarCharValue === names[i]) ? 1 : 0;
      first = false;
      for (let i = start; i < rows.length; i++) {
        const row: Record<string, string | undefined> = {};
        const data = rows[i].Data ?? [];
        for (let c = 0; c < names.length; c++) row[names[c]] = data[c]?.VarCharValue;
        const record = recordFromAthenaRow(row);
        yield parseTrailEvent({ CloudTrailEvent: JSON.stringify(record) }, row.awsregion ?? '');
      }
      token = page.NextToken;
    } while (token);
  }
}
