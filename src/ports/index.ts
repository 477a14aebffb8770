/**
 * The boundaries of keyguard: every interface commands and workflows use, one file per port,
 * typed with domain types only. Adapters in src/aws, src/store and src/slack implement them;
 * only the composition root (src/wiring/) wires concrete ones.
 */
import type { AccessPolicy } from './access-policy';
import type { KeyOwnerPort } from './key-owner';
import type { LogPort } from './log';
import type { TrailPort } from './trail';

export type { AccessPolicy } from './access-policy';
export type { ActOptions, ContainmentOutcome, ContainmentPort, ContainmentTarget, ContainRecord } from './containment';
export type { IncidentBundle, IncidentStore, OpenResult } from './incident-store';
export type { IncidentLinks, IncidentNotifier } from './incident-notifier';
export type { InvestigationPort, InvestigationRequest, InvestigationResult } from './investigation';
export type { KeyOwnerPort } from './key-owner';
export type { LogFn, LogPort } from './log';
export type { OwnerContactPort, OwnerNotice } from './owner-contact';
export type { RoleSessionsPort } from './role-sessions';
export type { TrailPort, TrailPullRequest, TrailPullResult } from './trail';
export type { WatchStore } from './watch-store';

/** What the read-only slash commands receive. */
export interface CommandDeps {
  keyOwner: KeyOwnerPort;
  trail?: TrailPort;
  access: AccessPolicy;
  logger: LogPort;
  now: () => Date;
  /** Where read-only command output goes (IR_CHANNEL_ID); absent: a DM to the person who asked. */
  outputChannel?: string;
}
