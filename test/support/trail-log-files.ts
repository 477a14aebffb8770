/**
 * CloudTrail log files in the layout an organization trail delivers to S3:
 *
 *   AWSLogs/<org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/
 *     <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
 *
 * each file a gzipped `{"Records":[…]}`. Records are grouped by account (recipientAccountId,
 * else userIdentity.accountId), region (awsRegion) and delivery time (eventTime rounded up to
 * the next five minutes, as CloudTrail delivers about every five minutes).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';

export type TrailRecord = Record<string, unknown> & { eventTime: string; awsRegion: string };

const DEFAULT_ORG_ID = 'o-exampleorgid';

function accountOf(r: TrailRecord): string {
  const ui = r.userIdentity as { accountId?: string } | undefined;
  return String(r.recipientAccountId ?? ui?.accountId ?? '123456789012');
}

/** `<org>/<account>/CloudTrail/<region>/YYYY/MM/DD` and the file's delivery stamp. */
function placeOf(r: TrailRecord, slotMs = 300_000): { dir: string[]; stamp: string; account: string; region: string } {
  const t = new Date(r.eventTime);
  const delivered = new Date(Math.ceil((t.getTime() + 1) / slotMs) * slotMs);
  const iso = t.toISOString();
  const stamp = delivered.toISOString().slice(0, 16).replace(/[-:]/g, '') + 'Z';
  const account = accountOf(r);
  return { dir: [account, 'CloudTrail', r.awsRegion, iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)], stamp, account, region: r.awsRegion };
}

/**
 * Writes `records` under `root/AWSLogs/<org>/…` and returns the paths written. Call it as
 * often as you like: each call adds new files (new unique suffix), as CloudTrail does.
 */
export function writeTrailLogFiles(root: string, records: Iterable<TrailRecord>, orgId = DEFAULT_ORG_ID, slotMs = 300_000): string[] {
  const groups = new Map<string, { dir: string; name: string; records: TrailRecord[] }>();
  for (const r of records) {
    const p = placeOf(r, slotMs);
    const dir = path.join(root, 'AWSLogs', orgId, ...p.dir);
    const key = `${dir}|${p.stamp}`;
    let g = groups.get(key);
    if (!g) {
      g = { dir, name: `${p.account}_CloudTrail_${p.region}_${p.stamp}_${randomBytes(8).toString('hex').toUpperCase()}.json.gz`, records: [] };
      groups.set(key, g);
    }
    g.records.push(r);
  }
  const written: string[] = [];
  for (const g of groups.values()) {
    fs.mkdirSync(g.dir, { recursive: true });
    const file = path.join(g.dir, g.name);
    fs.writeFileSync(file, zlib.gzipSync(JSON.stringify({ Records: g.records })));
    written.push(file);
  }
  return written;
}

/**
 * A streaming writer for very large histories (the benchmark): records must arrive grouped
 * by file (same account, region and delivery slot consecutively); each group is written
 * as soon as the next one starts, so memory holds one file's records.
 */
export class TrailLogFileWriter {
  private current?: { key: string; records: TrailRecord[] };
  readonly files: string[] = [];
  bytes = 0;

  constructor(private readonly root: string, private readonly orgId = DEFAULT_ORG_ID, private readonly slotMs = 300_000) {}

  add(r: TrailRecord): void {
    const p = placeOf(r, this.slotMs);
    const key = `${p.dir.join('/')}|${p.stamp}`;
    if (this.current && this.current.key !== key) this.flush();
    this.current ??= { key, records: [] };
    this.current.records.push(r);
  }

  flush(): void {
    if (!this.current || this.current.records.length === 0) return;
    for (const written of writeTrailLogFiles(this.root, this.current.records, this.orgId, this.slotMs)) {
      this.files.push(written);
      this.bytes += fs.statSync(written).size;
    }
    this.current = undefined;
  }
}
