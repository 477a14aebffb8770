/**
 * Account access: the one place that answers "which account am I acting in, with what
 * rights". Everything in src/aws that calls AWS for a key gets its clients here.
 *
 *  - The bot's own identity (account, ARN, partition) is read once with
 *    sts:GetCallerIdentity and cached (a failure is retried on the next call).
 *  - A key in the bot's account: the bot's own clients, made once.
 *  - A key in another account: the IR_TARGET_ROLE_NAME role there, assumed through the SDK's
 *    `fromTemporaryCredentials` with the approving Slack user as SourceIdentity, so that
 *    account's CloudTrail names the human behind every change. A session is cached per
 *    account, session name and SourceIdentity (and session policy); its credentials are
 *    refreshed by the provider before they expire; its IAM/STS clients and its CloudTrail
 *    clients (one per region) are made once per session.
 *  - Writes (`forWrites`): never with the bot's own credentials. The responder role
 *    (IR_TARGET_ROLE_NAME, default keyguard-responder) is assumed in the key's account, the
 *    bot's own included, with the approver as SourceIdentity and a session policy generated
 *    from the step's plan (src/domain/session-policy.ts). Only IR_DIRECT_WRITES=true (a
 *    trial without that role) writes with the bot's own clients in its own account.
 *  - Read sessions (look-ups, CloudTrail, a step's reads) carry a read-only session policy:
 *    a session made for reading cannot write, whatever the role may do.
 */
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Pluggable } from '@smithy/types';
import type { Logger } from '../../logger';
import { KeyguardError, isAccessDenied, fromAwsError } from '../../errors';
import { CallRecord, planAssumeTargetRole, targetRoleArn } from '../../domain/aws-plan';
import { clientConfig, type AwsClientFactory, type AwsClients } from './iam-sts-clients';
import type { CloudTrailClientFactory } from '../history';
import { CallerIdentity, GuardRails } from './guard-rails';
import { DEFAULT_RESPONDER_ROLE_NAME, READ_ONLY_SESSION_POLICY } from '../../domain/session-policy';
import { Approver, missingTargetRoleMessage, principalArnForTrust, responderTrustPolicy, roleSessionName, sourceIdentity, TargetAccess } from './target-account';

export interface AccountAccessOptions {
  /** Makes IAM/STS clients: the bot's own (no credentials) or a session's. */
  factory: AwsClientFactory;
  /** CloudTrail clients per region, for the bot's own credentials (none) or a session's. */
  cloudTrail?: (credentials?: AwsCredentialIdentityProvider) => CloudTrailClientFactory;
  /** IR_TARGET_ROLE_NAME: the role assumed in a key's account for reads. Unset: reads stay in the bot's account. */
  targetRoleName?: string;
  /** The role every write goes through (IR_TARGET_ROLE_NAME, default keyguard-responder). */
  responderRoleName?: string;
  /** IR_DIRECT_WRITES=true (trial only): writes in the bot's own account use its own credentials. */
  directWrites?: boolean;
  now: () => Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface AccessRequest {
  /** The key's account; absent: the bot's own. */
  account?: string;
  /** Who the session acts for: the approver of a change, or the bot for read-only work. */
  approver: Approver;
  incidentId: string;
  /** A session policy (JSON) narrowing the role; absent: the read-only session policy. */
  policy?: string;
}

/** A write session: the step's session policy is required. */
export interface WriteRequest extends AccessRequest {
  policy: string;
}

/** The clients a step writes with, and whether they are the bot's own (IR_DIRECT_WRITES). */
export type WriteAccess = TargetAccess & { directWrites: boolean; sessionPolicy?: string };

const READ_ONLY_POLICY_JSON = JSON.stringify(READ_ONLY_SESSION_POLICY);

/** AssumeRole session length: 15 minutes (AWS's minimum) covers one step; the provider renews it. */
const SESSION_SECONDS = 900;

/** Renewed this long before the session's credentials expire. */
const REFRESH_BEFORE_MS = 5 * 60_000;
/** Sessions kept; the oldest is dropped first. */
const MAX_SESSIONS = 200;

interface Session {
  access: Promise<TargetAccess>;
  credentials?: AwsCredentialIdentityProvider;
  cloudTrail?: CloudTrailClientFactory;
}

/** Reads the request id of the AssumeRole response the provider's STS client receives. */
function requestIdProbe(seen: (requestId: string | undefined) => void): Pluggable<object, object> {
  return {
    applyToStack: (stack) => {
      stack.add(
        (next) => async (args) => {
          const out = await next(args);
          seen((out.output as { $metadata?: { requestId?: string } }).$metadata?.requestId);
          return out;
        },
        { step: 'initialize', name: 'keyguardAssumeRoleRequestId' },
      );
    },
  };
}

/** The provider's credentials, fetched once and again only shortly before they expire. */
function memoised(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | undefined;
  let expiresAt = 0;
  return () => {
    if (!current || (expiresAt && Date.now() > expiresAt - REFRESH_BEFORE_MS)) {
      const next = provider();
      current = next;
      next.then(
        (c) => (expiresAt = c.expiration?.getTime() ?? 0),
        () => (current === next ? (current = undefined) : undefined),
      );
    }
    return current;
  };
}

export class AccountAccess {
  private me?: Promise<CallerIdentity>;
  private ownClients?: AwsClients;
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly o: AccountAccessOptions) {}

  /** The bot's own IAM/STS clients (made once). */
  own(): AwsClients {
    this.ownClients ??= this.o.factory();
    return this.ownClients;
  }

  /** Who the bot is: account, ARN, partition (read once). */
  identity(): Promise<CallerIdentity> {
    this.me ??= new GuardRails(this.own().sts).identity().catch((e: unknown) => {
      this.me = undefined;
      throw e;
    });
    return this.me;
  }

  async partition(): Promise<string> {
    return (await this.identity()).partition;
  }

  /**
   * The clients that act on a key in `account`: the bot's own in its own account, an
   * assumed-role session otherwise. Throws NOT_AVAILABLE (with what to configure) when the
   * account is another and IR_TARGET_ROLE_NAME is not set, AWS_ACCESS_DENIED when the role
   * cannot be assumed.
   */
  async forAccount(req: AccessRequest): Promise<TargetAccess> {
    const me = await this.identity();
    const account = req.account ?? me.account;
    if (account === me.account) return { mode: 'same-account', account, partition: me.partition, clients: this.own() };
    return (await this.session(me, account, req)).access;
  }

  /** The role every write goes through. */
  get responderRoleName(): string {
    return this.o.responderRoleName ?? this.o.targetRoleName ?? DEFAULT_RESPONDER_ROLE_NAME;
  }

  /** IR_DIRECT_WRITES: the trial mode writing with the bot's own credentials. */
  get directWrites(): boolean {
    return this.o.directWrites === true;
  }

  /**
   * The clients a step's IAM writes are sent with: the responder role in the key's account
   * (the bot's own too), narrowed by `policy`, with the approver as SourceIdentity. With
   * IR_DIRECT_WRITES, in the bot's own account: the bot's own clients, flagged.
   */
  async forWrites(req: WriteRequest): Promise<WriteAccess> {
    const me = await this.identity();
    const account = req.account ?? me.account;
    if (account === me.account && this.o.directWrites) {
      return { mode: 'same-account', account, partition: me.partition, clients: this.own(), directWrites: true };
    }
    const access = await (await this.session(me, account, req, this.responderRoleName)).access;
    return { ...access, directWrites: false, sessionPolicy: req.policy };
  }

  /**
   * CloudTrail clients for `account`: undefined for the bot's own account (its own clients
   * are used), the target role's session otherwise. Read-only: the session is the bot's.
   */
  async cloudTrailFor(account: string): Promise<CloudTrailClientFactory | undefined> {
    const me = await this.identity();
    if (account === me.account) return undefined;
    if (!this.o.targetRoleName) {
      throw new KeyguardError(
        'NOT_AVAILABLE',
        `The key belongs to account ${account}; its CloudTrail can only be searched through a role there. Set IR_TARGET_ROLE_NAME (see the README) and ask again.`,
      );
    }
    const session = await this.session(me, account, { approver: { slackUserId: 'keyguard-cloudtrail' }, incidentId: 'investigate' });
    await session.access;
    if (!this.o.cloudTrail) throw new KeyguardError('NOT_AVAILABLE', 'CloudTrail clients are not configured.');
    session.cloudTrail ??= this.o.cloudTrail(session.credentials);
    return session.cloudTrail;
  }

  private async session(me: CallerIdentity, account: string, req: AccessRequest, roleName = this.o.targetRoleName): Promise<Session> {
    if (!roleName) {
      throw new KeyguardError('NOT_AVAILABLE', missingTargetRoleMessage(account, me.account, me.arn));
    }
    const roleArn = targetRoleArn(me.partition, account, roleName);
    const policy = req.policy ?? READ_ONLY_POLICY_JSON;
    const planned = planAssumeTargetRole({
      roleArn,
      sessionName: roleSessionName(req.approver, req.incidentId),
      sourceIdentity: sourceIdentity(req.approver),
      durationSeconds: SESSION_SECONDS,
    });
    const params = planned.params as { RoleArn: string; RoleSessionName: string; SourceIdentity: string; DurationSeconds: number };
    const key = JSON.stringify([params.RoleArn, params.RoleSessionName, params.SourceIdentity, policy]);
    const hit = this.sessions.get(key);
    if (hit) return hit;

    let requestId: string | undefined;
    const options = this.o.factory.options;
    const credentials = memoised(
      fromTemporaryCredentials({
        params: { ...params, Policy: policy },
        // Assumed with exactly the credentials of the bot's own clients.
        masterCredentials: this.own().sts.config.credentials,
        ...(options ? { clientConfig: clientConfig(options) } : {}),
        clientPlugins: [requestIdProbe((id) => (requestId = id))],
      }),
    );
    const at = this.o.now().toISOString();
    const access = (async (): Promise<TargetAccess> => {
      try {
        // Assume the role now, so a refusal is reported here, named, before any step acts.
        await credentials();
      } catch (e) {
        this.sessions.delete(key);
        if (isAccessDenied(e)) {
          throw new KeyguardError(
            'AWS_ACCESS_DENIED',
            `AWS refused to let the bot assume ${roleArn}. Check that the role exists and that its trust policy is ` +
              `${responderTrustPolicy(principalArnForTrust(me.arn))}, and that the bot may call sts:AssumeRole on it.`,
            { cause: e },
          );
        }
        throw fromAwsError(e, 'sts:AssumeRole');
      }
      // The credentials stay inside the provider and the clients; never logged or recorded.
      const call: CallRecord = { action: 'AssumeRole', params: { ...params }, outcome: 'done', requestId, at };
      this.o.logger?.info({ roleArn, sessionName: params.RoleSessionName, sourceIdentity: params.SourceIdentity, requestId }, 'assumed target-account role');
      return {
        mode: 'assumed-role',
        account,
        partition: me.partition,
        roleArn,
        sessionName: params.RoleSessionName,
        sourceIdentity: params.SourceIdentity,
        clients: this.o.factory(credentials),
        call,
      };
    })();
    const session: Session = { credentials, access };
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(key, session);
    return session;
  }
}
