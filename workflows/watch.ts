/**
 * After Contain, keep looking: every few minutes for a while, re-query CloudTrail for the key
 * and every credential it minted (the investigation's credential graph, learnt as soon as
 * Investigate has stored it), each by its AccessKeyId, since containment, and post to the
 * incident thread when one is still used or new persistence appears. The schedule lives in the store, so a restart loses nothing; each
 * check is claimed with a conditional write, so two replicas never both run it.
 */
import type { Incident, StepRecord } from '../src/domain/incident';
import { assessWatch, followGraph, WatchState, type WatchedKey, type WatchedSummary } from '../src/domain/watch';
import { storedGraph } from '../src/domain/role-sessions';
import type { IncidentNotifier, IncidentStore, LogPort, TrailPort, WatchStore } from '../src/ports';
import type { IncidentBundle } from '../src/ports/incident-store';
import { isoAfter } from '../src/domain/time';
import { changeEventNames, changesFor, driftOf, driftSignature, expectationsOf, type DriftChange, type Expectation, type Observation } from '../src/domain/drift';
import type { IncidentNotice } from '../src/domain/incident-notice';

/**
 * The drift check the watch runs at every interval: what containment set, read back; what
 * differs is reported with who changed it, and a Re-apply step asks for one approval (or runs
 * at once by policy). Wired in src/app.ts (the containment port, CloudTrail, the engine).
 */
export interface DriftCheck {
  /** What IAM shows now for each expectation, in order (ContainmentPort.observe). */
  observe(incident: Incident, expectations: Expectation[]): Promise<Observation[]>;
  /** IAM events that may have changed it (TrailPort.iamEvents); absent: who changed it is not looked up. */
  iamEvents?: NonNullable<TrailPort['iamEvents']>;
  /** Add the next Re-apply step and ask for approval (approved by `policy` when given, not yet run). */
  reapply(incidentId: string, params: unknown, policy?: string): Promise<{ step?: string; existing?: string; planFailed?: string; approvedByPolicy?: boolean }>;
  /** Run what was approved (after the drift has been said in the thread). */
  advance(incidentId: string): Promise<void>;
  /** The policy that re-applies at once for this incident (IR_AUTO_CONTAIN names its intake source), if any. */
  autoPolicy(incident: Incident): string | undefined;
}

export interface WatcherDeps {
  watches: WatchStore;
  store: IncidentStore;
  trail: TrailPort;
  notifier: Pick<IncidentNotifier, 'notify'>;
  logger: LogPort;
  now: () => Date;
  durationMinutes: number;
  intervalMinutes: number;
  /** Containment that holds: checked at every interval while the watch runs. */
  drift?: DriftCheck;
}

export class Watcher {
  constructor(private readonly d: WatcherDeps) {}

  private at(minutesFromNow: number, from = this.d.now()): string {
    return isoAfter(from, { minutes: minutesFromNow });
  }

  async schedule(incident: Incident, since: string): Promise<void> {
    const started = await this.d.watches.start({
      incidentId: incident.id,
      keyId: incident.keyId,
      userName: incident.principal?.type === 'user' ? incident.principal.name : undefined,
      since,
      until: this.at(this.d.durationMinutes, new Date(since)),
      nextAt: this.at(this.d.intervalMinutes),
      reportedEvents: 0,
      reportedCreated: [],
      checks: 0,
      version: 1,
    });
    if (!started) return;
    await this.d.store.appendEvent({ incidentId: incident.id, at: this.d.now().toISOString(), type: 'watch_started', detail: { since, minutes: this.d.durationMinutes, every: this.d.intervalMinutes } });
    await this.d.notifier.notify(incident, { kind: 'watch_started', keyId: incident.keyId, minutes: this.d.durationMinutes, every: this.d.intervalMinutes });
  }

  /** Run every check that is due. Returns how many this instance ran. */
  async tick(): Promise<number> {
    let ran = 0;
    const now = this.d.now();
    for (const w of await this.d.watches.due(now.toISOString())) {
      const last = now.toISOString() >= w.until;
      // Claim the check: the replica whose write wins runs it.
      const claimed = await this.d.watches.save({ ...w, nextAt: this.at(this.d.intervalMinutes, now), checks: w.checks + 1, done: last }, w.version);
      if (!claimed) continue;
      ran++;
      try {
        await this.check(claimed, now, last);
      } catch (e) {
        this.d.logger.error({ err: e, incident: w.incidentId }, 'watch check failed; it will run again');
        if (last) await this.d.watches.save({ ...claimed, done: false, nextAt: this.at(this.d.intervalMinutes, now) }, claimed.version);
      }
    }
    return ran;
  }

  private async check(w: WatchState, now: Date, last: boolean): Promise<void> {
    const bundle = await this.d.store.get(w.incidentId);
    if (!bundle) return;
    const incident = bundle.incident;
    // Closed by an approver other than the requester, or containment undone (a false positive:
    // the key is meant to be usable again). A close by one person alone (watchOutlivesClose)
    // does not end the watch: it runs its full time and keeps posting in the thread.
    const undone = bundle.steps.some((s) => s.name === 'undo' && s.state === 'succeeded');
    if ((incident.status === 'closed' && !incident.watchOutlivesClose) || undone) {
      await this.d.watches.save({ ...w, done: true }, w.version);
      await this.d.notifier.notify(incident, { kind: 'watch_stopped', reason: undone ? 'undone' : 'closed' });
      await this.d.store.appendEvent({ incidentId: w.incidentId, at: now.toISOString(), type: 'watch_ended', detail: { reason: undone ? 'undone' : 'closed' } });
      return;
    }
    // Containment that holds: what Contain set, read back at every interval (isolated: a
    // failure here never stops the CloudTrail check, and the next interval tries again).
    let cur = w;
    try {
      cur = await this.checkDrift(bundle, cur, now);
    } catch (e) {
      this.d.logger.error({ err: e, incident: w.incidentId }, 'drift check failed; the next check tries again');
    }
    // Follow every credential the leaked key minted, as the investigation's graph shows them.
    const investigate = bundle.steps.find((s) => s.name === 'investigate' && s.state === 'succeeded');
    const follow = followGraph(cur, storedGraph(investigate?.result));
    if (follow.derived.length !== (cur.derived ?? []).length || follow.notFollowed !== (cur.notFollowed ?? 0)) {
      cur = (await this.d.watches.save({ ...cur, derived: follow.derived, notFollowed: follow.notFollowed }, cur.version)) ?? cur;
      await this.d.store.appendEvent({ incidentId: w.incidentId, at: now.toISOString(), type: 'watch_following', detail: { derived: follow.derived.map((k) => k.keyId), notFollowed: follow.notFollowed } });
    }
    const keys: WatchedKey[] = [{ keyId: cur.keyId, kind: 'leaked-key', ...(cur.userName ? { of: cur.userName } : {}) }, ...(cur.derived ?? [])];
    const counts: Array<WatchedKey & { events: number }> = [];
    const unsearched: string[] = [];
    let reportedEvents = cur.reportedEvents;
    const reportedByKey = { ...(cur.reportedByKey ?? {}) };
    let reportedCreated = cur.reportedCreated;
    let alerted = false;
    for (const k of keys) {
      const root = k.keyId === cur.keyId;
      let summary;
      try {
        // By AccessKeyId only: what the owner's other keys or console do is not the attacker's.
        const r = await this.d.trail.pull({
          subject: { kind: 'key', accessKeyId: k.keyId, temporary: k.keyId.startsWith('ASIA') },
          account: k.account ?? incident.account,
          start: new Date(cur.since),
          end: now,
        });
        summary = r.summary;
      } catch (e) {
        if (root) throw e;
        this.d.logger.warn({ err: e, incident: w.incidentId, keyId: k.keyId }, 'watch lookup of a derived key failed');
        unsearched.push(k.keyId);
        continue;
      }
      counts.push({ ...k, events: summary.eventCount });
      const finding = assessWatch({ reportedEvents: root ? reportedEvents : reportedByKey[k.keyId] ?? 0, reportedCreated }, summary);
      if (finding.newEvents > 0 || finding.created.length > 0) {
        await this.d.notifier.notify(incident, { kind: 'watch_alert', keyId: k.keyId, finding });
        await this.d.store.appendEvent({ incidentId: w.incidentId, at: now.toISOString(), type: 'watch_alert', detail: { keyId: k.keyId, ...finding } });
        if (root) reportedEvents = summary.eventCount;
        else reportedByKey[k.keyId] = summary.eventCount;
        reportedCreated = [...reportedCreated, ...finding.created];
        alerted = true;
      }
    }
    if (alerted) cur = (await this.d.watches.save({ ...cur, reportedEvents, reportedByKey, reportedCreated }, cur.version)) ?? cur;
    if (last) {
      const total = counts.reduce((n, k) => n + k.events, 0);
      const watched: WatchedSummary = {
        keyId: cur.keyId,
        minutes: Math.round((Date.parse(cur.until) - Date.parse(cur.since)) / 60_000),
        checks: cur.checks,
        keys: counts,
        notFollowed: cur.notFollowed ?? 0,
        unsearched,
        total,
      };
      await this.d.notifier.notify(incident, { kind: 'watch_ended', keyId: w.keyId, total, watched });
      await this.d.store.appendEvent({ incidentId: w.incidentId, at: now.toISOString(), type: 'watch_ended', detail: { eventsSinceContainment: total, watched: { ...watched } } });
    }
  }

  /**
   * Read back what containment set; report what no longer holds (once per distinct drift),
   * with who changed it from CloudTrail, and ask for a Re-apply (one approval; at once by
   * policy with IR_AUTO_CONTAIN for the incident's source). Undo (a false positive) is not
   * drift: an Undo approved, running or done stops the check.
   */
  private async checkDrift(bundle: IncidentBundle, w: WatchState, now: Date): Promise<WatchState> {
    const d = this.d.drift;
    if (!d) return w;
    const { incident, steps } = bundle;
    if (steps.some((s) => s.name === 'undo' && ['approved', 'running', 'succeeded'].includes(s.state))) return w;
    const expectations = expectationsOf(steps);
    if (expectations.length === 0) return w;
    const drifts = driftOf(expectations, await d.observe(incident, expectations));
    if (drifts.length === 0) return w.driftReported ? (await this.d.watches.save({ ...w, driftReported: undefined }, w.version)) ?? w : w;
    const signature = driftSignature(drifts);
    if (signature === w.driftReported) return w;
    const changes = await this.whoChanged(incident, drifts, new Date(w.since), now);
    const policy = d.autoPolicy(incident);
    const asked = await d.reapply(incident.id, { drifts, changes }, policy);
    const fresh = asked.step ?? asked.existing;
    const step: StepRecord | undefined = fresh ? (await this.d.store.get(incident.id))?.steps.find((s) => s.name === fresh) : undefined;
    const next: Extract<IncidentNotice, { kind: 'containment_drift' }>['next'] =
      asked.existing ? { kind: 'in_progress', title: step?.title ?? asked.existing }
      : asked.planFailed !== undefined ? { kind: 'plan_failed', reason: asked.planFailed }
      : policy && asked.approvedByPolicy ? { kind: 'auto', policy }
      : { kind: 'approve', title: step?.title ?? 'Re-apply containment', approvals: step?.approvalsRequired ?? 1 };
    await this.d.store.appendEvent({ incidentId: incident.id, at: now.toISOString(), type: 'containment_drift', detail: { drifts, changes, reapply: asked } });
    await this.d.notifier.notify(incident, { kind: 'containment_drift', drifts, changes, next });
    const saved = (await this.d.watches.save({ ...w, driftReported: signature }, w.version)) ?? w;
    if (asked.approvedByPolicy) await d.advance(incident.id);
    return saved;
  }

  /** Who changed what drifted, from CloudTrail (in each account concerned); nothing when it cannot be read. */
  private async whoChanged(incident: Incident, drifts: Parameters<typeof changesFor>[0], since: Date, now: Date): Promise<DriftChange[]> {
    const lookup = this.d.drift?.iamEvents;
    if (!lookup) return [];
    const accounts = [...new Set(drifts.map((x) => x.expectation.account ?? incident.account))];
    const changes: DriftChange[] = [];
    for (const account of accounts) {
      const mine = drifts.filter((x) => (x.expectation.account ?? incident.account) === account);
      try {
        const events = await lookup({ account, start: since, end: now, eventNames: changeEventNames(mine) });
        changes.push(...changesFor(mine, events));
      } catch (e) {
        this.d.logger.warn({ err: e, incident: incident.id, account }, 'could not read who changed the containment');
      }
    }
    return changes;
  }
}
