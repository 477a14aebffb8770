/**
 * After Contain, keep looking: every few minutes for a while, re-query CloudTrail for the key
 * (and its user) since containment and post to the incident thread when it is still used or
 * new persistence appears. The schedule lives in the store, so a restart loses nothing; each
 * check is claimed with a conditional write, so two replicas never both run it.
 */
import type { Incident } from '../src/domain/incident';
import { assessWatch, WatchState } from '../src/domain/watch';
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
    // Closed, or containment undone (a false positive): the key is meant to be usable again.
    const undone = bundle.steps.some((s) => s.name === 'undo' && s.state === 'succeeded');
    if (incident.status === 'closed' || undone) {
      await this.d.watches.save({ ...w, done: true }, w.version);
      await this.d.notifier.notify(incident, { kind: 'watch_stopped', reason: undone ? 'undone' : 'closed' });
      await this.d.store.appendEvent({ incidentId: w.incidentId, at: now.toISOString(), type: 'watch_ended', detail: { reason: undone ? 'undone' : 'closed' } });
      return;
    }
    const r = await this.d.trail.pull({
      subject: { kind: 'key', accessKeyId: w.keyId, temporary: w.keyId.startsWith('ASIA') },
      alsoUserName: w.userName,
      account: incident.account,
      start: new Date(w.since),
      end: now,
    });
    const finding = assessWatch(w, r.summary);
    if (finding.newEvents > 0 || finding.created.length > 0) {
      await this.d.notifier.notify(incident, { kind: 'watch_alert', keyId: w.keyId, finding });
      await this.d.store.appendEvent({ incidentId: w.incidentId, at: now.toISOString(), type: 'watch_alert', detail: { ...finding } });
      await this.d.watches.save({ ...w, reportedEvents: r.summary.eventCount, reportedCreated: [...w.reportedCreated, ...finding.created] }, w.version);
    }
    if (last) {
      const total = r.summary.eventCount;
      await this.d.notifier.notify(incident, { kind: 'watch_ended', keyId: w.keyId, total });
      await this.d.store.appendEvent({ incidentId: w.incidentId, at: now.toISOString(), type: 'watch_ended', detail: { eventsSinceContainment: total } });
    }
  }
}
