/**
 * CloudTrail history from CloudTrail Lake: StartQuery on the event data store, then
 * GetQueryResults, which answers the query's status until it has FINISHED and then pages
 * through its rows. Rows become `TrailEvent`s one page at a time.
 *
 * Lake takes no parameters for ad-hoc queries, so the query inlines values that
 * `buildLakeQuery` has checked against AWS's own character sets (see history-query.ts).
 */
import { CancelQueryCommand, CloudTrailClient, GetQueryResultsCommand, GetQueryResultsCommandOutput, StartQueryCommand } from '@aws-sdk/client-cloudtrail';
import { scanCostUsd } from '../../domain/history-choice';
import { buildLakeQueries, eventDataStoreId, HistoryLookup, recordFromLakeRow } from '../../domain/history-query';
import { parseTrailEvent, TrailEvent } from '../../domain/trail-event';
import { fromAwsError } from '../../errors';
import { HistoryQueryFailed, HistoryQueryOptions, HistoryQueryRun, HistoryQuerySource, HistoryQueryStats } from './history-query-source';
import { sleep } from './rate-limiter';

export interface LakeHistoryOptions {
  /** A client in the event data store's region. */
  client: CloudTrailClient;
  /** IR_CLOUDTRAIL_LAKE_EDS: the event data store's ARN. */
  eventDataStore: string;
  pollIntervalMs?: number;
  timeoutMs?: number;
  pageSize?: number;
  now?: () => number;
}

export class LakeHistory implements HistoryQuerySource {
  readonly name = 'lake' as const;

  constructor(private readonly o: LakeHistoryOptions) {}

  run(lookup: HistoryLookup, options: HistoryQueryOptions = {}): HistoryQueryRun {
    const now = this.o.now ?? Date.now;
    const started = now();
    const stats: HistoryQueryStats = { source: 'lake', queryIds: [], scannedBytes: 0, costUsd: 0, events: 0, pages: 0, elapsedMs: 0 };
    // Bytes of the queries already read, and of the one being read (Lake reports it per page).
    let doneBytes = 0;
    let currentBytes = 0;
    const update = () => {
      stats.scannedBytes = doneBytes + currentBytes;
      stats.costUsd = scanCostUsd([stats.scannedBytes]);
      stats.elapsedMs = now() - started;
    };
    const self = this;
    async function* events(): AsyncGenerator<TrailEvent> {
      // Several statements when the credential graph does not fit in Lake's 10,000 characters.
      const statements = buildLakeQueries(lookup, self.o.eventDataStore);
      // An event can match principals of two statements: remember ids then.
      const seen = statements.length > 1 ? new Set<string>() : undefined;
      for (const sql of statements) {
        const queryId = await self.start(sql);
        stats.queryIds.push(queryId);
        let page = await self.wait(queryId, stats.events > 0, options.signal, (status) => {
          stats.state = status;
          update();
          options.onPoll?.();
        });
        for (;;) {
          stats.pages++;
          currentBytes = Math.max(currentBytes, page.QueryStatistics?.BytesScanned ?? 0);
          update();
          for (const cells of page.QueryResultRows ?? []) {
            const row: Record<string, string | undefined> = {};
            for (const cell of cells) for (const [k, v] of Object.entries(cell)) row[k] = v === '' ? undefined : v;
            if (seen && row.eventid !== undefined) {
              if (seen.has(row.eventid)) continue;
              seen.add(row.eventid);
            }
            if (options.maxEvents !== undefined && stats.events >= options.maxEvents) {
              stats.truncated = { at: stats.events, queryId };
              return;
            }
            stats.events++;
            yield parseTrailEvent({ CloudTrailEvent: JSON.stringify(recordFromLakeRow(row)) }, row.awsregion ?? '');
          }
          if (!page.NextToken) break;
          page = await self.page(queryId, page.NextToken, options.signal);
        }
        doneBytes += currentBytes;
        currentBytes = 0;
      }
      update();
    }
    return { events: events(), stats: () => (update(), { ...stats }) };
  }

  private async start(sql: string): Promise<string> {
    try {
      return (await this.o.client.send(new StartQueryCommand({ QueryStatement: sql }))).QueryId!;
    } catch (e) {
      const name = (e as { name?: string }).name ?? '';
      if (/InvalidQueryStatement|InvalidParameter|EventDataStoreNotFound|InactiveEventDataStore|MaxConcurrentQueries/.test(name)) {
        throw new HistoryQueryFailed('lake', 'failed', `${name}: ${(e as Error).message}`);
      }
      throw fromAwsError(e, 'cloudtrail:StartQuery');
    }
  }

  private page(queryId: string, token: string | undefined, signal?: AbortSignal): Promise<GetQueryResultsCommandOutput> {
    return this.o.client
      .send(new GetQueryResultsCommand({ QueryId: queryId, NextToken: token, MaxQueryResults: this.o.pageSize ?? 1000 }), { abortSignal: signal })
      .catch((e: unknown) => {
        throw fromAwsError(e, 'cloudtrail:GetQueryResults');
      });
  }

  /** Polls GetQueryResults until the query has FINISHED; returns its first page. */
  private async wait(queryId: string, partial: boolean, signal?: AbortSignal, polled?: (status: string | undefined) => void): Promise<GetQueryResultsCommandOutput> {
    const now = this.o.now ?? Date.now;
    const timeout = this.o.timeoutMs ?? 300_000;
    const deadline = now() + timeout;
    let delay = this.o.pollIntervalMs ?? 200;
    for (;;) {
      const r = await this.page(queryId, undefined, signal);
      polled?.(r.QueryStatus);
      if (r.QueryStatus === 'FINISHED') return r;
      if (r.QueryStatus === 'FAILED' || r.QueryStatus === 'CANCELLED' || r.QueryStatus === 'TIMED_OUT') {
        const kind = r.QueryStatus === 'TIMED_OUT' ? 'timeout' : r.QueryStatus === 'FAILED' ? 'failed' : 'cancelled';
        throw new HistoryQueryFailed('lake', kind, r.ErrorMessage ?? r.QueryStatus, queryId, partial);
      }
      if (now() >= deadline) {
        await this.o.client.send(new CancelQueryCommand({ QueryId: queryId, EventDataStore: eventDataStoreId(this.o.eventDataStore) })).catch(() => undefined);
        throw new HistoryQueryFailed('lake', 'timeout', `still ${r.QueryStatus ?? 'RUNNING'} after ${Math.round(timeout / 1000)} s; cancelled`, queryId, partial);
      }
      await sleep(Math.min(delay, Math.max(0, deadline - now())), signal);
      delay = Math.min(delay * 2, 2_000);
    }
  }
}
