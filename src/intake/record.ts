/**
 * The intake record: what every automatic source says about a leaked key, in one shape.
 * Adapters (aws-health.ts, guardduty.ts, github-secret-scanning.ts) build it from their
 * source's event; the intake service opens or joins the key's incident with it. Pure.
 */
import type { KeyKind } from '../domain/key-id';
import type { Severity } from '../domain/incident';

export type IntakeSourceKind = 'aws-health' | 'guardduty' | 'github';

export interface IntakeRecord {
  keyId: string;
  keyKind: KeyKind;
  /** The AWS account the key belongs to, when the source says (Health, GuardDuty). */
  account?: string;
  source: IntakeSourceKind;
  /** ISO time the source detected the leak: the start of time-to-contain. */
  detectedAt: string;
  severity: Severity;
  /** Where a person reads the alert (console or GitHub page). */
  link?: string;
  /** One line for people: what the source said. */
  title: string;
  /** The source's own identifier of this alert (Health event ARN, finding id, alert URL). */
  sourceId: string;
  /** Small, secret-free facts from the source, kept in the record. */
  evidence: Record<string, unknown>;
  /** A principal the source names (GuardDuty: the role a temporary key belongs to). */
  principal?: { type: 'user' | 'role'; name: string; arn?: string };
  /**
   * Why this report may not contain by policy (IR_AUTO_CONTAIN) even from a listed source:
   * it cannot be told from a replay (a GitHub delivery without X-GitHub-Delivery). Contain
   * then waits for a person, as for any unlisted source.
   */
  noAutoContain?: string;
}

/** What an adapter makes of one event: records (one per key it names), or why it cannot. */
export type IntakeParse =
  | { ok: true; records: IntakeRecord[] }
  | { ok: false; reason: string; unrecognised?: boolean };

/** The requester an intake source opens an incident as (no person: every approver may approve). */
export function intakeRequester(source: IntakeSourceKind): string {
  return `intake:${source}`;
}

/** Human names of the sources, for cards and messages. */
export const SOURCE_LABEL: Record<IntakeSourceKind, string> = {
  'aws-health': 'AWS Health',
  guardduty: 'Amazon GuardDuty',
  github: 'GitHub secret scanning',
};

export function isoOrUndefined(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
