/**
 * A playbook is data: ordered steps, how many approvals each needs, and the action that
 * runs it. The engine moves an incident through it.
 */
import type { Incident, StepRecord } from '../src/domain/incident';
import type { CloseGate } from '../src/domain/approval-rules';
import type { ContainSnapshot, PlannedCall } from '../src/domain/aws-plan';
import type { StepOutcome } from '../src/domain/step-outcome';

export interface StepRunContext {
  incident: Incident;
  step: StepRecord;
  /** Everyone who approved this step, in order. */
  approvers: string[];
  dryRun: boolean;
  now: Date;
  /** Every step of the incident as stored when this one started (e.g. Undo reads Contain's result). */
  steps: StepRecord[];
  /** Aborted when this runner loses its lease: another runner has the step now. */
  signal?: AbortSignal;
  /**
   * Renews the lease with a conditional write and throws (STALE) when this runner no longer
   * holds the step: called before every mutating AWS call.
   */
  fence?: () => Promise<void>;
}

/** A step's outcome (the domain's StepOutcome) and what it changes elsewhere. */
export interface StepResult extends StepOutcome<unknown> {
  /** Changes to the incident this step learned (e.g. the principal). */
  incidentPatch?: Partial<Incident>;
  /** Steps this one found to be needed (e.g. one per persistence item to remove). */
  addSteps?: Array<{ name: string; title: string; params: unknown; offerAfter: string }>;
}

export interface StepAction {
  /** The exact calls this step will make, shown on the card before approval. */
  plan(ctx: Omit<StepRunContext, 'approvers'>): Promise<PlannedCall[]> | PlannedCall[];
  /** Must be idempotent: after a crash it may run again. */
  run(ctx: StepRunContext): Promise<StepResult>;
  /**
   * Read-only: what the step is about to change, stored on the step (`before`) before the
   * first AWS call. A re-run after a crash keeps the first snapshot.
   */
  snapshot?(ctx: StepRunContext): Promise<ContainSnapshot | undefined>;
}

export interface StepDefinition {
  seq: number;
  name: string;
  title: string;
  /** 0: runs by itself when reached. */
  approvals: number;
  /** Undefined: the capability is not built; the step is skipped with that reason recorded. */
  action?: StepAction;
  unavailableReason?: string;
  /** Steps a person ends explicitly (close). */
  manual?: boolean;
  /** Steps only a person starts (undo): never reached by advancing. */
  optional?: boolean;
  /** When this step succeeds, the steps not yet run are skipped with this reason (Undo). */
  endsPlaybook?: string;
  /** Once the named step has started, this one is withdrawn (skipped) and no longer offered (Undo: eradicate). */
  withdrawnOnceStarted?: string;
  /** For optional steps: the label of the button that asks for them, and when it shows. */
  offer?: { label: string; after: string };
  /**
   * What this step means at close (approval-rules.ts checkClose): `must_finish` (Eradicate, a
   * removal) not done, or `undoes_containment` (Undo) done, and only a second person closes.
   */
  atClose?: CloseGate;
}

export interface Playbook {
  name: string;
  steps: StepDefinition[];
  /** Definitions of generated steps, by name (e.g. `remove-3`). */
  generated?(name: string): StepDefinition | undefined;
}
