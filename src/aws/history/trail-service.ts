/**
 * One CloudTrail pull, as `/trail`, the Investigate step and the watch all need it: the
 * principal's events from every region, streamed through the summary and into CSV and
 * NDJSON files on disk (memory stays flat however many events there are).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CloudTrailClientFactory, CloudTrailLookup, LookupAttributeSpec, LookupProgress, lookupOneAttribute } from './cloudtrail-lookup';
import { RateLimiterPool } from './rate-limiter';
import { parseTrailEvent, TrailEvent } from '../../domain/trail-event';
import { createdResources, ownerActivityOf, TrailSummaryBuilder, TrailSummaryOptions } from '../../domain/trail-summary';
import { CredentialGraphBuilder, GraphCaps, callingKey } from '../../domain/credential-graph-builder';
import type { EventAttribution } from '../../domain/credential-graph';
import type { LookupProgress as Progress } from '../../domain/trail-progress';
import { csvHeader, toCsvLine, toNdjsonLine } from '../../timeline/trail-export';
import { traceTemporaryKey, AsiaTrace } from '../../domain/asia-trace';
import type { TrailSubject } from '../../domain/trail-query';
import { fromAwsError } from '../../errors';
import { historySourceLabel, HistorySourceName, lookupCanCover, LOOKUP_EVENTS_DAYS } from '../../domain/history-choice';
import type { HistoryLookup } from '../../domain/history-query';
import { HistoryQueryFailed, HistoryQuerySource } from './history-query-source';
import type { HistoryAnswer, HistorySelector } from './history-source';
import type { TrailPort, TrailPullRequest, TrailPullResult } from '../../ports/trail';
import { shift } from '../../domain/time';
import { CLOUDTRAIL_RETENTION_DAYS } from '../../domain/trail-query';

/** What an event created, as the graph notes it on the node that made the call. */
function createdNames(e: TrailEvent): string[] {
  return createdResources(e).map((c) => `${c.kind} ${c.name}`);
}

/** IAM, STS and console sign-in events are recorded in us-east-1. */
const GLOBAL_EVENTS_REGION = 'us-east-1';

export type { TrailPullRequest, TrailPullResult } from '../../ports/trail';

export interface TrailServiceOptions {
  clientFor: CloudTrailClientFactory;
  /**
   * CloudTrail clients for another account (through IR_TARGET_ROLE_NAME). Returns undefined
   * for the bot's own account; throws when the account cannot be reached.
   */
  clientsForAccount?: (account: string) => Promise<CloudTrailClientFactory | undefined>;
  /** IR_REGIONS; empty: every region enabled in the account, discovered once. */
  regions: string[];
  ec2?: EC2Client;
  requestsPerSecond?: number;
  tmpDir?: string;
  /** Detection settings for every pull's summary: usual regions, how keyguard's own calls look. */
  summary?: TrailSummaryOptions;
  /** Athena / CloudTrail Lake, and the rule choosing between them and LookupEvents. */
  history?: HistorySelector;
  /** Caps of the credential graph walk (depth, fan-out, nodes kept); defaults in credential-graph-builder.ts. */
  graphCaps?: Partial<GraphCaps>;
}

/** An event and who it is attributed to; `context` events go to the owner's activity, not the summary. */
interface Classified {
  event: TrailEvent;
  attribution?: EventAttribution;
  context?: boolean;
}

/** Progress of several lookups in a row, as one: totals add up, regions are the current pass's. */
class PassProgress {
  private readonly done: Progress[] = [];
  private readonly startMs = Date.now();
  constructor(private readonly onProgress?: (p: Progress) => void) {}

  ended(p: Progress): void {
    this.done.push(p);
  }

  combined(current: Progress | undefined, finished = false): Progress {
    const all = current ? [...this.done, current] : this.done;
    const sum = (k: 'events' | 'duplicatesDropped' | 'pages' | 'throttled') => all.reduce((n, p) => n + p[k], 0);
    const last = current ?? this.done.at(-1);
    const failed = new Map(all.flatMap((p) => p.regionsFailed).map((f) => [f.region, f]));
    return {
      regionsTotal: last?.regionsTotal ?? 0,
      regionsDone: finished ? (last?.regionsTotal ?? 0) - (last?.regionsFailed.length ?? 0) : (last?.regionsDone ?? 0),
      regionsFailed: [...failed.values()],
      events: sum('events'),
      duplicatesDropped: sum('duplicatesDropped'),
      pages: sum('pages'),
      throttled: sum('throttled'),
      elapsedMs: Date.now() - this.startMs,
      finished,
    };
  }

  report(current: Progress): void {
    this.onProgress?.(this.combined(current));
  }
}

function attributesFor(subject: TrailSubject, alsoUserName?: string): LookupAttributeSpec[] {
  switch (subject.kind) {
    case 'key':
      return [{ key: 'AccessKeyId', value: subject.accessKeyId }, ...(alsoUserName ? [{ key: 'Username' as const, value: alsoUserName }] : [])];
    case 'user':
      return [{ key: 'Username', value: subject.userName }];
    case 'role':
      // Events that name the role as a resource: its AssumeRole calls, policy changes.
      return [{ key: 'ResourceName', value: subject.roleArn }];
  }
}

export class TrailService implements TrailPort {
  private discovered?: Promise<string[]>;
  /** One limiter pool per account per process: every pull shares that account's 2 requests/s per region. */
  private readonly pools = new Map<string, RateLimiterPool>();

  constructor(private readonly o: TrailServiceOptions) {}

  private limiters(account = 'self'): RateLimiterPool {
    let pool = this.pools.get(account);
    if (!pool) {
      pool = new RateLimiterPool({ requestsPerSecond: this.o.requestsPerSecond });
      this.pools.set(account, pool);
    }
    return pool;
  }

  /** The clients and limiter pool for an account: the bot's own, or the target role's. */
  private async forAccount(account?: string): Promise<{ clientFor: CloudTrailClientFactory; limiters: RateLimiterPool }> {
    const other = account && this.o.clientsForAccount ? await this.o.clientsForAccount(account) : undefined;
    return other ? { clientFor: other, limiters: this.limiters(account) } : { clientFor: this.o.clientFor, limiters: this.limiters() };
  }

  regions(): Promise<string[]> {
    if (this.o.regions.length > 0) return Promise.resolve(this.o.regions);
    this.discovered ??= (async () => {
      const ec2 = this.o.ec2 ?? new EC2Client({ region: GLOBAL_EVENTS_REGION });
      try {
        const r = await ec2.send(new DescribeRegionsCommand({ AllRegions: false }));
        const names = (r.Regions ?? []).map((x) => x.RegionName!).filter(Boolean).sort();
        return names.length > 0 ? names : [GLOBAL_EVENTS_REGION];
      } catch (e) {
        this.discovered = undefined;
        throw fromAwsError(e, 'ec2:DescribeRegions (or set IR_REGIONS)');
      }
    })();
    return this.discovered;
  }

  async pull(req: TrailPullRequest): Promise<TrailPullResult> {
    const history = this.o.history;
    // Without Athena or Lake configured and nothing asked for, LookupEvents answers as always.
    if (!history || (!history.hasEngine && !req.source)) return this.pullLookup(req);
    const asked = req.requestedStart && req.requestedStart < req.start ? req.requestedStart : req.start;
    const start = req.newerThan && req.newerThan > asked ? req.newerThan : asked;
    const choice = history.choose({ start, forced: req.source, dataEvents: req.dataEvents, accounts: req.accounts?.length ?? 1 });
    const engine = choice.source === 'lookup' ? undefined : history.engine(choice.source);
    if (!engine) return this.answeredByLookup(req, { source: 'lookup', why: choice.why });
    const accounts = req.accounts ?? [req.account ?? (await history.ownAccount())];
    try {
      return await this.pullQuery(engine, req, { start, accounts, maxEvents: history.maxEvents }, choice.why);
    } catch (e) {
      const now = history.o.now();
      if (!(e instanceof HistoryQueryFailed) || e.partial || !lookupCanCover({ start, now, accounts: accounts.length })) throw e;
      // The query engine said no before delivering anything, and LookupEvents can cover the
      // same window: it answers, and the thread says why.
      return this.answeredByLookup(req, {
        source: 'lookup',
        why: `${historySourceLabel(e.source)} could not answer, so LookupEvents did`,
        fallback: { from: e.source, kind: e.kind, reason: e.reason, queryId: e.queryId },
      });
    }
  }

  private async answeredByLookup(req: TrailPullRequest, answer: Omit<HistoryAnswer, 'window'>): Promise<TrailPullResult> {
    const oldest = new Date((this.o.history?.o.now() ?? req.end).getTime() - LOOKUP_EVENTS_DAYS * 86_400_000);
    const r = await this.pullLookup(req.start < oldest ? { ...req, start: oldest } : req);
    const start = req.newerThan && req.newerThan > req.start ? req.newerThan : req.start;
    return { ...r, history: { ...answer, window: { start: (start < oldest ? oldest : start).toISOString(), end: req.end.toISOString() } } };
  }

  /** The subject and its credential graph, as one lookup for Athena or CloudTrail Lake. */
  private historyLookup(req: TrailPullRequest, start: Date, accounts: string[], regions: string[]): HistoryLookup {
    const s = req.subject;
    return {
      accessKeyIds: [...(s.kind === 'key' ? [s.accessKeyId] : []), ...(req.moreAccessKeyIds ?? [])],
      userNames: [...(s.kind === 'user' ? [s.userName] : []), ...(s.kind === 'key' && req.alsoUserName ? [req.alsoUserName] : [])],
      roleArns: s.kind === 'role' ? [s.roleArn] : [],
      start,
      end: req.end,
      accounts,
      regions,
    };
  }

  private async pullQuery(
    engine: HistoryQuerySource,
    req: TrailPullRequest,
    o: { start: Date; accounts: string[]; maxEvents: number },
    why: string,
  ): Promise<TrailPullResult> {
    const regions = await this.regions();
    const all = regions.includes(GLOBAL_EVENTS_REGION) ? regions : [GLOBAL_EVENTS_REGION, ...regions];
    const interval = req.progressIntervalMs ?? 1000;
    let last = 0;
    // Progress while the query runs (each poll) and while its rows stream in (each event).
    const tick = () => {
      const t = Date.now();
      if (req.onProgress && t - last >= interval) {
        last = t;
        req.onProgress(progress(false));
      }
    };
    const run = engine.run(this.historyLookup(req, o.start, o.accounts, all), { signal: req.signal, maxEvents: o.maxEvents, onPoll: tick });
    const progress = (finished: boolean): LookupProgress => {
      const st = run.stats();
      return {
        regionsTotal: all.length, regionsDone: finished ? all.length : 0, regionsFailed: [], events: st.events,
        duplicatesDropped: 0, pages: st.pages, throttled: 0, elapsedMs: st.elapsedMs, finished, query: st,
      };
    };
    // A key's events are attributed as they arrive: the key, what it minted (when the minting
    // event came first), or, for the owner's name, the owner's other activity (context).
    const s = req.subject;
    const builder = s.kind === 'key' ? new CredentialGraphBuilder({ accessKeyId: s.accessKeyId, userName: req.alsoUserName, account: req.account }, this.o.graphCaps) : undefined;
    const owner = builder && req.alsoUserName ? req.alsoUserName : undefined;
    async function* attributed(): AsyncGenerator<Classified> {
      for await (const e of run.events) {
        if (!builder) {
          yield { event: e };
          continue;
        }
        const attribution = builder.observe(e, createdNames(e));
        yield { event: e, attribution, context: attribution.by === 'owner-other' };
      }
    }
    const { context, ...collected } = await this.collect(attributed(), req, engine.name, tick, owner);
    req.onProgress?.(progress(true));
    return {
      ...collected,
      ...(builder ? { graph: builder.graph(all) } : {}),
      ...(owner && context ? { ownerActivity: ownerActivityOf(owner, context, []) } : {}),
      progress: progress(true),
      regions: all,
      history: { source: engine.name, why, query: run.stats(), window: { start: o.start.toISOString(), end: req.end.toISOString() } },
    };
  }

  private async pullLookup(req: TrailPullRequest): Promise<TrailPullResult> {
    if (req.subject.kind === 'key') return this.pullGraph(req, req.subject.accessKeyId);
    const regions = await this.regions();
    // Global events only exist in us-east-1; make sure it is searched.
    const all = regions.includes(GLOBAL_EVENTS_REGION) ? regions : [GLOBAL_EVENTS_REGION, ...regions];
    const { clientFor, limiters } = await this.forAccount(req.account);
    const lookup = new CloudTrailLookup({
      clientFor,
      attributes: attributesFor(req.subject, req.alsoUserName),
      window: { start: req.newerThan && req.newerThan > req.start ? req.newerThan : req.start, end: req.end },
      regions: all,
      limiters,
      onProgress: req.onProgress,
      progressIntervalMs: req.progressIntervalMs,
      signal: req.signal,
    });
    async function* parsed(): AsyncGenerator<TrailEvent> {
      for await (const { region, event } of lookup.events()) yield parseTrailEvent(event, region);
    }
    const collected = await this.collect(parsed(), req, 'lookup');
    return { ...collected, progress: lookup.progress(), regions: all };
  }

  /**
   * A key's history as its credential graph: the key by AccessKeyId in every region, then
   * every key it minted (AssumeRole, GetSessionToken, GetFederationToken, CreateAccessKey),
   * wave by wave, capped; then, at a lower priority, the owner's other activity by Username,
   * skipping the events of keys already fetched. Each lookup is paced by the account's
   * per-region limiters. A region that fails marks the graph incomplete; the rest proceeds.
   */
  private async pullGraph(req: TrailPullRequest, rootKey: string): Promise<TrailPullResult> {
    const regions = await this.regions();
    const all = regions.includes(GLOBAL_EVENTS_REGION) ? regions : [GLOBAL_EVENTS_REGION, ...regions];
    const builder = new CredentialGraphBuilder({ accessKeyId: rootKey, userName: req.alsoUserName, account: req.account }, this.o.graphCaps);
    const window = { start: req.newerThan && req.newerThan > req.start ? req.newerThan : req.start, end: req.end };
    const passes = new PassProgress(req.onProgress);
    const owner = req.alsoUserName && req.ownerActivity ? req.alsoUserName : undefined;
    const callers = new Map<string, number>();
    let ownerSkipped = 0;
    const self = this;

    const lookupWith = (clientFor: CloudTrailClientFactory, limiters: RateLimiterPool, attributes: LookupAttributeSpec[]) =>
      new CloudTrailLookup({
        clientFor, limiters, attributes, window, regions: all, signal: req.signal,
        progressIntervalMs: req.progressIntervalMs,
        onProgress: (p) => passes.report(p),
      });

    async function* classified(): AsyncGenerator<Classified> {
      let wave: Array<{ id: string; account?: string }> = [{ id: rootKey }];
      while (wave.length > 0) {
        // Keys of one account are looked up together, through that account's clients.
        const byAccount = new Map<string | undefined, string[]>();
        for (const { id, account: nodeAccount } of wave) {
          const account = nodeAccount && nodeAccount !== req.account ? nodeAccount : req.account;
          byAccount.set(account, [...(byAccount.get(account) ?? []), id]);
        }
        for (const [account, keys] of byAccount) {
          let access: { clientFor: CloudTrailClientFactory; limiters: RateLimiterPool };
          try {
            access = await self.forAccount(account);
          } catch (e) {
            // The leaked key's own account cannot be searched: say so rather than report an empty history.
            if (keys.includes(rootKey)) throw e;
            // A minted key's account cannot be reached: those keys are named, not silently dropped.
            for (const k of keys) builder.markNotFollowed(k, 'lookup-failed');
            continue;
          }
          const lookup = lookupWith(access.clientFor, access.limiters, keys.map((value) => ({ key: 'AccessKeyId' as const, value })));
          for await (const { region, event } of lookup.events()) {
            const e = parseTrailEvent(event, region);
            const attribution = builder.observe(e, createdNames(e));
            yield { event: e, attribution };
          }
          const p = lookup.progress();
          for (const f of p.regionsFailed) builder.markIncomplete(f.region);
          passes.ended(p);
        }
        wave = builder.toFollow();
      }
      if (!owner) return;
      const { clientFor, limiters } = await self.forAccount(req.account);
      const lookup = lookupWith(clientFor, limiters, [{ key: 'Username', value: owner }]);
      for await (const { region, event } of lookup.events()) {
        const e = parseTrailEvent(event, region);
        // Already fetched by its key's own lookup: never counted twice.
        if (builder.isFollowed(callingKey(e))) {
          ownerSkipped++;
          continue;
        }
        const attribution = builder.observe(e, createdNames(e));
        if (attribution.by === 'owner-other') {
          const caller = callingKey(e) ?? 'console / no key';
          if (callers.has(caller) || callers.size < 20) callers.set(caller, (callers.get(caller) ?? 0) + 1);
        }
        yield { event: e, attribution, context: attribution.by === 'owner-other' };
      }
      const p = lookup.progress();
      passes.ended(p);
    }

    const collected = await this.collect(classified(), req, 'lookup', undefined, owner);
    const progress = passes.combined(undefined, true);
    req.onProgress?.(progress);
    const { context, ...rest } = collected;
    return {
      ...rest,
      progress,
      regions: all,
      graph: builder.graph(all),
      ...(owner && context
        ? { ownerActivity: ownerActivityOf(owner, context, [...callers].sort((a, b) => b[1] - a[1]).map(([key, count]) => ({ key, count }))), ownerPassSkipped: ownerSkipped }
        : {}),
    };
  }

  /** Streams events through the summary and, when asked, into CSV and NDJSON files on disk. */
  private async collect(
    events: AsyncIterable<TrailEvent | Classified>,
    req: TrailPullRequest,
    source: HistorySourceName,
    onEvent?: () => void,
    contextFor?: string,
  ): Promise<Pick<TrailPullResult, 'summary' | 'files' | 'newest'> & { context?: import('../../domain/trail-summary').TrailSummary }> {
    // The source decides what the summary says it could not check (data events are not in LookupEvents).
    const summary = new TrailSummaryBuilder({ ...this.o.summary, historySource: source });
    // The owner's other activity: summarised apart (its findings never reach the summary).
    const context = contextFor ? new TrailSummaryBuilder(this.o.summary) : undefined;
    let files: TrailPullResult['files'];
    let csv: fs.WriteStream | undefined;
    let ndjson: fs.WriteStream | undefined;
    let writeError: Error | undefined;
    if (req.exportFiles) {
      const dir = fs.mkdtempSync(path.join(this.o.tmpDir ?? os.tmpdir(), 'keyguard-trail-'));
      files = { dir, csv: path.join(dir, 'events.csv'), ndjson: path.join(dir, 'events.ndjson') };
      csv = fs.createWriteStream(files.csv);
      ndjson = fs.createWriteStream(files.ndjson);
      // A write error surfaces at the next write or at the end, never as an unhandled event.
      for (const s of [csv, ndjson]) s.on('error', (err) => (writeError ??= err));
      csv.write(csvHeader());
    }
    const newest: TrailEvent[] = [];
    const write = async (s: fs.WriteStream | undefined, line: string) => {
      if (writeError) throw writeError;
      if (s && !s.write(line)) await once(s, 'drain');
    };
    // Closed (its file opened, written or abandoned) before the folder is removed.
    const closed = (s: fs.WriteStream | undefined) => (s && !s.closed ? new Promise<void>((r) => { s.once('close', () => r()); s.destroy(); }) : Promise.resolve());
    try {
      for await (const item of events) {
        const { event: e, attribution, context: isContext } = 'event' in item ? item : { event: item, attribution: undefined, context: false };
        if (isContext && context) context.add(e, attribution);
        else summary.add(e, attribution);
        await write(csv, toCsvLine(e));
        await write(ndjson, toNdjsonLine(e));
        if (newest.length < 20) newest.push(e);
        onEvent?.();
      }
      await Promise.all([csv, ndjson].filter(Boolean).map((s) => new Promise<void>((r) => s!.end(() => r()))));
      if (writeError) throw writeError;
    } catch (e) {
      // A failed pull leaves no export behind on disk: the files are closed, then removed.
      await Promise.all([closed(csv), closed(ndjson)]);
      if (files) fs.rmSync(files.dir, { recursive: true, force: true });
      throw e;
    }
    return { summary: summary.result(), files, newest, ...(context ? { context: context.result() } : {}) };
  }

  /** IAM events of these names in the window, in us-east-1 (where IAM logs), one lookup per name. */
  async iamEvents(req: { account?: string; start: Date; end: Date; eventNames: readonly string[] }): Promise<TrailEvent[]> {
    const { clientFor, limiters } = await this.forAccount(req.account);
    const lookup = lookupOneAttribute({ clientFor, region: GLOBAL_EVENTS_REGION, window: { start: req.start, end: req.end }, limiters });
    const out: TrailEvent[] = [];
    for (const name of req.eventNames) {
      for await (const e of lookup({ key: 'EventName', value: name })) out.push(parseTrailEvent(e, GLOBAL_EVENTS_REGION));
    }
    return out;
  }

  /** Where a temporary key came from: its issuing AssumeRole/GetSessionToken chain (us-east-1). */
  /**
   * Where a temporary key came from. STS calls are logged in the region whose endpoint was
   * called (the SDKs use regional endpoints), so each hop is looked for in us-east-1 first,
   * then in every other region, stopping at the first region that has it.
   */
  async trace(accessKeyId: string, now: Date, account?: string): Promise<AsiaTrace> {
    const window = { start: shift(now, { days: -CLOUDTRAIL_RETENTION_DAYS }), end: now };
    const regions = await this.regions();
    const ordered = [GLOBAL_EVENTS_REGION, ...regions.filter((r) => r !== GLOBAL_EVENTS_REGION)];
    const { clientFor, limiters } = await this.forAccount(account);
    const perRegion = ordered.map((region) => lookupOneAttribute({ clientFor, region, window, limiters }));
    return traceTemporaryKey(accessKeyId, (attr) => ({
      async *[Symbol.asyncIterator]() {
        for (const lookup of perRegion) {
          let found = false;
          for await (const e of lookup(attr)) {
            found = true;
            yield e;
          }
          if (found) return;
        }
      },
    }));
  }
}
