/**
 * After Contain, keep looking: every few minutes for a while, re-query CloudTrail for the key
 * and every credential it minted (the investigation's credential graph, learnt as soon as
 * Investigate has stored it), each by its AccessKeyId, since containment, and post to the
 * incident thread when one is still used or new persistence appears. The schedule lives in the store, so a restart loses nothing; each
 * check is claimed with a conditional write, so two replicas never both run it.
 */
import type { Incident } from '../src/domain/incident';
import { assessWatch, followGraph, WatchState, type WatchedKey, type WatchedSummary } from '../src/domain/watch';
import { storedGraph } from '../src/domain/role-sessions';
import type { IncidentNotifier, IncidentStore, LogPort, TrailPort, WatchStore } from '../src/ports';
import { isoAfter } from '../src/domain/time';

export interface WatcherDeps {
  watches: WatchStore;
  store: IncidentStore;
  trail: TrailPort;
  notifier: Pick<IncidentNotifier, 'notify'>;
  logger: LogPort;
  now: () => Date;
  durationMinutes: number;
  intervalMinutes: number;
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
    // Follow every credential the leaked key minted, as the investigation's graph shows them.
    let cur = w;
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
}
