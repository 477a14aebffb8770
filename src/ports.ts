/**
 * The interfaces commands and workflows use. Adapters in src/aws, src/store and src/slack
 * implement them; only the composition root (src/app.ts) wires concrete ones.
 */
import type { KeyFacts } from './domain/key-facts';
import type { KeyKind } from './domain/key-id';
import type { AccessPolicy } from './slack/directory';
import type { Logger } from './logger';
import type { TrailSummary } from './domain/trail-summary';

export interface KeyOwnerPort {
  lookup(keyId: string, kind: KeyKind): Promise<KeyFacts>;
}

export interface CommandDeps {
  keyOwner: KeyOwnerPort;
  trail?: TrailPort;
  access: AccessPolicy;
  logger: Logger;
  now: () => Date;
}

/** What the containment and eradication steps do in AWS (implemented in src/aws). */
export interface ContainmentTarget {
  incidentId: string;
  keyId: string;
  keyKind: KeyKind;
  account?: string;
  userName?: string;
  roleName?: string;
  /** A temporary key's chain starts at this long-term key: contained as well. */
  rootKey?: { accessKeyId: string; userName?: string };
}

export interface ContainmentOutcome {
  ok: boolean;
  summary: string;
  detail: unknown;
  retryable?: boolean;
  error?: { code: string; message: string };
}

export interface ContainmentPort {
  planContain(t: ContainmentTarget, now: Date): Promise<unknown[]>;
  contain(t: ContainmentTarget, o: ActOptions): Promise<ContainmentOutcome>;
  /** Read-only: the state containment will change, recorded before any AWS call so that
   *  Undo knows what the bot changed even if the process dies mid-step. */
  snapshot(t: ContainmentTarget): Promise<unknown>;
  planEradicate(t: ContainmentTarget, now: Date): Promise<unknown[]>;
  eradicate(t: ContainmentTarget, o: ActOptions): Promise<ContainmentOutcome>;
  /** Remove something the attacker created (a user, role, key, console password). */
  planRemovePersistence(t: ContainmentTarget, item: unknown): Promise<unknown[]>;
  removePersistence(t: ContainmentTarget, item: unknown, o: ActOptions): Promise<ContainmentOutcome>;
  /** Undo (false positive): reverse exactly what containment changed, from its record. */
  planUndo(t: ContainmentTarget, record: ContainRecord): Promise<unknown[]>;
  undo(t: ContainmentTarget, record: ContainRecord, o: ActOptions): Promise<ContainmentOutcome>;
}

/** How a containment action runs: who approved it, dry run, its clock and its lease. */
export interface ActOptions {
  approvers: string[];
  dryRun: boolean;
  now: Date;
  signal?: AbortSignal;
}

/** What the Contain step recorded: the state before it acted, and what it reported adding. */
export interface ContainRecord {
  before?: unknown;
  added: unknown[];
}

/** The Investigate step: pull CloudTrail for the key and its user, post the summary and the
 *  export in the incident thread. */
export interface InvestigationPort {
  investigate(o: {
    incidentId: string;
    keyId: string;
    userName?: string;
    /** The key's account: another account is searched through IR_TARGET_ROLE_NAME. */
    account?: string;
    channel: string;
    threadTs?: string;
    start: Date;
    end: Date;
    signal?: AbortSignal;
  }): Promise<{ summary: TrailSummary; regionsQueried: number; regionsFailed: string[] }>;
}

/** Telling the key's owner what happened (Slack DM). */
export interface OwnerContactPort {
  notifyOwner(o: { incidentId: string; keyId: string; tags: Record<string, string>; text: string }): Promise<{ reached?: string; summary: string }>;
}

/** CloudTrail pulls (implemented by src/aws/trail-service.ts). */
export type TrailPort = Pick<import('./aws/trail-service').TrailService, 'pull' | 'trace' | 'regions'>;
