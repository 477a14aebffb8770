/**
 * The incident record and watch schedules held in process memory: the same contract as the
 * DynamoDB store (test/support/store-contract.ts runs against both), for unit tests of the
 * workflows and commands without any server.
 *
 * Every conditional write of DynamoIncidentStore is mirrored here, each with the same
 * condition. A condition is checked and the item written in one synchronous stretch (no
 * await in between), which is what DynamoDB's single-item conditional writes guarantee.
 * Items are copied in and out, so a caller mutating what it read cannot change the record.
 */
import type { Incident, IncidentEvent, StepRecord, StepState } from '../domain/incident';
import type { WatchState } from '../domain/watch';
import { IncidentBundle, IncidentStore, OpenResult, ORPHANED_LOCK_MS } from './incident-store';
import { keys } from './table-schema';
import type { WatchStore } from './watch-store';

interface KeyLock {
  incidentId: string;
  open: boolean;
  at: string;
}

/** A write lost its condition where DynamoDB would throw ConditionalCheckFailedException. */
export class ConditionFailedError extends Error {
  override readonly name = 'ConditionalCheckFailedException';
  constructor(what: string) {
    super(`The conditional request failed: ${what}`);
  }
}

/** A copy without `undefined` members, as the DynamoDB store writes (removeUndefinedValues). */
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const stepKey = (s: Pick<StepRecord, 'incidentId' | 'seq' | 'name'>) => keys.step(s.incidentId, s.seq, s.name).sk;

interface IncidentItems {
  meta?: Incident;
  /** By sort key (`STEP#nn#name`), so they come back in the order DynamoDB returns them. */
  steps: Map<string, StepRecord>;
  events: { at: string; seq: number; event: IncidentEvent }[];
}

export class InMemoryIncidentStore implements IncidentStore {
  private readonly incidents = new Map<string, IncidentItems>();
  private readonly locks = new Map<string, KeyLock>();
  /** Request id → expiry (epoch seconds). Expiry is informational, as DynamoDB TTL is. */
  private readonly requests = new Map<string, number>();
  private eventSeq = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  private items(incidentId: string): IncidentItems {
    let it = this.incidents.get(incidentId);
    if (!it) {
      it = { steps: new Map(), events: [] };
      this.incidents.set(incidentId, it);
    }
    return it;
  }

  async openIncident(incident: Incident, steps: StepRecord[]): Promise<OpenResult> {
    const existing = this.locks.get(incident.keyId);
    const lock: KeyLock = { incidentId: incident.id, open: true, at: incident.createdAt };
    // attribute_not_exists(pk) OR open = false: one open incident per key.
    if (!existing || existing.open === false) {
      this.locks.set(incident.keyId, lock);
    } else {
      const holder = this.incidents.get(existing.incidentId)?.meta;
      if (holder?.status === 'open') return { created: false, existingIncidentId: holder.id };
      // Taken over only when its incident is closed, or never appeared and the lock is older
      // than the crash window; a fresh lock without its incident is someone opening it now.
      const lockAgeMs = this.now().getTime() - Date.parse(existing.at);
      const orphaned = !holder && !(lockAgeMs < ORPHANED_LOCK_MS);
      if (!orphaned && !holder) return { created: false, existingIncidentId: existing.incidentId };
      // incidentId = :old (nothing can have changed it: no await since the read).
      this.locks.set(incident.keyId, lock);
    }
    // Steps first, the incident item last; both attribute_not_exists.
    const items = this.items(incident.id);
    for (const s of steps) {
      const k = stepKey(s);
      if (items.steps.has(k)) throw new ConditionFailedError(`step ${k} of ${s.incidentId} exists`);
      items.steps.set(k, copy(s));
    }
    if (items.meta) throw new ConditionFailedError(`incident ${incident.id} exists`);
    items.meta = copy(incident);
    return { created: true, incident };
  }

  async get(incidentId: string): Promise<IncidentBundle | undefined> {
    const it = this.incidents.get(incidentId);
    if (!it?.meta) return undefined;
    const steps = [...it.steps.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => copy(s));
    const events = [...it.events].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq)).map((e) => copy(e.event));
    return { incident: copy(it.meta), steps, events };
  }

  async getIncident(incidentId: string): Promise<Incident | undefined> {
    const meta = this.incidents.get(incidentId)?.meta;
    return meta ? copy(meta) : undefined;
  }

  async getStep(incidentId: string, seq: number, name: string): Promise<StepRecord | undefined> {
    const s = this.incidents.get(incidentId)?.steps.get(stepKey({ incidentId, seq, name }));
    return s ? copy(s) : undefined;
  }

  async updateStep(step: StepRecord, expect: { from: readonly StepState[]; version: number }): Promise<StepRecord | undefined> {
    const next: StepRecord = { ...step, version: expect.version + 1, updatedAt: this.now().toISOString() };
    const k = stepKey(step);
    const stored = this.incidents.get(step.incidentId)?.steps.get(k);
    // version = :v AND state IN (:from…): the writer that still sees what it read wins.
    if (!stored || stored.version !== expect.version || !expect.from.includes(stored.state)) return undefined;
    this.items(step.incidentId).steps.set(k, copy(next));
    return copy(next);
  }

  async updateIncident(incident: Incident, expectVersion: number): Promise<Incident | undefined> {
    const next: Incident = { ...incident, version: expectVersion + 1 };
    const it = this.incidents.get(incident.id);
    // version = :v
    if (!it?.meta || it.meta.version !== expectVersion) return undefined;
    it.meta = copy(next);
    return copy(next);
  }

  async appendEvent(event: IncidentEvent): Promise<void> {
    // Append-only: every event gets its own slot, even in the same millisecond.
    this.items(event.incidentId).events.push({ at: event.at, seq: this.eventSeq++, event: copy(event) });
  }

  async claimRequest(requestId: string, ttlSeconds = 24 * 3600): Promise<boolean> {
    // attribute_not_exists(pk): the first claim wins, every retry and replay loses.
    if (this.requests.has(requestId)) return false;
    this.requests.set(requestId, Math.floor(this.now().getTime() / 1000) + ttlSeconds);
    return true;
  }

  async releaseRequest(requestId: string): Promise<void> {
    this.requests.delete(requestId);
  }

  async listOpenIncidents(): Promise<Incident[]> {
    return [...this.incidents.values()]
      .map((it) => it.meta)
      .filter((m): m is Incident => m?.status === 'open')
      .sort((a, b) => {
        const ka = `${a.createdAt}#${a.id}`;
        const kb = `${b.createdAt}#${b.id}`;
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      })
      .map(copy);
  }

  async addSteps(steps: StepRecord[]): Promise<void> {
    for (const s of steps) {
      const items = this.items(s.incidentId);
      // attribute_not_exists(pk): a step that already exists is left as it is.
      if (!items.steps.has(stepKey(s))) items.steps.set(stepKey(s), copy(s));
    }
  }

  async releaseKeyLock(keyId: string, incidentId: string): Promise<void> {
    const lock = this.locks.get(keyId);
    // incidentId = :id: only the incident holding the lock may release it.
    if (lock && lock.incidentId === incidentId) lock.open = false;
  }

  /** Tests: leave a key lock as an opener that died between its two writes would. */
  plantKeyLock(keyId: string, incidentId: string, at: string): void {
    this.locks.set(keyId, { incidentId, open: true, at });
  }
}

export class InMemoryWatchStore implements WatchStore {
  private readonly watches = new Map<string, WatchState>();

  async start(w: WatchState): Promise<boolean> {
    // attribute_not_exists(pk): an existing watch for the incident is left as it is.
    if (this.watches.has(w.incidentId)) return false;
    this.watches.set(w.incidentId, copy(w));
    return true;
  }

  async due(nowIso: string): Promise<WatchState[]> {
    // Only a live watch is in the index, ordered by its next check.
    return [...this.watches.values()]
      .filter((w) => !w.done && w.nextAt <= nowIso)
      .sort((a, b) => (a.nextAt < b.nextAt ? -1 : a.nextAt > b.nextAt ? 1 : 0))
      .map(copy);
  }

  async save(w: WatchState, expectVersion: number): Promise<WatchState | undefined> {
    const stored = this.watches.get(w.incidentId);
    // version = :v (DynamoDB's condition fails on a missing item too).
    if (!stored || stored.version !== expectVersion) return undefined;
    const next = { ...w, version: expectVersion + 1 };
    this.watches.set(w.incidentId, copy(next));
    return copy(next);
  }
}
