/**
 * Executes a plan (PlannedCall[]) against IAM call by call and records what AWS said.
 * The command sent is built from the planned call's own parameters, so the record and the
 * Slack card cannot drift from what was actually sent.
 *
 * - dry run: mutating calls are recorded as 'dry-run' and never sent;
 * - a call whose effect is already in place (decided by the caller from a read) is 'already';
 * - NoSuchEntity on a removal means nothing is left to remove: 'already';
 * - throttling and 5xx have been retried by the SDK (standard mode) before they get here:
 *   the call is 'failed' with retryable: true, since every action is idempotent.
 */
import {
  IAMClient,
  AttachUserPolicyCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { Logger } from '../../logger';
import { awsErrorName, awsRequestId, fromAwsError, isKeyguardError, isNoSuchEntity, isRetryableAwsError } from '../../errors';
import type { CallRecord, PlannedCall } from '../../domain/aws-plan';

type IamCommand = Parameters<IAMClient['send']>[0];
/** Each command class is generic in its own input and output; only the constructor matters here. */
type IamCommandCtor = new (input: never) => object;

/** Every mutating IAM action a plan may contain. */
const IAM_COMMANDS: Record<string, IamCommandCtor> = {
  AttachUserPolicy: AttachUserPolicyCommand,
  DeactivateMFADevice: DeactivateMFADeviceCommand,
  DeleteAccessKey: DeleteAccessKeyCommand,
  DeleteLoginProfile: DeleteLoginProfileCommand,
  DeleteRole: DeleteRoleCommand,
  DeleteRolePolicy: DeleteRolePolicyCommand,
  DeleteSigningCertificate: DeleteSigningCertificateCommand,
  DeleteSSHPublicKey: DeleteSSHPublicKeyCommand,
  DeleteUser: DeleteUserCommand,
  DeleteUserPolicy: DeleteUserPolicyCommand,
  DetachRolePolicy: DetachRolePolicyCommand,
  DetachUserPolicy: DetachUserPolicyCommand,
  PutRolePolicy: PutRolePolicyCommand,
  PutUserPolicy: PutUserPolicyCommand,
  RemoveRoleFromInstanceProfile: RemoveRoleFromInstanceProfileCommand,
  RemoveUserFromGroup: RemoveUserFromGroupCommand,
  UpdateAccessKey: UpdateAccessKeyCommand,
};

/** NoSuchEntity on these means the thing is already gone (or unusable): idempotent success. */
function removalAlreadyDone(call: PlannedCall): boolean {
  if (call.action === 'UpdateAccessKey') return call.params.Status === 'Inactive';
  return /^(Delete|Detach|Remove|Deactivate)/.test(call.action);
}

/** Failures that may pass by themselves (classified where AWS errors are translated). */
export { isRetryableAwsError } from '../../errors';

export interface RunContext {
  /** null: no write session (nothing of this kind was approved): mutating calls fail unsent. */
  iam: IAMClient | null;
  dryRun: boolean;
  now: () => Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Aborted when the step's runner lost its lease: no further mutating call is sent. */
  signal?: AbortSignal;
  /** Checks the step's lease (a conditional renewal) before each mutating call; throws when lost. */
  fence?: () => Promise<void>;
}

/** A decision taken from a read before acting. */
export type Precheck = (call: PlannedCall, index: number) => { outcome: 'already'; note: string } | undefined;

export interface RunPolicy {
  precheck?: Precheck;
  /**
   * Stop at the first failure (the rest 'skipped') when later calls depend on earlier ones,
   * e.g. DeleteUser after its keys and policies. Containment calls are independent: each
   * one that succeeds still narrows what the attacker can do, so they all run.
   */
  stopOnFailure: boolean;
}

export async function runCalls(ctx: RunContext, calls: readonly PlannedCall[], policy: RunPolicy): Promise<CallRecord[]> {
  const records: CallRecord[] = [];
  let stopped: string | undefined;
  for (const [index, call] of calls.entries()) {
    const base = { action: call.action, params: call.params, at: ctx.now().toISOString() };
    let record: CallRecord;
    const pre = policy.precheck?.(call, index);
    // Shown on the plan, never sent (a guard rail, a protected principal's console access).
    if (call.notSent) record = { ...base, outcome: 'skipped', note: call.notSent };
    else if (stopped) record = { ...base, outcome: 'skipped', note: `not attempted: ${stopped} failed first` };
    else if (pre) record = { ...base, outcome: pre.outcome, note: pre.note };
    else if (ctx.signal?.aborted) {
      // Another runner owns the step now; it reads IAM and finishes the work itself.
      record = { ...base, outcome: 'skipped', note: 'not attempted: this runner lost the step to another' };
      stopped = 'the lease';
    }
    else if (ctx.dryRun) record = { ...base, outcome: 'dry-run', note: 'dry run: not sent' };
    else if (!(await holdsLease(ctx))) {
      record = { ...base, outcome: 'skipped', note: 'not attempted: this runner lost the step to another' };
      stopped = 'the lease';
    } else record = await send(ctx.iam, call, base);
    if (record.outcome === 'failed' && policy.stopOnFailure) stopped = call.action;
    records.push(record);
    const log = record.outcome === 'failed' ? ctx.logger?.warn.bind(ctx.logger) : ctx.logger?.info.bind(ctx.logger);
    log?.({ action: call.action, outcome: record.outcome, requestId: record.requestId, error: record.error?.name }, 'iam call');
  }
  return records;
}

/** The fence, right before a mutating call: false when the runner no longer holds the step. */
async function holdsLease(ctx: RunContext): Promise<boolean> {
  if (!ctx.fence) return true;
  try {
    await ctx.fence();
    return true;
  } catch {
    return false;
  }
}

async function send(iam: IAMClient | null, call: PlannedCall, base: Pick<CallRecord, 'action' | 'params' | 'at'>): Promise<CallRecord> {
  if (!iam) {
    return { ...base, outcome: 'failed', error: { name: 'NotApproved', message: `iam:${call.action} was not in the approved plan, so no session may send it; nothing was sent.` } };
  }
  const Command = IAM_COMMANDS[call.action];
  if (call.service !== 'iam' || !Command) {
    return { ...base, outcome: 'failed', error: { name: 'Unsupported', message: `keyguard cannot execute ${call.service}:${call.action}` } };
  }
  try {
    // The plan builders write these parameters with the SDK's field names; moto-backed
    // tests exercise every action, so a misspelt field fails a test, not an incident.
    const out = await iam.send(new Command(call.params as never) as IamCommand);
    return { ...base, outcome: 'done', requestId: out.$metadata.requestId };
  } catch (e) {
    const requestId = awsRequestId(e);
    const name = awsErrorName(e) ?? 'Error';
    if (isNoSuchEntity(e) && removalAlreadyDone(call)) {
      return { ...base, outcome: 'already', requestId, note: `AWS: ${(e as Error).message}` };
    }
    return {
      ...base,
      outcome: 'failed',
      requestId,
      error: { name, message: `${fromAwsError(e, `iam:${call.action}`).userMessage} AWS said: ${(e as Error).message}` },
      retryable: isRetryableAwsError(e),
    };
  }
}
