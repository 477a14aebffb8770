/**
 * Block Kit for `/trail` and the Investigate step: the progress message of a long pull and
 * the summary a responder acts on. Pure: summary and progress in, blocks out.
 *
 * Everything shown is cut to Slack's limits (see limits.ts) with "…and N more", and all
 * text from CloudTrail is escaped: user agents, user names and request parameters are
 * chosen by the attacker, and `<!channel>` in a user agent must not ping anyone.
 */
import { Tactic, TACTIC_ORDER, TACTICS } from '../domain/detection-rules';
import type { AsiaTrace } from '../domain/asia-trace';
import type { CreatedResource, CreatedResourceKind, Finding, OwnerActivitySummary, TrailSummary } from '../domain/trail-summary';
import type { CredentialGraph, CredentialNode } from '../domain/credential-graph';
import { describePath } from '../domain/credential-graph-view';
import { fitLines, SLACK_LIMITS } from './limits';
import { clip, esc, mrkdwn, plain } from './text';
import { dayMinute, hourMinute } from '../domain/time';
import type { HistoryQueryStats } from '../domain/history-choice';
import { queryProgressLine } from './history-note';

export type { Block } from './blocks';
import type { Block } from './blocks';

/**
 * chat.update is Tier 3 (~50 a minute per workspace, shared with everything else the bot
 * updates): one progress update every 3 s leaves most of that for other incidents.
 */
export const PROGRESS_UPDATE_INTERVAL_MS = 3000;

/** What the progress message shows; LookupProgress from the engine fits it. */
export interface TrailProgressView {
  regionsDone: number;
  regionsTotal: number;
  events: number;
  elapsedMs: number;
  regionsFailed?: ReadonlyArray<{ region: string; errorName: string }>;
  throttled?: number;
  finished?: boolean;
  /** Athena or CloudTrail Lake answering: its query's state, time and bytes scanned so far. */
  query?: HistoryQueryStats;
}

export interface TrailSummaryContext {
  /** What was looked up, as the responder typed it: a key id, user name or role ARN. */
  subject: string;
  window: { start: string; end: string };
  regionsQueried: number;
  regionsFailed?: ReadonlyArray<{ region: string; errorName: string }>;
  duplicatesDropped?: number;
  /** The credentials the key minted: shown node by node, with caps and gaps named. */
  graph?: CredentialGraph;
  /** The owner's other activity (Investigate): shown apart, as context. */
  ownerActivity?: OwnerActivitySummary;
  /** The owner whose other activity was not searched (`/trail <key>`): say how to see it. */
  ownerNotSearched?: string;
}

const SEVERITY_ICON: Record<Finding['severity'], string> = { high: ':red_circle:', medium: ':large_orange_circle:', low: ':white_circle:' };
const ATTEMPT_ICON = ':no_entry_sign:';
const TACTIC_ICON: Record<Tactic, string> = {
  'initial-access': ':door:',
  execution: ':gear:',
  persistence: ':anchor:',
  'privilege-escalation': ':arrow_double_up:',
  'defense-evasion': ':see_no_evil:',
  'credential-access': ':key:',
  discovery: ':mag:',
  'lateral-movement': ':left_right_arrow:',
  collection: ':open_file_folder:',
  exfiltration: ':outbox_tray:',
  impact: ':money_with_wings:',
};

/** Inline code for untrusted text: escaped, and without backticks that would end the span. */
function code(text: string, max = 120): string {
  return `\`${esc(clip(text.replace(/`/g, "'"), max))}\``;
}

/** "2024-05-01 12:34Z" from an ISO time. */
function shortTime(iso: string | undefined): string {
  return iso ? `${dayMinute(iso)}Z` : '—';
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "45s", "3m 07s", "1h 02m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A text progress bar: `▓▓▓▓▓░░░░░` for done/total. */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `${'▓'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

function failedRegionsText(failed: ReadonlyArray<{ region: string; errorName: string }>): string {
  return fitLines(failed.map((f) => `${f.region} (${esc(f.errorName)})`), 1000, ', ');
}

export function trailProgressBlocks(subject: string, p: TrailProgressView): { text: string; blocks: Block[] } {
  const status = p.finished ? ':white_check_mark: Finished pulling' : ':hourglass_flowing_sand: Pulling';
  const line = p.query
    ? `${status} CloudTrail for ${code(subject)}\n${queryProgressLine(p.query)}`
    : `${status} CloudTrail for ${code(subject)}\n\`${progressBar(p.regionsDone, p.regionsTotal)}\`  ${p.regionsDone}/${p.regionsTotal} regions · ${formatCount(p.events)} events · ${formatDuration(p.elapsedMs)}`;
  const blocks: Block[] = [{ type: 'section', text: mrkdwn(line) }];
  const notes: string[] = [];
  if (p.regionsFailed && p.regionsFailed.length > 0) notes.push(`:warning: Failed: ${failedRegionsText(p.regionsFailed)}`);
  if (p.throttled) notes.push(`AWS throttled ${formatCount(p.throttled)} requests; all were retried.`);
  if (notes.length > 0) blocks.push({ type: 'context', elements: notes.map((n) => mrkdwn(n)) });
  return { text: `CloudTrail for ${subject}: ${p.regionsDone}/${p.regionsTotal} regions, ${p.events} events`, blocks };
}

/** `<https://attack.mitre.org/techniques/T1098/001/|T1098.001>`: the technique, linked to ATT&CK. */
function techniqueLink(id: string): string {
  return `<https://attack.mitre.org/techniques/${id.replace('.', '/')}/|${id}>`;
}

/** "×2" for completed calls, with refused/failed attempts beside them; an attempt only is said to be one. */
function outcomeText(f: Finding): string {
  const notDone = [f.refused ? `${formatCount(f.refused)} refused` : '', f.failed ? `${formatCount(f.failed)} failed` : ''].filter(Boolean).join(', ');
  if (f.burst) return `×${formatCount(f.count)}`;
  if (f.outcome === 'attempted') return `_attempted_ ×${formatCount(f.count)} (${notDone})`;
  return `×${formatCount(f.done)}${notDone ? ` (+${notDone})` : ''}`;
}

function findingLine(f: Finding): string {
  const when = f.burst
    ? `${formatCount(f.burst.countInWindow)} in ${shortTime(f.burst.windowStart)}–${hourMinute(f.burst.windowEnd)}Z`
    : f.count === 1 ? shortTime(f.firstTime) : `${shortTime(f.firstTime)} → ${shortTime(f.lastTime)}`;
  const details = [...new Set(f.examples.map((e) => e.detail).filter((d): d is string => !!d))].slice(0, 3);
  const detailText = details.length > 0 ? `: ${details.map((d) => code(d, 80)).join(', ')}` : '';
  const icon = f.outcome === 'attempted' ? ATTEMPT_ICON : SEVERITY_ICON[f.severity];
  const line = `${icon} *${esc(f.title)}* ${techniqueLink(f.technique.id)} ${outcomeText(f)} (${when})${detailText}`;
  // The next step for what is most urgent: high severity and actually done.
  return f.severity === 'high' && f.outcome === 'done' && f.next ? `${line}\n      _Next:_ ${esc(f.next)}` : line;
}

/** What the history source could not show the rules, in one sentence (LookupEvents has no data events). */
function notCheckedText(coverage: TrailSummary['coverage']): string | undefined {
  if (!coverage || coverage.notChecked.length === 0) return undefined;
  const families = coverage.notChecked.map((f) => `${f.title.toLowerCase()} (${f.rules.join('; ')})`).join('; ');
  return `Not checked: LookupEvents returns management events only, so these rules saw nothing: ${families}. They need Athena or CloudTrail Lake over a trail that records data events (\`source:athena\` or \`source:lake\`).`;
}

function findingsSection(tactic: Tactic, findings: Finding[]): Block {
  const total = findings.reduce((n, f) => n + f.count, 0);
  const title = `${TACTIC_ICON[tactic]} *${TACTICS[tactic].title}* ${TACTICS[tactic].id} (${formatCount(total)})`;
  const body = fitLines(findings.map(findingLine), SLACK_LIMITS.sectionText - title.length - 1);
  return { type: 'section', text: mrkdwn(`${title}\n${body}`) };
}

function resourceLine(r: CreatedResource): string {
  const to = r.target ? ` → ${r.target.type} ${code(r.target.name, 64)}` : '';
  switch (r.kind) {
    case 'iam-user': return `IAM user ${code(r.name)}`;
    case 'access-key': return `Access key ${code(r.name)}${to}`;
    case 'login-profile': return `Console password for ${code(r.name)}`;
    case 'role': return `Role ${code(r.name)}`;
    case 'trust-policy': return `Trust policy changed on role ${code(r.name)}`;
    case 'attached-policy': return `Policy ${code(r.name.split('/').pop() ?? r.name)} attached${to}`;
    case 'inline-policy': return `Inline policy ${code(r.name)}${to}`;
    case 'group-membership': return `Added to group ${code(r.name)}${to}`;
    case 'ec2-instance': return `EC2 instance ${code(r.name)}${r.detail ? ` (${esc(clip(r.detail, 40))})` : ''} in ${r.region}`;
    case 'protection-tag': return `Tag \`keyguard:protected\` written${to} (attacker activity: never honoured)`;
  }
}

/** Most urgent to remove first: what lets the attacker back in, then what costs money. */
const KIND_ORDER: readonly CreatedResourceKind[] = [
  'access-key', 'login-profile', 'iam-user', 'protection-tag', 'attached-policy', 'inline-policy', 'trust-policy', 'role', 'group-membership', 'ec2-instance',
];
const KIND_PLURAL: Record<CreatedResourceKind, string> = {
  'access-key': 'access keys',
  'login-profile': 'console passwords',
  'iam-user': 'IAM users',
  'attached-policy': 'policies attached',
  'inline-policy': 'inline policies',
  'trust-policy': 'trust policies changed',
  role: 'roles',
  'group-membership': 'group memberships',
  'ec2-instance': 'EC2 instances',
  'protection-tag': 'keyguard:protected tags written',
};

/** The name and, for grants, the grantee: `AdministratorAccess → backup-svc`. */
function shortResourceName(r: CreatedResource): string {
  const name = r.kind === 'attached-policy' ? r.name.split('/').pop() ?? r.name : r.name;
  return r.target && r.kind !== 'trust-policy' ? `${name} → ${r.target.name}` : name;
}

/**
 * One line per resource when there are a few of a kind; one line per kind (per region and
 * type for instances) when there are many, so a fleet of miners or a hundred back-door
 * users still leaves room for every other kind.
 */
function resourceLines(created: TrailSummary['createdResources']): string[] {
  const groups = new Map<string, CreatedResource[]>();
  const sorted = [...created.items].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  for (const r of sorted) {
    const key = r.kind === 'ec2-instance' ? `${r.kind}|${r.region}|${r.detail ?? ''}` : r.kind;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const lines: string[] = [];
  for (const group of groups.values()) {
    const [first] = group;
    if (group.length <= 3) {
      lines.push(...group.map((r) => `• ${resourceLine(r)}${r.attribution?.by === 'derived' ? ` _via ${code(r.attribution.nodeId, 24)}_` : ''}`));
      continue;
    }
    const where = first.kind === 'ec2-instance' ? `${first.detail ? ` (${esc(clip(first.detail, 40))})` : ''} in ${first.region}` : '';
    const names = group.slice(0, 3).map((r) => code(shortResourceName(r), 64)).join(', ');
    lines.push(`• ${formatCount(group.length)} ${KIND_PLURAL[first.kind]}${where}: ${names}, …`);
  }
  for (const kind of KIND_ORDER) {
    const dropped = created.droppedByKind[kind];
    if (dropped) lines.push(`• …and ${formatCount(dropped)} more ${KIND_PLURAL[kind]} not listed`);
  }
  return lines;
}

function statField(title: string, lines: string[], total: number): Block {
  const more = total > lines.length ? [`…and ${formatCount(total - lines.length)} more`] : [];
  return mrkdwn(`*${title}*\n${fitLines([...lines, ...more], SLACK_LIMITS.fieldText - title.length - 3) || 'none'}`, SLACK_LIMITS.fieldText);
}

export function trailSummaryBlocks(s: TrailSummary, ctx: TrailSummaryContext): { text: string; blocks: Block[] } {
  const blocks: Block[] = [{ type: 'header', text: plain(`CloudTrail for ${ctx.subject}`, SLACK_LIMITS.headerText) }];
  const highs = s.findings.filter((f) => f.severity === 'high' && f.outcome === 'done').length;
  const attempts = s.findings.filter((f) => f.outcome === 'attempted').length;
  const overview = [
    mrkdwn(`*Window*\n${shortTime(ctx.window.start)} → ${shortTime(ctx.window.end)}`),
    mrkdwn(`*Events*\n${formatCount(s.eventCount)}${s.firstTime ? ` (${shortTime(s.firstTime)} → ${shortTime(s.lastTime)})` : ''}`),
    mrkdwn(`*Regions with activity*\n${s.regions.length} of ${ctx.regionsQueried} queried`),
    mrkdwn(`*Findings*\n${s.findings.length === 0 ? 'none' : `${s.findings.length} rules matched, ${highs} high${attempts ? `, ${attempts} attempted only` : ''}`}`),
  ];
  if (s.firstSuspiciousTime) overview.push(mrkdwn(`*First suspicious event*\n${shortTime(s.firstSuspiciousTime)}`));
  if (ctx.regionsFailed && ctx.regionsFailed.length > 0) overview.push(mrkdwn(`*:warning: Regions not read*\n${failedRegionsText(ctx.regionsFailed)}`));
  blocks.push({ type: 'section', fields: overview });

  blocks.push({ type: 'divider' });
  const notChecked = notCheckedText(s.coverage);
  if (s.findings.length === 0) {
    const text = `No sensitive actions matched the detection rules.${notChecked ? `\n${notChecked}` : ''}`;
    blocks.push({ type: 'section', text: mrkdwn(clip(text, SLACK_LIMITS.sectionText), SLACK_LIMITS.sectionText) });
  }
  for (const tactic of TACTIC_ORDER) {
    const inTactic = s.findings.filter((f) => f.tactic === tactic);
    if (inTactic.length > 0) blocks.push(findingsSection(tactic, inTactic));
  }

  if (ctx.graph) blocks.push({ type: 'divider' }, ...credentialGraphBlocks(ctx.graph));

  const created = s.createdResources;
  if (created.items.length > 0) {
    const title = ctx.graph
      ? ':broom: *Created or changed by the leaked key or what it minted* (offered for removal after Investigate)'
      : ':broom: *Created or changed by this principal* (offered in the Eradicate step)';
    const lines = resourceLines(created);
    blocks.push({ type: 'divider' }, { type: 'section', text: mrkdwn(`${title}\n${fitLines(lines, SLACK_LIMITS.sectionText - title.length - 1)}`) });
  }

  const ipLines = s.sourceIps.top.map((ip) => `${code(ip.ip, 64)} ×${formatCount(ip.count)}${ip.newSinceFirstSuspicious ? ' :new:' : ''}`);
  blocks.push({ type: 'divider' }, {
    type: 'section',
    fields: [
      statField('Source IPs', ipLines, s.sourceIps.distinct),
      statField('Top events', s.eventNames.top.map((n) => `${esc(n.key)} ×${formatCount(n.count)}`), s.eventNames.distinct),
      statField('Error codes', s.errorCodes.top.map((n) => `${esc(n.key)} ×${formatCount(n.count)}`), s.errorCodes.distinct),
      statField('By region', s.regions.slice(0, 10).map((r) => `${esc(r.key)} ×${formatCount(r.count)}`), s.regions.length),
    ],
  });
  if (s.userAgents.top.length > 0) {
    const lines = s.userAgents.top.map((u) => `${code(u.key, 160)} ×${formatCount(u.count)}`);
    if (s.userAgents.distinct > lines.length) lines.push(`…and ${formatCount(s.userAgents.distinct - lines.length)} more`);
    blocks.push({ type: 'section', text: mrkdwn(`*User agents*\n${fitLines(lines, SLACK_LIMITS.sectionText - 20)}`) });
  }

  if (ctx.ownerActivity) blocks.push({ type: 'divider' }, ownerActivityBlock(ctx.ownerActivity));

  const notes = [':new: = source IP first seen at or after the first suspicious event.', 'Full export (CSV and NDJSON) is in the thread.'];
  if (ctx.ownerNotSearched) {
    notes.push(`Only this key and the credentials it minted were searched. The owner's other activity (console, other keys) is not the key's: \`/trail ${esc(clip(ctx.ownerNotSearched, 64))}\` shows it.`);
  }
  if (ctx.duplicatesDropped) notes.push(`${formatCount(ctx.duplicatesDropped)} duplicates dropped.`);
  notes.push(usualRegionsNote(s.usualRegions));
  if (s.ignored.keyguard || s.ignored.awsService) {
    const parts = [s.ignored.keyguard ? `${formatCount(s.ignored.keyguard)} keyguard containment calls` : '', s.ignored.awsService ? `${formatCount(s.ignored.awsService)} AWS service events` : ''];
    notes.push(`Not judged by the rules: ${parts.filter(Boolean).join(', ')}.`);
  }
  if (s.findings.some((f) => f.outcome === 'attempted')) notes.push(`${ATTEMPT_ICON} = attempted only: every matching call was refused (shown one severity lower).`);
  if (notChecked && s.findings.length > 0) notes.push(clip(notChecked, 1500));
  blocks.push({ type: 'context', elements: notes.map((n) => mrkdwn(n)) });

  const text = `CloudTrail for ${ctx.subject}: ${s.eventCount} events, ${s.findings.length} findings (${highs} high)`;
  return { text, blocks };
}

const KIND_LABEL: Record<CredentialNode['kind'], string> = {
  'leaked-key': 'leaked key',
  'role-session': 'role session',
  'session-token': 'session token',
  'federation-token': 'federation token',
  'access-key': 'access key',
  'login-profile': 'console password',
};

const NOT_FOLLOWED: Record<NonNullable<CredentialNode['notFollowed']>, string> = {
  'depth-cap': 'not followed: depth cap',
  'fan-out-cap': 'not followed: fan-out cap',
  'region-outside-search': 'its regions were not searched',
  'lookup-failed': 'could not be looked up',
};

/** One node: what it is, who issued it, its use, what it created. */
function nodeLine(g: CredentialGraph, n: CredentialNode): string {
  const indent = '   '.repeat(Math.min(n.depth, 4));
  const what =
    n.kind === 'role-session' ? `${n.roleArn ? code(n.roleArn.split(':role/').pop() ?? n.roleArn, 64) : 'role'}${n.sessionName ? `/${code(n.sessionName, 40)}` : ''}${n.account && n.account !== g.nodes[0]?.account ? ` in account ${esc(n.account)}` : ''}`
    : n.kind === 'federation-token' && n.federatedUserArn ? code(n.federatedUserArn.split('/').pop() ?? n.federatedUserArn, 40)
    : n.userName ? `user ${code(n.userName, 64)}` : '';
  const id = n.kind === 'login-profile' ? '' : `${code(n.id, 24)} `;
  const issued = n.issuedBy ? ` (${esc(n.issuedBy.eventName)} ${shortTime(n.issuedBy.time)})` : '';
  const use = n.use
    ? ` · ${formatCount(n.use.eventCount)} events ${shortTime(n.use.firstUse)} → ${shortTime(n.use.lastUse)} · ${n.use.sourceIps.slice(0, 3).map((ip) => code(ip, 40)).join(', ')} · ${esc(n.use.regions.join(', '))}`
    : n.notFollowed ? ` · _${NOT_FOLLOWED[n.notFollowed]}_` : n.kind === 'login-profile' ? '' : ' · no events found';
  const made = n.created.filter((c) => c.includes(' ')).slice(0, 3);
  const madeText = made.length > 0 ? ` · created ${made.map((c) => code(c, 48)).join(', ')}${n.created.length > made.length ? ', …' : ''}` : '';
  return `${indent}• ${id}${KIND_LABEL[n.kind]} ${what}${issued}${use}${madeText}`;
}

/** The credential graph: each node, then the caps and gaps, never silent. */
export function credentialGraphBlocks(g: CredentialGraph): Block[] {
  const minted = g.nodes.length - 1;
  const title = `:link: *Credentials minted from the key* (${formatCount(minted)} found; only what these did is the attacker's)`;
  // Depth-first, so each node sits under its issuer.
  const children = new Map<string, CredentialNode[]>();
  for (const n of g.nodes) if (n.parent) children.set(n.parent, [...(children.get(n.parent) ?? []), n]);
  const ordered: CredentialNode[] = [];
  const visit = (n: CredentialNode) => {
    ordered.push(n);
    for (const c of children.get(n.id) ?? []) visit(c);
  };
  const root = g.nodes.find((n) => n.id === g.root);
  if (root) visit(root);
  const lines = ordered.map((n) => nodeLine(g, n));
  const blocks: Block[] = [{ type: 'section', text: mrkdwn(`${title}\n${fitLines(lines, SLACK_LIMITS.sectionText - title.length - 1)}`) }];
  const notes: string[] = [];
  const deepest = ordered.filter((n) => n.depth >= 2).sort((a, b) => b.depth - a.depth)[0];
  if (deepest) notes.push(`Longest path: ${esc(clip(describePath(g, deepest.id), 600))}`);
  if (g.caps.depthHits || g.caps.fanOutHits) {
    notes.push(`:warning: Not followed: ${formatCount(g.caps.fanOutHits)} credential(s) past the fan-out cap (${g.caps.maxFanOut} a node), ${formatCount(g.caps.depthHits)} past the depth cap (${g.caps.maxDepth} hops). Their calls are still the attacker's.`);
  }
  if (g.incompleteRegions.length > 0) notes.push(`:warning: Graph incomplete: lookups failed in ${esc(g.incompleteRegions.join(', '))}.`);
  if (g.searchedRegions) notes.push(`Minted keys searched in ${formatCount(g.searchedRegions.length)} region(s): ${esc(clip(g.searchedRegions.join(', '), 300))}; their use in other regions is unsearched.`);
  if (notes.length > 0) blocks.push({ type: 'context', elements: notes.slice(0, 10).map((n) => mrkdwn(n)) });
  return blocks;
}

/** The owner's other keys and console: context, never findings, never offered for removal. */
function ownerActivityBlock(o: OwnerActivitySummary): Block {
  const title = `:bust_in_silhouette: *Other activity of ${code(o.userName, 64)}* (other keys, console): context only, not in the findings, never offered for removal`;
  const lines = [
    `${formatCount(o.eventCount)} events${o.firstTime ? ` (${shortTime(o.firstTime)} → ${shortTime(o.lastTime)})` : ''}`,
    o.callers.length ? `By: ${o.callers.slice(0, 5).map((c) => `${code(c.key, 24)} ×${formatCount(c.count)}`).join(', ')}` : '',
    o.eventNames.length ? `Top events: ${o.eventNames.map((n) => `${esc(clip(n.key, 48))} ×${formatCount(n.count)}`).join(', ')}` : '',
    o.sourceIps.length ? `Source IPs: ${o.sourceIps.map((n) => `${code(n.key, 40)} ×${formatCount(n.count)}`).join(', ')}` : '',
    ...o.createdResources.slice(0, 5).map((r) => `Created by the owner: ${resourceLine(r)}${r.byAccessKeyId ? ` (key ${code(r.byAccessKeyId, 24)})` : ''}`),
  ].filter(Boolean);
  return { type: 'section', text: mrkdwn(`${title}\n${fitLines(lines, SLACK_LIMITS.sectionText - title.length - 1)}`) };
}

function usualRegionsNote(u: TrailSummary['usualRegions']): string {
  const list = fitLines(u.regions.map((r) => esc(r)), 300, ', ');
  switch (u.source) {
    case 'configured': return `Usual regions (IR_USUAL_REGIONS): ${list}.`;
    case 'learned': return `Usual regions, learned from activity before the first suspicious event: ${list}.`;
    case 'default': return `Usual regions: no earlier activity to learn from, so the default list: ${list}.`;
  }
}

/** The ASIA trace as one section: each hop, then where the chain starts. */
export function asiaTraceBlocks(trace: AsiaTrace): Block[] {
  const hopLines = trace.hops.map((h, i) => {
    const parts = [
      `${i + 1}. ${code(h.accessKeyId)} issued by *${esc(h.issuedBy)}* at ${shortTime(h.eventTime)}`,
      h.roleArn ? `role ${code(h.roleArn)}` : '',
      h.sessionName ? `session ${code(h.sessionName, 64)}` : '',
      h.sourceIdentity ? `source identity ${code(h.sourceIdentity, 64)}` : '',
      h.sourceIp ? `from ${code(h.sourceIp, 64)}` : '',
      h.caller.arn ? `caller ${code(h.caller.arn)}` : '',
    ];
    return parts.filter((p) => p.length > 0).join(', ');
  });
  const o = trace.origin;
  const origin =
    o.kind === 'long-term-key' ? `:key: Started from long-term key ${code(o.accessKeyId)}${o.userName ? ` of user ${code(o.userName, 64)}` : ''}`
    : o.kind === 'federated' ? `:busts_in_silhouette: Started from a federated sign-in (${esc(o.via)})${o.subject ? ` by ${code(o.subject, 64)}` : ''}`
    : o.kind === 'root' ? ':rotating_light: Started from the *root user*'
    : o.kind === 'aws-service' ? `:gear: Issued to an AWS service (${code(o.service, 64)}): credentials taken from a workload`
    : `:grey_question: Chain not followed further (${o.reason})${o.accessKeyId ? ` at ${code(o.accessKeyId)}` : ''}`;
  const title = `*Where ${code(trace.accessKeyId)} came from*`;
  return [{ type: 'section', text: mrkdwn(`${title}\n${fitLines([...hopLines, origin], SLACK_LIMITS.sectionText - title.length - 1)}`) }];
}
