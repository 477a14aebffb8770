import { inflateSync } from 'node:zlib';
import { csvCell, reviewPackText, activityBuckets, CHART_WIDTH, CHART_HEIGHT, timelineCsv } from '../../src/timeline/review-pack';
import { pngRenderer, pngSize } from '../../src/timeline/chart-png';
import type { TimelineEntry } from '../../src/timeline/incident-timeline';
import { reviewScenario, SCENARIO } from '../support/review-scenario';

/** Decode an 8-bit RGBA PNG (IDAT zlib stream, then the five row filters) and count non-white pixels. */
function decodeRgba(png: Buffer, width: number, height: number): { rows: number; inked: number } {
  const idat: Buffer[] = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    const type = png.subarray(o + 4, o + 8).toString('latin1');
    if (type === 'IHDR') expect([png[o + 16], png[o + 17]]).toEqual([8, 6]); // bit depth 8, RGBA
    if (type === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  expect(raw.length).toBe(height * (stride + 1));
  let prev = Buffer.alloc(stride);
  let inked = 0;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    if (filter > 4) throw new Error(`row ${y}: unknown PNG filter ${filter}`);
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? line[x - 4] : 0;
      const b = prev[x];
      const c = x >= 4 ? prev[x - 4] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const add = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth;
      line[x] = (line[x] + add) & 0xff;
    }
    for (let x = 0; x < stride; x += 4) if (line[x] < 200 || line[x + 1] < 200 || line[x + 2] < 200) inked++;
    prev = line;
  }
  return { rows: height, inked };
}

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"'],
    ['+1', '"\'+1"'],
    ['-2+3', '"\'-2+3"'],
    ['@SUM(A1)', '"\'@SUM(A1)"'],
    ['\tcmd', '"\'\tcmd"'],
    ['\rcmd', '"\'\rcmd"'],
    ['plain, with "quotes"', '"plain, with ""quotes"""'],
  ])('%j is quoted and cannot be read as a formula', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('every cell of every row is quoted, attacker text included', () => {
    const entries: TimelineEntry[] = [{ at: '2026-11-01T05:00:00Z', source: 'attacker', what: '=cmd|/c calc', event: '=cmd', region: 'us-east-1', error: '@evil' }];
    const [header, row] = timelineCsv(entries).trim().split('\r\n');
    expect(header.startsWith('"time_utc","source"')).toBe(true);
    expect(row).toBe('"2026-11-01T05:00:00.000+00:00","attacker","principal","\'=cmd|/c calc","","\'=cmd","us-east-1","","\'@evil",""');
  });
});

describe('the review pack of the constructed incident', () => {
  const pack = reviewPackText(reviewScenario(240), { tz: 'America/New_York' });

  it('Markdown: metrics first, then what happened / what we did / follow-ups, times in UTC with the offset', () => {
    const md = pack.markdown;
    const order = ['## Metrics', '## What happened', '## What we did', '## Steps', '## Timeline (UTC)', '## Follow-ups'].map((h) => md.indexOf(h));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(md).toContain('- Detected: 2026-11-01T05:30:00+00:00 (2026-11-01T01:30:00-04:00 America/New_York)');
    expect(md).toContain('- Time to contain: **1 h 10 min** (until 2026-11-01T06:40:00+00:00)');
    expect(md).toContain('- Contain (2026-11-01T06:40:00+00:00), approved by <@U0APPROVER1>');
    expect(md).toContain('- [ ] EC2 instances launched in sa-east-1: check and terminate');
    expect(md).toContain('| 2026-11-01T06:40:00+00:00 | keyguard | contain succeeded: key Inactive (read back)');
    expect(md).not.toMatch(/\| \d{4}-\d\d-\d\dT[\d:.]+Z \|/);
  });

  it('CSV and JSON hold the same merged timeline, in time order', () => {
    const rows = pack.csv.trim().split('\r\n');
    expect(rows.length - 1).toBe(pack.entries);
    const doc = JSON.parse(pack.json);
    expect(doc.timeline).toHaveLength(pack.entries);
    const times = doc.timeline.map((e: { at: string }) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(doc.timeline.filter((e: { source: string }) => e.source === 'attacker')).toHaveLength(241);
    expect(doc.incident.detectedAt).toBe('2026-11-01T05:30:00.000+00:00');
    expect(doc.metrics.find((m: { key: string }) => m.key === 'contain')).toMatchObject({ seconds: 4200, from: '2026-11-01T05:30:00.000+00:00', to: '2026-11-01T06:40:00.000+00:00' });
  });

  it('the chart counts every attacker call in a bounded number of bars', () => {
    const many = reviewPackText(reviewScenario(20_000));
    const { buckets, calls } = activityBuckets(JSON.parse(many.json).timeline);
    expect(calls).toBe(20_001);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(20_001);
    expect(new Set(buckets.map((b) => b.start)).size).toBeLessThanOrEqual(120);
    expect(new Set(buckets.map((b) => b.region))).toEqual(new Set(['us-east-1', 'eu-west-1', 'ap-southeast-3', 'sa-east-1', 'us-west-2']));
  });
});

describe('the PNG chart', () => {
  it('is a PNG of the declared size with something drawn on it', async () => {
    const pack = reviewPackText(reviewScenario(240));
    const png = await pngRenderer().render(pack.chart);
    expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // Bars, axes and text: a blank canvas would have no dark pixels; a full one would be all dark.
    const { inked } = decodeRgba(png, CHART_WIDTH, CHART_HEIGHT);
    expect(inked).toBeGreaterThan(5_000);
    expect(inked).toBeLessThan((CHART_WIDTH * CHART_HEIGHT) / 2);
  });

  it('is drawn for an incident without any CloudTrail record too (markers only)', async () => {
    const { incident, steps, events } = reviewScenario(0);
    const pack = reviewPackText({ incident, steps: steps.filter((s) => s.name !== 'investigate'), events });
    const png = await pngRenderer().render(pack.chart);
    expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
  });

  it('reports a spec it cannot draw instead of hanging', async () => {
    await expect(pngRenderer().render({ mark: 'no-such-mark', data: { values: [] } })).rejects.toThrow(/could not be drawn/);
  });

  it('refuses bytes that are not a PNG', () => {
    expect(pngSize(Buffer.from('GIF89a not a png at all, no IHDR here'))).toBeUndefined();
    expect(SCENARIO.id).toMatch(/^IR-/);
  });
});
