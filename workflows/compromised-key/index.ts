/**
 * The compromised-key playbook, after AWS's credential-compromise playbook:
 * identify → contain → investigate → eradicate → recover → close.
 */
import type { Incident } from '../../src/domain/incident';
import type { KeyFacts } from '../../src/domain/key-facts';
import type { ContainmentOutcome, ContainmentPort, ContainmentTarget, ContainRecord, InvestigationPort, KeyOwnerPort, OwnerContactPort, OwnerNotice, RoleSessionsPort } from '../../src/ports';
import { isRoleSessionsParams, needsRoleSessionsStep, ROLE_SESSIONS_STEP, roleSessionsNotes, roleSessionsParams, roleSessionsTitle, storedGraph, type RoleSessionsParams } from '../../src/domain/role-sessions';
import { removableItems } from '../../src/domain/persistence';
import { addedArtifactsOf, isContainSnapshot, isPersistenceItem, type PersistenceItem } from '../../src/domain/aws-plan';
import { KeyguardError } from '../../src/errors';
import type { AsiaTrace } from '../../src/domain/asia-trace';
import type { Playbook, StepAction, StepDefinition } from '../playbook';
import { shift } from '../../src/domain/time';
import { CLOUDTRAIL_RETENTION_DAYS } from '../../src/domain/trail-query';
import { MAX_TAG_WRITES, tagEvidenceOf, type ProtectionTagWrite } from '../../src/domain/protection';
import type { StepRecord } from '../../src/domain/incident';

type TraceFn = (keyId: string, now: Date, account?: string) => Promise<AsiaTrace>;

export interface CompromisedKeyDeps {
  keyOwner: KeyOwnerPort;
  /** The CloudTrail trace of a temporary key (TrailPort.trace). */
  trace?: TraceFn;
  containment?: ContainmentPort;
  ownerContact?: OwnerContactPort;
  investigation?: InvestigationPort;
  /** Revokes the sessions of every role the leaked key reached (the credential graph). */
  roleSessions?: RoleSessionsPort;
}

/** Room the investigation's record may take in its step item (DynamoDB items stop at 400 KB). */
export const MAX_INVESTIGATION_BYTES = 200_000;

/** Follow-ups kept on the record; the rest are counted. */
const MAX_FOLLOW_UPS = 50;

/**
 * Keep the investigation record within MAX_INVESTIGATION_BYTES. The event index goes first:
 * unflagged entries before flagged ones, oldest before newest; then the created-resource
 * list from its end. What was cut is counted, never silently dropped.
 */
export function fitItem<T extends { eventIndex: { entries: Array<{ rule?: string; time?: string }>; dropped: number }; createdResources: unknown[]; followUps?: string[] }>(
  d: T,
): T & { trimmed?: { index: number; created: number; followUps: number } } {
  const size = (x: unknown) => Buffer.byteLength(JSON.stringify(x));
  const followUps = d.followUps ?? [];
  const out = {
    ...d,
    eventIndex: { ...d.eventIndex, entries: [...d.eventIndex.entries] },
    createdResources: [...d.createdResources],
    ...(d.followUps ? { followUps: followUps.slice(0, MAX_FOLLOW_UPS).concat(followUps.length > MAX_FOLLOW_UPS ? [`…and ${followUps.length - MAX_FOLLOW_UPS} more`] : []) } : {}),
  };
  // Least worth keeping first: unflagged, then oldest.
  const order = [...out.eventIndex.entries].sort((a, b) => Number(Boolean(a.rule)) - Number(Boolean(b.rule)) || String(a.time).localeCompare(String(b.time)));
  let index = 0;
  while (size(out) > MAX_INVESTIGATION_BYTES && order.length > 0) {
    const cut = new Set(order.splice(0, Math.max(1, Math.ceil(order.length / 4))));
    out.eventIndex.entries = out.eventIndex.entries.filter((e) => !cut.has(e));
    out.eventIndex.dropped += cut.size;
    index += cut.size;
  }
  let created = 0;
  while (size(out) > MAX_INVESTIGATION_BYTES && out.createdResources.length > 0) {
    const cut = Math.max(1, Math.ceil(out.createdResources.length / 4));
    out.createdResources.splice(-cut, cut);
    created += cut;
  }
  const cutFollowUps = Math.max(0, followUps.length - MAX_FOLLOW_UPS);
  return index || created || cutFollowUps ? { ...out, trimmed: { index, created, followUps: cutFollowUps } } : out;
}


function investigate(inv: InvestigationPort, hasRemoval: boolean): StepAction {
  return {
    plan: () => [{ service: 'cloudtrail', action: 'LookupEvents', params: { note: 'AccessKeyId of the key and of every key it minted, then Username for the owner\'s other activity; every region, read-only' }, why: 'The credential graph: what the key and what it minted did; the owner\'s other activity as context.' }],
    async run({ incident, now, signal }) {
      const facts = incident.facts as KeyFacts | undefined;
      // CloudTrail keeps 90 days: the investigation looks back that far, or to the key's creation.
      const oldest = shift(now, { days: -CLOUDTRAIL_RETENTION_DAYS });
      const created = facts?.createdAt ? new Date(facts.createdAt) : undefined;
      const start = created && created > oldest ? created : oldest;
      const userName = incident.principal?.type === 'user' ? incident.principal.name : undefined;
      const r = await inv.investigate({ incidentId: incident.id, keyId: incident.keyId, userName, account: incident.account, channel: incident.channel, threadTs: incident.cardTs, start, end: now, signal });
      // Only what the leaked key and the credentials it minted created; the owner's other activity is context.
      const { offered, followUps } = removableItems(r.summary.createdResources.items, userName, { leakedKeyId: incident.keyId, account: incident.account });
      const highs = r.summary.findings.filter((f) => f.severity === 'high').length;
      const failed = r.regionsFailed.length > 0 ? `; ${r.regionsFailed.length} region(s) could not be searched: ${r.regionsFailed.join(', ')}` : '';
      const derived = r.graph ? r.graph.nodes.length - 1 : 0;
      const capped = r.graph ? r.graph.caps.depthHits + r.graph.caps.fanOutHits : 0;
      const graphNote = r.graph ? `; ${derived} credential(s) minted${capped ? ` (${capped} not followed: caps)` : ''}${r.graph.incompleteRegions.length ? `, graph incomplete in ${r.graph.incompleteRegions.join(', ')}` : ''}` : '';
      const ownerNote = r.ownerActivity ? `; ${r.ownerActivity.eventCount} event(s) of the owner's other activity (context)` : '';
      return {
        ok: true,
        summary: `${r.summary.eventCount} events in ${r.regionsQueried} regions, ${r.summary.findings.length} findings (${highs} high), ${offered.length} created principal(s) to remove${graphNote}${ownerNote}${failed}`,
        detail: fitItem({
          eventCount: r.summary.eventCount,
          firstTime: r.summary.firstTime,
          lastTime: r.summary.lastTime,
          firstSuspiciousTime: r.summary.firstSuspiciousTime,
          findings: r.summary.findings.map((f) => ({ rule: f.ruleId, title: f.title, tactic: f.tactic, technique: f.technique.id, severity: f.severity, outcome: f.outcome, count: f.count })),
          createdResources: r.summary.createdResources.items,
          eventIndex: r.summary.eventIndex,
          followUps,
          // Who in the credential graph wrote a keyguard:protected tag: such a tag is never honoured.
          protectionTagWrites: protectionTagWritesOf(r.summary.createdResources.items),
          regionsFailed: r.regionsFailed,
          ...(r.graph ? { graph: r.graph } : {}),
          ...(r.ownerActivity ? { ownerActivity: { ...r.ownerActivity, createdResources: r.ownerActivity.createdResources.slice(0, 20) } } : {}),
        }),
        addSteps: hasRemoval ? offered.map((o, i) => ({ name: `remove-${i + 1}`, title: o.title, params: o.item, offerAfter: 'investigate' })) : [],
      };
    },
  };
}

/** The keyguard:protected tags the attacker's events wrote (kept apart from the created resources, which may be trimmed). */
function protectionTagWritesOf(items: ReadonlyArray<{ kind: string; target?: { type: string; name: string }; detail?: string; time: string; byAccessKeyId?: string; account?: string }>): ProtectionTagWrite[] {
  return items
    .filter((c) => c.kind === 'protection-tag' && (c.target?.type === 'user' || c.target?.type === 'role'))
    .slice(0, MAX_TAG_WRITES)
    .map((c) => ({ type: c.target!.type as 'user' | 'role', name: c.target!.name, eventName: c.detail ?? 'TagUser', time: c.time, ...(c.byAccessKeyId ? { byAccessKeyId: c.byAccessKeyId } : {}), ...(c.account ? { account: c.account } : {}) }));
}

/** The persistence item a generated Remove step acts on (its params, as Investigate stored them). */
function itemOf(params: unknown): PersistenceItem {
  if (!isPersistenceItem(params)) throw new KeyguardError('NOT_AVAILABLE', 'This step does not name a principal, key or password to remove.');
  return params;
}

function removeItem(c: ContainmentPort): StepAction {
  return {
    plan: ({ incident, step, steps }) => c.planRemovePersistence(targetOf(incident, steps), itemOf(step.params)),
    run: ({ incident, step, steps, approvers, dryRun, now, signal, fence }) => c.removePersistence(targetOf(incident, steps), itemOf(step.params), { approvers, dryRun, now, signal, fence, plan: step.plan }),
  };
}

/**
 * What the containment steps act on. `steps`: the incident's steps, whose Investigate result
 * carries the tag evidence (absent before Investigate has run: the tag decides nothing).
 */
export function targetOf(incident: Incident, steps?: readonly Pick<StepRecord, 'name' | 'state' | 'result'>[]): ContainmentTarget {
  const p = incident.principal;
  const evidence = steps ? tagEvidenceOf(steps) : undefined;
  return {
    incidentId: incident.id,
    keyId: incident.keyId,
    keyKind: incident.keyKind,
    account: incident.account,
    // A temporary key of a user is not that user's key: only Contain acts on the user (containTargetOf).
    userName: p?.type === 'user' && incident.keyKind !== 'temporary' ? p.name : undefined,
    roleName: p?.type === 'role' ? p.name : undefined,
    rootKey: incident.rootKey,
    ...(evidence ? { tagEvidence: evidence } : {}),
  };
}

const roleNameOf = (arn: string) => arn.split('/').pop()!;

/**
 * Who a temporary key belongs to, from its CloudTrail trace. The issuer the trace found wins:
 * a role typed in the modal that disagrees is refused (both are said); a GetSessionToken or
 * GetFederationToken key belongs to the IAM user whose long-term key minted it (a federated
 * user's ARN is never taken for a role). Pure.
 */
export function temporaryKeyPrincipal(
  t: AsiaTrace,
  typed: Incident['principal'],
): { principal?: Incident['principal']; rootKey?: Incident['rootKey']; refusedRole?: string; said: string } {
  const hop = t.hops[0];
  const rootKey = t.origin.kind === 'long-term-key' ? { accessKeyId: t.origin.accessKeyId, userName: t.origin.userName } : undefined;
  const from = rootKey ? ` from long-term key ${rootKey.accessKeyId}${rootKey.userName ? ` of ${rootKey.userName}` : ''}` : '';
  const typedRole = typed?.type === 'role' ? typed.arn ?? typed.name : undefined;
  if (hop?.roleArn) {
    const principal = { type: 'role' as const, name: roleNameOf(hop.roleArn), arn: hop.roleArn };
    const disagrees = typed?.type === 'role' && (typed.arn ? typed.arn !== hop.roleArn : typed.name !== principal.name);
    const refusal = disagrees ? `; the role given (${typedRole}) was refused: CloudTrail shows ${hop.accessKeyId} was issued by ${hop.roleArn} (${hop.issuedBy} at ${hop.eventTime}), so that role is contained` : '';
    return { principal, rootKey, refusedRole: disagrees ? typedRole : undefined, said: `; issued to ${hop.roleArn}${from}${refusal}` };
  }
  if (hop && (hop.issuedBy === 'GetSessionToken' || hop.issuedBy === 'GetFederationToken')) {
    const userName = rootKey?.userName ?? hop.caller.userName;
    const principal = userName ? { type: 'user' as const, name: userName, arn: t.origin.kind === 'long-term-key' ? t.origin.userArn : undefined } : undefined;
    const what = hop.issuedBy === 'GetSessionToken' ? 'a GetSessionToken session' : `a GetFederationToken session (federated user ${hop.federatedUserArn ?? hop.sessionName ?? 'unknown'}, not a role)`;
    const refusal = typedRole ? `; the role given (${typedRole}) was refused: this key is ${what} of IAM user ${userName ?? 'unknown'}, not a role session` : '';
    return { principal, rootKey, refusedRole: typedRole, said: `; ${what} of ${userName ?? 'an unknown user'}${from}, contained through the user${refusal}` };
  }
  return { principal: typed, rootKey, said: `; issued to ${typed?.type === 'role' ? `${typed.arn ?? typed.name} (as given; CloudTrail did not show the issuer)` : 'an unknown principal'}${from}` };
}

function identify(keyOwner: KeyOwnerPort, trace?: TraceFn): StepAction {
  return {
    plan: () => [
      { service: 'sts', action: 'GetAccessKeyInfo', params: {}, why: 'The key\'s account.' },
      { service: 'iam', action: 'GetAccessKeyLastUsed', params: {}, why: 'The key\'s owner.' },
    ],
    async run({ incident, now }) {
      const facts: KeyFacts = await keyOwner.lookup(incident.keyId, incident.keyKind);
      let principal: Incident['principal'] = facts.user ? { type: 'user', name: facts.user.userName, arn: facts.user.arn } : incident.principal ?? { type: 'unknown' };
      let rootKey: Incident['rootKey'];
      let refusedRole: string | undefined;
      let traced = '';
      if (incident.keyKind === 'temporary' && trace) {
        // Where the temporary key came from: the principal that issued it and the long-term
        // key at the root of the chain. What CloudTrail shows wins over what was typed.
        try {
          const found = temporaryKeyPrincipal(await trace(incident.keyId, now, facts.account), incident.principal);
          principal = found.principal ?? principal;
          rootKey = found.rootKey;
          refusedRole = found.refusedRole;
          traced = found.said;
        } catch (e) {
          traced = `; CloudTrail trace failed (${(e as Error).message})`;
        }
      }
      const who = facts.user
        ? `key of IAM user ${facts.user.userName}`
        : principal?.type === 'role' ? `temporary key of role ${principal.name}` : principal?.type === 'user' ? `temporary key of IAM user ${principal.name}` : `${facts.kind === 'temporary' ? 'temporary key' : 'key'}`;
      return {
        ok: true,
        summary: `${who} in ${facts.account}${facts.status ? `, ${facts.status}` : ''}${traced}`,
        detail: { account: facts.account, user: facts.user?.userName, status: facts.status, principal, rootKey, ...(refusedRole ? { refusedRole } : {}) },
        incidentPatch: { facts, account: facts.account, principal, ...(rootKey ? { rootKey } : {}) },
      };
    },
  };
}

/**
 * What Contain acts on. A temporary key of an IAM user (GetSessionToken, GetFederationToken)
 * is contained through that user: the deny policy ends its session, and the long-term key that
 * minted it is deactivated. So Contain's plan, its run, its snapshot and Undo all act on the
 * long-term key, and the plan shown is what runs.
 */
export function containTargetOf(incident: Incident, steps?: readonly Pick<StepRecord, 'name' | 'state' | 'result'>[]): ContainmentTarget {
  const t = targetOf(incident, steps);
  if (incident.keyKind !== 'temporary' || incident.principal?.type !== 'user') return t;
  if (!incident.rootKey) {
    throw new KeyguardError('NOT_AVAILABLE', `Temporary key ${incident.keyId} belongs to IAM user ${incident.principal.name ?? ''}, but CloudTrail did not show the long-term key that minted it; contain the user's keys by hand (deny policy and the key).`);
  }
  return { ...t, keyId: incident.rootKey.accessKeyId, keyKind: 'long-term', userName: incident.rootKey.userName ?? incident.principal.name, roleName: undefined, rootKey: undefined };
}

function contain(c: ContainmentPort): StepAction {
  return {
    plan: ({ incident, steps, now }) => c.planContain(containTargetOf(incident, steps), now),
    async run({ incident, step, steps, approvers, dryRun, now, signal, fence }) {
      // Sessions issued before the step first started are cut off; a re-run after a crash
      // uses the same time and so finds its own deny policy already in place.
      return c.contain(containTargetOf(incident, steps), { approvers, dryRun, now: step.startedAt ? new Date(step.startedAt) : now, signal, fence, plan: step.plan });
    },
    snapshot: ({ incident, steps }) => c.snapshot(containTargetOf(incident, steps)),
  };
}

function eradicate(c: ContainmentPort): StepAction {
  return {
    plan: ({ incident, steps, now }) => c.planEradicate(targetOf(incident, steps), now),
    run: ({ incident, step, steps, approvers, dryRun, now, signal, fence }) => c.eradicate(targetOf(incident, steps), { approvers, dryRun, now, signal, fence, plan: step.plan }),
  };
}

/** What the Contain step recorded, so Undo reverses exactly what it changed. */
function containRecord(steps: { name: string; result?: unknown; before?: unknown }[]): ContainRecord {
  const contain = steps.find((s) => s.name === 'contain');
  return { before: isContainSnapshot(contain?.before) ? contain.before : undefined, added: addedArtifactsOf(contain?.result) };
}

function undo(c: ContainmentPort): StepAction {
  return {
    plan: ({ incident, steps }) => c.planUndo(containTargetOf(incident, steps), containRecord(steps)),
    run: ({ incident, step, steps, approvers, dryRun, now, signal, fence }) => c.undo(containTargetOf(incident, steps), containRecord(steps), { approvers, dryRun, now, signal, fence, plan: step.plan }),
  };
}

// ---------------------------------------------------------------------------------------
// Re-apply containment: generated by the watch when what Contain (and Revoke role sessions)
// set no longer holds. The same actions with a fresh cut-off, so sessions minted while it
// was undone are denied too; one approval (two for a protected principal), exactly once.

const REAPPLY_TITLE = 'Re-apply containment';

/** The roles Revoke role sessions acted on (re-applied too), when that step succeeded. */
function revokedRoles(steps: readonly StepRecord[]): RoleSessionsParams | undefined {
  const s = steps.find((x) => x.name === ROLE_SESSIONS_STEP && x.state === 'succeeded');
  return s && isRoleSessionsParams(s.params) ? s.params : undefined;
}

/** Two containment outcomes as one (Re-apply: Contain's and Revoke role sessions'). */
function mergeContainment(a: ContainmentOutcome, b: ContainmentOutcome): ContainmentOutcome {
  const da = a.detail && 'calls' in a.detail ? a.detail : undefined;
  const db = b.detail && 'calls' in b.detail ? b.detail : undefined;
  const ok = a.ok && b.ok;
  return {
    ok,
    summary: `${a.summary} Role sessions: ${b.summary}`,
    detail: {
      calls: [...(da?.calls ?? []), ...(db?.calls ?? [])],
      verified: { contain: da?.verified ?? {}, roleSessions: db?.verified ?? {} },
      added: [...(da?.added ?? []), ...(db?.added ?? [])],
      dryRun: Boolean(da?.dryRun ?? db?.dryRun),
      ...(da?.session ? { session: da.session } : {}),
      ...(da?.findings || db?.findings ? { findings: [...(da?.findings ?? []), ...(db?.findings ?? [])] } : {}),
    },
    retryable: ok ? undefined : (a.ok || a.retryable === true) && (b.ok || b.retryable === true),
    error: ok ? undefined : a.error ?? b.error,
  };
}

function reapply(c: ContainmentPort, r?: RoleSessionsPort): StepAction {
  return {
    async plan({ incident, steps, now }) {
      const contain = (await c.planContain(containTargetOf(incident, steps), now)).map((call) => ({ ...call, part: 'contain' as const }));
      const roles = r ? revokedRoles(steps) : undefined;
      const revoke = roles ? (await r!.planRevoke(incident.id, roles, now, tagEvidenceOf(steps))).map((call) => ({ ...call, part: 'role-sessions' as const })) : [];
      return [...contain, ...revoke];
    },
    async run({ incident, step, steps, approvers, dryRun, now, signal, fence }) {
      // A fresh cut-off: the time this re-apply first started (a re-run after a crash keeps it).
      const at = step.startedAt ? new Date(step.startedAt) : now;
      const plan = step.plan ?? [];
      const contained = await c.contain(containTargetOf(incident, steps), { approvers, dryRun, now: at, signal, fence, plan: plan.filter((x) => x.part !== 'role-sessions') });
      const roles = r ? revokedRoles(steps) : undefined;
      if (!roles || !plan.some((x) => x.part === 'role-sessions')) return contained;
      const revoked = await r!.revoke(incident.id, roles, { approvers, dryRun, now: at, signal, fence, plan: plan.filter((x) => x.part === 'role-sessions') }, tagEvidenceOf(steps));
      return mergeContainment(contained, revoked);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Revoke role sessions: generated after Investigate when the credential graph holds a role
// session (1 approval, the exact plan shown).

function roleSessionsOf(params: unknown): RoleSessionsParams {
  if (!isRoleSessionsParams(params)) throw new KeyguardError('NOT_AVAILABLE', 'This step does not name the roles whose sessions to revoke.');
  return params;
}

function revokeRoleSessions(r: RoleSessionsPort): StepAction {
  return {
    plan: ({ incident, step, steps, now }) => r.planRevoke(incident.id, roleSessionsOf(step.params), now, tagEvidenceOf(steps)),
    // Sessions issued before the step first started are cut off (a re-run finds them 'already').
    run: ({ incident, step, steps, approvers, dryRun, now, signal, fence }) =>
      r.revoke(incident.id, roleSessionsOf(step.params), { approvers, dryRun, now: step.startedAt ? new Date(step.startedAt) : now, signal, fence, plan: step.plan }, tagEvidenceOf(steps)),
  };
}

/**
 * Investigate, extended: when its credential graph holds role sessions, the Revoke role
 * sessions step is generated (before the Remove steps); the session tokens it found are said
 * in its summary (covered by Contain's deny policy, or left to a person).
 */
export function withRoleSessionsStep(inner: StepAction): StepAction {
  return {
    ...inner,
    async run(ctx) {
      const result = await inner.run(ctx);
      const graph = result.ok ? storedGraph(result.detail) : undefined;
      if (!graph) return result;
      const p = ctx.incident.principal;
      const params = roleSessionsParams(graph, p?.type === 'user' ? p.name : undefined);
      const notes = roleSessionsNotes(params).filter((n) => !n.includes('role session whose'));
      const summary = notes.length ? `${result.summary}; ${notes.slice(0, 3).join('; ')}${notes.length > 3 ? `; and ${notes.length - 3} more` : ''}` : result.summary;
      if (!needsRoleSessionsStep(params)) return { ...result, summary };
      return {
        ...result,
        summary,
        addSteps: [{ name: ROLE_SESSIONS_STEP, title: roleSessionsTitle(params), params, offerAfter: 'investigate' }, ...(result.addSteps ?? [])],
      };
    },
  };
}

/** What the record says happened to the key: only that is told to the owner. Pure. */
function ownerNotice(incident: Incident, steps: { name: string; state: string }[]): OwnerNotice {
  const done = (name: string) => steps.find((s) => s.name === name)?.state === 'succeeded';
  return {
    incidentId: incident.id,
    keyId: incident.keyId,
    reason: incident.reason,
    done: incident.dryRun ? 'dry_run' : done('eradicate') ? 'deleted' : done('contain') ? 'deactivated' : 'in_progress',
  };
}

function recover(o: OwnerContactPort): StepAction {
  return {
    plan: () => [],
    async run({ incident, steps }) {
      const facts = incident.facts as KeyFacts | undefined;
      const r = await o.notifyOwner({ incidentId: incident.id, keyId: incident.keyId, tags: facts?.user?.tags ?? {}, notice: ownerNotice(incident, steps) });
      return { ok: true, summary: r.summary, detail: r };
    },
  };
}

export function compromisedKeyPlaybook(d: CompromisedKeyDeps): Playbook {
  const steps: StepDefinition[] = [
    { seq: 1, name: 'identify', title: 'Identify', approvals: 0, action: identify(d.keyOwner, d.trace) },
    {
      seq: 2, name: 'contain', title: 'Contain', approvals: 1,
      action: d.containment ? contain(d.containment) : undefined,
      unavailableReason: 'containment actions are not configured',
    },
    {
      seq: 3, name: 'investigate', title: 'Investigate (CloudTrail)', approvals: 0,
      action: d.investigation ? investigate(d.investigation, Boolean(d.containment)) : undefined,
      unavailableReason: 'CloudTrail lookups are not configured; run /trail by hand',
    },
    {
      // Two people delete the key; closing before it is done needs a second person too.
      seq: 4, name: 'eradicate', title: 'Eradicate', approvals: 2, atClose: 'must_finish',
      action: d.containment ? eradicate(d.containment) : undefined,
      unavailableReason: 'eradication actions are not configured',
    },
    {
      seq: 5, name: 'recover', title: 'Recover (tell the owner)', approvals: 0,
      action: d.ownerContact ? recover(d.ownerContact) : undefined,
      unavailableReason: 'owner notification is not configured',
    },
    { seq: 6, name: 'close', title: 'Close', approvals: 0, manual: true },
    {
      // Undo re-activates the leaked key: two people, neither of them who asked, and only
      // until Eradicate starts.
      seq: 7, name: 'undo', title: 'Undo containment (false positive)', approvals: 2, optional: true, withdrawnOnceStarted: 'eradicate', atClose: 'undoes_containment',
      offer: { label: 'Undo containment (false positive)', after: 'contain' },
      endsPlaybook: 'containment was undone (false positive); close the incident',
      action: d.containment ? undo(d.containment) : undefined,
    },
  ];
  const investigateStep = steps.find((s) => s.name === 'investigate');
  if (investigateStep?.action && d.roleSessions) investigateStep.action = withRoleSessionsStep(investigateStep.action);
  const roleSessions: StepDefinition | undefined = d.roleSessions
    ? { seq: 10, name: ROLE_SESSIONS_STEP, title: 'Revoke role sessions', approvals: 1, optional: true, atClose: 'must_finish', offer: { label: 'Revoke role sessions', after: 'investigate' }, action: revokeRoleSessions(d.roleSessions) }
    : undefined;
  const remove: StepDefinition | undefined = d.containment
    ? { seq: 10, name: 'remove', title: 'Remove', approvals: 2, optional: true, atClose: 'must_finish', offer: { label: 'Remove', after: 'investigate' }, action: removeItem(d.containment) }
    : undefined;
  const reapplyStep: StepDefinition | undefined = d.containment
    ? { seq: 20, name: 'reapply', title: REAPPLY_TITLE, approvals: 1, optional: true, atClose: 'must_finish', offer: { label: REAPPLY_TITLE, after: 'contain' }, action: reapply(d.containment, d.roleSessions) }
    : undefined;
  return {
    name: 'compromised-key',
    steps,
    // remove-1, remove-2…: one per persistence item the investigation found, two approvals each;
    // reapply-1, reapply-2…: one per drift the watch found.
    generated: (name) =>
      name === ROLE_SESSIONS_STEP ? roleSessions
      : remove && /^remove-\d+$/.test(name) ? { ...remove, name }
      : reapplyStep && /^reapply-\d+$/.test(name) ? { ...reapplyStep, name }
      : undefined,
  };
}
