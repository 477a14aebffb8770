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
import { parseTrailEvent, TrailEvent } from '../domain/trail-event';
import { TrailSummary, TrailSummaryBuilder } from '../domain/trail-summary';
import { csvHeader, toCsvLine, toNdjsonLine } from '../timeline/trail-export';
import { traceTemporaryKey, AsiaTrace } from '../domain/asia-trace';
import type { TrailSubject } from '../domain/trail-query';
import { fromAwsError } from '../errors';
import type { TrailPort, TrailPullRequest, TrailPullResult } from '../ports/trail';
import { shift } from '../domain/time';
import { CLOUDTRAIL_RETENTION_DAYS } from '../domain/trail-query';

/** IAM, STS and console sign-in events are recorded in us-east-1. */
export const GLOBAL_EVENTS_REGION = 'us-east-1';

export type { TrailPullRequest, TrailPullResult } from '../ports/trail';

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
}

export function attributesFor(subject: TrailSubject, alsoUserName?: string): LookupAttributeSpec[] {
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
    const summary = new TrailSummaryBuilder();
    let files: TrailPullResult['files'];
    let csv: fs.WriteStream | undefined;
    let ndjson: fs.WriteStream | undefined;
    if (req.exportFiles) {
      const dir = fs.mkdtempSync(path.join(this.o.tmpDir ?? os.tmpdir(), 'keyguard-trail-'));
      files = { dir, csv: path.join(dir, 'events.csv'), ndjson: path.join(dir, 'events.ndjson') };
      csv = fs.createWriteStream(files.csv);
      ndjson = fs.createWriteStream(files.ndjson);
      csv.write(csvHeader());
    }
    const newest: TrailEvent[] = [];
    const write = async (s: fs.WriteStream | undefined, line: string) => {
      if (s && !s.write(line)) await once(s, 'drain');
    };
    try {
      for await (const { region, event } of lookup.events()) {
        const e = parseTrailEvent(event, region);
        summary.add(e);
        await write(csv, toCsvLine(e));
        await write(ndjson, toNdjsonLine(e));
        if (newest.length < 20) newest.push(e);
      }
      await Promise.all([csv, ndjson].filter(Boolean).map((s) => new Promise<void>((r) => s!.end(() => r()))));
    } catch (e) {
      // A failed pull leaves no export behind on disk.
      csv?.destroy();
      ndjson?.destroy();
      if (files) fs.rmSync(files.dir, { recursive: true, force: true });
      throw e;
    }
    return { summary: summary.result(), progress: lookup.progress(), regions: all, files, newest };
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
