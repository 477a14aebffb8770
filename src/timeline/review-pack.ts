/**
 * The review pack of an incident: the merged timeline as Markdown, CSV and JSON, and the
 * declarative (Vega-Lite) spec of its chart — attacker activity over time by region, with
 * the response steps as markers. Pure: the PNG is drawn from the spec by chart-png.ts.
 */
import type { Incident, IncidentEvent, StepRecord } from '../domain/incident';
import { incidentTimelineLines, timelineEntries, type TimelineEntry } from './incident-timeline';
import { reviewMetrics, type ReviewMetrics } from './review-metrics';
import { fileTime } from './zoned-time';

export interface ReviewPackInput {
  incident: Incident;
  steps: StepRecord[];
  events: IncidentEvent[];
}

export interface ReviewPackText {
  markdown: string;
  csv: string;
  json: string;
  chart: VegaLiteSpec;
  metrics: ReviewMetrics;
  entries: number;
}

/** The parts of a Vega-Lite spec this module writes (kept loose: the renderer validates). */
export type VegaLiteSpec = Record<string, unknown>;

// ---------------------------------------------------------------- CSV

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell, safe to open in a spreadsheet: every cell quoted, quotes doubled, and a
 * cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR first) prefixed
 * with `'` so it stays text (OWASP "CSV injection"). Attacker-chosen names reach these
 * cells (user names, user agents, error messages).
 */
export function csvCell(value: string | number | undefined): string {
  let s = value === undefined ? '' : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return `"${s.includes('"') ? s.replace(/"/g, '""') : s}"`;
}

const CSV_HEADER = ['time_utc', 'source', 'actor', 'what', 'step', 'event', 'region', 'source_ip', 'error', 'flagged_rule'] as const;

function* timelineCsvLines(entries: TimelineEntry[]): Generator<string> {
  yield CSV_HEADER.map(csvCell).join(',');
  for (const e of entries) {
    yield [fileTime(e.at, true), e.source, e.actor ?? (e.source === 'attacker' ? 'principal' : 'keyguard'), e.what, e.step, e.event, e.region, e.ip, e.error, e.rule].map(csvCell).join(',');
  }
}

export function timelineCsv(entries: TimelineEntry[]): string {
  return `${[...timelineCsvLines(entries)].join('\r\n')}\r\n`;
}

// ---------------------------------------------------------------- JSON

/** One JSON document, one timeline entry a line: diff-friendly, and streamed a line at a time. */
function* timelineJsonLines(incident: Incident, metrics: ReviewMetrics, entries: TimelineEntry[]): Generator<string> {
  const doc = {
    incident: {
      id: incident.id, keyId: incident.keyId, status: incident.status, severity: incident.severity, account: incident.account,
      principal: incident.principal, requester: incident.requester, reason: incident.reason, ticket: incident.ticket, source: incident.source,
      createdAt: fileTime(incident.createdAt, true), detectedAt: fileTime(metrics.detectedAt, true),
      closedAt: incident.closedAt ? fileTime(incident.closedAt, true) : undefined, resolution: incident.resolution, dryRun: incident.dryRun,
    },
    metrics: metrics.metrics.map((m) => ({ key: m.key, label: m.label, seconds: m.ms === undefined ? null : Math.round(m.ms / 1000), from: m.from ? fileTime(m.from, true) : null, to: m.to ? fileTime(m.to, true) : null, note: m.note ?? null })),
  };
  const head = JSON.stringify({ ...doc, timeline: [] }, null, 2);
  yield head.slice(0, head.lastIndexOf('"timeline": []')) + '"timeline": [';
  const last = entries.length - 1;
  for (let i = 0; i <= last; i++) yield `    ${JSON.stringify({ ...entries[i], at: fileTime(entries[i].at, true) })}${i < last ? ',' : ''}`;
  yield '  ]';
  yield '}';
}

// ---------------------------------------------------------------- chart

/** The PNG's size in pixels: the plot plus room for the axes, the title and the legend. */
const CHART = { plotWidth: 900, plotHeight: 340, padding: { left: 70, right: 190, top: 75, bottom: 45 } } as const;
export const CHART_WIDTH = CHART.plotWidth + CHART.padding.left + CHART.padding.right;
export const CHART_HEIGHT = CHART.plotHeight + CHART.padding.top + CHART.padding.bottom;

/** Regions drawn by name; the rest are summed as "other regions". */
const MAX_REGIONS = 8;
/** Bars at most: the bucket grows until the span fits. */
const MAX_BUCKETS = 120;
const BUCKET_SIZES_MS = [60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];

export interface ChartBucket {
  start: string;
  end: string;
  region: string;
  count: number;
}

export interface ChartMarker {
  at: string;
  label: string;
}

/** Attacker calls counted per time bucket and region: at most MAX_BUCKETS × (MAX_REGIONS + 1) rows for any number of events. */
export function activityBuckets(entries: TimelineEntry[], alsoShown: readonly string[] = []): { buckets: ChartBucket[]; bucketMs: number; calls: number } {
  const attacker = entries.filter((e) => e.source === 'attacker');
  const times = attacker.map((e) => Date.parse(e.at));
  if (times.length === 0) return { buckets: [], bucketMs: BUCKET_SIZES_MS[0], calls: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of times) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  // The bucket fits the whole time axis (the markers too), so bars are never hairlines.
  const shown = alsoShown.map((t) => Date.parse(t)).filter((t) => !Number.isNaN(t));
  const span = Math.max(hi, ...shown) - Math.min(lo, ...shown);
  const bucketMs = BUCKET_SIZES_MS.find((b) => span / b < MAX_BUCKETS) ?? BUCKET_SIZES_MS.at(-1)!;
  const perRegion = new Map<string, number>();
  for (const e of attacker) perRegion.set(e.region ?? 'unknown', (perRegion.get(e.region ?? 'unknown') ?? 0) + 1);
  const named = new Set([...perRegion.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_REGIONS).map(([r]) => r));
  const origin = Math.floor(lo / bucketMs) * bucketMs;
  const counts = new Map<string, number>();
  attacker.forEach((e, i) => {
    const region = named.has(e.region ?? 'unknown') ? e.region ?? 'unknown' : 'other regions';
    const key = `${Math.floor((times[i] - origin) / bucketMs)}|${region}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  const buckets = [...counts.entries()].map(([key, count]) => {
    const [n, region] = key.split('|');
    const start = origin + Number(n) * bucketMs;
    return { start: new Date(start).toISOString(), end: new Date(start + bucketMs).toISOString(), region, count };
  });
  buckets.sort((a, b) => a.start.localeCompare(b.start) || a.region.localeCompare(b.region));
  return { buckets, bucketMs, calls: attacker.length };
}

/** Response steps worth a line on the chart: detection, each step's success, closing. */
function responseMarkers(incident: Incident, steps: StepRecord[], metrics: ReviewMetrics): ChartMarker[] {
  const markers: ChartMarker[] = [{ at: metrics.detectedAt, label: 'detected' }];
  const names: Record<string, string> = { contain: 'contained', investigate: 'investigated', eradicate: 'eradicated', recover: 'owner told' };
  for (const s of [...steps].sort((a, b) => a.seq - b.seq)) {
    if (s.state === 'succeeded' && names[s.name] && s.finishedAt) markers.push({ at: s.finishedAt, label: names[s.name] });
  }
  if (incident.closedAt) markers.push({ at: incident.closedAt, label: 'closed' });
  return markers;
}

function bucketLabel(ms: number): string {
  if (ms >= 86_400_000) return `${ms / 86_400_000} d`;
  if (ms >= 3_600_000) return `${ms / 3_600_000} h`;
  return `${ms / 60_000} min`;
}

function chartSpec(incident: Incident, entries: TimelineEntry[], markers: ChartMarker[], fontFamily = 'DejaVu Sans'): VegaLiteSpec {
  const { buckets, bucketMs, calls } = activityBuckets(entries, markers.map((m) => m.at));
  const times = [...buckets.flatMap((b) => [Date.parse(b.start), Date.parse(b.end)]), ...markers.map((m) => Date.parse(m.at))].filter((t) => !Number.isNaN(t));
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const margin = Math.max((hi - lo) * 0.03, 60_000);
  const domain = [new Date(lo - margin).toISOString(), new Date(hi + margin).toISOString()];
  // Labels of markers that fall close together are stacked, not drawn over each other.
  // Labels near the right edge are written leftwards, clear of the legend.
  const labelled = markers.map((m, i) => ({ ...m, row: i % 8, left: Date.parse(m.at) > lo + (hi - lo) * 0.75 }));
  const x = { field: 'start', type: 'temporal', scale: { type: 'utc', domain }, axis: { title: null, format: '%d %b %H:%M', labelAngle: 0, labelOverlap: true, grid: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART.plotWidth,
    height: CHART.plotHeight,
    autosize: { type: 'none' },
    padding: CHART.padding,
    background: 'white',
    config: { font: fontFamily, view: { stroke: '#cccccc' } },
    title: {
      text: `${incident.id}: attacker activity by region (UTC)`,
      subtitle: `${calls.toLocaleString('en-US')} calls by the leaked key and the credentials it minted, in ${bucketLabel(bucketMs)} buckets; dashed lines: response steps`,
      anchor: 'start',
      offset: 14,
    },
    layer: [
      {
        data: { values: buckets },
        mark: { type: 'bar', tooltip: false },
        encoding: {
          x,
          x2: { field: 'end' },
          y: { aggregate: 'sum', field: 'count', type: 'quantitative', title: `calls per ${bucketLabel(bucketMs)}`, stack: 'zero' },
          color: { field: 'region', type: 'nominal', title: 'region', scale: { scheme: 'tableau10' } },
        },
      },
      {
        data: { values: labelled },
        layer: [
          { mark: { type: 'rule', color: '#222222', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { x: { ...x, field: 'at' } } },
          ...([['left', 'right', -4], ['right', 'left', 4]] as const).map(([side, align, dx]) => ({
            transform: [{ filter: side === 'left' ? 'datum.left' : '!datum.left' }],
            mark: { type: 'text', align, baseline: 'top', dx, fontSize: 11, color: '#222222' },
            encoding: { x: { ...x, field: 'at' }, y: { field: 'row', type: 'quantitative', scale: { domain: [0, 20], range: [0, CHART.plotHeight] }, axis: null }, text: { field: 'label' } },
          })),
        ],
      },
    ],
    resolve: { scale: { y: 'independent' } },
  };
}

// ---------------------------------------------------------------- the pack

/** The pack with its text files as line generators (each file ends with a line break). */
export interface ReviewPack {
  metrics: ReviewMetrics;
  entries: number;
  chart: VegaLiteSpec;
  markdown: () => Iterable<string>;
  csv: () => Iterable<string>;
  json: () => Iterable<string>;
}

/** Line breaks per file: CSV uses CRLF (RFC 4180). */
export const LINE_BREAK = { markdown: '\n', csv: '\r\n', json: '\n' } as const;

export function reviewPack(input: ReviewPackInput, opts: { tz?: string } = {}): ReviewPack {
  const { incident, steps, events } = input;
  const entries = timelineEntries(steps, events);
  const metrics = reviewMetrics(incident, steps);
  return {
    metrics,
    entries: entries.length,
    chart: chartSpec(incident, entries, responseMarkers(incident, steps, metrics)),
    markdown: () => incidentTimelineLines(incident, steps, events, { ...opts, entries }),
    csv: () => timelineCsvLines(entries),
    json: () => timelineJsonLines(incident, metrics, entries),
  };
}

/** The whole pack as strings (tests, small incidents). */
export function reviewPackText(input: ReviewPackInput, opts: { tz?: string } = {}): ReviewPackText {
  const p = reviewPack(input, opts);
  const join = (lines: Iterable<string>, br: string) => `${[...lines].join(br)}${br}`;
  return { markdown: join(p.markdown(), LINE_BREAK.markdown), csv: join(p.csv(), LINE_BREAK.csv), json: join(p.json(), LINE_BREAK.json), chart: p.chart, metrics: p.metrics, entries: p.entries };
}

/** File names of the pack, in upload order. */
export function reviewPackNames(incidentId: string): { markdown: string; csv: string; json: string; png: string } {
  return { markdown: `${incidentId}-timeline.md`, csv: `${incidentId}-timeline.csv`, json: `${incidentId}-timeline.json`, png: `${incidentId}-activity.png` };
}
