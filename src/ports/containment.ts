import type { AddedArtifact, ContainmentDetail, ContainSnapshot, PersistenceItem, PlannedCall } from '../domain/aws-plan';
import type { KeyKind } from '../domain/key-id';
import type { StepOutcome } from '../domain/step-outcome';
import type { TagEvidence } from '../domain/protection';
import type { Expectation, Observation } from '../domain/drift';

/** What the containment and eradication steps act on. */
export interface ContainmentTarget {
  incidentId: string;
  keyId: string;
  keyKind: KeyKind;
  account?: string;
  /**
   * 'aws', 'aws-cn', 'aws-us-gov'. Every ARN of a plan and of its execution is built from it.
   * Absent: the adapter fills in the partition it acts in before planning anything.
   */
  partition?: string;
  userName?: string;
  roleName?: string;
  /** A temporary key's chain starts at this long-term key: contained as well. */
  rootKey?: { accessKeyId: string; userName?: string };
  /**
   * What the investigation found about the keyguard:protected tag (who in the credential graph
   * wrote it). Absent before Investigate has run: the tag then decides nothing.
   */
  tagEvidence?: TagEvidence;
}

/** What a containment action reports: a step outcome with the AWS calls as its detail. */
export type ContainmentOutcome = StepOutcome<ContainmentDetail>;

/** How a containment action runs: who approved it, dry run, its clock and its lease. */
export interface ActOptions {
  approvers: string[];
  dryRun: boolean;
  now: Date;
  signal?: AbortSignal;
  /**
   * The plan the approver saw (the step's stored plan). The step's write session is
   * narrowed to exactly these calls; absent: the adapter plans again with the same builder.
   */
  plan?: readonly PlannedCall[];
  /** Checks (and renews) the step's lease; throws when this runner lost it. Called before every mutating AWS call. */
  fence?: () => Promise<void>;
}

/** What the Contain step recorded: the state before it acted, and what it reported adding. */
export interface ContainRecord {
  before?: ContainSnapshot;
  added: AddedArtifact[];
}

/** What the containment and eradication steps do in AWS (implemented in src/aws). */
export interface ContainmentPort {
  planContain(t: ContainmentTarget, now: Date): Promise<PlannedCall[]>;
  contain(t: ContainmentTarget, o: ActOptions): Promise<ContainmentOutcome>;
  /** Read-only: the state containment will change, recorded before any AWS call so that
   *  Undo knows what the bot changed even if the process dies mid-step. */
  snapshot(t: ContainmentTarget): Promise<ContainSnapshot | undefined>;
  planEradicate(t: ContainmentTarget, now: Date): Promise<PlannedCall[]>;
  eradicate(t: ContainmentTarget, o: ActOptions): Promise<ContainmentOutcome>;
  /** Remove something the attacker created (a user, role, key, console password). */
  planRemovePersistence(t: ContainmentTarget, item: PersistenceItem): Promise<PlannedCall[]>;
  removePersistence(t: ContainmentTarget, item: PersistenceItem, o: ActOptions): Promise<ContainmentOutcome>;
  /** Undo (false positive): reverse exactly what containment changed, from its record. */
  planUndo(t: ContainmentTarget, record: ContainRecord): Promise<PlannedCall[]>;
  undo(t: ContainmentTarget, record: ContainRecord, o: ActOptions): Promise<ContainmentOutcome>;
  /** Read-only: what IAM shows now for each thing containment set (the watch's drift check), in order. */
  observe(t: ContainmentTarget, expectations: readonly Expectation[]): Promise<Observation[]>;
}
