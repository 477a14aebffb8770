/**
 * The post-incident timeline: one Markdown document that merges what the responders did
 * (the incident's append-only events) with what the principal did (the investigation's
 * CloudTrail event index), in time order, plus the review metrics, the facts, findings and
 * follow-ups, and a "what happened / what we did" skeleton for the review. Pure.
 * Times in the file are UTC with the offset spelled out.
 */
import type { Incident, IncidentEvent, StepRecord } from '../domain/incident';
import type { EventIndexEntry } from '../domain/trail-summary';
import { TACTICS, type Tactic } from '../domain/detection-rules';
import { formatDuration, reviewMetrics, type ReviewMetrics } from './review-metrics';
import { fileTime, zonedFileTime } from './zoned-time';
import type { CredentialGraph } from '../domain/credential-graph';
import { describePath, mintedHow } from '../domain/credential-graph-view';

export interface InvestigationRecord {
  eventCount?: number;
  firstTime?: string;
  lastTime?: string;
  firstSuspiciousTime?: string;
  /** `tactic`/`technique`/`outcome` since findings carry ATT&CK ids; older records have `category`. */
  findings?: Array<{ title: string; tactic?: string; technique?: string; outcome?: string; category?: string; severity: string; count: number }>;
  eventIndex?: { entries: EventIndexEntry[]; dropped: number };
  followUps?: string[];
  /** The credentials the key minted (records since the credential graph). */
  graph?: CredentialGraph;
  /** The owner's other activity: context, not the attacker's. */
  ownerActivity?: { userName: string; eventCount: number; callers?: Array<{ key: string; count: number }> };
}

/** The credential graph in the review: each minted credential with its path and use, caps and gaps named. */
function graphLines(g: CredentialGraph): string[] {
  const minted = g.nodes.filter((n) => n.id !== g.root);
  if (minted.length === 0 && !g.caps.fanOutHits && !g.caps.depthHits) return ['- The key minted no credentials that CloudTrail showed.'];
  const lines = [`- Credentials the key minted (${minted.length}):`];
  for (const n of minted.slice(0, 50)) {
    const use = n.use ? `; ${n.use.eventCount} calls ${n.use.firstUse ?? ''} → ${n.use.lastUse ?? ''} from ${n.use.sourceIps.join(', ') || '—'} in ${n.use.regions.join(', ') || '—'}` : n.notFollowed ? `; not followed (${n.notFollowed})` : '';
    lines.push(`  - ${cell(describePath(g, n.id))}${use}`);
  }
  if (minted.length > 50) lines.push(`  - …and ${minted.length - 50} more`);
  if (g.caps.fanOutHits || g.caps.depthHits) lines.push(`- Not followed: ${g.caps.fanOutHits} past the fan-out cap (${g.caps.maxFanOut}), ${g.caps.depthHits} past the depth cap (${g.caps.maxDepth}).`);
  if (g.incompleteRegions.length) lines.push(`- The graph is incomplete: lookups failed in ${g.incompleteRegions.join(', ')}.`);
  return lines;
}

/** Findings grouped under their ATT&CK tactic, each naming its technique; refused-only ones said to be attempts. */
function findingLines(findings: NonNullable<InvestigationRecord['findings']>): string[] {
  const byTactic = new Map<string, string[]>();
  for (const f of findings) {
    const known = f.tactic && f.tactic in TACTICS ? TACTICS[f.tactic as Tactic] : undefined;
    const heading = known ? `${known.title} (${known.id})` : cell(f.tactic ?? f.category ?? 'other');
    const technique = f.technique ? ` · ${cell(f.technique)}` : '';
    const attempt = f.outcome === 'attempted' ? ' (attempted: refused or failed)' : '';
    byTactic.set(heading, [...(byTactic.get(heading) ?? []), `  - ${f.severity}${technique} · ${cell(f.title)} ×${f.count}${attempt}`]);
  }
  return [...byTactic].flatMap(([heading, items]) => [`- ${heading}`, ...items]);
}

/** One line of the merged timeline: a call the attacker's credentials made, or a response event. */
export interface TimelineEntry {
  at: string;
  source: 'attacker' | 'response';
  /** Slack user id of the responder, or absent (keyguard itself / the principal). */
  actor?: string;
  what: string;
  step?: string;
  /** CloudTrail fields of an attacker entry. */
  event?: string;
  region?: string;
  ip?: string;
  error?: string;
  rule?: string;
}

/** Markdown table cells: no pipes or newlines from attacker-controlled text. */
function cell(s: string): string {
  const t = /[|\r\n]/.test(s) ? s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ') : s;
  return t.length > 300 ? t.slice(0, 300) : t;
}

export function describeEvent(e: IncidentEvent): string {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const step = e.step ? ` ${e.step}` : '';
  switch (e.type) {
    case 'incident_opened':
      return `incident opened (severity ${d.severity}${d.dryRun ? ', DRY RUN' : ''}): ${d.reason ?? ''}`;
    case 'approval_requested':
      return `approval requested for${step} (${d.approvalsRequired} needed, until ${d.expiresAt})`;
    case 'approved':
      return `approved${step} (${d.approvals}/${d.of})`;
    case 'denied':
      return `denied${step}: ${d.reason ?? ''}`;
    case 'approval_withdrawn':
      return `approval request for${step} withdrawn by who asked: ${d.reason ?? ''}`;
    case 'click_refused':
      return `${d.kind} on${step} refused: ${d.refusal}`;
    case 'step_started':
      return `${step.trim()} started`;
    case 'step_succeeded':
    case 'step_failed':
      return `${step.trim()} ${e.type === 'step_succeeded' ? 'succeeded' : 'FAILED'}: ${d.summary ?? ''}`;
    case 'step_skipped':
      return `${step.trim()} skipped: ${d.reason ?? ''}`;
    case 'watch_alert':
      return `watch: key still used (${d.newEvents} new calls, ${d.denied} denied)${Array.isArray(d.created) && d.created.length ? `, new persistence: ${d.created.join(', ')}` : ''}`;
    case 'plan_failed': {
      const err = d.error as { message?: string } | undefined;
      return `${step.trim()} could not be planned: ${err?.message ?? ''}`;
    }
    case 'containment_drift': {
      const drifts = Array.isArray(d.drifts) ? (d.drifts as Array<{ now?: string; expectation?: { kind?: string; userName?: string; roleName?: string; accessKeyId?: string } }>) : [];
      const what = drifts.map((x) => `${x.expectation?.accessKeyId ?? x.expectation?.userName ?? x.expectation?.roleName ?? '?'} ${x.expectation?.kind ?? ''}: ${x.now ?? ''}`).join('; ');
      const changes = Array.isArray(d.changes) ? (d.changes as Array<{ eventName?: string; callerArn?: string }>) : [];
      const who = changes.length ? `; changed by ${[...new Set(changes.map((c) => c.callerArn ?? '?'))].join(', ')}` : '';
      return `watch: containment no longer holds (${what})${who}`;
    }
    case 'incident_closed':
      return `incident closed: ${d.resolution ?? ''}`;
    default:
      return `${e.type.replace(/_/g, ' ')}${step}`;
  }
}

function investigationOf(steps: StepRecord[]): InvestigationRecord | undefined {
  return steps.find((s) => s.name === 'investigate')?.result as InvestigationRecord | undefined;
}

/** Both sides of the incident in time order (ties: the attacker's call first). */
export function timelineEntries(steps: StepRecord[], events: IncidentEvent[]): TimelineEntry[] {
  const inv = investigationOf(steps);
  const entries: TimelineEntry[] = [];
  for (const x of inv?.eventIndex?.entries ?? []) {
    entries.push({
      at: x.time, source: 'attacker', event: x.name, region: x.region, ip: x.ip, error: x.error, rule: x.rule,
      what: `${x.name} in ${x.region}${x.error ? ` (${x.error})` : ''}${x.rule ? ` — flagged: ${x.rule}` : ''}`,
    });
  }
  // Each credential the key minted, at the moment it was minted.
  for (const n of inv?.graph?.nodes ?? []) {
    if (!n.issuedBy || n.id === inv?.graph?.root) continue;
    const id = n.kind === 'login-profile' ? `console access of ${n.userName ?? '?'}` : n.id;
    entries.push({ at: n.issuedBy.time, source: 'attacker', event: n.issuedBy.eventName, region: n.issuedBy.region, what: `minted ${id} (${mintedHow(n)}) by ${n.parent ?? '?'}` });
  }
  for (const e of events) entries.push({ at: e.at, source: 'response', actor: e.actor, step: e.step, what: describeEvent(e) });
  const t = entries.map((e, i) => ({ e, i, t: Date.parse(e.at) }));
  t.sort((a, b) => a.t - b.t || (a.e.source === b.e.source ? a.i - b.i : a.e.source === 'attacker' ? -1 : 1));
  return t.map((x) => x.e);
}

/** A recorded actor in words: a Slack user, an automatic intake source, or a policy. */
function actorName(id: string): string {
  if (id.startsWith('intake:')) return `${id.slice(7)} (automatic intake)`;
  if (id.startsWith('policy:')) return `policy ${id.slice(7)}`;
  return `<@${id}>`;
}

function whoOf(e: TimelineEntry): string {
  if (e.source === 'attacker') return `principal${e.ip ? ` from ${e.ip}` : ''}`;
  return e.actor ? actorName(e.actor) : 'keyguard';
}

function metricLines(m: ReviewMetrics, tz?: string): string[] {
  const when = (iso: string) => `${fileTime(iso)}${tz && tz !== 'UTC' ? ` (${zonedFileTime(iso, tz)} ${tz})` : ''}`;
  return [
    `- Detected: ${when(m.detectedAt)}${m.detectedFrom === 'recorded' ? '' : ' (when the incident was opened; no earlier detection time was recorded)'}`,
    ...(m.firstAttackerEvent ? [`- First attacker call: ${when(m.firstAttackerEvent)}`] : []),
    ...m.metrics.map((x) => `- ${x.label}: ${x.ms !== undefined ? `**${formatDuration(x.ms)}**${x.to ? ` (until ${fileTime(x.to)})` : ''}` : '—'}${x.note ? ` — ${x.note}` : ''}`),
  ];
}

export interface TimelineOptions {
  /** IANA zone of the person who asked: key times are also given in it. */
  tz?: string;
  /** The merged entries, when the caller has already built them. */
  entries?: TimelineEntry[];
}

export function incidentTimeline(incident: Incident, steps: StepRecord[], events: IncidentEvent[], opts: TimelineOptions = {}): string {
  return `${[...incidentTimelineLines(incident, steps, events, opts)].join('\n')}\n`;
}

/** The Markdown a line at a time, so a 100,000-row timeline can be streamed to a file. */
export function* incidentTimelineLines(incident: Incident, steps: StepRecord[], events: IncidentEvent[], opts: TimelineOptions = {}): Generator<string> {
  const inv = investigationOf(steps);
  const rows = opts.entries ?? timelineEntries(steps, events);
  const metrics = reviewMetrics(incident, steps);
  const done = [...steps].filter((s) => s.state === 'succeeded' && s.name !== 'close').sort((a, b) => a.seq - b.seq);

  const lines: string[] = [
    `# ${incident.id}: leaked access key ${incident.keyId}`,
    '',
    `- Status: ${incident.status}${incident.closedAt ? ` (closed ${fileTime(incident.closedAt)})` : ''}${incident.dryRun ? ' — DRY RUN' : ''}`,
    `- Severity: ${incident.severity}`,
    `- Account: ${incident.account ?? 'unknown'}`,
    `- Principal: ${incident.principal?.type ?? 'unknown'} ${incident.principal?.name ?? ''}${incident.rootKey ? ` (root key ${incident.rootKey.accessKeyId})` : ''}`,
    `- Requested by: ${actorName(incident.requester)} at ${fileTime(incident.createdAt)}`,
    `- Reason: ${cell(incident.reason || '—')}`,
    ...(incident.source?.link ? [`- Source: ${incident.source.kind} ${cell(incident.source.link)}`] : []),
    ...(incident.ticket ? [`- Ticket: ${cell(incident.ticket)}`] : []),
    ...(incident.resolution ? [`- Resolution: ${cell(incident.resolution)}`] : []),
    '',
    '## Metrics',
    '',
    ...metricLines(metrics, opts.tz),
    '',
    '## What happened',
    '',
    `- The access key \`${incident.keyId}\` was reported leaked: ${cell(incident.reason || 'no reason given')}.`,
    ...(inv ? [`- CloudTrail recorded ${inv.eventCount ?? 0} calls by the key and the credentials it minted${inv.firstTime ? ` between ${fileTime(inv.firstTime)} and ${fileTime(inv.lastTime ?? inv.firstTime)}` : ''}.`] : []),
    '- _How did the key leak, and how long was it exposed? (fill in)_',
    '',
    '## What we did',
    '',
    ...(done.length ? done.map((s) => `- ${cell(s.title)}${s.finishedAt ? ` (${fileTime(s.finishedAt)})` : ''}${s.approvals.length ? `, approved by ${s.approvals.map((a) => `<@${a.userId}>`).join(' ')}` : ''}`) : ['- nothing completed']),
    '- _What went well, what was slow, what was missing? (fill in)_',
    '',
    '## Steps',
    '',
    '| # | step | state | approvals | started | finished | note |',
    '|---|---|---|---|---|---|---|',
    ...[...steps].sort((a, b) => a.seq - b.seq).map((s) =>
      `| ${s.seq} | ${cell(s.title)} | ${s.state} | ${s.approvals.map((a) => `<@${a.userId}>`).join(' ') || '—'} | ${s.startedAt ? fileTime(s.startedAt) : '—'} | ${s.finishedAt ? fileTime(s.finishedAt) : '—'} | ${cell(s.note ?? '')} |`),
  ];
  if (inv) {
    lines.push('', '## What CloudTrail showed', '');
    lines.push(`- ${inv.eventCount ?? 0} events${inv.firstTime ? `, ${inv.firstTime} → ${inv.lastTime}` : ''}${inv.firstSuspiciousTime ? `; first suspicious event at ${inv.firstSuspiciousTime}` : ''}`);
    lines.push(...findingLines(inv.findings ?? []));
    if (inv.graph) lines.push(...graphLines(inv.graph));
    if (inv.ownerActivity) lines.push(`- ${inv.ownerActivity.eventCount} calls were the owner's other activity (${cell(inv.ownerActivity.userName)}: other keys, console): context, not counted above, nothing of it offered for removal.`);
    if (inv.eventIndex?.dropped) lines.push(`- ${inv.eventIndex.dropped} less notable events are not listed below (see the CSV/NDJSON export in the thread).`);
  }
  lines.push('', '## Timeline (UTC)', '', '| time | who | what |', '|---|---|---|');
  yield* lines;
  for (const r of rows) yield `| ${fileTime(r.at)} | ${cell(whoOf(r))} | ${cell(r.what)} |`;
  const followUps = inv?.followUps ?? [];
  yield* ['', '## Follow-ups', '', ...(followUps.length ? followUps.map((f) => `- [ ] ${cell(f)}`) : ['- [ ] none recorded']), '- [ ] _Anything else the review agreed (fill in)_'];
}
