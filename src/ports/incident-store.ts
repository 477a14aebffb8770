import type { Incident, IncidentEvent, StepRecord, StepState } from '../domain/incident';

export interface IncidentBundle {
  incident: Incident;
  steps: StepRecord[];
  events: IncidentEvent[];
}

export type OpenResult = { created: true; incident: Incident } | { created: false; existingIncidentId: string };

/**
 * The incident record (implemented on DynamoDB in src/store/incident-store.ts). Every write
 * that decides something is conditional: a lost condition is a plain `false`/`undefined`
 * ("someone else won"), never an exception.
 */
export interface IncidentStore {
  /** Open an incident unless the key already has an open one (then say which). */
  openIncident(incident: Incident, steps: StepRecord[]): Promise<OpenResult>;
  get(incidentId: string): Promise<IncidentBundle | undefined>;
  getIncident(incidentId: string): Promise<Incident | undefined>;
  getStep(incidentId: string, seq: number, name: string): Promise<StepRecord | undefined>;
  /** Conditional step write: only when the stored state is one of `from` and the version matches. */
  updateStep(step: StepRecord, expect: { from: readonly StepState[]; version: number }): Promise<StepRecord | undefined>;
  updateIncident(incident: Incident, expectVersion: number): Promise<Incident | undefined>;
  appendEvent(event: IncidentEvent): Promise<void>;
  /** True the first time a Slack request id is seen; false for retries and replays. */
  claimRequest(requestId: string, ttlSeconds?: number): Promise<boolean>;
  /**
   * Give a claim back when the work it guarded failed before anything was recorded, so the
   * sender's retry (a GitHub redelivery of a failed delivery) is not taken for a replay.
   */
  releaseRequest(requestId: string): Promise<void>;
  listOpenIncidents(): Promise<Incident[]>;
  /** Add steps to an incident; a step that already exists is left as it is. */
  addSteps(steps: StepRecord[]): Promise<void>;
  releaseKeyLock(keyId: string, incidentId: string): Promise<void>;
}
