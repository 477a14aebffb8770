import type { PlannedCall } from '../domain/aws-plan';
import type { RoleSessionsParams } from '../domain/role-sessions';
import type { ActOptions, ContainmentOutcome } from './containment';
import type { TagEvidence } from '../domain/protection';

/** Revoking the sessions of every role the leaked key reached (implemented in src/aws/containment/role-sessions.ts). */
export interface RoleSessionsPort {
  /** The exact plan: one PutRolePolicy per role, in its account; what the bot will not send is marked `notSent`. */
  planRevoke(incidentId: string, p: RoleSessionsParams, now: Date, evidence?: TagEvidence): Promise<PlannedCall[]>;
  /** Runs that plan (cut-off `o.now`), then reads every role back. Idempotent. */
  revoke(incidentId: string, p: RoleSessionsParams, o: ActOptions, evidence?: TagEvidence): Promise<ContainmentOutcome>;
}
