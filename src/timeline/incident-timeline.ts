/**
 * The post-incident timeline: one Markdown document that merges what the responders did
 * (the incident's append-only events) with what the principal did (the investigation's
 * CloudTrail event index), in time order, plus the facts, findings and follow-ups. Pure.
 */
import type { Incident, IncidentEvent, StepRecord } from '../domain/incident';
import type { EventIndexEntry } from '../domain/trail-summary';
import { TACTICS, type Tactic } from '../domain/detection-rules';

interface InvestigationRecord {
  eventCount?: number;
  firstTime?: string;
  lastTime?: string;
  firstSuspiciousTime?: string;
  /** `tactic`/`technique`/`outcome` since findings carry ATT&CK ids; older records have `category`. */
  findings?: Array<{ title: string; tactic?: string; technique?: string; outcome?: string; category?: string; severity: string; count: number }>;
  eventIndex?: { entries: EventIndexEntry[]; dropped: number };
  followUps?: string[];
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

interface Row {
  time: string;
  who: string;
  what: string;
}

/** Markdown table cells: no pipes or newlines from attacker-controlled text. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').slice(0, 300);
}

function describeEvent(e: IncidentEvent): string {
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
    case 'incident_closed':
      return `incident closed: ${d.resolution ?? ''}`;
    default:
      return `${e.type.replace(/_/g, ' ')}${step}`;
  }
}

export function incidentTimeline(incident: Incident, steps: StepRecord[], events: IncidentEvent[]): string {
  const inv = steps.find((s) => s.name === 'investigate')?.result as InvestigationRecord | undefined;
  const rows: Row[] = [
    ...events.map((e) => ({ time: e.at, who: e.actor ? `<@${e.actor}>` : 'keyguard', what: describeEvent(e) })),
    ...(inv?.eventIndex?.entries ?? []).map((x) => ({
      time: x.time,
      who: `principal${x.ip ? ` from ${x.ip}` : ''}`,
      what: `${x.name} in ${x.region}${x.error ? ` (${x.error})` : ''}${x.rule ? ` — flagged: ${x.rule}` : ''}`,
    })),
  ].sort((a, b) => a.time.localeCompare(b.time));

  const lines: string[] = [
    `# ${incident.id}: leaked access key ${incident.keyId}`,
    '',
    `- Status: ${incident.status}${incident.closedAt ? ` (closed ${incident.closedAt})` : ''}${incident.dryRun ? ' — DRY RUN' : ''}`,
    `- Severity: ${incident.severity}`,
    `- Account: ${incident.account ?? 'unknown'}`,
    `- Principal: ${incident.principal?.type ?? 'unknown'} ${incident.principal?.name ?? ''}${incident.rootKey ? ` (root key ${incident.rootKey.accessKeyId})` : ''}`,
    `- Requested by: <@${incident.requester}> at ${incident.createdAt}`,
    `- Reason: ${cell(incident.reason || '—')}`,
    ...(incident.ticket ? [`- Ticket: ${cell(incident.ticket)}`] : []),
    ...(incident.resolution ? [`- Resolution: ${cell(incident.resolution)}`] : []),
    '',
    '## Steps',
    '',
    '| # | step | state | approvals | started | finished | note |',
    '|---|---|---|---|---|---|---|',
    ...[...steps].sort((a, b) => a.seq - b.seq).map((s) =>
      `| ${s.seq} | ${cell(s.title)} | ${s.state} | ${s.approvals.map((a) => `<@${a.userId}>`).join(' ') || '—'} | ${s.startedAt ?? '—'} | ${s.finishedAt ?? '—'} | ${cell(s.note ?? '')} |`),
  ];
  if (inv) {
    lines.push('', '## What CloudTrail showed', '');
    lines.push(`- ${inv.eventCount ?? 0} events${inv.firstTime ? `, ${inv.firstTime} → ${inv.lastTime}` : ''}${inv.firstSuspiciousTime ? `; first suspicious event at ${inv.firstSuspiciousTime}` : ''}`);
    lines.push(...findingLines(inv.findings ?? []));
    if (inv.eventIndex?.dropped) lines.push(`- ${inv.eventIndex.dropped} less notable events are not listed below (see the CSV/NDJSON export in the thread).`);
  }
  lines.push('', '## Timeline (UTC)', '', '| time | who | what |', '|---|---|---|', ...rows.map((r) => `| ${r.time} | ${cell(r.who)} | ${cell(r.what)} |`));
  const followUps = inv?.followUps ?? [];
  lines.push('', '## Follow-ups', '', ...(followUps.length ? followUps.map((f) => `- [ ] ${cell(f)}`) : ['- [ ] none recorded']));
  return `${lines.join('\n')}\n`;
}
